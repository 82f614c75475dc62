//! Our `keepalived` (the heartbeat binary started through a `keepalived` link) and Debian's
//! keepalived 2.2.7 form one virtual router in network namespaces: VRRPv2 with PASS auth,
//! ours MASTER priority 100, theirs BACKUP priority 99. The client's ARP view decides who
//! owns the VIP. Hand-over times are printed (measured, not asserted tightly).

#![allow(clippy::unwrap_used)] // test fixtures: a failed setup step should abort the test

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hb_testnet::peers::{wait_for, Keepalived};
use hb_testnet::probe::{Mac, Prober};
use hb_testnet::{skip_or, Host, Testnet};
use nix::sys::signal::Signal;

fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn conf(name: &str, state: &str, priority: u8, vip: Ipv4Addr, extra: &str) -> String {
    format!(
        "global_defs {{\n  router_id {name}\n  enable_script_security\n  script_user root\n}}\n\
         {extra}vrrp_instance VI_1 {{\n  state {state}\n  interface eth0\n  virtual_router_id 51\n  \
         priority {priority}\n  advert_int 1\n  authentication {{\n    auth_type PASS\n    \
         auth_pass hbtest\n  }}\n  virtual_ipaddress {{\n    {vip}/24 dev eth0\n  }}\n}}\n"
    )
}

/// Our daemon on one node: its files and the PID of the running process.
struct Ours {
    dir: PathBuf,
    pid: Option<u32>,
}

impl Ours {
    fn new(text: &str) -> Ours {
        let dir = tempfile::tempdir().unwrap().keep();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_heartbeat"), dir.join("keepalived"))
            .unwrap();
        std::fs::write(dir.join("keepalived.conf"), text).unwrap();
        Ours { dir, pid: None }
    }

