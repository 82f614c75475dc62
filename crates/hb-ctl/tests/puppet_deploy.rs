//! Deploys a two-node cluster with the Puppet module (`packaging/puppet/heartbeat_rs`) and the
//! locally built .deb, the way the seed's Puppet recipe deploys heartbeat.
//!
//! Each node is an hb-testnet sandbox (its own network, UTS, mount and PID namespaces) chrooted
//! into an overlay of this machine's root whose writes go to a tmpfs: `puppet apply` installs
//! the package with dpkg (replacing Debian's heartbeat in that copy only), writes /etc/ha.d and
//! starts the daemon through the init script, Puppet's `debian` service provider, since systemd
//! is not PID 1 there. Nothing reaches the host; everything goes with the namespaces.
//!
//! Needs root, `puppet` and `HB_DEB` = the package to install (`.ci/puppet-check.sh` builds it
//! and sets it); without them the test prints why it is skipped and passes.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use hb_testnet::sandbox::Sandbox;
use hb_testnet::{skip_or, Host, Testnet};

/// Generous: a `puppet apply` on a busy 2-core machine takes 10-30 s.
const APPLY_TIMEOUT: Duration = Duration::from_secs(240);
/// Start-up (nodes starting together wait up to 10 s before taking groups) plus slack.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Mounts the node's private copy of the machine and waits; argv: SCRATCH DEB MODULE READY.
const SETUP: &str = r#"set -e
s=$1; deb=$2; module=$3; ready=$4
mount -t tmpfs -o size=1g,mode=0755 hb-puppet "$s"
mkdir "$s/upper" "$s/work" "$s/root"
r=$s/root
mount -t overlay overlay -o "lowerdir=/,upperdir=$s/upper,workdir=$s/work" "$r"
mount --rbind /dev "$r/dev"
mount -t sysfs sysfs "$r/sys"
mount -t proc proc "$r/proc"
# No /run/systemd/system: `service` and the maintainer scripts see a host without systemd.
mount -t tmpfs -o mode=0755 run "$r/run"
mount -t tmpfs -o mode=1777 tmp "$r/tmp"
cp "$deb" "$r/tmp/heartbeat-rs.deb"
mkdir "$r/tmp/modules"
cp -r "$module" "$r/tmp/modules/heartbeat_rs"
# Facter resolves this host's name; without this it waits on DNS that this network lacks.
echo "127.0.1.1 $(hostname)" >> "$r/etc/hosts"
echo "$r" > "$ready"
exec sleep infinity
"#;

struct Node {
    host: Host,
    sandbox: Sandbox,
    root: String,
}

