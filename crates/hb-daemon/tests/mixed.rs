//! Interop (issue 7): one node runs Debian's heartbeat 3.0.6, the other runs ours, with the
//! same ha.cf, haresources (one VIP, preferred node n1) and authkeys. Every scenario runs with
//! the real node preferred and with ours preferred; the cheap ones with each of the sha1, md5
//! and crc keys. Takeover times are measured from the client with the 1 ms ARP prober and
//! printed. Root only, and heartbeat 3.0.6 must be installed
//! (`/usr/libexec/heartbeat/heartbeat`); otherwise each test says "skipped: …" and passes.

#[path = "common/hbcap.rs"]
mod hbcap;
#[path = "common/mixed.rs"]
mod mixed_common;

use std::time::Duration;

use hb_testnet::peers::wait_for;
use hb_testnet::probe::{ProbeLog, Prober};
use mixed_common::{say, Key, Mixed, Preferred, Timers};

/// Generous liveness bound on top of deadtime for a failover seen from the client.
const FAILOVER_MARGIN: Duration = Duration::from_secs(5);

/// Time from `since` to the first ARP reply from node `to`, and the longest outage after it.
fn takeover(m: &Mixed, log: &ProbeLog, since: Duration, to: usize) -> (Duration, Duration) {
    let first = log
        .first_reply_from(m.mac(to), since)
        .unwrap_or_else(|| panic!("{} never answered\n{}", m.who(to), m.logs()));
    let outage = log
        .longest_outage_after(
            since.saturating_sub(Duration::from_millis(50)),
            log.default_threshold(),
        )
        .map_or(Duration::ZERO, |o| o.duration);
    (first.at - since, outage)
}

/// Issue 7 cases 1-3: start-up, the preferred node dies (kill -9; the real one also loses its
/// link, since a SIGKILLed heartbeat leaves its VIP up), the other takes over within
/// deadtime; the node returns: failback with `auto_failback on`, none with `off`.
fn failover_and_return(pref: Preferred, key: Key, failback: bool) {
    let Some(mut m) = Mixed::start(pref, key, Timers::fast(failback)) else { return };
    m.check_startup();
    let (n1, n2) = (0, 1);

    let prober = Prober::start(&m.c.net, m.vip).expect("prober");
    std::thread::sleep(Duration::from_millis(500));
    let killed_at = prober.now();
    if m.real_i == n1 {
        m.real.kill9().expect("real n1 runs");
        m.c.net.link_down(m.c.host(n1)).expect("link down");
    } else {
        m.c.kill9(n1).expect("kill ours");
    }
    let limit = m.timers.deadtime() + FAILOVER_MARGIN;
    let mac2 = m.mac(n2);
    let moved = wait_for(limit + Duration::from_secs(5), || {
        m.c.holds(n2, m.vip).unwrap_or(false) && m.vip_answer() == Some(mac2)
    });
    std::thread::sleep(Duration::from_millis(300));
    let log = prober.stop();
    assert!(moved, "{} never took the VIP\n{}", m.who(n2), m.logs());
    let (first, outage) = takeover(&m, &log, killed_at, n2);
    say(&format!(
        "mixed {pref:?} {key:?}: failover {} -> {}: first reply {first:.3?} after kill, \
         outage {outage:.3?} (deadtime {:?})",
        m.who(n1),
        m.who(n2),
        m.timers.deadtime()
    ));
    assert!(first < limit, "takeover took {first:?} (limit {limit:?})\n{}", m.logs());
    assert_eq!(m.nodestatus(n2, n1), "dead", "{} sees n1 dead\n{}", m.who(n2), m.logs());
    if m.ours_i == n1 {
        assert_eq!(m.c.holders(m.vip).expect("holders"), [n2], "guardian removed our VIP");
    }

    // n1 comes back.
    let prober = Prober::start(&m.c.net, m.vip).expect("prober");
    let back_at = prober.now();
    if m.real_i == n1 {
        m.scrub_vip(n1);
        m.c.net.link_up(m.c.host(n1)).expect("link up");
        m.real.restart().expect("real n1 restarts");
    } else {
        m.c.start(n1).expect("ours restarts");
    }
    if failback {
        m.wait_sole_owner(n1, Duration::from_secs(60), "failback");
        std::thread::sleep(Duration::from_millis(300));
        let log = prober.stop();
        let (first, outage) = takeover(&m, &log, back_at, n1);
        say(&format!(
            "mixed {pref:?} {key:?}: failback {} -> {}: first reply {first:.3?} after restart, \
             outage {outage:.3?}",
            m.who(n2),
            m.who(n1)
        ));
        m.wait_settled(Duration::from_secs(30));
    } else {
        m.wait_settled(Duration::from_secs(40));
        m.hold_steady(n2, Duration::from_secs(8), "auto_failback off keeps the VIP on n2");
        let log = prober.stop();
        assert!(log.replies.iter().all(|r| r.mac == mac2), "only n2 answered\n{}", m.logs());
        say(&format!("mixed {pref:?} {key:?}: auto_failback off: VIP stays on {}", m.who(n2)));
    }
    for i in [n1, n2] {
        for j in [n1, n2] {
            assert_eq!(m.nodestatus(i, j), "active", "{} on n{}\n{}", m.who(i), j + 1, m.logs());
        }
    }
}

