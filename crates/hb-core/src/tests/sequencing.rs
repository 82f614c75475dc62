//! Sequencing (spec §6): duplicates, replays, unknown senders, acks, retransmission.

use std::time::Duration;

use super::harness::{craft, describe, Cluster};
use crate::{AutoFailback, DropReason, Event, Input, LinkId, Node, Output};

fn settled() -> Cluster {
    let mut c = Cluster::new(&["n1", "n2"], 1, AutoFailback::On);
    c.start_all();
    c.secs(20);
    c
}

fn last_sent_seq(c: &Cluster, k: usize) -> u32 {
    c.sent_since(k, crate::Instant::ZERO)
        .iter()
        .filter_map(|m| m.get_str("seq").and_then(|s| u32::from_str_radix(s, 16).ok()))
        .max()
        .unwrap_or(0)
}

#[test]
fn duplicate_is_dropped_silently_and_replay_of_old_generation_is_rejected() {
    let mut c = settled();
    let old = c
        .sent_since(0, crate::Instant::ZERO)
        .into_iter()
        .find(|m| m.msg_type() == Some("starting"));
    let old = old.expect("n1 sent starting");
    let dup_before = c.node(1).snapshot().drops[DropReason::Duplicate as usize];
    let resource_msgs = c.sent_since(1, crate::Instant::ZERO).len();
    c.deliver_msg(1, &old);
    assert_eq!(c.node(1).snapshot().drops[DropReason::Duplicate as usize], dup_before + 1);
    assert_eq!(
        c.sent_since(1, crate::Instant::ZERO).len(),
        resource_msgs,
        "no answer to a duplicate"
    );
    // n1 restarts: anything from its previous incarnation is now a replay.
    c.crash(0);
    c.running[0].clear();
    c.start(0);
    c.secs(3);
    let t = c.now;
    c.deliver_msg(1, &old);
    let ev = c.events_since(1, t);
    assert_eq!(ev, [Event::Dropped { node: "n1".into(), reason: DropReason::Replay }]);
    assert!(c.sent_types_since(1, t).is_empty(), "a replayed `starting` is not answered");
}

#[test]
fn unknown_sender_and_own_messages_are_dropped() {
    let mut c = settled();
    let m = craft(
        "status",
        &[("st", "active"), ("dt", "2710"), ("protocol", "1")],
        "n9",
        9,
        5,
        Some(1),
    );
    c.deliver_msg(1, &m);
    assert!(c
        .events(1)
        .contains(&Event::Dropped { node: "n9".into(), reason: DropReason::UnknownNode }));
    let own = c.sent_since(1, crate::Instant::ZERO).pop().expect("n2 sent something");
    c.deliver_msg(1, &own);
    assert_eq!(c.node(1).snapshot().drops[DropReason::OwnMessage as usize], 1);
    let bad = craft("status", &[("st", "active")], "n1", 0, 5, None);
    c.deliver_msg(1, &bad);
    assert!(c
        .events(1)
        .contains(&Event::Dropped { node: "n1".into(), reason: DropReason::Malformed }));
}

#[test]
fn acks_use_one_residue_per_sender_and_increase() {
    let mut c = settled();
    c.secs(40);
    let acks: Vec<u32> = c
        .sent_since(1, crate::Instant::ZERO)
        .iter()
        .filter(|m| m.msg_type() == Some("NS_ackmsg") && m.get_str("dest") == Some("n1"))
        .filter_map(|m| m.get_str("ackseq").and_then(|s| u32::from_str_radix(s, 16).ok()))
        .collect();
    assert!(acks.len() >= 5, "{acks:?}");
    assert!(acks.windows(2).all(|w| w[0] < w[1] && w[0] % 10 == w[1] % 10), "{acks:?}");
    let ack = c
        .sent_since(1, crate::Instant::ZERO)
        .into_iter()
        .find(|m| m.msg_type() == Some("NS_ackmsg"));
    let ack = ack.expect("an ack");
    assert!(ack.get("seq").is_none() && ack.get("ld").is_none(), "NS_* carry no seq/ld");
    assert!(ack.get_bin("destuuid").is_some());
}