    fn start(&mut self, net: &Testnet, host: &Host) {
        let d = self.dir.to_str().unwrap();
        let script = format!(
            "HB_VRRP_API_SOCKET={d}/vrrp.sock HB_KEEPALIVED_DUMP_DIR={d} exec {d}/keepalived -n -l -D -f {d}/keepalived.conf \
             -p {d}/k.pid -r {d}/v.pid >>{d}/log 2>&1"
        );
        self.pid = Some(net.spawn_in(host, "/bin/sh", &["-c", &script]).unwrap());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Ours {
    fn drop(&mut self) {
        if std::thread::panicking() {
            say(&format!("kept {} (our log):\n{}", self.dir.display(), self.log()));
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn mac(net: &Testnet, host: &Host) -> Mac {
    net.mac_of(host).unwrap().parse().unwrap()
}

fn vip_owner(net: &Testnet, vip: Ipv4Addr) -> Option<Mac> {
    net.arping_from_client(vip).ok().flatten().and_then(|m| m.parse().ok())
}

fn holds(net: &Testnet, host: &Host, vip: Ipv4Addr) -> bool {
    let out = net.exec(host, &["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).unwrap();
    String::from_utf8_lossy(&out.stdout).contains(&format!(" {vip}/"))
}

fn real_keepalived_present(net: &Testnet) -> bool {
    let ok = net.exec(net.node(0), &["keepalived", "-v"]).is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "keepalived is not installed; .ci/run does it");
        say("skipped: keepalived not installed");
    }
    ok
}

#[test]
fn ours_and_real_keepalived_share_a_vip_with_failover_and_preemption() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    if !real_keepalived_present(&net) {
        return;
    }
    let (n1, n2) = (net.node(0).clone(), net.node(1).clone());
    let vip = net.addr(70);
    let (mac1, mac2) = (mac(&net, &n1), mac(&net, &n2));
    let mut ours = Ours::new(&conf("n1", "MASTER", 100, vip, ""));
    let started = Instant::now();
    ours.start(&net, &n1);
    let real = Keepalived::start(&n2, &conf("n2", "BACKUP", 99, vip, "")).expect("keepalived");

    // One master, ours, seen from the client; the real one holds nothing.
    let up = wait_for(Duration::from_secs(20), || vip_owner(&net, vip) == Some(mac1));
    assert!(up, "VIP never answered from ours:\n{}\nreal:\n{}", ours.log(), real.log_text());
    say(&format!("ours master after {:.2?} from start", started.elapsed()));
    assert!(ours.path("k.pid").exists() && ours.path("v.pid").exists(), "pid files -p/-r");
    for _ in 0..3 {
        std::thread::sleep(Duration::from_secs(1));
        assert!(holds(&net, &n1, vip) && !holds(&net, &n2, vip), "exactly one holder");
        assert_eq!(vip_owner(&net, vip), Some(mac1));
    }
    assert!(real.log_text().contains("Entering BACKUP STATE"), "{}", real.log_text());

    // SIGTERM: priority 0 → the real one takes over at once (skew time, not 3 intervals).
    let prober = Prober::start(&net, vip).expect("prober");
    std::thread::sleep(Duration::from_millis(500));
    let stop_at = prober.now();
    let pid = ours.pid.take().unwrap();
    net.signal(pid, Signal::SIGTERM).unwrap();
    let exited = wait_for(Duration::from_secs(10), || !net.is_running(pid));
    let moved = wait_for(Duration::from_secs(10), || vip_owner(&net, vip) == Some(mac2));
    std::thread::sleep(Duration::from_millis(500));
    let log = prober.stop();
    say(&log.summary(log.default_threshold()));
    assert!(exited, "ours did not exit on SIGTERM:\n{}", ours.log());
    assert!(moved, "VIP never moved to the real keepalived:\n{}", real.log_text());
    assert!(!holds(&net, &n1, vip), "ours removed the VIP on SIGTERM");
    assert!(!ours.path("k.pid").exists(), "pid file removed at exit");
    let took =
        log.first_reply_from(mac2, stop_at).expect("real answered after our stop").at - stop_at;
    assert!(
        took < Duration::from_secs(3),
        "priority 0 should hand over within the skew time: {took:?}"
    );
    say(&format!("hand-over ours→real on SIGTERM (priority 0): first real reply {took:.3?}"));

    // Ours back: it discards the lower-priority adverts and preempts after master-down.
    let prober = Prober::start(&net, vip).expect("prober");
    let back_at = prober.now();
    ours.start(&net, &n1);
    let back = wait_for(Duration::from_secs(15), || vip_owner(&net, vip) == Some(mac1));
    std::thread::sleep(Duration::from_millis(500));
    let log = prober.stop();
    assert!(back, "ours never preempted back:\n{}\nreal:\n{}", ours.log(), real.log_text());
    assert!(wait_for(Duration::from_secs(5), || !holds(&net, &n2, vip)), "real released the VIP");
    let pre = log.first_reply_from(mac1, back_at).expect("ours answered").at - back_at;
    say(&format!("preemption real→ours after our restart: first reply from ours {pre:.3?}"));

    // kill -9 and cut the link (a dead node): the real one takes over after master-down.
    let prober = Prober::start(&net, vip).expect("prober");
    std::thread::sleep(Duration::from_millis(500));
    let kill_at = prober.now();
    let pid = ours.pid.take().unwrap();
    net.signal(pid, Signal::SIGKILL).unwrap();
    net.link_down(&n1).unwrap();
    // Reaped, so that its pid file names no live process (a zombie would count as running
    // and the restart below be refused, as keepalived refuses it).
    assert!(wait_for(Duration::from_secs(5), || !net.is_running(pid)));
    let moved = wait_for(Duration::from_secs(15), || vip_owner(&net, vip) == Some(mac2));
    std::thread::sleep(Duration::from_millis(500));
    let log = prober.stop();
    assert!(moved, "VIP never moved after kill -9:\n{}", real.log_text());
    let took =
        log.first_reply_from(mac2, kill_at).expect("real answered after the kill").at - kill_at;
    say(&format!("hand-over ours→real on kill -9 + link cut: first real reply {took:.3?}"));
    // Unlike keepalived, the crash guardian removed the VIP of the killed daemon.
    let cleaned = wait_for(Duration::from_secs(5), || !holds(&net, &n1, vip));
    assert!(cleaned, "kill -9 left the VIP configured on n1:\n{}", ours.log());
    assert!(ours.log().contains("the VRRP daemon died without releasing its addresses: removed"));

    // Back with the link up but a lower priority: it removes a VIP left behind (here added by
    // hand, as after a crash that took the guardian too) and stays backup, so the client
    // keeps seeing only the real keepalived.
    let leftover = net.exec(&n1, &["ip", "addr", "add", &format!("{vip}/24"), "dev", "eth0"]);
    assert!(leftover.unwrap().status.success());
    net.link_up(&n1).unwrap();
    std::fs::write(ours.path("keepalived.conf"), conf("n1", "BACKUP", 98, vip, "")).unwrap();
    ours.start(&net, &n1);
    let cleaned = wait_for(Duration::from_secs(10), || !holds(&net, &n1, vip));
    assert!(cleaned, "the leftover VIP stayed on n1:\n{}", ours.log());
    assert!(ours.log().contains("left over from an earlier run"), "{}", ours.log());
    std::thread::sleep(Duration::from_secs(5));
    assert!(!holds(&net, &n1, vip) && holds(&net, &n2, vip), "ours stays backup at 98");
    assert_eq!(vip_owner(&net, vip), Some(mac2));
    let pid = ours.pid.take().unwrap();
    net.signal(pid, Signal::SIGTERM).unwrap();
    assert!(wait_for(Duration::from_secs(10), || !net.is_running(pid)), "ours exits as backup");
}

#[test]
fn failing_track_script_hands_the_vip_to_the_real_keepalived() {
    // weight -10: 100 - 10 = 90 < 99, the real one preempts us after its master-down timer.
    track_script_case(-10, 71);
}

#[test]
fn failing_weight_zero_track_script_puts_ours_in_fault() {
    // weight 0: FAULT, priority-0 advert, the real one takes over within its skew time.
    track_script_case(0, 75);
}

fn track_script_case(weight: i32, last: u8) {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    if !real_keepalived_present(&net) {
        return;
    }
    let (n1, n2) = (net.node(0).clone(), net.node(1).clone());
    let vip = net.addr(last);
    let (mac1, mac2) = (mac(&net, &n1), mac(&net, &n2));
    let flag = tempfile::tempdir().unwrap();
    let ok = flag.path().join("ok");
    std::fs::write(&ok, "").unwrap();
    let script = format!(
        "vrrp_script chk {{\n  script \"/usr/bin/test -e {}\"\n  interval 1\n  weight {weight}\n  \
         fall 1\n  rise 1\n}}\n",
        ok.display()
    );
    let text = conf("n1", "MASTER", 100, vip, &script)
        .replace("  virtual_ipaddress", "  track_script {\n    chk\n  }\n  virtual_ipaddress");
    let mut ours = Ours::new(&text);
    ours.start(&net, &n1);
    let real = Keepalived::start(&n2, &conf("n2", "BACKUP", 99, vip, "")).expect("keepalived");
    let up = wait_for(Duration::from_secs(20), || vip_owner(&net, vip) == Some(mac1));
    assert!(up, "VIP never answered from ours:\n{}", ours.log());

    std::fs::remove_file(&ok).unwrap();
    let t = Instant::now();
    let moved = wait_for(Duration::from_secs(15), || vip_owner(&net, vip) == Some(mac2));
    assert!(
        moved,
        "VIP never moved on the failing check:\n{}\nreal:\n{}",
        ours.log(),
        real.log_text()
    );
    say(&format!("failing track_script (weight {weight}): real owner after {:.2?}", t.elapsed()));
    if weight == 0 {
        let fault =
            wait_for(Duration::from_secs(5), || ours.log().contains("Entering FAULT STATE"));
        assert!(fault, "weight 0 failing: FAULT expected:\n{}", ours.log());
    }
    assert!(wait_for(Duration::from_secs(5), || !holds(&net, &n1, vip)), "ours released");

    // It passes again: 100 > 99 (and no fault), ours preempts back.
    std::fs::write(&ok, "").unwrap();
    let t = Instant::now();
    let back = wait_for(Duration::from_secs(15), || vip_owner(&net, vip) == Some(mac1));
    assert!(back, "ours never came back:\n{}", ours.log());
    say(&format!("track_script (weight {weight}) passing again: ours after {:.2?}", t.elapsed()));
    if let Some(pid) = ours.pid.take() {
        net.signal(pid, Signal::SIGTERM).unwrap();
        assert!(wait_for(Duration::from_secs(10), || !net.is_running(pid)));
    }
}

#[test]
fn ours_as_vrrpv3_backup_takes_over_runs_notify_and_yields_to_the_real_master() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    if !real_keepalived_present(&net) {
        return;
    }
    let (n1, n2) = (net.node(0).clone(), net.node(1).clone());
    let vip = net.addr(72);
    let (mac1, mac2) = (mac(&net, &n1), mac(&net, &n2));
    let v3 = |name: &str, state: &str, prio: u8, extra: &str| {
        conf(name, state, prio, vip, "")
            .replace("  authentication {\n    auth_type PASS\n    auth_pass hbtest\n  }\n", "")
            .replace("  advert_int 1\n", &format!("  version 3\n  advert_int 1\n{extra}"))
    };
    let mut ours = Ours::new("");
    let notify_log = ours.path("notify.log");
    let hook = ours.path("notify.sh");
    std::fs::write(&hook, format!("#!/bin/sh\necho \"$*\" >> {}\n", notify_log.display())).unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        ours.path("keepalived.conf"),
        v3("n1", "BACKUP", 99, &format!("  notify {}\n", hook.display())),
    )
    .unwrap();
    let mut real = Keepalived::start(&n2, &v3("n2", "MASTER", 100, "")).expect("keepalived");
    ours.start(&net, &n1);
    let up = wait_for(Duration::from_secs(20), || vip_owner(&net, vip) == Some(mac2));
    assert!(up, "the real master never answered:\n{}", real.log_text());
    std::thread::sleep(Duration::from_secs(5));
    assert!(!holds(&net, &n1, vip), "ours stays backup under a higher priority:\n{}", ours.log());
    let notes = || std::fs::read_to_string(&notify_log).unwrap_or_default();
    assert!(
        wait_for(Duration::from_secs(5), || notes().contains("INSTANCE VI_1 BACKUP 99")),
        "notify BACKUP: {:?}\n{}",
        notes(),
        ours.log()
    );

    // The real master stops (priority 0): ours takes over within the skew time.
    let prober = Prober::start(&net, vip).expect("prober");
    std::thread::sleep(Duration::from_millis(500));
    let stop_at = prober.now();
    real.stop().unwrap();
    let moved = wait_for(Duration::from_secs(10), || vip_owner(&net, vip) == Some(mac1));
    std::thread::sleep(Duration::from_millis(500));
    let log = prober.stop();
    assert!(moved, "ours never took over:\n{}", ours.log());
    let took = log.first_reply_from(mac1, stop_at).expect("ours answered").at - stop_at;
    say(&format!("VRRPv3 hand-over real→ours on keepalived SIGTERM: first reply {took:.3?}"));
    assert!(
        wait_for(Duration::from_secs(5), || notes().contains("INSTANCE VI_1 MASTER 99")),
        "notify MASTER: {:?}",
        notes()
    );

    // The real one comes back with priority 100 and preempts: ours releases the VIP.
    let t = Instant::now();
    real.restart().unwrap();
    let back = wait_for(Duration::from_secs(15), || vip_owner(&net, vip) == Some(mac2));
    assert!(back, "the real master never preempted:\n{}", real.log_text());
    assert!(wait_for(Duration::from_secs(5), || !holds(&net, &n1, vip)), "ours released the VIP");
    say(&format!("VRRPv3 preemption by the real master: owner again after {:.2?}", t.elapsed()));
    let order: Vec<String> = notes().lines().map(str::to_owned).collect();
    say(&format!("notify calls: {order:?}"));
    assert_eq!(order.last().map(String::as_str), Some("INSTANCE VI_1 BACKUP 99"));
    if let Some(pid) = ours.pid.take() {
        net.signal(pid, Signal::SIGTERM).unwrap();
        assert!(wait_for(Duration::from_secs(10), || !net.is_running(pid)));
    }
}

#[test]
fn unicast_peers_from_a_secondary_source_ours_master_then_real_after_sigterm() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    if !real_keepalived_present(&net) {
        return;
    }
    let (n1, n2) = (net.node(0).clone(), net.node(1).clone());
    let vip = net.addr(73);
    let (mac1, mac2) = (mac(&net, &n1), mac(&net, &n2));
    // Ours speaks from a secondary address of n1, not its primary: with `check_unicast_src`
    // the real keepalived only accepts adverts whose source is in its unicast_peer list.
    let src1 = net.addr(201);
    let added = net.exec(&n1, &["ip", "addr", "add", &format!("{src1}/24"), "dev", "eth0"]);
    assert!(added.unwrap().status.success());
    let unicast = |me: Ipv4Addr, peer: Ipv4Addr| {
        format!("  unicast_src_ip {me}\n  unicast_peer {{\n    {peer}\n  }}\n")
    };
    let with = |text: String, extra: String| {
        text.replace("  virtual_ipaddress", &format!("{extra}  virtual_ipaddress"))
    };
    let mut ours = Ours::new(&with(conf("n1", "MASTER", 100, vip, ""), unicast(src1, n2.ip)));
    ours.start(&net, &n1);
    let real = Keepalived::start(
        &n2,
        &with(conf("n2", "BACKUP", 99, vip, ""), unicast(n2.ip, src1) + "  check_unicast_src\n"),
    )
    .expect("keepalived");
    let up = wait_for(Duration::from_secs(20), || vip_owner(&net, vip) == Some(mac1));
    assert!(up, "VIP never answered from ours:\n{}\nreal:\n{}", ours.log(), real.log_text());
    std::thread::sleep(Duration::from_secs(3));
    assert!(holds(&net, &n1, vip) && !holds(&net, &n2, vip), "one master over unicast");

    let t = Instant::now();
    let pid = ours.pid.take().unwrap();
    net.signal(pid, Signal::SIGTERM).unwrap();
    let moved = wait_for(Duration::from_secs(10), || vip_owner(&net, vip) == Some(mac2));
    assert!(moved, "VIP never moved over unicast:\n{}", real.log_text());
    say(&format!("unicast hand-over on SIGTERM: real owner after {:.2?}", t.elapsed()));
    assert!(wait_for(Duration::from_secs(10), || !net.is_running(pid)));
}

/// Sends `payload` as IP protocol 112 from the client's namespace to 224.0.0.18 with `ttl`.
fn inject(net: &Testnet, payload: &[u8], ttl: u32, times: usize) {
    use socket2::{Domain, Protocol, SockAddr, Socket, Type};
    let client = net.client().clone();
    net.run_in(&client, || {
        let s = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(112))).unwrap();
        s.set_multicast_ttl_v4(ttl).unwrap();
        s.set_multicast_if_v4(&client.ip).unwrap();
        let to = SockAddr::from(std::net::SocketAddrV4::new(hb_vrrp::MULTICAST_V4, 0));
        for _ in 0..times {
            s.send_to(payload, &to).unwrap();
            std::thread::sleep(Duration::from_millis(200));
        }
    })
    .unwrap();
}

