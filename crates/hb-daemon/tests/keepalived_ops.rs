//! The keepalived mode operated as keepalived is: SIGHUP reload (unchanged instances left
//! alone, changed ones re-configured, others added and removed, a broken file refused),
//! SIGUSR1/SIGUSR2/SIGJSON dumps, the admin socket and metrics, and the background start
//! without `-n` with its pid files. Both nodes run ours, in network namespaces.

#![allow(clippy::unwrap_used)] // test fixtures: a failed setup step should abort the test

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hb_api::{Client, Request, Response, Status};
use hb_testnet::peers::wait_for;
use hb_testnet::probe::{Mac, Prober};
use hb_testnet::{skip_or, Host, Testnet};
use nix::sys::signal::Signal;

fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn instance(name: &str, vrid: u8, prio: u8, vip: Ipv4Addr) -> String {
    format!(
        "vrrp_instance {name} {{\n  state BACKUP\n  interface eth0\n  virtual_router_id {vrid}\n  \
         priority {prio}\n  advert_int 1\n  authentication {{\n    auth_type PASS\n    \
         auth_pass ops\n  }}\n  virtual_ipaddress {{\n    {vip}/24 dev eth0\n  }}\n}}\n"
    )
}

/// Our daemon on one node, with its admin socket and dump directory of its own.
struct Node {
    dir: PathBuf,
    pid: Option<u32>,
}

impl Node {
    fn new(conf: &str) -> Node {
        let dir = tempfile::tempdir().unwrap().keep();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_heartbeat"), dir.join("keepalived"))
            .unwrap();
        std::fs::write(dir.join("keepalived.conf"), conf).unwrap();
        Node { dir, pid: None }
    }

    fn env(&self) -> String {
        let d = self.dir.to_str().unwrap();
        format!("HB_VRRP_API_SOCKET={d}/vrrp.sock HB_KEEPALIVED_DUMP_DIR={d}")
    }

    fn start(&mut self, net: &Testnet, host: &Host, extra: &str) {
        let d = self.dir.to_str().unwrap();
        let script = format!(
            "{} exec {d}/keepalived -n -l -D {extra} -f {d}/keepalived.conf -p {d}/k.pid \
             -r {d}/v.pid >>{d}/log 2>&1",
            self.env()
        );
        self.pid = Some(net.spawn_in(host, "/bin/sh", &["-c", &script]).unwrap());
    }

