use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::*;
use crate::metrics::Metrics;

fn server(max_connections: usize) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let limits = Limits {
        max_connections,
        read_timeout: Duration::from_millis(300),
        write_timeout: Duration::from_secs(2),
    };
    spawn(listener, Metrics::new(Duration::from_secs(1)).scrape(), limits).expect("spawn");
    addr
}

/// Sends `request` and returns the whole answer (the server closes after one).
fn ask(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    s.write_all(request).expect("write");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn serves_metrics_and_refuses_the_rest() {
    let addr = server(4);
    let ok = ask(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    assert!(ok.contains(CONTENT_TYPE), "{ok}");
    assert!(ok.contains("heartbeat_build_info{"), "{ok}");
    assert!(ok.trim_end().ends_with("# EOF"), "{ok}");
    let len: usize = ok
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("length");
    assert_eq!(len, ok.split_once("\r\n\r\n").expect("body").1.len());

    let head = ask(addr, b"HEAD /metrics?x=1 HTTP/1.0\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.ends_with("\r\n\r\n"), "HEAD has no body: {head}");
    assert!(ask(addr, b"GET /nope HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
    let post = ask(addr, b"POST /metrics HTTP/1.1\r\n\r\n");
    assert!(post.starts_with("HTTP/1.1 405") && post.contains("Allow: GET, HEAD"), "{post}");
    assert!(ask(addr, b"GET /metrics\r\n\r\n").starts_with("HTTP/1.1 400"));
    assert!(ask(addr, b"GET /metrics SPDY/3\r\n\r\n").starts_with("HTTP/1.1 505"));
    assert!(ask(addr, b"\xff\xfe /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400"));
}

#[test]
fn oversized_heads_are_refused() {
    let addr = server(4);
    let mut big = b"GET /metrics HTTP/1.1\r\nX: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', MAX_REQUEST_BYTES + 10));
    let out = ask(addr, &big);
    assert!(out.starts_with("HTTP/1.1 431"), "{out}");
}

#[test]
fn silent_clients_are_dropped_and_extra_ones_refused() {
    let addr = server(1);
    // One connection that never speaks holds the only slot…
    let mut idle = TcpStream::connect(addr).expect("connect");
    std::thread::sleep(Duration::from_millis(50));
    // …so the next one is refused at once rather than queued.
    let busy = ask(addr, b"GET /metrics HTTP/1.1\r\n\r\n");
    assert!(busy.starts_with("HTTP/1.1 503"), "{busy}");
    // The silent one is closed after the read timeout (300 ms here), freeing the slot.
    idle.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let t0 = Instant::now();
    let mut buf = [0u8; 16];
    let n = idle.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "a silent client gets no answer, only a close");
    assert!(t0.elapsed() < Duration::from_secs(4), "closed after {:?}", t0.elapsed());
    let mut ok = String::new();
    for _ in 0..50 {
        ok = ask(addr, b"GET /metrics HTTP/1.1\r\n\r\n");
        if ok.starts_with("HTTP/1.1 200") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(ok.starts_with("HTTP/1.1 200"), "slot not freed: {ok}");
}
