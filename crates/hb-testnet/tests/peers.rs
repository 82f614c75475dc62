//! Reference daemons in the harness and the ARP prober that times their failover.
//!
//! The failover tests simulate a node dying: the daemon is SIGKILLed and the node's link is
//! cut. A SIGKILLed heartbeat leaves the VIP configured in the node's namespace, so without
//! the link cut its kernel would go on answering ARP for the VIP and no outage would be seen.

use std::io::Write;
use std::net::Ipv4Addr;
use std::time::Duration;

use hb_testnet::peers::{wait_for, HeartbeatConfig, Keepalived, RealHeartbeat};
use hb_testnet::probe::{ArpSeen, Mac, ProbeLog, Prober};
use hb_testnet::{skip_or, Host, Testnet};

/// Prints past libtest's capture, so measurements show in `cargo test` output.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn mac(net: &Testnet, host: &Host) -> Mac {
    let text = net.mac_of(host).expect("node has a MAC");
    text.parse().expect("MAC parses")
}

fn vip_owner(net: &Testnet, vip: Ipv4Addr) -> Option<Mac> {
    net.arping_from_client(vip).ok().flatten().and_then(|m| m.parse().ok())
}

fn heartbeat_config(vip: Ipv4Addr) -> HeartbeatConfig {
    HeartbeatConfig {
        ha_cf: "keepalive 200ms\ndeadtime 2\nwarntime 1\ninitdead 4\nudpport 694\n\
                bcast eth0\nauto_failback on\nnode n1\nnode n2\n"
            .to_string(),
        haresources: format!("n1 {vip}/24/eth0\n"),
        authkeys: "auth 1\n1 sha1 hb-testnet-peers\n".to_string(),
        resource_scripts: Vec::new(),
    }
}

#[test]
fn real_heartbeat_pair_fails_over_when_the_owner_dies() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let (n1, n2) = (net.node(0).clone(), net.node(1).clone());
    let vip = net.addr(50);
    let cfg = heartbeat_config(vip);
    let started = std::time::Instant::now();
    let hb1 = RealHeartbeat::start(&n1, &cfg).expect("heartbeat starts on n1");
    say(&format!("heartbeat: n1 started after {:.3?}", started.elapsed()));
    let hb2 = RealHeartbeat::start(&n2, &cfg).expect("heartbeat starts on n2");
    say(&format!("heartbeat: both started after {:.3?}", started.elapsed()));
    assert!(hb1.wait_active(Duration::from_secs(10)) && hb2.wait_active(Duration::from_secs(10)));
    say(&format!("heartbeat: both answer cl_status after {:.3?}", started.elapsed()));
    let (mac1, mac2) = (mac(&net, &n1), mac(&net, &n2));

    let up = wait_for(Duration::from_secs(40), || vip_owner(&net, vip) == Some(mac1));
    assert!(up, "VIP never answered from n1; n1 log:\n{}", hb1.log_text());
    say(&format!("heartbeat: VIP held by n1 {:.3?} after start", started.elapsed()));
    let (out, _, code) = hb2.cl_status(&["nodestatus", "n1"]).expect("cl_status runs");
    assert_eq!((out.trim(), code), ("active", 0));

    let prober = Prober::start(&net, vip).expect("prober starts");
    std::thread::sleep(Duration::from_secs(1));
    let killed_at = prober.now();
    let before_kill = hb1.processes().len();
    hb1.kill9().expect("master is running");
    net.link_down(&n1).expect("link down");
    // n1's kernel answers ARP until its link is down; `ip` may take a while on a busy machine.
    let cut_at = prober.now();
    assert!(wait_for(Duration::from_secs(5), || !hb1.is_running()), "master survived SIGKILL");
    let orphans: Vec<String> = hb1.processes().into_iter().map(|p| p.cmdline).collect();
    say(&format!("heartbeat: {before_kill} processes before kill9, left after: {orphans:?}"));

    let dead = wait_for(Duration::from_secs(15), || {
        hb2.cl_status(&["nodestatus", "n1"]).is_ok_and(|(out, _, _)| out.trim() == "dead")
    });
    let dead_after = prober.now().saturating_sub(killed_at);
    let (rsc, _, _) = hb2.cl_status(&["rscstatus"]).expect("cl_status runs");
    let orphans: Vec<String> = hb1.processes().into_iter().map(|p| p.cmdline).collect();
    say(&format!("heartbeat: n1 processes when n2 declared it dead: {orphans:?}"));
    std::thread::sleep(Duration::from_secs(2));
    let log = prober.stop();
    say(&log.summary(log.default_threshold()));
    assert!(dead, "n2 never declared n1 dead; n2 log:\n{}", hb2.log_text());
    say(&format!("heartbeat: n2 reports n1 dead {dead_after:.3?} after kill; rscstatus {rsc:?}"));

    let before = log.last_reply_from(mac1).expect("n1 answered before the kill");
    assert!(before.at <= cut_at + Duration::from_millis(50), "n1 answered after its link was cut");
    assert!(log.first_reply_from(mac2, Duration::ZERO).is_some_and(|r| r.at > killed_at));
    let takeover = log.first_reply_from(mac2, killed_at).expect("n2 answered after the kill");
    assert!(
        takeover.at - killed_at < Duration::from_secs(15),
        "takeover took {:?}",
        takeover.at - killed_at
    );
    let outage = log.longest_outage_after(killed_at, log.default_threshold());
    let outage = outage.expect("cutting the owner's link leaves a gap");
    say(&format!(
        "heartbeat failover: outage {:.3?} (last n1 reply {:.3?} after kill, first n2 reply {:.3?} \
         after kill), first GARP after kill: {:?}",
        outage.duration,
        before.at.saturating_sub(killed_at),
        takeover.at - killed_at,
        log.first_garp_after(killed_at).map(|g| g.at - killed_at)
    ));
    drop(hb1);
    drop(hb2);
}