    fn write_conf(&self, text: &str) {
        std::fs::write(self.dir.join("keepalived.conf"), text).unwrap();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    fn status(&self) -> Status {
        self.try_status().expect("status from the admin socket")
    }

    fn try_status(&self) -> Option<Status> {
        let mut c = Client::connect(&self.dir.join("vrrp.sock"), Duration::from_secs(5)).ok()?;
        match c.request(&Request::Status).ok()? {
            Response::Status(s) => Some(*s),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn wait_log(&self, text: &str) -> bool {
        wait_for(Duration::from_secs(10), || self.log().contains(text))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if std::thread::panicking() {
            say(&format!("kept {} (log):\n{}", self.dir.display(), self.log()));
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn mac(net: &Testnet, host: &Host) -> Mac {
    net.mac_of(host).unwrap().parse().unwrap()
}

fn owner(net: &Testnet, vip: Ipv4Addr) -> Option<Mac> {
    net.arping_from_client(vip).ok().flatten().and_then(|m| m.parse().ok())
}

fn holds(net: &Testnet, host: &Host, vip: Ipv4Addr) -> bool {
    let out = net.exec(host, &["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).unwrap();
    String::from_utf8_lossy(&out.stdout).contains(&format!(" {vip}/"))
}

fn instance_of<'a>(s: &'a Status, name: &str) -> &'a hb_api::VrrpStatus {
    s.vrrp.iter().find(|v| v.name == name).unwrap_or_else(|| panic!("no {name} in {s:?}"))
}

#[test]
fn sighup_reload_leaves_unchanged_instances_alone_and_refuses_a_broken_file() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let (n1, n2) = (net.node(0).clone(), net.node(1).clone());
    let (a, b, c) = (net.addr(71), net.addr(72), net.addr(73));
    let (mac1, mac2) = (mac(&net, &n1), mac(&net, &n2));
    let port = 9000 + (std::process::id() % 500) as u16;
    let mut one = Node::new(&(instance("VI_1", 61, 100, a) + &instance("VI_2", 62, 100, b)));
    let mut two = Node::new(&(instance("VI_1", 61, 99, a) + &instance("VI_2", 62, 99, b)));
    one.start(&net, &n1, &format!("--metrics-listen 127.0.0.1:{port}"));
    two.start(&net, &n2, "");
    let up = wait_for(Duration::from_secs(20), || {
        owner(&net, a) == Some(mac1) && owner(&net, b) == Some(mac1)
    });
    assert!(up, "n1 never master of both:\n{}\nn2:\n{}", one.log(), two.log());
    let before = one.status();
    assert_eq!(before.vrrp.len(), 2);
    assert_eq!(instance_of(&before, "VI_1").state, "MASTER");
    assert_eq!(instance_of(&before, "VI_1").became_master, 1);
    assert_eq!(instance_of(&two.status(), "VI_2").state, "BACKUP");

    // The new file: VI_1 the same but further down behind a comment, VI_2 at priority 98
    // (below n2's 99: kept running, n2 preempts it), VI_3 new.
    let prober = Prober::start(&net, a).expect("prober");
    std::thread::sleep(Duration::from_millis(500));
    let reload_at = prober.now();
    let reloaded_at = Instant::now();
    one.write_conf(&format!(
        "# reloaded\n{}\n{}{}",
        instance("VI_2", 62, 98, b),
        instance("VI_1", 61, 100, a),
        instance("VI_3", 63, 100, c)
    ));
    net.signal(one.pid.unwrap(), Signal::SIGHUP).unwrap();
    assert!(
        one.wait_log(
            "Reload done: 1 instance(s) unchanged, 1 with a new priority, 0 re-configured, 1 \
             added, 0 removed"
        ),
        "{}",
        one.log()
    );
    let moved = wait_for(Duration::from_secs(15), || owner(&net, b) == Some(mac2));
    let added = wait_for(Duration::from_secs(15), || owner(&net, c) == Some(mac1));
    std::thread::sleep(Duration::from_secs(1));
    let log = prober.stop();
    say(&log.summary(log.default_threshold()));
    assert!(moved, "VI_2 (now 98) did not move to n2:\n{}\nn2:\n{}", one.log(), two.log());
    assert!(added, "VI_3 did not start on n1:\n{}", one.log());
    // VI_1: no owner change, no outage, no transition, through the reload.
    assert!(log.owner_changes().is_empty(), "{:?}", log.owner_changes());
    // A flapped address would leave the VIP unanswered for a master-down interval at least;
    // shorter gaps are the prober's own sending gaps on a loaded machine.
    let outage = log.longest_outage_after(reload_at, Duration::from_millis(500));
    assert!(
        outage.is_none(),
        "VI_1 unanswered across the reload: {:?}",
        outage.map(|o| o.duration)
    );
    assert!(log.last_reply_from(mac1).is_some());
    let after = one.status();
    let vi1 = instance_of(&after, "VI_1");
    assert_eq!((vi1.state.as_str(), vi1.became_master), ("MASTER", 1));
    assert!(
        vi1.since_ms >= reloaded_at.elapsed().as_millis() as u64,
        "VI_1's state is older than the reload: {} ms",
        vi1.since_ms
    );
    let vi2 = instance_of(&after, "VI_2");
    assert_eq!((vi2.state.as_str(), vi2.base_priority, vi2.priority), ("BACKUP", 98, 98));
    assert_eq!(vi2.released_master, 1, "VI_2 kept its engine: it left MASTER once, to n2");
    assert!(!one.log().contains("VRRP_Instance(VI_2) stopping"), "{}", one.log());
    assert_eq!(
        after.vrrp.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
        ["VI_2", "VI_1", "VI_3"]
    );
    let vi1_notes = one.log().matches("(VRRP_Instance(VI_1)) Entering MASTER").count();
    assert_eq!(vi1_notes, 1, "{}", one.log());

    // A broken file: refused with its file:line, everything keeps running as it was.
    let good = std::fs::read_to_string(one.dir.join("keepalived.conf")).unwrap();
    one.write_conf(&good.replacen("  priority 100\n", "  priority 100\n  bogus_keyword 1\n", 1));
    net.signal(one.pid.unwrap(), Signal::SIGHUP).unwrap();
    assert!(one.wait_log("reload refused, running configuration kept"), "{}", one.log());
    let conf = one.dir.join("keepalived.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let line = text.lines().position(|l| l.contains("bogus_keyword")).unwrap() + 1;
    let at = format!("{}:{line}:3: error: unknown keyword 'bogus_keyword'", conf.display());
    assert!(one.log().contains(&at), "wanted {at}:\n{}", one.log());
    std::thread::sleep(Duration::from_secs(2));
    let kept = one.status();
    assert_eq!(kept.vrrp.len(), 3);
    assert!(holds(&net, &n1, a) && holds(&net, &n1, c) && !holds(&net, &n1, b));
    assert_eq!(instance_of(&kept, "VI_1").became_master, 1);

    // Dumps, while VI_2 is backup and the others master.
    let pid = one.pid.unwrap();
    net.signal(pid, Signal::SIGUSR1).unwrap();
    net.signal(pid, Signal::SIGUSR2).unwrap();
    // SIGJSON is a real-time signal (SIGRTMIN+2), which nix's Signal cannot name.
    let json_sig =
        std::process::Command::new("kill").args(["-s", "36", &pid.to_string()]).status().unwrap();
    assert!(json_sig.success());
    let file = |n: &str| std::fs::read_to_string(one.dir.join(n)).unwrap_or_default();
    assert!(wait_for(Duration::from_secs(5), || !file("keepalived.json").is_empty()));
    let stats = file("keepalived.stats");
    assert_eq!(stats.matches("VRRP Instance: ").count(), 3, "{stats}");
    let vi1: Vec<&str> = stats.split("VRRP Instance: VI_1\n").nth(1).unwrap().lines().collect();
    assert_eq!(vi1[0], "  Advertisements:", "{stats}");
    let sent: u64 = vi1[2].strip_prefix("    Sent: ").unwrap().parse().unwrap();
    assert!(sent >= 3, "{stats}");
    assert_eq!(vi1[3], "  Became master: 1", "{stats}");
    let data = file("keepalived.data");
    assert!(
        data.contains(" VRRP Instance = VI_2\n   VRRP Version = 2\n   State = BACKUP\n"),
        "{data}"
    );
    assert!(data.contains(&format!("     {a}/24 dev eth0 scope global set")), "{data}");
    let json: serde_json::Value = serde_json::from_str(&file("keepalived.json")).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[1]["data"]["iname"], "VI_1");
    assert_eq!(json[1]["data"]["state"], 2);
    assert!(json[1]["stats"]["advert_sent"].as_u64().unwrap() >= 3, "{json}");

    // Metrics, scraped inside n1's namespace.
    let scrape = net
        .exec(&n1, &[
            "bash",
            "-c",
            &format!(
                "exec 3<>/dev/tcp/127.0.0.1/{port}; printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3; \
                 timeout 5 cat <&3"
            ),
        ])
        .unwrap();
    let text = String::from_utf8_lossy(&scrape.stdout);
    let vi1 = "vrrp_instance=\"VI_1\",interface=\"eth0\"";
    for line in [
        format!("heartbeat_vrrp_state{{{vi1},state=\"MASTER\"}} 1"),
        format!("heartbeat_vrrp_became_master_total{{{vi1}}} 1"),
        "heartbeat_vrrp_state{vrrp_instance=\"VI_2\",interface=\"eth0\",state=\"BACKUP\"} 1".into(),
    ] {
        assert!(text.lines().any(|l| l == line), "no {line}:\n{text}");
    }

    // VI_3 removed: its address goes, the others stay. VI_2 gets another address: a
    // re-configuration (stopped, started again; it stays backup under n2).
    let d = net.addr(76);
    one.write_conf(&format!("{}{}", instance("VI_2", 62, 98, d), instance("VI_1", 61, 100, a)));
    net.signal(pid, Signal::SIGHUP).unwrap();
    assert!(
        one.wait_log(
            "Reload done: 1 instance(s) unchanged, 0 with a new priority, 1 re-configured, 0 \
             added, 1 removed"
        ),
        "{}",
        one.log()
    );
    assert!(one.log().contains("VRRP_Instance(VI_2) stopping for the reload"), "{}", one.log());
    let vi2 = wait_for(Duration::from_secs(10), || {
        one.try_status().is_some_and(|s| {
            s.vrrp
                .iter()
                .any(|v| v.name == "VI_2" && v.state == "BACKUP" && v.vips == [format!("{d}/24")])
        })
    });
    assert!(vi2, "{:?}", one.try_status());
    assert!(wait_for(Duration::from_secs(5), || !holds(&net, &n1, c)), "VI_3's address stayed");
    assert!(holds(&net, &n1, a));
    assert_eq!(one.status().vrrp.len(), 2);

    net.signal(pid, Signal::SIGTERM).unwrap();
    assert!(wait_for(Duration::from_secs(10), || !net.is_running(pid)), "{}", one.log());
    let _ = two.pid.map(|p| net.signal(p, Signal::SIGTERM));
}

/// Kills a background daemon (not a harness child) by the PID its pid file names.
struct Background(i32);

impl Drop for Background {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.0);
        if nix::sys::signal::kill(pid, None).is_ok() {
            let _ = nix::sys::signal::kill(pid, Signal::SIGKILL);
        }
    }
}

#[test]
fn without_dont_fork_it_goes_to_the_background_with_both_pid_files() {
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    let n1 = net.node(0).clone();
    let node = Node::new(&instance("VI_1", 64, 100, net.addr(74)));
    let d = node.dir.to_str().unwrap().to_owned();
    let start = |extra: &str| {
        let script = format!(
            "{} exec {d}/keepalived {extra} -f {d}/keepalived.conf -p {d}/k.pid -r {d}/v.pid",
            node.env()
        );
        let out = net.exec(&n1, &["sh", "-c", &script]).unwrap();
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), text)
    };
    let started = Instant::now();
    let (code, text) = start("-D -G");
    say(&format!("the starter returned after {:.2?}", started.elapsed()));
    assert_eq!(code, Some(0), "{text}");
    let pid_of = |f: &str| -> i32 {
        std::fs::read_to_string(node.dir.join(f)).unwrap_or_default().trim().parse().unwrap_or(0)
    };
    let pid = pid_of("k.pid");
    let _guard = Background(pid);
    assert!(pid > 0, "no pid in k.pid");
    assert_eq!(pid_of("v.pid"), pid, "one process: both pid files name it");
    assert!(nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok());
    let sid = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = sid.rsplit(')').next().unwrap().split_whitespace().collect();
    assert_eq!(fields[3], pid.to_string(), "its own session (setsid): {sid}");
    let up = wait_for(Duration::from_secs(15), || {
        node.try_status().is_some_and(|s| s.vrrp.first().is_some_and(|v| v.state == "MASTER"))
    });
    assert!(
        up,
        "never master: alive {}, status {:?}",
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok(),
        node.try_status()
    );

    // A second start refuses, as keepalived does, and leaves the first one alone.
    let (code, text) = start("-G");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("already running"), "{text}");
    assert_eq!(pid_of("k.pid"), pid);