/// Issue 7 case 4: `hb_standby` and `hb_takeover` on either node move the group as heartbeat
/// would (standby: give mine away; takeover: take the other's).
fn standby_and_takeover(pref: Preferred, key: Key) {
    let Some(m) = Mixed::start(pref, key, Timers::fast(true)) else { return };
    m.check_startup();
    let steps =
        [(0, "hb_standby", 1), (0, "hb_takeover", 0), (1, "hb_takeover", 1), (1, "hb_standby", 0)];
    for (on, tool, owner) in steps {
        let prober = Prober::start(&m.c.net, m.vip).expect("prober");
        std::thread::sleep(Duration::from_millis(200));
        let at = prober.now();
        let (out, err, code) = m.admin(on, tool);
        assert_eq!(code, 0, "{tool} on {}: {out} {err}", m.who(on));
        m.wait_sole_owner(owner, Duration::from_secs(30), &format!("{tool} on {}", m.who(on)));
        std::thread::sleep(Duration::from_millis(300));
        let log = prober.stop();
        let (first, outage) = takeover(&m, &log, at, owner);
        say(&format!(
            "mixed {pref:?} {key:?}: {tool} on {}: VIP on {} {first:.3?} after the command, \
             outage {outage:.3?}",
            m.who(on),
            m.who(owner)
        ));
        m.wait_settled(Duration::from_secs(30));
        m.hold_steady(owner, Duration::from_secs(1), &format!("after {tool} on {}", m.who(on)));
    }
}