#[test]
fn gap_is_requested_after_a_delay_and_answered_from_history() {
    let mut c = settled();
    let missing = last_sent_seq(&c, 0) + 1;
    assert!(missing > 10, "exercise decimal vs hex");
    c.drop_seq.insert((0, missing));
    let t = c.now;
    c.secs(3);
    let req: Vec<_> = c
        .log
        .iter()
        .filter(|r| r.node == 1 && r.at >= t)
        .filter_map(|r| match &r.out {
            Output::Transmit { msg, .. } if msg.msg_type() == Some("NS_rexmit") => {
                Some((r.at, msg.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(req.len(), 1, "one request, then the gap is closed");
    let (at, m) = &req[0];
    assert_eq!(m.get_str("firstseq"), Some(missing.to_string().as_str()), "decimal");
    assert_eq!(m.get_str("lastseq"), m.get_str("firstseq"));
    assert_eq!(m.get_str("dest"), Some("n1"));
    // The gap appeared with n1's next status, ≤ 1 s after t; the request waits 50–250 ms.
    let gap_seen = c
        .log
        .iter()
        .filter(|r| r.node == 0 && r.at >= t)
        .find_map(|r| match &r.out {
            Output::Transmit { msg, .. }
                if msg.get_str("seq") == Some(&format!("{:x}", missing + 1)) =>
            {
                Some(r.at)
            }
            _ => None,
        })
        .expect("n1 sent past the gap");
    let wait = *at - gap_seen;
    assert!(wait >= Duration::from_millis(50) && wait <= Duration::from_millis(252), "{wait:?}");
    let resent = c
        .sent_since(0, t)
        .iter()
        .filter(|m| m.get_str("seq") == Some(&format!("{missing:x}")))
        .count();
    assert_eq!(resent, 2, "original (lost) + retransmission");
    assert!(!c.events(1).iter().any(|e| matches!(e, Event::PacketLost { .. })));
}

#[test]
fn request_for_a_seq_out_of_history_gets_a_nak() {
    let cfg = super::harness::config("n1", &["n1", "n2"], 1, AutoFailback::On);
    let mut n = match Node::new(cfg, 3, crate::Instant::ZERO) {
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    };
    let mut now = crate::Instant::ZERO;
    n.handle_input(now, Input::WallClock(super::harness::WALL0));
    while now < crate::Instant::ZERO + Duration::from_secs(700) {
        now = n.poll_timeout().expect("timers run");
        n.handle_input(now, Input::Timeout);
        while n.poll_output().is_some() {}
    }
    let req = craft(
        "NS_rexmit",
        &[("dest", "n1"), ("firstseq", "5"), ("lastseq", "5")],
        "n2",
        1,
        9,
        None,
    );
    let auth = super::harness::auth();
    let bytes = auth.seal(&req).expect("seal");
    let msg = auth.open(&bytes).expect("open");
    n.handle_input(now, Input::Message { link: LinkId(0), msg });
    let outs: Vec<String> = std::iter::from_fn(|| n.poll_output())
        .filter_map(|o| match o {
            Output::Transmit { msg, .. } => Some(format!(
                "{} firstseq={}",
                describe(&msg),
                msg.get_str("firstseq").unwrap_or("")
            )),
            _ => None,
        })
        .collect();
    assert_eq!(outs, ["NS_nak_rexmit info=seqno too low dest=n2 firstseq=5"]);
}

#[test]
fn nak_from_the_sender_gives_up_on_the_seq() {
    let mut c = settled();
    let missing = last_sent_seq(&c, 0) + 1;
    c.drop_seq.insert((0, missing));
    // n2's retransmission requests do not reach n1; n1 answers with a NAK instead.
    c.cut.insert((1, 0, 0));
    c.secs(3);
    let asked = c
        .sent_since(1, crate::Instant::ZERO)
        .iter()
        .filter(|m| m.msg_type() == Some("NS_rexmit"))
        .count();
    assert!(asked >= 2, "requests repeat every max_rexmit_delay while the seq is missing");
    let nak = craft(
        "NS_nak_rexmit",
        &[("firstseq", &format!("{missing:x}")), ("dest", "n2"), ("info", "seqno not found")],
        "n1",
        0,
        c.node(0).generation(),
        None,
    );
    c.deliver_msg(1, &nak);
    assert!(c.events(1).contains(&Event::PacketLost { node: "n1".into(), seq: missing }));
    let t = c.now;
    c.cut.clear();
    c.secs(2);
    assert!(
        !c.sent_since(1, t).iter().any(|m| m.msg_type() == Some("NS_rexmit")),
        "no more requests"
    );
}