#[test]
fn real_heartbeat_stops_gracefully_and_restarts() {
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    let n1 = net.node(0).clone();
    let vip = net.addr(51);
    let mut cfg = heartbeat_config(vip);
    cfg.ha_cf =
        "keepalive 200ms\ndeadtime 2\ninitdead 2\nudpport 694\nbcast eth0\nnode n1\n".into();
    let mut hb = RealHeartbeat::start(&n1, &cfg).expect("heartbeat starts");
    let master = hb.master_pid().expect("master runs");
    assert!(hb.wait_active(Duration::from_secs(10)), "never active:\n{}", hb.log_text());
    let (out, _, code) = hb.exec(&["uname", "-n"]).expect("runs inside");
    assert_eq!((out.trim(), code), ("n1", 0));
    let (out, _, code) = hb.cl_status(&["hbstatus"]).expect("cl_status runs");
    assert_eq!((out.trim(), code), ("Heartbeat is running on this machine.", 0));
    let mac1 = mac(&net, &n1);
    assert!(wait_for(Duration::from_secs(30), || vip_owner(&net, vip) == Some(mac1)));

    hb.stop().expect("heartbeat -k stops it");
    assert!(!hb.is_running());
    assert!(!std::path::Path::new(&format!("/proc/{master}")).exists());
    assert!(hb.log_text().contains("Heartbeat shutdown complete"));
    assert_eq!(vip_owner(&net, vip), None, "stop releases the VIP");

    hb.restart().expect("restarts");
    assert!(hb.master_pid().is_some_and(|p| p != master));
    assert!(wait_for(Duration::from_secs(30), || vip_owner(&net, vip) == Some(mac1)));
    let dir = hb.dir().to_path_buf();
    drop(hb);
    assert!(!dir.exists(), "private directory removed on drop");
}

fn keepalived_config(name: &str, state: &str, priority: u8, vip: Ipv4Addr) -> String {
    format!(
        "global_defs {{\n  router_id {name}\n}}\n\
         vrrp_instance VI_1 {{\n  state {state}\n  interface eth0\n  virtual_router_id 51\n  \
         priority {priority}\n  advert_int 1\n  authentication {{\n    auth_type PASS\n    \
         auth_pass hbtest\n  }}\n  virtual_ipaddress {{\n    {vip}/24 dev eth0\n  }}\n}}\n"
    )
}

#[test]
fn keepalived_pair_fails_over_when_the_master_is_killed() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let (n1, n2) = (net.node(0).clone(), net.node(1).clone());
    let vip = net.addr(60);
    let k1 = Keepalived::start(&n1, &keepalived_config("n1", "MASTER", 150, vip))
        .expect("keepalived starts on n1");
    let k2 = Keepalived::start(&n2, &keepalived_config("n2", "BACKUP", 100, vip))
        .expect("keepalived starts on n2");
    let (mac1, mac2) = (mac(&net, &n1), mac(&net, &n2));
    let up = wait_for(Duration::from_secs(20), || vip_owner(&net, vip) == Some(mac1));
    assert!(up, "VIP never answered from n1:\n{}", k1.log_text());

    let prober = Prober::start(&net, vip).expect("prober starts");
    std::thread::sleep(Duration::from_secs(1));
    let killed_at = prober.now();
    k1.kill9().expect("keepalived runs");
    let moved = wait_for(Duration::from_secs(15), || vip_owner(&net, vip) == Some(mac2));
    std::thread::sleep(Duration::from_secs(1));
    let log = prober.stop();
    say(&log.summary(log.default_threshold()));
    assert!(moved, "VIP never moved to n2:\n{}", k2.log_text());
    assert!(log.last_reply_from(mac1).is_some_and(|r| r.at <= killed_at + Duration::from_secs(5)));
    let takeover = log.first_reply_from(mac2, killed_at).expect("n2 answered after the kill");
    assert!(takeover.at - killed_at < Duration::from_secs(15));
    let outage = log.longest_outage_after(killed_at, log.default_threshold());
    say(&format!(
        "keepalived failover (parent SIGKILLed): outage {:?}, first n2 reply {:.3?} after kill, \
         first GARP after kill: {:?}",
        outage.map(|o| o.duration),
        takeover.at - killed_at,
        log.first_garp_after(killed_at).map(|g| g.at - killed_at)
    ));
}

