//! Captures heartbeat traffic (UDP 694) on a namespace's `eth0` with `dumpcap` and reads the
//! messages back: enough of pcap, IPv4/UDP and both heartbeat framings (classic `>>>` lines
//! and `###` netstrings) to see who sent which `t`, `seq` and retransmission request.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use hb_testnet::{Host, Testnet};
use nix::sys::signal::Signal;

/// A running capture.
pub struct Capture {
    pid: u32,
    path: PathBuf,
}

/// One heartbeat message seen on the wire.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Capture time (seconds since the epoch).
    pub at: f64,
    /// Its string fields, first occurrence of each name.
    pub fields: BTreeMap<String, String>,
}

impl Seen {
    /// Field `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

impl Capture {
    /// Starts `dumpcap` on `host`'s `eth0` (killed with the harness if the test fails), or
    /// says "skipped" and returns `None` when dumpcap is not installed (package `tshark` or
    /// `wireshark-common`). Panics if it is installed but does not start.
    pub fn start_if_installed(net: &Testnet, host: &Host, name: &str) -> Option<Capture> {
        let installed = std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join("dumpcap").exists()));
        if !installed {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: capture checks ({name}): dumpcap missing (apt-get install tshark)"
            );
            return None;
        }
        Some(Capture::start(net, host, name).expect("dumpcap starts"))
    }

    /// Starts `dumpcap` on `host`'s `eth0`; `None` if it did not start within 5 s.
    pub fn start(net: &Testnet, host: &Host, name: &str) -> Option<Capture> {
        let path = std::env::temp_dir().join(format!("{}-{name}.pcap", host.netns));
        let _ = std::fs::remove_file(&path);
        let p = path.display().to_string();
        // `exec` keeps the PID dumpcap's; its chatter on stderr would clutter the test output.
        let script = "exec dumpcap -q -P -i eth0 -f 'udp port 694' -w \"$1\" 2>/dev/null";
        let pid = net.spawn_in(host, "sh", &["-c", script, "sh", &p]).ok()?;
        // dumpcap needs a moment before it captures.
        let ready = hb_testnet::peers::wait_for(Duration::from_secs(5), || {
            std::fs::metadata(&path).is_ok_and(|m| m.len() >= 24)
        });
        ready.then_some(Capture { pid, path })
    }

    /// Stops the capture and returns every heartbeat message in it.
    pub fn stop(self, net: &Testnet) -> Vec<Seen> {
        let _ = net.signal(self.pid, Signal::SIGINT);
        hb_testnet::peers::wait_for(Duration::from_secs(5), || !net.is_running(self.pid));
        parse_pcap(&std::fs::read(&self.path).unwrap_or_default())
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if std::env::var_os("HB_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Parses a little-endian microsecond pcap of Ethernet frames.
pub fn parse_pcap(b: &[u8]) -> Vec<Seen> {
    let mut out = Vec::new();
    let mut i = 24;
    let u32_at = |i: usize| b.get(i..i + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]));
    while let (Some(sec), Some(usec), Some(len)) = (u32_at(i), u32_at(i + 4), u32_at(i + 8)) {
        let start = i + 16;
        let end = start + len as usize;
        let Some(frame) = b.get(start..end) else { break };
        i = end;
        if let Some(fields) = udp_payload(frame).and_then(parse_message) {
            out.push(Seen { at: f64::from(sec) + f64::from(usec) / 1e6, fields });
        }
    }
    out
}

fn udp_payload(frame: &[u8]) -> Option<&[u8]> {
    if frame.get(12..14)? != [0x08, 0x00] {
        return None;
    }
    let ip = frame.get(14..)?;
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    if *ip.get(9)? != 17 {
        return None;
    }
    let udp = ip.get(ihl..)?;
    let ulen = usize::from(u16::from_be_bytes([*udp.get(4)?, *udp.get(5)?]));
    udp.get(8..ulen.max(8))
}

/// String fields of a classic or netstring heartbeat message.
pub fn parse_message(p: &[u8]) -> Option<BTreeMap<String, String>> {
    let mut fields = BTreeMap::new();
    if let Some(body) = p.strip_prefix(b">>>\n") {
        for line in body.split(|&c| c == b'\n') {
            if line.starts_with(b"<<<") {
                break;
            }
            let text = String::from_utf8_lossy(line);
            if let Some((k, v)) = text.split_once('=') {
                fields.entry(k.to_string()).or_insert_with(|| v.to_string());
            }
        }
        return Some(fields);
    }
    let mut rest = p.strip_prefix(b"###\n")?;
    while !rest.starts_with(b"%%%") {
        let colon = rest.iter().position(|&c| c == b':')?;
        let n: usize = std::str::from_utf8(&rest[..colon]).ok()?.parse().ok()?;
        let item = rest.get(colon + 1..colon + 1 + n)?;
        rest = rest.get(colon + 2 + n..)?;
        if item.starts_with(b"(0)") {
            let text = String::from_utf8_lossy(&item[3..]);
            if let Some((k, v)) = text.split_once('=') {
                fields.entry(k.to_string()).or_insert_with(|| v.to_string());
            }
        }
    }
    Some(fields)
}

#[test]
fn parses_both_framings() {
    let classic = b">>>\nt=status\nsrc=n1\nseq=1f\n<<<\n\0";
    let f = parse_message(classic).expect("classic");
    assert_eq!((f["t"].as_str(), f["seq"].as_str()), ("status", "1f"));
    let net = b"###\n11:(0)t=status,9:(0)src=n2,%%%\n";
    let f = parse_message(net).expect("netstring");
    assert_eq!((f["t"].as_str(), f["src"].as_str()), ("status", "n2"));
    assert!(parse_message(b"junk").is_none());
}
