//! The demo's web service: `hbctl demo-httpd`, a tiny HTTP server answering `GET /` with
//! `served by NAME`, and the heartbeat resource script that starts and stops it. A fresh
//! machine has no web server to fail over, so hbctl brings its own.
//!
//! The server writes its PID file once it listens (the script waits for that) and exits by
//! itself when the PID file no longer names it, so a server orphaned by an interrupted demo
//! ends when the demo's directory goes away.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

/// Largest request read; longer ones get 431.
const MAX_REQUEST: usize = 2048;
/// How long a client may take to send its request.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(200);
/// How often the server checks that its PID file still names it.
const PID_CHECK: Duration = Duration::from_millis(250);

/// Arguments of the hidden `demo-httpd` subcommand.
#[derive(clap::Args, Debug)]
pub struct HttpdArgs {
    /// TCP port to listen on (all addresses).
    #[arg(long, default_value_t = 80)]
    port: u16,
    /// Name to answer with.
    #[arg(long, value_parser = parse_name)]
    name: String,
    /// PID file, written once listening; the server exits when it stops naming this process.
    #[arg(long)]
    pid_file: PathBuf,
}

/// Runs the server until killed or its PID file changes.
pub fn run(args: &HttpdArgs) -> anyhow::Result<()> {
    let listener = TcpListener::bind(("0.0.0.0", args.port))
        .with_context(|| format!("cannot listen on port {}", args.port))?;
    let me = std::process::id();
    write_pid_file(&args.pid_file, me)?;
    let pid_file = args.pid_file.clone();
    std::thread::spawn(move || loop {
        std::thread::sleep(PID_CHECK);
        let named = std::fs::read_to_string(&pid_file).ok().and_then(|s| s.trim().parse().ok());
        if named != Some(me) {
            std::process::exit(0);
        }
    });
    // One client at a time: each is bounded in time and size.
    for s in listener.incoming().flatten() {
        let _ = serve(s, &args.name);
    }
    Ok(())
}

/// The answer to one request (head and body).
pub fn response_for(request: &[u8], name: &str) -> String {
    let line = request.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    let (status, body) = match (words.next(), words.next()) {
        _ if !ends_head(request) => ("431 Request Header Fields Too Large", String::new()),
        (Some("GET"), Some("/")) => ("200 OK", format!("served by {name}\n")),
        (Some("GET"), Some(_)) => ("404 Not Found", "not found\n".to_string()),
        _ => ("405 Method Not Allowed", String::new()),
    };
    format!(
        "HTTP/1.0 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The resource script for `haresources` (`{dir}` is filled in per node by the cluster
/// harness; `hbctl` is the absolute path of this binary).
pub fn resource_script(hbctl: &Path, port: u16) -> String {
    format!(
        r#"#!/bin/sh
# demo-httpd: heartbeat resource script of `hbctl demo` (start|stop|status).
PIDFILE="{{dir}}/demo-httpd.pid"
running() {{ [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }}
case "$1" in
start)
    running && exit 0
    rm -f "$PIDFILE"
    '{hbctl}' demo-httpd --port {port} --name "$(uname -n)" --pid-file "$PIDFILE" \
        </dev/null >>"{{dir}}/demo-httpd.log" 2>&1 &
    i=0
    while [ $i -lt 50 ]; do running && exit 0; sleep 0.1; i=$((i + 1)); done
    echo "demo-httpd did not start"; exit 1 ;;
stop)
    running && kill "$(cat "$PIDFILE")"
    rm -f "$PIDFILE"; exit 0 ;;
status)
    if running; then echo "demo-httpd is running"; else echo "demo-httpd is stopped"; exit 3; fi ;;
*)
    echo "usage: $0 start|stop|status"; exit 2 ;;
esac
"#,
        hbctl = hbctl.display(),
    )
}

fn serve(mut s: TcpStream, name: &str) -> std::io::Result<()> {
    s.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    s.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut buf = [0u8; MAX_REQUEST];
    let mut n = 0;
    while n < buf.len() {
        let k = s.read(buf.get_mut(n..).unwrap_or_default())?;
        if k == 0 {
            break;
        }
        n += k;
        if ends_head(buf.get(..n).unwrap_or_default()) {
            break;
        }
    }
    let answer = response_for(buf.get(..n).unwrap_or_default(), name);
    s.write_all(answer.as_bytes())
}

fn ends_head(request: &[u8]) -> bool {
    request.windows(4).any(|w| w == b"\r\n\r\n") || request.windows(2).any(|w| w == b"\n\n")
}

fn write_pid_file(path: &Path, pid: u32) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{pid}\n"))
        .and_then(|()| std::fs::rename(&tmp, path))
        .with_context(|| format!("cannot write {}", path.display()))
}

fn parse_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(s.to_string())
    } else {
        Err("a name of 1 to 32 letters, digits, `-`, `_` or `.`".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_get_slash_with_the_name() {
        let r = response_for(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n", "n2");
        assert!(r.starts_with("HTTP/1.0 200 OK\r\n"), "{r}");
        assert!(r.ends_with("\r\n\r\nserved by n2\n"), "{r}");
        assert!(r.contains("Content-Length: 13\r\n"), "{r}");
        assert_eq!(crate::demo_probe::served_by(r.as_bytes()).as_deref(), Some("n2"));
    }

    #[test]
    fn refuses_other_paths_methods_and_unfinished_heads() {
        assert!(response_for(b"GET /x HTTP/1.0\r\n\r\n", "n1").starts_with("HTTP/1.0 404"));
        assert!(response_for(b"POST / HTTP/1.0\r\n\r\n", "n1").starts_with("HTTP/1.0 405"));
        assert!(response_for(&[b'a'; MAX_REQUEST], "n1").starts_with("HTTP/1.0 431"));
        assert!(response_for(b"", "n1").starts_with("HTTP/1.0 431"));
    }

    #[test]
    fn names_are_checked() {
        assert!(parse_name("n1").is_ok());
        assert!(parse_name("").is_err());
        assert!(parse_name("a b").is_err());
        assert!(parse_name(&"x".repeat(33)).is_err());
    }

    #[test]
    fn script_names_the_binary_and_keeps_the_dir_placeholder() {
        let s = resource_script(Path::new("/opt/hb/hbctl"), 8080);
        assert!(s.contains("'/opt/hb/hbctl' demo-httpd --port 8080"), "{s}");
        assert!(s.contains("PIDFILE=\"{dir}/demo-httpd.pid\""), "{s}");
    }
}