#[test]
fn keepalived_pair_fails_over_when_the_master_node_dies() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let (n1, n2) = (net.node(0).clone(), net.node(1).clone());
    let vip = net.addr(61);
    let mut k1 = Keepalived::start(&n1, &keepalived_config("n1", "MASTER", 150, vip))
        .expect("keepalived starts on n1");
    let k2 = Keepalived::start(&n2, &keepalived_config("n2", "BACKUP", 100, vip))
        .expect("keepalived starts on n2");
    let (mac1, mac2) = (mac(&net, &n1), mac(&net, &n2));
    let up = wait_for(Duration::from_secs(20), || vip_owner(&net, vip) == Some(mac1));
    assert!(up, "VIP never answered from n1:\n{}", k1.log_text());

    let prober = Prober::start(&net, vip).expect("prober starts");
    std::thread::sleep(Duration::from_secs(1));
    let killed_at = prober.now();
    k1.crash();
    net.link_down(&n1).expect("link down");
    assert!(k1.processes().is_empty() && !k1.is_running());
    let moved = wait_for(Duration::from_secs(15), || vip_owner(&net, vip) == Some(mac2));
    std::thread::sleep(Duration::from_secs(1));
    let log = prober.stop();
    say(&log.summary(log.default_threshold()));
    assert!(moved, "VIP never moved to n2:\n{}", k2.log_text());
    let takeover = log.first_reply_from(mac2, killed_at).expect("n2 answered after the crash");
    assert!(takeover.at - killed_at < Duration::from_secs(15));
    let outage = log.longest_outage_after(killed_at, log.default_threshold());
    say(&format!(
        "keepalived failover (all processes SIGKILLed, link cut): outage {:?}, first n2 reply \
         {:.3?} after kill",
        outage.map(|o| o.duration),
        takeover.at - killed_at,
    ));
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn seen(at: u64, mac: Mac, op: u16) -> ArpSeen {
    ArpSeen { at: ms(at), mac, op }
}

#[test]
fn probe_analysis_of_a_synthetic_failover() {
    let (a, b) = (Mac([2, 0, 0, 0, 0, 0xa]), Mac([2, 0, 0, 0, 0, 0xb]));
    let mut replies: Vec<ArpSeen> = (10..=20).map(|t| seen(t, a, 2)).collect();
    // 20 → 25: a jitter gap of 5 ms (above the 3 ms threshold).
    replies.extend((25..=30).map(|t| seen(t, a, 2)));
    // The owner dies after 30 ms; b answers from 530 ms on.
    replies.extend((530..=540).map(|t| seen(t, b, 2)));
    let log = ProbeLog {
        target: Ipv4Addr::new(10, 99, 1, 50),
        interval: ms(1),
        duration: ms(600),
        sent: 600,
        max_send_gap: ms(2),
        replies,
        garps: vec![seen(5, a, 1), seen(529, b, 1), seen(529, b, 2)],
        truncated: false,
    };
    assert_eq!(log.default_threshold(), ms(3));
    let outages = log.outages(log.default_threshold());
    assert_eq!(outages.len(), 3, "{outages:?}");
    assert_eq!((outages[0].before.at, outages[0].duration), (ms(20), ms(5)));
    assert_eq!(outages[1].before, seen(30, a, 2));
    assert_eq!(outages[1].after, Some(seen(530, b, 2)));
    assert_eq!(outages[1].duration, ms(500));
    // Trailing: last reply at 540, probe ran to 600.
    assert_eq!((outages[2].after, outages[2].duration), (None, ms(60)));
    assert!(log.outages(ms(100)).len() == 1);
    assert_eq!(log.longest_outage_after(ms(28), ms(3)).map(|o| o.duration), Some(ms(500)));
    assert_eq!(log.longest_outage_after(ms(541), ms(3)).map(|o| o.duration), Some(ms(60)));

    let changes = log.owner_changes();
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].at, changes[0].from, changes[0].to), (ms(530), a, b));
    let timeline = log.timeline();
    assert_eq!(timeline.len(), 2);
    assert_eq!((timeline[0].mac, timeline[0].first, timeline[0].last), (a, ms(10), ms(30)));
    assert_eq!((timeline[0].replies, timeline[1].replies), (17, 11));
    assert_eq!(log.first_garp_after(ms(6)), Some(seen(529, b, 1)));
    assert_eq!(log.first_garp_after(ms(530)), None);
    assert_eq!(log.first_reply_from(b, ms(0)).map(|r| r.at), Some(ms(530)));
    assert_eq!(log.last_reply_from(a).map(|r| r.at), Some(ms(30)));
    assert!(log.summary(ms(3)).contains("outage 500"));

    // Two holders at once: replies alternate, every alternation is an owner change.
    let both = ProbeLog {
        replies: vec![seen(1, a, 2), seen(1, b, 2), seen(2, a, 2), seen(2, b, 2)],
        ..log.clone()
    };
    assert_eq!(both.owner_changes().len(), 3);
    assert_eq!(both.timeline().len(), 4);

    assert_eq!("AA:bb:0c:00:11:ff".parse::<Mac>(), Ok(Mac([0xaa, 0xbb, 0x0c, 0, 0x11, 0xff])));
    assert_eq!(Mac([0xaa, 0xbb, 0x0c, 0, 0x11, 0xff]).to_string(), "aa:bb:0c:00:11:ff");
    assert!("aa:bb".parse::<Mac>().is_err());
    assert!("aa:bb:cc:dd:ee:ff:00".parse::<Mac>().is_err());
}