#[test]
fn forged_and_malformed_adverts_are_refused_and_a_valid_better_one_is_obeyed() {
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    let n1 = net.node(0).clone();
    let vip = net.addr(74);
    let mac1 = mac(&net, &n1);
    let mut ours = Ours::new(&conf("n1", "MASTER", 100, vip, ""));
    ours.start(&net, &n1);
    let up = wait_for(Duration::from_secs(20), || vip_owner(&net, vip) == Some(mac1));
    assert!(up, "never master:\n{}", ours.log());
    // keepalived's reload and dump signals must not kill it (their default action would).
    let pid = ours.pid.unwrap();
    for sig in [Signal::SIGHUP, Signal::SIGUSR1, Signal::SIGUSR2] {
        net.signal(pid, sig).unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(net.is_running(pid) && holds(&net, &n1, vip), "SIGHUP/USR1/USR2:\n{}", ours.log());
    let src = std::net::IpAddr::V4(net.client().ip);
    let dst = std::net::IpAddr::V4(hb_vrrp::MULTICAST_V4);
    let advert = |pass: &str| hb_vrrp::Advert {
        version: hb_vrrp::Version::V2,
        vrid: 51,
        priority: 254,
        advert_int: 1,
        auth: hb_vrrp::Auth::Pass(hb_vrrp::Password::from_config(pass).0),
        addresses: vec![std::net::IpAddr::V4(vip)],
    };
    let forged = advert("wrong").emit(src, dst).unwrap();
    let good = advert("hbtest").emit(src, dst).unwrap();
    // 20 of each over 4 s each, longer than the 3.6 s master-down interval.
    inject(&net, &forged, 255, 20);
    inject(&net, &good[..5], 255, 20);
    inject(&net, &good, 64, 20);
    assert!(net.is_running(pid), "ours survived:\n{}", ours.log());
    assert!(holds(&net, &n1, vip), "still master after refused adverts:\n{}", ours.log());
    let log = ours.log();
    let rejected = log.lines().filter(|l| l.contains("Rejected")).count();
    say(&format!("forged/malformed/TTL-64 adverts: {rejected} rejection log line(s)"));
    for reason in ["AuthMismatch", "BadTtl", "TooShort"] {
        assert!(
            log.lines().any(|l| l.contains("Rejected") && l.contains(reason)),
            "no {reason} rejection logged:\n{log}"
        );
    }
    assert!(rejected >= 3, "{log}");

    // Control: the same advert with the right password and TTL 255 is obeyed (priority 254
    // beats 100), which shows the refused ones really reached the daemon.
    inject(&net, &good, 255, 3);
    assert!(
        wait_for(Duration::from_secs(5), || !holds(&net, &n1, vip)),
        "a valid better advert did not make ours backup:\n{}",
        ours.log()
    );
    net.signal(pid, Signal::SIGTERM).unwrap();
    assert!(wait_for(Duration::from_secs(10), || !net.is_running(pid)));
    // The totals logged at exit count every refusal, not only the logged 1st, 2nd, 4th….
    let log = ours.log();
    let totals = log.lines().find(|l| l.contains("totals:")).unwrap_or_default().to_owned();
    for reason in ["AuthMismatch", "BadTtl", "TooShort"] {
        assert!(totals.contains(&format!("{reason}=20")), "{reason} x20 in {totals}");
    }
}

#[test]
fn nopreempt_keeps_ours_backup_under_a_lower_real_master() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    if !real_keepalived_present(&net) {
        return;
    }
    let (n1, n2) = (net.node(0).clone(), net.node(1).clone());
    let vip = net.addr(76);
    let (mac1, mac2) = (mac(&net, &n1), mac(&net, &n2));
    let mut real = Keepalived::start(&n2, &conf("n2", "BACKUP", 99, vip, "")).expect("keepalived");
    let up = wait_for(Duration::from_secs(20), || vip_owner(&net, vip) == Some(mac2));
    assert!(up, "the real one never became master:\n{}", real.log_text());
    let text = conf("n1", "BACKUP", 100, vip, "")
        .replace("  advert_int 1\n", "  advert_int 1\n  nopreempt\n");
    let mut ours = Ours::new(&text);
    ours.start(&net, &n1);
    // Well past our master-down interval (3.6 s): a preempting 100 would have taken over.
    std::thread::sleep(Duration::from_secs(7));
    assert!(!holds(&net, &n1, vip), "nopreempt: ours took over:\n{}", ours.log());
    assert_eq!(vip_owner(&net, vip), Some(mac2));
    let t = Instant::now();
    real.stop().unwrap();
    let moved = wait_for(Duration::from_secs(10), || vip_owner(&net, vip) == Some(mac1));
    assert!(moved, "ours never took over after the real one stopped:\n{}", ours.log());
    say(&format!("nopreempt backup takes over on the master's stop after {:.2?}", t.elapsed()));
    if let Some(pid) = ours.pid.take() {
        net.signal(pid, Signal::SIGTERM).unwrap();
        assert!(wait_for(Duration::from_secs(10), || !net.is_running(pid)));
    }
}