    // A broken file fails the start in the foreground, with the reason on stderr.
    std::fs::write(node.dir.join("bad.conf"), "vrrp_instance X {\n interface nosuch0\n").unwrap();
    let script = format!(
        "{} exec {d}/keepalived -G -f {d}/bad.conf -p {d}/k2.pid -r {d}/v2.pid",
        node.env().replace("vrrp.sock", "vrrp2.sock")
    );
    let out = net.exec(&n1, &["sh", "-c", &script]).unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("exited during start-up"), "{text}");

    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGTERM).unwrap();
    let gone = wait_for(Duration::from_secs(10), || {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err()
    });
    assert!(gone, "the background daemon did not stop on SIGTERM");
    assert!(!node.dir.join("k.pid").exists() && !node.dir.join("v.pid").exists());
}

#[test]
fn kill_9_leaves_no_vip_behind_the_crash_guardian_says_goodbye_and_removes_it() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let (n1, n2) = (net.node(0).clone(), net.node(1).clone());
    let vip = net.addr(75);
    let (mac1, mac2) = (mac(&net, &n1), mac(&net, &n2));
    let mut one = Node::new(&instance("VI_1", 65, 100, vip));
    let mut two = Node::new(&instance("VI_1", 65, 99, vip));
    one.start(&net, &n1, "");
    two.start(&net, &n2, "");
    let up = wait_for(Duration::from_secs(20), || owner(&net, vip) == Some(mac1));
    assert!(up, "n1 never master:\n{}", one.log());
    let prober = Prober::start(&net, vip).expect("prober");
    std::thread::sleep(Duration::from_millis(300));
    let kill_at = prober.now();
    let pid = one.pid.take().unwrap();
    net.signal(pid, Signal::SIGKILL).unwrap();
    let released = wait_for(Duration::from_secs(5), || !holds(&net, &n1, vip));
    let moved = wait_for(Duration::from_secs(15), || owner(&net, vip) == Some(mac2));
    std::thread::sleep(Duration::from_millis(500));
    let log = prober.stop();
    say(&log.summary(Duration::from_millis(50)));
    assert!(released, "the VIP stayed on n1 after kill -9:\n{}", one.log());
    assert!(one.log().contains("died without releasing its addresses: removed"), "{}", one.log());
    // The master's goodbye, sent by the guardian: n2 waits its skew time, not master-down.
    assert!(one.log().contains("priority-0 advert sent to 224.0.0.18 on eth0"), "{}", one.log());
    assert!(moved, "n2 never took over:\n{}", two.log());
    let first2 = log.first_reply_from(mac2, kill_at).expect("n2 answered").at;
    let last1 = log.last_reply_from(mac1).expect("n1 answered before").at;
    assert!(last1 < first2, "n1 answered after n2 took over (two holders)");
    say(&format!(
        "kill -9: n1 silent {:.3?} after the kill, n2 answers {:.3?} after it",
        last1.saturating_sub(kill_at),
        first2 - kill_at
    ));
    for line in one.log().lines().filter(|l| l.contains("died")) {
        say(line);
    }
    let _ = two.pid.map(|p| net.signal(p, Signal::SIGTERM));
}