#[test]
fn prober_keeps_up_with_a_steady_owner() {
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    let n1 = net.node(0).clone();
    let prober = Prober::start(&net, n1.ip).expect("prober starts");
    std::thread::sleep(Duration::from_secs(2));
    let log = prober.stop();
    say(&log.summary(Duration::from_millis(20)));
    let owner = mac(&net, &n1);
    assert!(log.sent >= 1000, "sent only {} probes in 2 s", log.sent);
    assert!(log.replies.len() as u64 * 10 >= log.sent * 9, "too few replies");
    assert!(log.replies.iter().all(|r| r.mac == owner));
    assert!(log.garps.is_empty());
}

#[test]
fn real_heartbeat_standby_and_takeover_move_the_group() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let (n1, n2) = (net.node(0).clone(), net.node(1).clone());
    let vip = net.addr(52);
    let cfg = heartbeat_config(vip);
    let hb1 = RealHeartbeat::start(&n1, &cfg).expect("heartbeat starts on n1");
    let hb2 = RealHeartbeat::start(&n2, &cfg).expect("heartbeat starts on n2");
    let (mac1, mac2) = (mac(&net, &n1), mac(&net, &n2));
    assert!(wait_for(Duration::from_secs(40), || vip_owner(&net, vip) == Some(mac1)));
    let rsc = |hb: &RealHeartbeat| {
        hb.cl_status(&["rscstatus"]).map(|o| o.0.trim().to_string()).unwrap_or_default()
    };
    // Requests made while resources are in transition (the first ~10 s) are not honoured as
    // asked; wait until both nodes have settled.
    let settled = wait_for(Duration::from_secs(30), || {
        rsc(&hb1) != "transition" && rsc(&hb2) != "transition"
    });
    assert!(settled, "resources never settled; n1 log:\n{}", hb1.log_text());
    say(&format!("rscstatus before standby: n1 {:?}, n2 {:?}", rsc(&hb1), rsc(&hb2)));

    let standby = hb1.hb_standby("").expect("hb_standby runs");
    say(&format!("hb_standby: {standby:?}"));
    assert_eq!(standby.2, 0);
    let moved = wait_for(Duration::from_secs(30), || vip_owner(&net, vip) == Some(mac2));
    assert!(moved, "standby did not move the VIP; n1 log:\n{}", hb1.log_text());
    say(&format!("rscstatus after standby: n1 {:?}, n2 {:?}", rsc(&hb1), rsc(&hb2)));

    let takeover = hb1.hb_takeover("").expect("hb_takeover runs");
    say(&format!("hb_takeover: {takeover:?}"));
    assert_eq!(takeover.2, 0);
    let back = wait_for(Duration::from_secs(30), || vip_owner(&net, vip) == Some(mac1));
    assert!(back, "takeover did not bring the VIP back; n1 log:\n{}", hb1.log_text());
    say(&format!("rscstatus after takeover: n1 {:?}, n2 {:?}", rsc(&hb1), rsc(&hb2)));
}
