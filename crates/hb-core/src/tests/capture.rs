//! A real heartbeat 3.0.6 peer, replayed from the lab captures: the peer's datagrams are fed to
//! our node (playing the other lab node, with its UUID) at their captured times, and our
//! answers are compared with what the real node sent.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hb_wire::Message;

use super::harness::{auth, describe, WALL0};
use crate::{
    ActionResult, AdminCommand, AutoFailback, EngineConfig, GroupConfig, Input, Instant, LinkId,
    Node, Output,
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

/// One capture file: time of its first packet and its heartbeat datagrams as
/// (absolute seconds, source IPv4 last octet, UDP payload).
struct Capture {
    t0: f64,
    items: Vec<(f64, u8, Vec<u8>)>,
}

fn capture(name: &str) -> Capture {
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
        t0.get_or_insert(ts);
        if pkt.len() < 42 || pkt[12..14] != [0x08, 0x00] || pkt[23] != 17 {
            continue;
        }
        let ihl = usize::from(pkt[14] & 0x0f) * 4;
        let udp = 14 + ihl;
        if pkt.len() < udp + 8 || u16::from_be_bytes([pkt[udp + 2], pkt[udp + 3]]) != 694 {
            continue;
        }
        out.push((ts, pkt[29], pkt[udp + 8..].to_vec()));
    }
    Capture { t0: t0.unwrap_or(0.0), items: out }
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

/// Runs our `me` (from `start_at` s)…; see [`replay_chain`].
fn replay(file: &str, me: &str, start_at: f64) -> (Vec<String>, Vec<String>) {
    let mut v = replay_chain(me, &[file], start_at, &[]);
    let (_, ours, real) = v.remove(0);
    (ours, real)
}

type Compared = (String, Vec<String>, Vec<String>);

/// Runs our node `me` (created `start_rel` s into the first file) against the other lab node's
/// datagrams of consecutive capture files (absolute times, so the gaps between files are real
/// time), injecting `admin` commands at (file, seconds into file). For each file returns what
/// ours sent and what the real `me` sent in that file's window, in seq order, without
/// status/acks.
fn replay_chain(
    me: &str,
    files: &[&str],
    start_rel: f64,
    admin: &[(&str, f64, AdminCommand)],
) -> Vec<Compared> {
    let auth = auth();
    let caps: Vec<Capture> = files.iter().map(|f| capture(f)).collect();
    let my_octet = if me == "n1" { 11 } else { 12 };
    let uuid = if me == "n1" {
        N1_UUID
    } else {
        caps.iter()
            .flat_map(|c| c.items.iter())
            .filter(|d| d.1 == my_octet)
            .find_map(|d| auth.open(&d.2).ok()?.get_bin("srcuuid").and_then(|u| u.try_into().ok()))
            .unwrap_or([9; 16])
    };
    let origin = caps.first().map_or(0.0, |c| c.t0);
    let base = Instant::from_nanos(1_000_000_000);
    let at = |s: f64| base + Duration::from_secs_f64((s - origin).max(0.0));
    let start = origin + start_rel;
    let mut node = match Node::new(lab_config(me, uuid), 7, at(start)) {
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    };
    node.handle_input(at(start), Input::WallClock(WALL0));
    let mut r = Driver { node, ours: Vec::new(), pending: Vec::new() };
    r.drain(at(start));
    let mut result = Vec::new();
    for (k, (file, cap)) in files.iter().zip(&caps).enumerate() {
        let from = if k == 0 { start } else { cap.t0 };
        let last = cap.items.last().map_or(cap.t0, |x| x.0);
        let mut inputs: Vec<(f64, Option<Input>, Option<Message>)> = Vec::new();
        for (t, src, bytes) in cap.items.iter().filter(|d| d.0 >= from) {
            let v = match auth.open(bytes) {
                Ok(v) => v,
                Err(e) => panic!("capture datagram does not verify: {e}"),
            };
            if *src == my_octet {
                inputs.push((*t, None, Some(v.into_message())));
            } else {
                inputs.push((*t, Some(Input::Message { link: LinkId(0), msg: v }), None));
            }
        }
        for (f, rel, cmd) in admin.iter().filter(|a| a.0 == *file) {
            let _ = f;
            inputs.push((cap.t0 + rel, Some(Input::Admin(*cmd)), None));
        }
        inputs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut real = Vec::new();
        let first_ours = r.ours.len();
        for (t, input, theirs) in inputs {
            if let Some(m) = theirs {
                real.push(m);
                continue;
            }
            r.advance(at(t));
            if let Some(i) = input {
                r.node.handle_input(at(t), i);
                r.drain(at(t));
            }
        }
        r.advance(at(last + 0.5));
        let ours = r.ours[first_ours..].to_vec();
        LAYOUTS.with(|l| {
            let mut l = l.borrow_mut();
            for m in &ours {
                l.0.insert(layout(m));
            }
            for m in &real {
                l.1.insert(layout(m));
            }
        });
        result.push(((*file).to_owned(), interesting(&ours), interesting(&real)));
        if let Some(next) = caps.get(k + 1) {
            r.advance(at(next.t0));
        }
    }
    result
}

type Layouts = (BTreeSet<Vec<String>>, BTreeSet<Vec<String>>);

thread_local! {
    /// Field-name layouts (type first) of every message ours / the real node sent in replays.
    static LAYOUTS: RefCell<Layouts> = RefCell::new(Default::default());
}

/// `t` value followed by the field names in order (`auth` left out: the sealer adds it).
fn layout(m: &Message) -> Vec<String> {
    let mut v = vec![m.msg_type().unwrap_or("?").to_owned()];
    v.extend(m.fields().iter().map(|f| f.name.clone()).filter(|n| n != "auth"));
    v
}

fn interesting(v: &[Message]) -> Vec<String> {
    let mut v: Vec<(u32, String)> = v
        .iter()
        .filter(|m| !matches!(m.msg_type(), Some("status" | "NS_ackmsg" | "NS_rexmit")))
        .map(|m| {
            let seq = m.get_str("seq").and_then(|s| u32::from_str_radix(s, 16).ok()).unwrap_or(0);
            (seq, describe(m))
        })
        .collect();
    v.sort_by_key(|x| x.0);
    v.into_iter().map(|x| x.1).collect()
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
                Output::RunAction { group, action, .. } => self.pending.push((
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
    assert_layouts_seen_in_captures();
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

const N1_CHAIN: [&str; 6] = [
    "hb-06-restart-after-kill9.pcap",
    "hb-07-hb_standby-on-n1.pcap",
    "hb-08-hb_takeover-on-n1.pcap",
    "hb-09-hb_takeover-on-n2.pcap",
    "hb-10-hb_standby-on-n2.pcap",
    "hb-11-hb_standby-foreign-on-n2-noop.pcap",
];

const N2_CHAIN: [&str; 11] = [
    "hb-01-startup.pcap",
    "hb-02-steady.pcap",
    "hb-03-graceful-stop.pcap",
    "hb-04-failback.pcap",
    "hb-05-failover-kill9.pcap",
    "hb-06-restart-after-kill9.pcap",
    "hb-07-hb_standby-on-n1.pcap",
    "hb-08-hb_takeover-on-n1.pcap",
    "hb-09-hb_takeover-on-n2.pcap",
    "hb-10-hb_standby-on-n2.pcap",
    "hb-11-hb_standby-foreign-on-n2-noop.pcap",
];

fn n1_chain() -> Vec<Compared> {
    use crate::ResourceSet::All;
    replay_chain(
        "n1",
        &N1_CHAIN,
        0.171,
        &[
            ("hb-07-hb_standby-on-n1.pcap", 1.17, AdminCommand::Standby(All)),
            ("hb-08-hb_takeover-on-n1.pcap", 1.05, AdminCommand::Takeover(All)),
        ],
    )
}

fn n2_chain() -> Vec<Compared> {
    use crate::ResourceSet::{All, Foreign};
    replay_chain(
        "n2",
        &N2_CHAIN,
        2.03,
        &[
            ("hb-09-hb_takeover-on-n2.pcap", 0.99, AdminCommand::Takeover(All)),
            ("hb-10-hb_standby-on-n2.pcap", 1.41, AdminCommand::Standby(All)),
            ("hb-11-hb_standby-foreign-on-n2-noop.pcap", 0.98, AdminCommand::Standby(Foreign)),
        ],
    )
}

/// Our n1 through restart, `hb_standby`, `hb_takeover` on either side and a no-op standby:
/// every message (except statuses and acks) equals the real n1's, in seq order.
#[test]
fn capture_chain_as_n1_restart_standby_takeover_match_the_real_node() {
    let chain = n1_chain();
    assert_eq!(chain.len(), N1_CHAIN.len());
    for (file, ours, real) in chain {
        assert!(!real.is_empty(), "{file}");
        assert_eq!(ours, real, "{file}");
    }
    assert_layouts_seen_in_captures();
}

/// Our n2 from start-up through graceful stop of n1, failback, kill -9 failover, restart,
/// standby and takeover in both directions. hb-01 is compared by outcome only: the real nodes
/// reacted ~0.5 s late there, which reorders two echoes.
#[test]
fn capture_chain_as_n2_failover_failback_standby_match_the_real_node() {
    let chain = n2_chain();
    assert_eq!(chain.len(), N2_CHAIN.len());
    for (file, ours, real) in chain.into_iter().skip(1) {
        assert_eq!(ours, real, "{file}");
    }
    assert_layouts_seen_in_captures();
}

/// Every field layout our node sent in the replays is one the real node also sent (for the
/// types the real node sent at all; `NS_rexmit` never occurred in the captures).
fn assert_layouts_seen_in_captures() {
    LAYOUTS.with(|l| {
        let (ours, real) = &*l.borrow();
        let real_types: BTreeSet<&String> = real.iter().map(|v| &v[0]).collect();
        assert!(real_types.len() >= 7, "{real_types:?}");
        for lay in ours.iter().filter(|v| real_types.contains(&v[0])) {
            assert!(real.contains(lay), "layout never sent by heartbeat 3.0.6: {lay:?}");
        }
    });
}

/// hb-12 against our n2: the real n1 returns after the partition with the same generation,
/// shuts itself down and restarts (spec §7.5). Ours does not restart: it keeps the VIP, tells
/// the peer what it holds, confirms the peer's `shutdone`, and hands the VIP back only when the
/// restarted n1 claims its group.
#[test]
fn capture_heal_with_a_real_peer_we_keep_serving_until_it_reclaims() {
    let mut files = N2_CHAIN.to_vec();
    files.push("hb-12-partition-and-heal.pcap");
    use crate::ResourceSet::{All, Foreign};
    let chain = replay_chain(
        "n2",
        &files,
        2.03,
        &[
            ("hb-09-hb_takeover-on-n2.pcap", 0.99, AdminCommand::Takeover(All)),
            ("hb-10-hb_standby-on-n2.pcap", 1.41, AdminCommand::Standby(All)),
            ("hb-11-hb_standby-foreign-on-n2-noop.pcap", 0.98, AdminCommand::Standby(Foreign)),
        ],
    );
    let Some((_, ours, _)) = chain.last() else { panic!("no result") };
    let expected = [
        "stonith node=n1 result=n_stnth",
        "resource rsc_hold=all isstable=1 info=req_our_resources()",
        "resource rsc_hold=foreign info=mach_down",
        "starting",
        "resource rsc_hold=all isstable=1",
        "ask_resources rsc_hold=all info=done",
        "resource rsc_hold=all isstable=1",
        "repnodes dest=n1",
        "resource rsc_hold=all isstable=1",
        "resource rsc_hold=local isstable=1",
    ];
    assert_eq!(ours, &expected);
}

/// Our n1 from start-up to `heartbeat -k` (hb-03): the graceful stop sends what the real n1
/// sent.
#[test]
fn capture_graceful_stop_as_n1_matches_the_real_node() {
    let files = ["hb-01-startup.pcap", "hb-02-steady.pcap", "hb-03-graceful-stop.pcap"];
    let chain = replay_chain("n1", &files, 0.0, &[(files[2], 0.19, AdminCommand::Shutdown)]);
    let (_, ours, real) = &chain[2];
    assert_eq!(ours, real);
    assert_eq!(
        real,
        &["resource rsc_hold=none isstable=0 info=shutdown", "shutdone st=dead"].map(String::from)
    );
}