/// Issue 7 case 5: a graceful stop of the holder hands over at once (the survivor does not
/// wait for deadtime and never declares the node dead); it then comes back (failback), and a
/// graceful stop of the other node leaves the VIP alone.
fn graceful_stop(pref: Preferred, key: Key) {
    let Some(mut m) = Mixed::start(pref, key, Timers::fast(true)) else { return };
    m.check_startup();
    let (n1, n2) = (0, 1);
    let cap = hbcap::Capture::start_if_installed(&m.c.net, m.c.net.client(), "stop");
    let prober = Prober::start(&m.c.net, m.vip).expect("prober");
    std::thread::sleep(Duration::from_millis(300));
    let at = prober.now();
    let wall = unix_now();
    stop(&mut m, n1);
    let stopped = prober.now() - at;
    m.wait_sole_owner(n2, Duration::from_secs(20), "graceful stop of n1");
    // heartbeat itself declares a cleanly stopped node dead once its heartbeats have been
    // missing for deadtime; the hand-over must come before that.
    let view = m.nodestatus(n2, n1);
    std::thread::sleep(Duration::from_millis(300));
    let log = prober.stop();
    if let Some(cap) = cap {
        let msgs = cap.stop(&m.c.net);
        let flow: Vec<String> = msgs
            .iter()
            .filter(|s| s.at >= wall && !matches!(s.get("t"), Some("status" | "NS_ackmsg")))
            .map(|s| {
                let f = |k: &str| s.get(k).map(|v| format!(" {k}={v}")).unwrap_or_default();
                format!(
                    "+{:.3} {}: {}{}{}{}",
                    s.at - wall,
                    s.get("src").unwrap_or("?"),
                    s.get("t").unwrap_or("?"),
                    f("rsc_hold"),
                    f("isstable"),
                    f("info")
                )
            })
            .take(12)
            .collect();
        say(&format!(
            "mixed {pref:?} {key:?}: messages after the stop command:\n  {}",
            flow.join("\n  ")
        ));
        let i = flow.iter().position(|l| l.contains("n1: resource rsc_hold=none"));
        let j = flow.iter().position(|l| l.contains("n1: shutdone"));
        assert!(i.is_some() && i < j, "n1 announces `resource none` before `shutdone`: {flow:?}");
    }
    let (first, outage) = takeover(&m, &log, at, n2);
    say(&format!(
        "mixed {pref:?} {key:?}: graceful stop of {} (took {stopped:.3?}): VIP on {} {first:.3?} \
         after the stop command, outage {outage:.3?}",
        m.who(n1),
        m.who(n2)
    ));
    assert_eq!(
        view,
        "active",
        "{} took over only after declaring n1 dead\n{}",
        m.who(n2),
        m.logs()
    );
    assert_shutdown_seen(&m, n2, n1, true);

    if m.real_i == n1 {
        m.real.restart().expect("real restarts");
    } else {
        m.c.start(n1).expect("ours restarts");
    }
    m.wait_sole_owner(n1, Duration::from_secs(60), "failback after restart");
    m.wait_settled(Duration::from_secs(30));

    let at = std::time::Instant::now();
    stop(&mut m, n2);
    say(&format!(
        "mixed {pref:?} {key:?}: graceful stop of {} took {:.3?}",
        m.who(n2),
        at.elapsed()
    ));
    m.hold_steady(n1, m.timers.deadtime() + Duration::from_secs(1), "stop of the non-holder");
    assert_shutdown_seen(&m, n1, n2, false);
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn stop(m: &mut Mixed, i: usize) {
    if i == m.real_i {
        m.real.stop().expect("heartbeat -k");
    } else {
        m.c.stop(i, Duration::from_secs(30)).expect("ours stops");
    }
}

/// Node `i` logged that `j` shut down (its `shutdone`) rather than only noticing its death:
/// the real heartbeat says so in words; ours names the reason when it takes a group over
/// (`took_over`), and has nothing to log otherwise.
fn assert_shutdown_seen(m: &Mixed, i: usize, j: usize, took_over: bool) {
    let name = Mixed::name(j);
    let (log, line) = if i == m.real_i {
        (m.real.log_text(), format!("Received shutdown notice from '{name}'"))
    } else if took_over {
        (m.ours_log(), format!("now held by {} (holder shut down)", Mixed::name(i)))
    } else {
        return;
    };
    assert!(log.contains(&line), "{} never logged {line:?}\n{}", m.who(i), m.logs());
}

/// Issue 7 case 6: 30 s of 20 % packet loss on n2's link (both directions) with deadtime =
/// 10 × keepalive: no failover, and both sides recover every lost packet by retransmission.
fn lossy_link(pref: Preferred) {
    let Some(m) = Mixed::start(pref, Key::Sha1, Timers::fast(true)) else { return };
    m.check_startup();
    let prober = Prober::start_every(&m.c.net, m.vip, Duration::from_millis(5)).expect("prober");
    let cap = hbcap::Capture::start_if_installed(&m.c.net, m.c.net.client(), "loss");
    m.c.net.set_loss(m.c.host(1), 20).expect("loss on");
    m.hold_steady(0, Duration::from_secs(30), "20 % loss");
    m.c.net.set_loss(m.c.host(1), 0).expect("loss off");
    std::thread::sleep(Duration::from_secs(3));
    let log = prober.stop();
    if let Some(cap) = cap {
        let msgs = cap.stop(&m.c.net);
        for (req, from) in [(0, 1), (1, 0)] {
            let r = rexmits(&msgs, &Mixed::name(req), &Mixed::name(from));
            say(&format!(
                "mixed {pref:?}: {} asked {} to retransmit {} seqs in {} NS_rexmit; {} answered, \
                 {} NAKs; unanswered {:?}",
                m.who(req),
                m.who(from),
                r.asked,
                r.requests,
                r.answered,
                r.naks,
                r.unanswered
            ));
            assert!(r.asked > 0, "20 % loss caused no retransmission request by {}", m.who(req));
            assert!(r.unanswered.is_empty() && r.naks == 0, "{r:?}\n{}", m.logs());
        }
    }
    let owners: Vec<_> = log.timeline().iter().map(|s| s.mac).collect();
    assert!(owners.iter().all(|&o| o == m.mac(0)), "only n1 answered: {owners:?}\n{}", m.logs());
    let real = m.real.log_text();
    let ours = m.ours_log();
    let count = |text: &str, s: &str| text.matches(s).count();
    say(&format!(
        "mixed {pref:?}: 30 s of 20 % loss: real log: {} gaps (\"lost packet(s)\"), {} \
         \"No pkts missing\", {} \"Retransmitting pkt\", {} irretrievable; ours log: {} lines",
        count(&real, "lost packet(s)"),
        count(&real, "No pkts missing"),
        count(&real, "Retransmitting pkt"),
        count(&real, "Irretrievably lost"),
        ours.lines().count()
    ));
    for bad in ["Irretrievably lost packet", "lost a lot of packets", ": is dead", ":eth0 dead"] {
        assert!(!real.contains(bad), "real log has {bad:?}\n{}", m.logs());
    }
    // Regression: ours used to report the medium down on every send the firewall refused
    // (EPERM) and up again on the next packet; heartbeat only logs such errors.
    for bad in ["cannot be retransmitted", ": is dead", ":eth0 dead"] {
        assert!(!ours.contains(bad), "our log has {bad:?}\n{}", m.logs());
    }
    for i in 0..2 {
        for j in 0..2 {
            assert_eq!(m.nodestatus(i, j), "active", "{} on n{}\n{}", m.who(i), j + 1, m.logs());
        }
    }
}

/// Deadtime 5 × keepalive, where ours sends every status twice (the status echo): the real
/// heartbeat takes the copies as duplicates. Under 10 % loss for 20 s nobody fails over, the
/// real log has no replay or loss complaints, and the capture shows ours repeating statuses
/// with the same `seq` while the real node does not.
fn status_echo_with_real_peer(pref: Preferred) {
    let timers = Timers { keepalive_ms: 100, deadtime_ms: 500, failback: true };
    let Some(m) = Mixed::start(pref, Key::Sha1, timers) else { return };
    m.check_startup();
    let cap = hbcap::Capture::start_if_installed(&m.c.net, m.c.net.client(), "echo");
    m.c.net.set_loss(m.c.host(1), 10).expect("loss on");
    m.hold_steady(0, Duration::from_secs(20), "10 % loss at 100 ms / 500 ms");
    m.c.net.set_loss(m.c.host(1), 0).expect("loss off");
    std::thread::sleep(Duration::from_secs(1));
    if let Some(cap) = cap {
        let msgs = cap.stop(&m.c.net);
        let repeats = |node: &str| {
            let mut seen = std::collections::BTreeMap::<String, usize>::new();
            for s in
                msgs.iter().filter(|s| s.get("t") == Some("status") && s.get("src") == Some(node))
            {
                *seen.entry(s.get("seq").unwrap_or("").to_owned()).or_default() += 1;
            }
            (seen.len(), seen.values().filter(|&&n| n >= 2).count())
        };
        let (ours, ours_twice) = repeats(&Mixed::name(m.ours_i));
        let (real, real_twice) = repeats(&Mixed::name(m.real_i));
        say(&format!(
            "mixed {pref:?} echo: ours {ours} statuses, {ours_twice} seen twice; real {real}, \
             {real_twice} seen twice"
        ));
        assert!(ours > 50 && ours_twice * 2 > ours, "ours: {ours} statuses, {ours_twice} twice");
        // The real node repeats a status only when asked to retransmit it (10 % loss).
        assert!(real > 50 && real_twice * 3 < real, "real: {real} statuses, {real_twice} twice");
    }
    let real = m.real.log_text();
    for bad in ["replay", "Irretrievably lost packet", ": is dead", ":eth0 dead"] {
        assert!(!real.contains(bad), "real log has {bad:?}\n{}", m.logs());
    }
    for i in 0..2 {
        for j in 0..2 {
            assert_eq!(m.nodestatus(i, j), "active", "{} on n{}\n{}", m.who(i), j + 1, m.logs());
        }
    }
}

/// A partition and its heal: n1's link is cut (it keeps its VIP on its side), n2 takes over;
/// when the link returns, the double ownership is resolved and, with `auto_failback on`, the
/// preferred n1 ends up the only holder, both nodes seeing each other active. (heartbeat
/// restarts itself on seeing a peer return after a partition; ours re-announces instead.)
fn partition_heal(pref: Preferred, key: Key) {
    let Some(m) = Mixed::start(pref, key, Timers::fast(true)) else { return };
    m.check_startup();
    let (n1, n2) = (0, 1);
    let prober = Prober::start(&m.c.net, m.vip).expect("prober");
    std::thread::sleep(Duration::from_millis(300));
    let cut_at = prober.now();
    m.c.net.link_down(m.c.host(n1)).expect("link down");
    let mac2 = m.mac(n2);
    let moved = wait_for(m.timers.deadtime() + FAILOVER_MARGIN, || {
        m.c.holds(n2, m.vip).unwrap_or(false) && m.vip_answer() == Some(mac2)
    });
    assert!(moved, "{} never took the VIP during the partition\n{}", m.who(n2), m.logs());
    std::thread::sleep(Duration::from_secs(2));
    let healed_at = prober.now();
    m.c.net.link_up(m.c.host(n1)).expect("link up");
    // heartbeat restarts itself 2 s after a peer returns from a partition (spec §7.5): wait
    // for it to go down and come back before judging the outcome.
    let restarting = wait_for(Duration::from_secs(15), || {
        m.real.log_text().contains("Heartbeat shutdown in progress")
    });
    assert!(restarting, "the real node did not restart after the heal\n{}", m.logs());
    let restarted = wait_for(Duration::from_secs(60), || {
        m.real.log_text().matches("Configuration validated. Starting heartbeat").count() >= 2
            && m.real.wait_active(Duration::from_millis(100))
    });
    assert!(restarted, "the real node did not come back\n{}", m.logs());
    let back_at = prober.now();
    m.wait_sole_owner(n1, Duration::from_secs(60), "after the heal");
    m.wait_settled(Duration::from_secs(60));
    m.hold_steady(n1, Duration::from_secs(3), "settled after the heal");
    let log = prober.stop();
    let (first, _) = takeover(&m, &log, cut_at, n2);
    let spans: Vec<String> = log
        .timeline()
        .iter()
        .filter(|s| s.last > healed_at)
        .map(|s| {
            let who = if s.mac == m.mac(n1) { "n1" } else { "n2" };
            format!("{who} {:.1?}..{:.1?}", s.first.saturating_sub(healed_at), s.last - healed_at)
        })
        .collect();
    let both = spans.len();
    let outage = log
        .longest_outage_after(healed_at, log.default_threshold())
        .map_or(Duration::ZERO, |o| o.duration);
    say(&format!(
        "mixed {pref:?} {key:?}: partition of {}: {} answered {first:.3?} after the cut; the \
         real node was back {:.1?} after the heal; longest outage after the heal {outage:.3?}; \
         {both} answer spans (alternating = both answered), first/last: {:?} / {:?}",
        m.who(n1),
        m.who(n2),
        back_at - healed_at,
        spans.first(),
        spans.last()
    ));
}

/// Retransmission requests from one node to another in a capture.
#[derive(Debug, Default)]
struct Rexmits {
    /// `NS_rexmit` messages.
    requests: usize,
    /// Distinct seqs asked for.
    asked: usize,
    /// Of those, how many the sender re-sent after the first request.
    answered: usize,
    /// `NS_nak_rexmit` from the sender to the requester.
    naks: usize,
    /// Seqs never re-sent.
    unanswered: Vec<u64>,
}

fn rexmits(msgs: &[hbcap::Seen], requester: &str, sender: &str) -> Rexmits {
    let mut first_ask: std::collections::BTreeMap<u64, f64> = Default::default();
    let mut r = Rexmits::default();
    for m in msgs {
        let (t, src, dest) = (m.get("t"), m.get("src"), m.get("dest"));
        if t == Some("NS_rexmit") && src == Some(requester) && dest == Some(sender) {
            r.requests += 1;
            let first = m.get("firstseq").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            let last = m.get("lastseq").and_then(|v| v.parse::<u64>().ok()).unwrap_or(first);
            for s in first..=last.min(first + 100) {
                first_ask.entry(s).or_insert(m.at);
            }
        }
        if t == Some("NS_nak_rexmit") && src == Some(sender) && dest == Some(requester) {
            r.naks += 1;
        }
    }
    r.asked = first_ask.len();
    for (seq, at) in first_ask {
        let resent = msgs.iter().any(|m| {
            m.at >= at
                && m.get("src") == Some(sender)
                && m.get("seq").and_then(|v| u64::from_str_radix(v, 16).ok()) == Some(seq)
        });
        if resent {
            r.answered += 1;
        } else {
            r.unanswered.push(seq);
        }
    }
    r
}

macro_rules! matrix {
    ($($name:ident => $f:ident($($arg:expr),*);)*) => {
        $(#[test] fn $name() { $f($($arg),*) })*
    };
}

matrix! {
    failover_failback_real_preferred_sha1 => failover_and_return(Preferred::Real, Key::Sha1, true);
    failover_failback_real_preferred_md5 => failover_and_return(Preferred::Real, Key::Md5, true);
    failover_failback_real_preferred_crc => failover_and_return(Preferred::Real, Key::Crc, true);
    failover_failback_ours_preferred_sha1 => failover_and_return(Preferred::Ours, Key::Sha1, true);
    failover_failback_ours_preferred_md5 => failover_and_return(Preferred::Ours, Key::Md5, true);
    failover_failback_ours_preferred_crc => failover_and_return(Preferred::Ours, Key::Crc, true);
    failover_no_failback_real_preferred_md5 => failover_and_return(Preferred::Real, Key::Md5, false);
    failover_no_failback_ours_preferred_crc => failover_and_return(Preferred::Ours, Key::Crc, false);
    standby_takeover_real_preferred_sha1 => standby_and_takeover(Preferred::Real, Key::Sha1);
    standby_takeover_real_preferred_crc => standby_and_takeover(Preferred::Real, Key::Crc);
    standby_takeover_ours_preferred_sha1 => standby_and_takeover(Preferred::Ours, Key::Sha1);
    standby_takeover_ours_preferred_md5 => standby_and_takeover(Preferred::Ours, Key::Md5);
    graceful_stop_real_preferred_sha1 => graceful_stop(Preferred::Real, Key::Sha1);
    graceful_stop_real_preferred_md5 => graceful_stop(Preferred::Real, Key::Md5);
    graceful_stop_ours_preferred_sha1 => graceful_stop(Preferred::Ours, Key::Sha1);
    graceful_stop_ours_preferred_crc => graceful_stop(Preferred::Ours, Key::Crc);
    partition_heal_real_preferred_sha1 => partition_heal(Preferred::Real, Key::Sha1);
    partition_heal_ours_preferred_md5 => partition_heal(Preferred::Ours, Key::Md5);
    lossy_link_real_preferred => lossy_link(Preferred::Real);
    lossy_link_ours_preferred => lossy_link(Preferred::Ours);
    status_echo_real_preferred => status_echo_with_real_peer(Preferred::Real);
}
