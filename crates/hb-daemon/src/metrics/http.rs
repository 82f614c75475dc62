//! A deliberately small HTTP/1.1 server for `GET /metrics`, on its own thread and runtime.
//!
//! One request per connection (`Connection: close`), request heads up to
//! [`MAX_REQUEST_BYTES`], a deadline to send the head and another to take the answer, and at
//! most `max_connections` connections served at once: the next one is told `503` and closed
//! without being read. A scraper (or anyone who can reach the port) therefore holds at most a
//! bounded amount of memory and never the daemon's run loop, which lives on another thread.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::Scrape;

/// Largest request head read; a longer one is answered `431`.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;

/// OpenMetrics text, which Prometheus negotiates and prefers.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How the server treats its clients.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Time a client has to send its request head.
    pub read_timeout: Duration,
    /// Time a client has to take the whole answer.
    pub write_timeout: Duration,
}

impl Limits {
    /// Production limits with `max_connections`.
    pub fn new(max_connections: usize) -> Limits {
        Limits {
            max_connections,
            read_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(10),
        }
    }
}

/// Starts serving `listener` on a thread named `metrics-http`. Binding is the caller's job so
/// that a taken port fails the daemon's start-up with a clear message.
pub fn spawn(
    listener: std::net::TcpListener,
    scrape: Scrape,
    limits: Limits,
) -> io::Result<Server> {
    listener.set_nonblocking(true)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = Arc::clone(&stop);
    let thread = std::thread::Builder::new().name("metrics-http".into()).spawn(move || {
        rt.block_on(async move {
            match TcpListener::from_std(listener) {
                Ok(l) => tokio::select! {
                    () = serve(l, scrape, limits) => {}
                    () = stopped.notified() => {}
                },
                Err(e) => tracing::error!("metrics: cannot use the listening socket: {e}"),
            }
        });
    })?;
    Ok(Server { stop, thread })
}

/// A running server thread (a reload of `metrics.cf` replaces it).
#[derive(Debug)]
pub struct Server {
    stop: Arc<tokio::sync::Notify>,
    thread: std::thread::JoinHandle<()>,
}

impl Server {
    /// Stops serving and waits until the listening socket is closed (a few ms: the thread's
    /// runtime drops the listener and every connection as soon as it is told).
    pub fn stop(self) {
        self.stop.notify_one();
        let _ = self.thread.join();
    }
}

/// Accepts connections forever.
pub async fn serve(listener: TcpListener, scrape: Scrape, limits: Limits) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut accept_errors = 0u64;
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors and the like: log a few, back off, keep serving.
                accept_errors += 1;
                if accept_errors <= 10 || accept_errors.is_power_of_two() {
                    tracing::warn!("metrics: accept failed (#{accept_errors}): {e}");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            // Best effort and non-blocking: the socket buffer of a new connection is empty.
            let _ = stream.try_write(&response(503, "text/plain", b"too many connections\n"));
            continue;
        };
        let scrape = scrape.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _ = handle(stream, &scrape, limits).await;
        });
    }
}

async fn handle(mut stream: TcpStream, scrape: &Scrape, limits: Limits) -> io::Result<()> {
    let answer = match tokio::time::timeout(limits.read_timeout, read_head(&mut stream)).await {
        Err(_) => return Ok(()), // too slow: close without a word
        Ok(Err(e)) => return Err(e),
        Ok(Ok(Head::TooLarge)) => response(431, "text/plain", b"request head too large\n"),
        Ok(Ok(Head::Closed)) => return Ok(()),
        Ok(Ok(Head::Complete(head))) => answer(&head, scrape),
    };
    tokio::time::timeout(limits.write_timeout, async {
        stream.write_all(&answer).await?;
        stream.shutdown().await
    })
    .await
    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "client too slow to read"))?
}

enum Head {
    Complete(Vec<u8>),
    TooLarge,
    Closed,
}

async fn read_head(stream: &mut TcpStream) -> io::Result<Head> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(Head::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buf, b"\r\n\r\n").or_else(|| find(&buf, b"\n\n")) {
            buf.truncate(end);
            return Ok(Head::Complete(buf));
        }
        if buf.len() > MAX_REQUEST_BYTES {
            return Ok(Head::TooLarge);
        }
    }
}

/// The answer to a complete request head.
fn answer(head: &[u8], scrape: &Scrape) -> Vec<u8> {
    let Some(line) = std::str::from_utf8(head).ok().and_then(|h| h.lines().next()) else {
        return response(400, "text/plain", b"bad request\n");
    };
    let mut words = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return response(400, "text/plain", b"bad request line\n");
    };
    if !version.starts_with("HTTP/1.") {
        return response(505, "text/plain", b"HTTP/1.x only\n");
    }
    let path = target.split('?').next().unwrap_or("");
    let (code, ctype, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => match scrape.encode() {
            Ok(text) => (200, CONTENT_TYPE, text.into_bytes()),
            Err(_) => (500, "text/plain", b"cannot encode metrics\n".to_vec()),
        },
        ("GET" | "HEAD", "/") => {
            (200, "text/plain", b"heartbeat-rs: metrics are at /metrics\n".to_vec())
        }
        ("GET" | "HEAD", _) => (404, "text/plain", b"not found; try /metrics\n".to_vec()),
        _ => (405, "text/plain", b"only GET and HEAD\n".to_vec()),
    };
    let mut out = response(code, ctype, &body);
    if method == "HEAD" {
        out.truncate(out.len() - body.len());
    }
    out
}

fn response(code: u16, ctype: &str, body: &[u8]) -> Vec<u8> {
    let reason = match code {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Internal Server Error",
    };
    let allow = if code == 405 { "Allow: GET, HEAD\r\n" } else { "" };
    let mut out = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{allow}\
         Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
#[path = "http_test.rs"]
mod tests;
