//! Metrics of a test cluster's nodes: `metrics.cf` on, `GET /metrics` from the client
//! namespace, sample sums.

use std::io::{Read, Write};
use std::net::{SocketAddrV4, TcpStream};
use std::time::{Duration, Instant};

use hb_testnet::cluster::Cluster;

/// The port the nodes serve metrics on.
pub const METRICS_PORT: u16 = 9694;

/// Writes a `metrics.cf` that serves metrics on all of node `i`'s addresses.
pub fn enable(c: &Cluster, i: usize) {
    let path = c.node_dir(i).join("ha.d").join("metrics.cf");
    std::fs::write(path, format!("listen 0.0.0.0:{METRICS_PORT}\n")).expect("metrics.cf");
}

/// One `GET /metrics` of node `i` from the client namespace: the body, or why not.
pub fn scrape(c: &Cluster, i: usize) -> Result<String, String> {
    let ip = c.host(i).ip;
    c.net
        .run_in(c.net.client(), || {
            let addr = SocketAddrV4::new(ip, METRICS_PORT).into();
            let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
                .map_err(|e| e.to_string())?;
            s.set_read_timeout(Some(Duration::from_secs(5))).map_err(|e| e.to_string())?;
            s.write_all(b"GET /metrics HTTP/1.1\r\nHost: n\r\n\r\n").map_err(|e| e.to_string())?;
            let mut out = String::new();
            s.read_to_string(&mut out).map_err(|e| e.to_string())?;
            match out.split_once("\r\n\r\n") {
                Some((head, body)) if head.starts_with("HTTP/1.1 200") => Ok(body.to_owned()),
                _ => Err(format!("unexpected answer: {}", out.lines().next().unwrap_or(""))),
            }
        })
        .map_err(|e| e.to_string())?
}

/// Sum of the samples called `name` whose labels contain every `k="v"` of `labels`, and how
/// many samples that was.
pub fn sum(text: &str, name: &str, labels: &[(&str, &str)]) -> (f64, usize) {
    let values: Vec<f64> = text
        .lines()
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, ""));
            (n == name && labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .collect();
    (values.iter().sum(), values.len())
}

/// Scrapes node `i` until `ok` holds or 10 s pass: the last body and whether `ok` held.
pub fn scrape_until(c: &Cluster, i: usize, ok: impl Fn(&str) -> bool) -> (String, bool) {
    let t0 = Instant::now();
    let mut last = String::new();
    while t0.elapsed() < Duration::from_secs(10) {
        match scrape(c, i) {
            Ok(text) if ok(&text) => return (text, true),
            Ok(text) => last = text,
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    (last, false)
}
