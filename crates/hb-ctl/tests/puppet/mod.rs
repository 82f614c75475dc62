//! Shared by the Puppet deployment tests: a two-node cluster whose nodes are hb-testnet
//! sandboxes (own network, UTS, mount and PID namespaces) chrooted into an overlay of this
//! machine's root whose writes go to a tmpfs. `puppet apply` there installs the package with
//! dpkg or apt (replacing Debian's heartbeat in that copy only), writes /etc/ha.d and starts
//! the daemon through the init script: systemd is not PID 1 there, so Puppet's `debian`
//! service provider and `service` use /etc/init.d/heartbeat. Nothing reaches the host;
//! everything goes with the namespaces.
//!
//! Needs root, `puppet` and `HB_DEB` = the package to install (`.ci/puppet-check.sh` builds it
//! and sets it); without them [`Cluster::new`] says why the test is skipped.

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

/// One node: a sandbox whose main process holds the mounts of its private root.
pub struct Node {
    /// Its place in the harness network (hostname n1, n2).
    pub host: Host,
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
    pub fn sh(&self, cmd: &str) -> Output {
        let full = format!("PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH; {cmd}");
        self.sandbox.exec(&["chroot", &self.root, "/bin/sh", "-c", &full]).expect("nsenter")
    }

    /// `puppet apply --detailed-exitcodes` of `manifest`: 0 no change, 2 changes, 4/6 failures.
    pub fn apply(&self, manifest: &str) -> (i32, String) {
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

    /// The trimmed standard output of a shell command in the chroot.
    pub fn stdout(&self, cmd: &str) -> String {
        String::from_utf8_lossy(&self.sh(cmd).stdout).trim().to_owned()
    }

    /// The running daemon's PID from its pid file ("" if none).
    pub fn daemon_pid(&self) -> String {
        self.stdout("cat /run/heartbeat.pid 2>/dev/null")
    }
}

/// Whether `host` has `vip` on its eth0.
pub fn holds(net: &Testnet, host: &Host, vip: &str) -> bool {
    let out = net.exec(host, &["ip", "-4", "-o", "addr", "show", "dev", "eth0"]).expect("ip");
    String::from_utf8_lossy(&out.stdout).contains(&format!(" {vip}/"))
}

/// The resource set in `cl_status rscstatus -m`'s sentence ("This node is holding X
/// resources."); the whole answer if it is not that sentence.
pub fn held(n: &Node) -> String {
    let answer = n.stdout("cl_status rscstatus -m");
    match answer.strip_prefix("This node is holding ").and_then(|r| r.strip_suffix(" resources.")) {
        Some(set) => set.to_owned(),
        None => answer,
    }
}

/// Polls `cond` until it holds; fails the test after [`SETTLE_TIMEOUT`].
pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out after {SETTLE_TIMEOUT:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Two sandboxed nodes (n1, n2) ready for `puppet apply`, and their network.
pub struct Cluster {
    /// The nodes; dropped before the network.
    pub nodes: Vec<Node>,
    /// The harness network.
    pub net: Testnet,
    _tmp: tempfile::TempDir,
}

impl Cluster {
    /// Builds the cluster, or `None` after printing why the environment cannot run it.
    pub fn new() -> Option<Cluster> {
        let Some(deb) = std::env::var_os("HB_DEB").map(PathBuf::from) else {
            skip("HB_DEB is not set (.ci/puppet-check.sh builds the .deb and sets it)");
            return None;
        };
        if std::process::Command::new("puppet").arg("--version").output().is_err() {
            skip("puppet is not installed");
            return None;
        }
        let net = skip_or(Testnet::new(2))?;
        let deb = deb.canonicalize().expect("HB_DEB exists");
        let module =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging/puppet/heartbeat_rs");
        let module = module.canonicalize().expect("module dir");
        let tmp = tempfile::tempdir().expect("tempdir");
        let nodes = (0..2)
            .map(|i| {
                let dir = tmp.path().join(format!("n{}", i + 1));
                Node::start(net.node(i), &dir, &deb, &module)
            })
            .collect();
        Some(Cluster { nodes, net, _tmp: tmp })
    }

    /// The cluster's virtual address.
    pub fn vip(&self) -> String {
        self.net.addr(50).to_string()
    }

    /// Whether node `i` holds the VIP.
    pub fn holds(&self, i: usize) -> bool {
        holds(&self.net, &self.nodes[i].host, &self.vip())
    }
}

fn skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}
