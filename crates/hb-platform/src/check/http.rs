//! The built-in HTTP probe: one `GET` over HTTP/1.0 on a tokio socket, status line checked.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{ProbeOutcome, OUTPUT_LIMIT};

/// Where and what to `GET`, and the status that means healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTarget {
    /// Host to connect to (name or address literal; IPv6 without brackets).
    pub host: String,
    /// Port (80 by default in URLs).
    pub port: u16,
    /// Path, starting with `/`.
    pub path: String,
    /// Status code that counts as healthy.
    pub expect: u16,
}

impl HttpTarget {
    /// Parses `http://HOST[:PORT]/PATH` (IPv6 as `[addr]`); `expect` is the healthy status.
    pub fn parse(url: &str, expect: u16) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or("expected http://HOST[:PORT]/PATH")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (rest.get(..i).unwrap_or_default(), rest.get(i..).unwrap_or("/")),
            None => (rest, "/"),
        };
        if path.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            return Err("path contains spaces or control characters".into());
        }
        let (host, port) = split_host_port(authority, 80)?;
        if !(100..=599).contains(&expect) {
            return Err(format!("expected status {expect} is not in 100..=599"));
        }
        Ok(HttpTarget { host, port, path: path.to_string(), expect })
    }
}

/// Splits `HOST[:PORT]` / `[V6][:PORT]`; `default` when no port is given.
pub(crate) fn split_host_port(s: &str, default: u16) -> Result<(String, u16), String> {
    let bad_port = |p: &str| format!("bad port {p:?}");
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or("unclosed [ in address")?;
        match after.strip_prefix(':') {
            Some(p) => (h, p.parse().map_err(|_| bad_port(p))?),
            None if after.is_empty() => (h, default),
            None => return Err(format!("junk after ]: {after:?}")),
        }
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| bad_port(p))?),
            None => (s, default),
        }
    };
    if host.is_empty() || host.bytes().any(|b| b.is_ascii_control() || b == b' ' || b == b'/') {
        return Err(format!("bad host {host:?}"));
    }
    if port == 0 {
        return Err("port 0".into());
    }
    Ok((host.to_string(), port))
}

/// The status code of an HTTP response's first line (`HTTP/1.1 200 OK`), if it is one.
pub fn parse_status_line(head: &[u8]) -> Option<u16> {
    let end = head
        .windows(2)
        .position(|w| w == b"\r\n")
        .or_else(|| head.iter().position(|&b| b == b'\n'))?;
    let line = std::str::from_utf8(head.get(..end)?).ok()?;
    let mut words = line.split(' ');
    let version = words.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let code = words.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok().filter(|c| (100..=599).contains(c))
}

/// One `GET`; the caller bounds it with the check's timeout.
pub(super) async fn probe(target: &HttpTarget, timeout: Duration) -> ProbeOutcome {
    let run = async {
        let mut sock = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|e| format!("connect {}:{}: {e}", target.host, target.port))?;
        let host = if target.host.contains(':') {
            format!("[{}]", target.host)
        } else {
            target.host.clone()
        };
        let request = format!(
            "GET {} HTTP/1.0\r\nHost: {host}:{}\r\nUser-Agent: heartbeat-rs-check\r\nConnection: close\r\n\r\n",
            target.path, target.port
        );
        sock.write_all(request.as_bytes()).await.map_err(|e| format!("send: {e}"))?;
        let mut head = Vec::with_capacity(128);
        let mut buf = [0u8; 256];
        // Read only until the status line is complete: the body does not matter.
        while !head.contains(&b'\n') && head.len() < OUTPUT_LIMIT {
            let n = sock.read(&mut buf).await.map_err(|e| format!("receive: {e}"))?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(buf.get(..n).unwrap_or_default());
        }
        let code = parse_status_line(&head).ok_or_else(|| {
            format!(
                "not an HTTP answer: {:?}",
                String::from_utf8_lossy(&head).chars().take(80).collect::<String>()
            )
        })?;
        if code == target.expect {
            Ok(())
        } else {
            Err(format!("status {code}, expected {}", target.expect))
        }
    };
    match tokio::time::timeout(timeout, run).await {
        Ok(Ok(())) => ProbeOutcome::Pass,
        Ok(Err(reason)) => ProbeOutcome::Fail(reason),
        Err(_) => ProbeOutcome::TimedOut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let t = HttpTarget::parse("http://10.0.0.50/", 200);
        assert_eq!(
            t,
            Ok(HttpTarget { host: "10.0.0.50".into(), port: 80, path: "/".into(), expect: 200 })
        );
        let t = HttpTarget::parse("http://[::1]:8080/health?x=1", 204);
        assert_eq!(
            t,
            Ok(HttpTarget {
                host: "::1".into(),
                port: 8080,
                path: "/health?x=1".into(),
                expect: 204
            })
        );
        assert_eq!(HttpTarget::parse("http://h", 200).map(|t| t.path), Ok("/".into()));
        for bad in ["https://h/", "http:///x", "http://h:0/", "http://h:99999/", "http://h/a b"] {
            assert!(HttpTarget::parse(bad, 200).is_err(), "{bad} accepted");
        }
        assert!(HttpTarget::parse("http://h/", 42).is_err());
    }

    #[test]
    fn status_lines() {
        assert_eq!(parse_status_line(b"HTTP/1.1 200 OK\r\nServer: x\r\n"), Some(200));
        assert_eq!(parse_status_line(b"HTTP/1.0 503 Service Unavailable\n"), Some(503));
        assert_eq!(parse_status_line(b"HTTP/1.1 200 OK"), None, "incomplete line");
        assert_eq!(parse_status_line(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(parse_status_line(b"HTTP/1.1 2000 OK\r\n"), None);
        assert_eq!(parse_status_line(b"HTTP/1.1 999 OK\r\n"), None);
        assert_eq!(parse_status_line(b"\xff\xfe\r\n"), None);
    }
}