#[test]
fn reload_leaves_an_unchanged_sync_group_and_its_notify_alone() {
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    let n1 = net.node(0).clone();
    let (a, b) = (net.addr(77), net.addr(78));
    let mut node = Node::new("");
    let d = node.dir.to_str().unwrap().to_owned();
    let script = node.dir.join("group.sh");
    std::fs::write(&script, format!("#!/bin/sh\necho \"$@\" >> {d}/group.notes\n")).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let conf = format!(
        "global_defs {{\n  enable_script_security\n  script_user root\n}}\n\
         vrrp_sync_group G {{\n  group {{\n    VI_1\n    VI_2\n  }}\n  notify {}\n}}\n{}{}",
        script.display(),
        instance("VI_1", 66, 100, a),
        instance("VI_2", 67, 100, b)
    );
    node.write_conf(&conf);
    node.start(&net, &n1, "");
    let notes = || std::fs::read_to_string(node.dir.join("group.notes")).unwrap_or_default();
    let master = wait_for(Duration::from_secs(20), || notes().contains("GROUP G MASTER"));
    assert!(master, "group never MASTER: {:?}\n{}", notes(), node.log());
    std::thread::sleep(Duration::from_millis(500));
    let before = notes();
    node.write_conf(&format!("# comment\n{conf}"));
    net.signal(node.pid.unwrap(), Signal::SIGHUP).unwrap();
    assert!(
        node.wait_log(
            "Reload done: 2 instance(s) unchanged, 0 with a new priority, 0 re-configured, 0 \
             added, 0 removed"
        ),
        "{}",
        node.log()
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(notes(), before, "the group's notify ran again after an unchanged reload");
    assert_eq!(before.lines().filter(|l| l.contains("MASTER")).count(), 1, "{before}");
    let s = node.status();
    assert!(s.vrrp.iter().all(|v| v.state == "MASTER" && v.became_master == 1), "{s:?}");
}

#[test]
fn dont_release_vrrp_keeps_the_addresses_on_sigterm_and_the_guardian_stands_down() {
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    let n1 = net.node(0).clone();
    let vip = net.addr(79);
    let mut node = Node::new(&instance("VI_1", 68, 100, vip));
    node.start(&net, &n1, "-V");
    let up = wait_for(Duration::from_secs(20), || holds(&net, &n1, vip));
    assert!(up, "never master:\n{}", node.log());
    let pid = node.pid.take().unwrap();
    net.signal(pid, Signal::SIGTERM).unwrap();
    assert!(wait_for(Duration::from_secs(10), || !net.is_running(pid)), "{}", node.log());
    assert!(node.log().contains("keeps its addresses (--dont-release-vrrp)"), "{}", node.log());
    std::thread::sleep(Duration::from_secs(1));
    assert!(holds(&net, &n1, vip), "-V: the address must stay after the stop");
    assert!(!node.log().contains("died without releasing"), "{}", node.log());
}
