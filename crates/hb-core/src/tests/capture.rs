//! A real heartbeat 3.0.6 peer, replayed from the lab captures: the peer's datagrams are fed to
//! our node (playing the other lab node, with its UUID) at their captured times, and our
//! answers are compared with what the real node sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hb_wire::Message;

use super::harness::{auth, describe, WALL0};
use crate::{
    ActionResult, AutoFailback, EngineConfig, GroupConfig, Input, Instant, LinkId, Node, Output,
};

const N1_UUID: [u8; 16] = [
    0xbf, 0xf7, 0x03, 0x42, 0x52, 0x90, 0x4f, 0x13, 0x8f, 0xb4, 0x58, 0xc5, 0x8e, 0x67, 0x63, 0xaf,
];

fn shared_dir() -> PathBuf {
    match std::env::var_os("HB_SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// (seconds since the first packet, source IPv4 last octet, UDP payload) for port 694.
fn datagrams(name: &str) -> Vec<(f64, u8, Vec<u8>)> {
    let path = shared_dir().join("captures").join(name);
    let d = match std::fs::read(&path) {
        Ok(d) => d,
        Err(e) => panic!("{}: {e}", path.display()),
    };
    let u32le = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let mut out = Vec::new();
    let mut off = 24;
    let mut t0 = None;
    while off + 16 <= d.len() {
        let ts = f64::from(u32le(&d[off..])) + f64::from(u32le(&d[off + 4..])) / 1e6;
        let len = u32le(&d[off + 8..]) as usize;
        let pkt = &d[off + 16..(off + 16 + len).min(d.len())];
        off += 16 + len;
        let t0 = *t0.get_or_insert(ts);
        if pkt.len() < 42 || pkt[12..14] != [0x08, 0x00] || pkt[23] != 17 {
            continue;
        }
        let ihl = usize::from(pkt[14] & 0x0f) * 4;
        let udp = 14 + ihl;
        if pkt.len() < udp + 8 || u16::from_be_bytes([pkt[udp + 2], pkt[udp + 3]]) != 694 {
            continue;
        }
        out.push((ts - t0, pkt[29], pkt[udp + 8..].to_vec()));
    }
    out
}

fn lab_config(me: &str, uuid: [u8; 16]) -> EngineConfig {
    let mut c = EngineConfig::with_defaults(me, &["n1", "n2"], uuid);
    c.links = vec!["la-e0".into()];
    c.deadtime = Duration::from_secs(10);
    c.warntime = Duration::from_secs(5);
    c.initdead = Duration::from_secs(20);
    c.auto_failback = AutoFailback::On;
    c.generation = 0x6b03_d300;
    c.groups = vec![GroupConfig {
        name: "IPaddr::10.201.0.50/24/la-e0".into(),
        preferred_node: "n1".into(),
        resources: vec!["IPaddr::10.201.0.50/24/la-e0".into()],
    }];
    c
}

/// Runs our n1 against n2's captured datagrams; returns what our n1 sent (no status/acks).
fn replay_as_n1(file: &str, start_at: f64) -> (Vec<String>, Vec<String>) {
    replay(file, "n1", start_at)
}

/// Runs our `me` (from `start_at` s) against the other node's captured datagrams; returns what
/// ours sent and what the real `me` sent from `start_at` on, in seq order, without status/acks.
fn replay(file: &str, me: &str, start_at: f64) -> (Vec<String>, Vec<String>) {
    let auth = auth();
    let all = datagrams(file);
    let my_octet = if me == "n1" { 11 } else { 12 };
    let uuid = if me == "n1" {
        N1_UUID
    } else {
        all.iter()
            .filter(|d| d.1 == my_octet)
            .find_map(|d| auth.open(&d.2).ok()?.get_bin("srcuuid").and_then(|u| u.try_into().ok()))
            .unwrap_or([9; 16])
    };
    let base = Instant::from_nanos(1_000_000_000);
    let at = |s: f64| base + Duration::from_secs_f64(s);
    let node = match Node::new(lab_config(me, uuid), 7, at(start_at)) {
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    };
    let mut node = node;
    node.handle_input(at(start_at), Input::WallClock(WALL0));
    let mut r = Driver { node, ours: Vec::new(), pending: Vec::new() };
    let mut theirs = Vec::new();
    for (t, src, bytes) in &all {
        let v = match auth.open(bytes) {
            Ok(v) => v,
            Err(e) => panic!("capture datagram does not verify: {e}"),
        };
        if *t < start_at {
            continue;
        }
        if *src == my_octet {
            theirs.push(v.into_message());
            continue;
        }
        r.advance(at(*t));
        r.node.handle_input(at(*t), Input::Message { link: LinkId(0), msg: v });
        r.drain(at(*t));
    }
    let end = at(all.last().map_or(0.0, |x| x.0) + 1.0);
    r.advance(end);
    let interesting = |v: Vec<Message>| -> Vec<String> {
        let mut v: Vec<(u32, String)> = v
            .iter()
            .filter(|m| !matches!(m.msg_type(), Some("status" | "NS_ackmsg")))
            .map(|m| {
                let seq =
                    m.get_str("seq").and_then(|s| u32::from_str_radix(s, 16).ok()).unwrap_or(0);
                (seq, describe(m))
            })
            .collect();
        v.sort_by_key(|x| x.0);
        v.into_iter().map(|x| x.1).collect()
    };
    (interesting(r.ours), interesting(theirs))
}

/// Our node plus what it sent and its outstanding actions (each completes OK after 200 ms).
struct Driver {
    node: Node,
    ours: Vec<Message>,
    pending: Vec<(Instant, Input)>,
}

impl Driver {
    fn drain(&mut self, now: Instant) {
        while let Some(o) = self.node.poll_output() {
            match o {
                Output::Transmit { msg, .. } => self.ours.push(msg),
                Output::RunAction { group, action } => self.pending.push((
                    now + Duration::from_millis(200),
                    Input::ActionDone { group, action, result: ActionResult::Ok },
                )),
                _ => {}
            }
        }
    }

    /// Runs timers and action completions up to `until`, in time order.
    fn advance(&mut self, until: Instant) {
        loop {
            let timer = self.node.poll_timeout().filter(|t| *t <= until);
            let action = self.pending.iter().map(|p| p.0).filter(|t| *t <= until).min();
            match (timer, action) {
                (Some(t), a) if a.is_none_or(|a| t <= a) => {
                    self.node.handle_input(t, Input::Timeout);
                    self.drain(t);
                }
                (_, Some(a)) => {
                    let i = self.pending.iter().position(|p| p.0 == a).unwrap_or(0);
                    let (_, input) = self.pending.remove(i);
                    self.node.handle_input(a, input);
                    self.drain(a);
                }
                _ => break,
            }
        }
    }
}

#[test]
fn capture_hb04_failback_our_n1_answers_like_the_real_one() {
    let (ours, real) = replay_as_n1("hb-04-failback.pcap", 0.188);
    println!("{ours:#?}");
    assert_eq!(ours, real);
    assert_eq!(real.len(), 8, "{real:?}");
    assert!(real.contains(&"ask_resources rsc_hold=foreign info=other".to_owned()));
}

#[test]
fn capture_hb06_restart_after_kill9_our_n1_answers_like_the_real_one() {
    let (ours, real) = replay_as_n1("hb-06-restart-after-kill9.pcap", 0.171);
    assert_eq!(ours, real);
}

#[test]
fn capture_hb12_restart_after_heal_both_roles_match_the_real_nodes() {
    for (me, start) in [("n1", 32.2), ("n2", 32.7)] {
        let (ours, real) = replay("hb-12-partition-and-heal.pcap", me, start);
        assert!(real.len() >= 6, "{real:?}");
        assert_eq!(ours, real, "as {me}");
    }
}

#[test]
fn capture_hb13_startup_both_roles_match_the_real_nodes() {
    for (me, start) in [("n1", 0.0), ("n2", 0.02)] {
        let (ours, real) = replay("hb-13-steady-auth-sha1.pcap", me, start);
        assert!(real.len() >= 6, "{real:?}");
        assert_eq!(ours, real, "as {me}");
    }
}

/// hb-01: the real nodes reacted 0.4–0.5 s late, which reorders a few echoes; the outcome and
/// the handshake must still be the same.
#[test]
fn capture_hb01_startup_reaches_the_same_outcome() {
    for (me, start) in [("n1", 0.0), ("n2", 2.03)] {
        let (ours, real) = replay("hb-01-startup.pcap", me, start);
        for m in ["starting", "resource rsc_hold=none isstable=0"] {
            assert!(ours.iter().any(|x| x == m), "as {me}: {ours:?}");
        }
        assert_eq!(ours.last().map(|s| s.contains("rsc_hold=local isstable=1")), Some(true));
        let acquire = |v: &[String]| v.iter().filter(|x| x.starts_with("ip-request-resp")).count();
        assert_eq!(acquire(&ours), acquire(&real), "as {me}: {ours:?} vs {real:?}");
    }
}