impl Node {
    fn start(host: &Host, dir: &Path, deb: &Path, module: &Path) -> Node {
        let scratch = dir.join("fs");
        std::fs::create_dir_all(&scratch).expect("scratch dir");
        let ready = dir.join("ready");
        let argv: Vec<String> = ["sh", "-c", SETUP, "setup"]
            .iter()
            .map(|s| s.to_string())
            .chain([&scratch, deb, module, &ready].iter().map(|p| p.display().to_string()))
            .collect();
        let sandbox = Sandbox::start(host, &dir.join("sandbox"), &[], &argv, &dir.join("console"))
            .expect("sandbox");
        let deadline = Instant::now() + Duration::from_secs(30);
        let root = loop {
            if let Ok(text) = std::fs::read_to_string(&ready) {
                break text.trim().to_owned();
            }
            let console = std::fs::read_to_string(dir.join("console")).unwrap_or_default();
            assert!(
                Instant::now() < deadline,
                "{}: setup did not finish: {console}",
                host.hostname
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Node { host: host.clone(), sandbox, root }
    }

    /// Runs a shell command in the node's chroot.
    fn sh(&self, cmd: &str) -> Output {
        let full = format!("PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH; {cmd}");
        self.sandbox.exec(&["chroot", &self.root, "/bin/sh", "-c", &full]).expect("nsenter")
    }

    /// `puppet apply --detailed-exitcodes` of `manifest`: 0 no change, 2 changes, 4/6 failures.
    fn apply(&self, manifest: &str) -> (i32, String) {
        let cmd = "timeout -s KILL $0 puppet apply --detailed-exitcodes --color=false \
                   --modulepath /tmp/modules -e \"$1\" 2>&1";
        let out = self
            .sandbox
            .exec(&[
                "chroot",
                &self.root,
                "/bin/sh",
                "-c",
                &format!("PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH; {cmd}"),
                &APPLY_TIMEOUT.as_secs().to_string(),
                manifest,
            ])
            .expect("nsenter");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.code().unwrap_or(-1), text)
    }

    fn stdout(&self, cmd: &str) -> String {
        String::from_utf8_lossy(&self.sh(cmd).stdout).trim().to_owned()
    }

    fn daemon_pid(&self) -> String {
        self.stdout("cat /run/heartbeat.pid 2>/dev/null")
    }
}

fn holds(net: &Testnet, host: &Host, vip: &str) -> bool {
    let out = net.exec(host, &["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).expect("ip");
    String::from_utf8_lossy(&out.stdout).contains(&format!(" {vip}/"))
}

/// The resource set in `cl_status rscstatus -m`'s sentence ("This node is holding X
/// resources."); the whole answer if it is not that sentence.
fn held(n: &Node) -> String {
    let answer = n.stdout("cl_status rscstatus -m");
    match answer.strip_prefix("This node is holding ").and_then(|r| r.strip_suffix(" resources.")) {
        Some(set) => set.to_owned(),
        None => answer,
    }
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out after {SETTLE_TIMEOUT:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The class declaration both nodes apply, as the seed's site manifest would.
fn manifest(net: &Testnet, vip: &str, deadtime: &str) -> String {
    let (a, b) = (net.node(0).ip, net.node(1).ip);
    format!(
        "class {{ 'heartbeat_rs':
           nodes            => ['n1', 'n2'],
           media            => [{{ type => 'ucast', interface => 'eth0', peer => '{a}' }},
                                {{ type => 'ucast', interface => 'eth0', peer => '{b}' }}],
           keepalive        => '200ms',
           warntime         => 1,
           deadtime         => {deadtime},
           initdead         => 4,
           auto_failback    => 'on',
           auth_key         => Sensitive('puppet-deployed-secret'),
           groups           => [{{ 'node' => 'n1', 'resources' => ['IPaddr::{vip}/24/eth0'] }}],
           package_source   => '/tmp/heartbeat-rs.deb',
           service_provider => 'debian',
         }}"
    )
}

fn skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

#[test]
fn puppet_deploys_a_pair_that_fails_over_and_reloads() {
    let Some(deb) = std::env::var_os("HB_DEB").map(PathBuf::from) else {
        return skip("HB_DEB is not set (.ci/puppet-check.sh builds the .deb and sets it)");
    };
    if std::process::Command::new("puppet").arg("--version").output().is_err() {
        return skip("puppet is not installed");
    }
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let deb = deb.canonicalize().expect("HB_DEB exists");
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging/puppet/heartbeat_rs");
    let module = module.canonicalize().expect("module dir");
    let tmp = tempfile::tempdir().expect("tempdir");
    let nodes: Vec<Node> = (0..2)
        .map(|i| Node::start(net.node(i), &tmp.path().join(format!("n{}", i + 1)), &deb, &module))
        .collect();
    let vip = net.addr(50).to_string();
    let site = manifest(&net, &vip, "2");

    // First run: package, files, service.
    for n in &nodes {
        let (code, log) = n.apply(&site);
        assert_eq!(code, 2, "{}: first apply should change things:\n{log}", n.host.hostname);
        assert_eq!(n.stdout("stat -c %a /etc/ha.d/authkeys"), "600");
        assert_eq!(n.stdout("dpkg-query -W -f='${Status}' heartbeat-rs"), "install ok installed");
        assert!(!log.contains("puppet-deployed-secret"), "the key leaked into the log:\n{log}");
    }
    wait_for("the VIP on n1", || holds(&net, &nodes[0].host, &vip));
    assert!(!holds(&net, &nodes[1].host, &vip), "both nodes hold the VIP");
    // heartbeat's sentence; n1 holds its own ("local") group, n2 no group of n1's ("foreign").
    assert!(["local", "all"].contains(&held(&nodes[0]).as_str()), "{}", held(&nodes[0]));
    assert!(["none", "local"].contains(&held(&nodes[1]).as_str()), "{}", held(&nodes[1]));
    println!(
        "first apply: VIP {vip} on n1; cl_status rscstatus -m: n1 holding {}, n2 holding {}",
        held(&nodes[0]),
        held(&nodes[1])
    );

    // Second run: nothing to do.
    for n in &nodes {
        let (code, log) = n.apply(&site);
        assert_eq!(code, 0, "{}: second apply should change nothing:\n{log}", n.host.hostname);
    }
    println!("second apply: no change on either node");

    // A changed timer: applied with a reload (same daemon process), not a restart.
    let pids: Vec<String> = nodes.iter().map(Node::daemon_pid).collect();
    assert!(pids.iter().all(|p| !p.is_empty()), "daemon pids: {pids:?}");
    let changed = manifest(&net, &vip, "3");
    for n in &nodes {
        let (code, log) = n.apply(&changed);
        assert_eq!(code, 2, "{}: changed timer should apply:\n{log}", n.host.hostname);
        assert!(log.contains("Triggered 'refresh'"), "{}: no reload:\n{log}", n.host.hostname);
    }
    for (n, pid) in nodes.iter().zip(&pids) {
        wait_for("deadtime 3 in the running daemon", || {
            n.stdout("cl_status hbparameter -p deadtime") == "3"
        });
        assert_eq!(&n.daemon_pid(), pid, "{}: the daemon was restarted", n.host.hostname);
    }
    wait_for("the VIP back on n1 after the reload", || holds(&net, &nodes[0].host, &vip));
    println!("changed deadtime 2 -> 3: applied by reload, daemon pids unchanged {pids:?}");

    // A bad parameter that Puppet's types accept (deadtime 300ms is not above twice keepalive)
    // fails hbctl check-config in validate_cmd; the running daemon keeps its files and config.
    let before = nodes[0].stdout("cat /etc/ha.d/ha.cf");
    let bad = manifest(&net, &vip, "'300ms'");
    let (code, log) = nodes[0].apply(&bad);
    assert!(code & 4 != 0, "a bad deadtime should fail the run (code {code}):\n{log}");
    assert!(
        log.contains("hbctl check-config") && log.contains("deadtime ("),
        "the failure should come from check-config and name the setting:\n{log}"
    );
    assert_eq!(nodes[0].stdout("cat /etc/ha.d/ha.cf"), before, "ha.cf changed");
    assert_eq!(nodes[0].stdout("cl_status hbparameter -p deadtime"), "3");
    assert_eq!(nodes[0].daemon_pid(), pids[0]);
    assert!(holds(&net, &nodes[0].host, &vip), "n1 lost the VIP after a refused change");
    println!("bad deadtime 300ms: run failed in validation, ha.cf and the daemon untouched");

    // Stopping the primary (as the seed does: service heartbeat stop) moves the VIP.
    let out = nodes[0].sh("service heartbeat stop");
    assert!(out.status.success(), "stop: {}", String::from_utf8_lossy(&out.stderr));
    wait_for("the VIP on n2", || holds(&net, &nodes[1].host, &vip));
    assert!(!holds(&net, &nodes[0].host, &vip), "n1 kept the VIP after stopping");
    assert!(["foreign", "all"].contains(&held(&nodes[1]).as_str()), "{}", held(&nodes[1]));
    println!("service heartbeat stop on n1: VIP moved to n2 (holding {})", held(&nodes[1]));
}
