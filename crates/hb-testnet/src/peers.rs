//! Reference daemons in node namespaces: Debian's heartbeat 3.0.6 ([`RealHeartbeat`]) and
//! keepalived 2.2.7 ([`Keepalived`]), each in its own [`Sandbox`] with private state.
//!
//! Contract: each daemon runs in a node's network namespace with host name `Host::hostname`
//! (heartbeat insists that `uname -n` is a `node` of ha.cf) and with private bind mounts of a
//! per-instance directory under the system temp dir, so two daemons on one machine never share
//! a file and the host's `/etc`, `/run`, `/var/lib/heartbeat` and `/var/log` are never
//! touched. Dropping the value kills every process of the daemon and removes the directory
//! (kept, with its path printed, when the thread is panicking or `HB_TESTNET_KEEP` is set).
//!
//! Facts learnt from the installed packages (Debian 12, heartbeat 1:3.0.6-13, keepalived
//! 1:2.2.7-1):
//! - The binary is `/usr/libexec/heartbeat/heartbeat` (not on `PATH`); `-f` keeps the master
//!   control process in the foreground, `-k` asks a running one to stop and returns once it
//!   has (about 3 s with one IPaddr group: resources are released, then the children are
//!   sent SIGTERM). The pid file is `/run/heartbeat.pid` (right-aligned in a 10-wide field).
//!   Paths it uses: `/etc/ha.d/{ha.cf,haresources,authkeys,harc,rc.d,resource.d,shellfuncs}`
//!   (`shellfuncs` comes from resource-agents), `/var/lib/heartbeat/{hb_uuid,hb_generation,
//!   hostcache,delhostcache,fifo}`, `/run/heartbeat/` (API sockets, `rsctmp`), and resource
//!   agents use `/run/resource-agents` and `/usr/lib/ocf/resource.d/heartbeat/IPaddr`, which
//!   runs `/usr/libexec/heartbeat/send_arp -i 500 -r 10` in the background (10 ARPs, 500 ms
//!   apart) and adds the VIP as label `eth0:0`. Admin tools: `/usr/bin/cl_status`,
//!   `/usr/share/heartbeat/hb_standby`, `/usr/share/heartbeat/hb_takeover` (they write to the
//!   FIFO `/var/lib/heartbeat/fifo`).
//! - Processes: master control process, then `FIFO reader`, and one `write:` and one `read:`
//!   child per medium (`heartbeat: write: bcast eth0`). After SIGKILL of the master the
//!   children are orphaned and exit by themselves within ~2 s (resource scripts still running,
//!   e.g. IPaddr's `send_arp`, go on); the VIP stays configured, so the node's kernel keeps
//!   answering ARP for it. The peer reports the node `dead` ~2.1-2.3 s after the kill with
//!   keepalive 200ms / deadtime 2, and the VIP answers from the peer ~2.3-2.7 s after it.
//! - In this container `mlockall` fails ("ERROR: Cannot lock ourselves into memory") even with
//!   `ulimit -l unlimited`; heartbeat carries on. Realtime scheduling needs no change, no `-l`.
//!   It warns "udpport setting must precede media statements" on the console even when it
//!   does (it parses ha.cf twice); harmless.
//! - The `bcast` medium sends to the interface's broadcast address; an address added without
//!   `brd +` has none and the nodes never hear each other (split brain).
//! - Start-up: media are up ~0.1-0.3 s after exec. `cl_status` fails (API not served) until
//!   the node is active: a peer heard, or `initdead` passed when alone. With both nodes up,
//!   they see each other within one keepalive, but resources are taken only ~10 s later
//!   (rscstatus "transition" meanwhile; hb_standby asked then is not honoured as asked).
//! - `cl_status` output and exit codes: `hbstatus` → "Heartbeat is running on this machine."
//!   (0) / "Heartbeat is stopped on this machine." (1); `nodestatus N` → "active" (0),
//!   "dead" (1), unknown node → stderr "Error. May be due to incorrect node name" (11);
//!   `listnodes` → one name per line; `rscstatus` → "transition", "all", "local", "foreign"
//!   or "none" (settled two-node v1 cluster, group of n1: both "local"; after
//!   `hb_standby` on n1: n1 "none", n2 "all"; after `hb_takeover` on n1: n1 "all", n2 "none");
//!   `hblinkstatus N eth0` → "up" (0) / "dead" (1); `nodetype N` → "normal".
//!   `hb_standby` prints `"<date> Going standby [all]."` on stderr and exits 0; `hb_takeover`
//!   prints nothing.
//! - keepalived: `-n` keeps the parent in the foreground, which forks the VRRP child. If the
//!   parent is SIGKILLed, the VRRP child notices, sends a priority-0 advert and removes its
//!   VIPs (a graceful hand-over, not a crash): the backup (priority 100, advert_int 1) answers
//!   ~0.61 s later (its skew time). Use [`Keepalived::crash`] for a crash. A node with `state
//!   MASTER` first enters BACKUP and becomes master after ~3 × advert_int.

use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::sandbox::{NsProcess, Sandbox};
use crate::{Host, Result, TestnetError};

/// The heartbeat daemon binary.
pub const HEARTBEAT_BIN: &str = "/usr/libexec/heartbeat/heartbeat";
/// heartbeat's status tool.
pub const CL_STATUS: &str = "/usr/bin/cl_status";
/// heartbeat's standby script.
pub const HB_STANDBY: &str = "/usr/share/heartbeat/hb_standby";
/// heartbeat's takeover script.
pub const HB_TAKEOVER: &str = "/usr/share/heartbeat/hb_takeover";
/// The keepalived binary.
pub const KEEPALIVED_BIN: &str = "/usr/sbin/keepalived";

/// How long `start` waits for a daemon to answer.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long `stop` waits for a daemon to exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

static SEQ: AtomicU32 = AtomicU32::new(0);

/// Output of a command run inside a daemon's namespaces: `(stdout, stderr, exit code)`; the
/// code is -1 if it was killed by a signal.
pub type CmdOutput = (String, String, i32);

/// Configuration files of one heartbeat node.
#[derive(Debug, Clone, Default)]
pub struct HeartbeatConfig {
    /// `ha.cf`. If it has no `logfile` line, one pointing at the instance's `ha-log` is
    /// appended (read it with [`RealHeartbeat::log_text`]).
    pub ha_cf: String,
    /// `haresources`.
    pub haresources: String,
    /// `authkeys` (written with mode 0600, as heartbeat requires).
    pub authkeys: String,
    /// Extra scripts for `/etc/ha.d/resource.d`: `(file name, contents)`, mode 0755.
    pub resource_scripts: Vec<(String, String)>,
}

/// Debian's heartbeat 3.0.6 running on one node; see the module doc.
#[derive(Debug)]
pub struct RealHeartbeat {
    daemon: Daemon,
}

impl RealHeartbeat {
    /// Writes the configuration into a fresh private `/etc/ha.d` (a copy of the installed
    /// one), starts `heartbeat -f` on `host`, and returns once its media are up (a
    /// `heartbeat: read:` child exists; ~0.1 s). Fails with the log text if heartbeat exits
    /// (e.g. a configuration error). Use [`wait_active`](Self::wait_active) to wait for
    /// `cl_status` to answer.
    pub fn start(host: &Host, cfg: &HeartbeatConfig) -> Result<RealHeartbeat> {
        let daemon = Daemon::new(host, "heartbeat")?;
        let dir = daemon.dir.clone();
        let etc = dir.join("etc");
        copy_tree(Path::new("/etc/ha.d"), &etc)?;
        let mut ha_cf = cfg.ha_cf.clone();
        if !ha_cf.lines().any(|l| l.trim_start().starts_with("logfile")) {
            if !ha_cf.ends_with('\n') && !ha_cf.is_empty() {
                ha_cf.push('\n');
            }
            ha_cf.push_str(&format!("logfile {}\n", dir.join("ha-log").display()));
        }
        write_mode(&etc.join("ha.cf"), &ha_cf, 0o644)?;
        write_mode(&etc.join("haresources"), &cfg.haresources, 0o644)?;
        write_mode(&etc.join("authkeys"), &cfg.authkeys, 0o600)?;
        for (name, text) in &cfg.resource_scripts {
            write_mode(&etc.join("resource.d").join(name), text, 0o755)?;
        }
        // Persistent state starts as the package ships it: the directories, no files.
        copy_dirs_only(Path::new("/var/lib/heartbeat"), &dir.join("varlib"))?;
        std::fs::create_dir_all(dir.join("log"))?;
        let mut hb = RealHeartbeat { daemon };
        hb.launch()?;
        Ok(hb)
    }

    /// Starts heartbeat again after [`stop`](Self::stop), [`kill9`](Self::kill9) or
    /// [`crash`](Self::crash), like a reboot: `/run` is emptied, `/var/lib/heartbeat`
    /// (UUID, generation) and `/etc/ha.d` are kept. Any process still running is killed first.
    pub fn restart(&mut self) -> Result<()> {
        self.daemon.kill_all();
        self.launch()
    }

    fn launch(&mut self) -> Result<()> {
        let dir = self.daemon.dir.clone();
        let run = dir.join("run");
        let _ = std::fs::remove_dir_all(&run);
        let uid = nix::unistd::User::from_name("hacluster").ok().flatten().map(|u| u.uid.as_raw());
        let gid = nix::unistd::Group::from_name("haclient").ok().flatten().map(|g| g.gid.as_raw());
        for sub in ["heartbeat/ccm", "heartbeat/crm", "heartbeat/dopd", "crm"] {
            std::fs::create_dir_all(run.join(sub))?;
        }
        for sub in ["heartbeat", "heartbeat/ccm", "heartbeat/crm", "heartbeat/dopd", "crm"] {
            let p = run.join(sub);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o750))?;
            chown(&p, uid, gid)?;
        }
        for sub in ["resource-agents", "lock"] {
            std::fs::create_dir_all(run.join(sub))?;
        }
        let binds = [
            (dir.join("etc"), PathBuf::from("/etc/ha.d")),
            (dir.join("varlib"), PathBuf::from("/var/lib/heartbeat")),
            (dir.join("log"), PathBuf::from("/var/log")),
            (run, PathBuf::from("/run")),
        ];
        self.daemon.launch(&binds, &[HEARTBEAT_BIN.to_string(), "-f".to_string()])?;
        // Ready once a medium's read child exists: packets flow from then on. (`cl_status
        // hbstatus` fails until the node is active, i.e. until a peer is heard or `initdead`
        // has passed; waiting for it would hide the "starting alone" phase from the test.)
        let ready = wait_for(READY_TIMEOUT, || {
            !self.daemon.main_running()
                || self.processes().iter().any(|p| p.cmdline.starts_with("heartbeat: read:"))
        });
        if !ready || !self.daemon.main_running() {
            return Err(TestnetError::Peer(format!(
                "heartbeat on {} did not come up (console: {}) log:\n{}",
                self.daemon.host.hostname,
                self.daemon.console_text(),
                self.log_text()
            )));
        }
        Ok(())
    }

    /// Waits until `cl_status hbstatus` reports heartbeat running (it does once the node is
    /// active: a peer was heard or `initdead` passed); false on timeout.
    pub fn wait_active(&self, timeout: Duration) -> bool {
        wait_for(timeout, || self.cl_status(&["hbstatus"]).is_ok_and(|(_, _, code)| code == 0))
    }

    /// The node it runs on.
    pub fn host(&self) -> &Host {
        &self.daemon.host
    }

    /// Its private directory (`etc/` = /etc/ha.d, `varlib/`, `run/`, `ha-log`, `console.log`).
    pub fn dir(&self) -> &Path {
        &self.daemon.dir
    }

    /// PID (caller's namespace) of the master control process while it runs.
    pub fn master_pid(&self) -> Option<u32> {
        self.daemon.main_pid()
    }

    /// Whether the master control process runs.
    pub fn is_running(&self) -> bool {
        self.daemon.main_running()
    }

    /// Every live process of this instance except the sandbox's PID 1 (heartbeat's master,
    /// children, resource scripts).
    pub fn processes(&self) -> Vec<NsProcess> {
        self.daemon.processes()
    }

    /// SIGKILL of the master control process only, as an operator's `kill -9` would; its
    /// children are orphaned and left alone (they are killed on drop or restart). The VIP
    /// stays configured in the node's namespace.
    pub fn kill9(&self) -> Result<()> {
        self.daemon.kill9()
    }

    /// SIGKILL of every heartbeat process (and resource script) at once.
    pub fn crash(&mut self) {
        self.daemon.kill_all();
    }

    /// Graceful stop: runs `heartbeat -k` in the node's namespaces (resources are released)
    /// and returns once the master has exited; leftovers are then killed.
    pub fn stop(&mut self) -> Result<()> {
        if !self.is_running() {
            self.daemon.kill_all();
            return Ok(());
        }
        let (_, err, code) = self.exec(&[HEARTBEAT_BIN, "-k"])?;
        let gone = wait_for(STOP_TIMEOUT, || !self.is_running());
        self.daemon.kill_all();
        if code != 0 || !gone {
            return Err(TestnetError::Peer(format!(
                "heartbeat -k: exit {code}, exited: {gone}: {err}"
            )));
        }
        Ok(())
    }

    /// Runs `cl_status args…` in the node's namespaces.
    pub fn cl_status(&self, args: &[&str]) -> Result<CmdOutput> {
        let mut argv = vec![CL_STATUS];
        argv.extend_from_slice(args);
        self.exec(&argv)
    }

    /// Runs `hb_standby [arg]` (`all`, `foreign`, `local`, `failback`; empty = no argument).
    pub fn hb_standby(&self, arg: &str) -> Result<CmdOutput> {
        self.exec(&script_argv(HB_STANDBY, arg))
    }

    /// Runs `hb_takeover [arg]` (`all`, `foreign`, `local`, `failback`; empty = no argument).
    pub fn hb_takeover(&self, arg: &str) -> Result<CmdOutput> {
        self.exec(&script_argv(HB_TAKEOVER, arg))
    }

    /// Runs any command in the node's namespaces (private mounts, host name, PID namespace).
    pub fn exec(&self, argv: &[&str]) -> Result<CmdOutput> {
        self.daemon.exec(argv)
    }

    /// Contents of heartbeat's log file (`ha-log` unless ha.cf names another `logfile`).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.daemon.dir.join("ha-log")).unwrap_or_default()
    }

    /// What heartbeat and the sandbox wrote to standard output and error.
    pub fn console_text(&self) -> String {
        self.daemon.console_text()
    }
}

/// keepalived 2.2.7 running on one node; see the module doc.
#[derive(Debug)]
pub struct Keepalived {
    daemon: Daemon,
    conf: PathBuf,
    /// The program started (argv[0] named `keepalived`).
    program: PathBuf,
    /// The log line that says it is up.
    ready: &'static str,
}

impl Keepalived {
    /// Starts `keepalived -n -l -D -G -f <conf>` with pid files in a private `/run` and
    /// returns once it logs "Startup complete".
    pub fn start(host: &Host, config: &str) -> Result<Keepalived> {
        Keepalived::start_program(host, config, Path::new(KEEPALIVED_BIN), "Startup complete")
    }

    /// Like [`Keepalived::start`] with another `keepalived` program (heartbeat-rs's keepalived
    /// mode: a link named `keepalived` to the heartbeat binary), up once it logs `ready`.
    pub fn start_program(
        host: &Host,
        config: &str,
        program: &Path,
        ready: &'static str,
    ) -> Result<Keepalived> {
        let daemon = Daemon::new(host, "keepalived")?;
        let conf = daemon.dir.join("keepalived.conf");
        write_mode(&conf, config, 0o644)?;
        let mut k = Keepalived { daemon, conf, program: program.to_path_buf(), ready };
        k.launch()?;
        Ok(k)
    }

    /// Starts keepalived again after a stop, kill or crash (killing leftovers first).
    pub fn restart(&mut self) -> Result<()> {
        self.daemon.kill_all();
        self.launch()
    }

    fn launch(&mut self) -> Result<()> {
        let run = self.daemon.dir.join("run");
        let _ = std::fs::remove_dir_all(&run);
        std::fs::create_dir_all(&run)?;
        let program = self.program.to_string_lossy().into_owned();
        let argv: Vec<String> = [
            program.as_str(),
            "-n",
            "-l",
            "-D",
            "-G",
            "-f",
            &self.conf.to_string_lossy(),
            "-p",
            "/run/keepalived.pid",
            "-r",
            "/run/keepalived_vrrp.pid",
            "-c",
            "/run/keepalived_checkers.pid",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        self.daemon.launch(&[(run, PathBuf::from("/run"))], &argv)?;
        let ready = wait_for(READY_TIMEOUT, || {
            !self.daemon.main_running() || self.log_text().contains(self.ready)
        });
        if !ready || !self.daemon.main_running() {
            return Err(TestnetError::Peer(format!(
                "keepalived on {} did not come up:\n{}",
                self.daemon.host.hostname,
                self.log_text()
            )));
        }
        Ok(())
    }

    /// The node it runs on.
    pub fn host(&self) -> &Host {
        &self.daemon.host
    }

    /// Its private directory.
    pub fn dir(&self) -> &Path {
        &self.daemon.dir
    }

    /// PID (caller's namespace) of the keepalived parent process while it runs.
    pub fn main_pid(&self) -> Option<u32> {
        self.daemon.main_pid()
    }

    /// Whether the keepalived parent process runs.
    pub fn is_running(&self) -> bool {
        self.daemon.main_running()
    }

    /// Every live process of this instance except the sandbox's PID 1.
    pub fn processes(&self) -> Vec<NsProcess> {
        self.daemon.processes()
    }

    /// SIGKILL of the parent process only (its VRRP child then releases the VIP gracefully).
    pub fn kill9(&self) -> Result<()> {
        self.daemon.kill9()
    }

    /// SIGKILL of every keepalived process at once; the VIP stays configured.
    pub fn crash(&mut self) {
        self.daemon.kill_all();
    }

    /// Graceful stop: SIGTERM to the parent, returns once it has exited.
    pub fn stop(&mut self) -> Result<()> {
        let sent = self.daemon.signal_main(Signal::SIGTERM)?;
        let gone = !sent || wait_for(STOP_TIMEOUT, || !self.is_running());
        self.daemon.kill_all();
        if !gone {
            return Err(TestnetError::Peer("keepalived did not exit after SIGTERM".into()));
        }
        Ok(())
    }

    /// Runs any command in the node's namespaces.
    pub fn exec(&self, argv: &[&str]) -> Result<CmdOutput> {
        self.daemon.exec(argv)
    }

    /// keepalived's log (it logs to the console with `-l`).
    pub fn log_text(&self) -> String {
        self.daemon.console_text()
    }
}

/// Polls `done` every 20 ms until it returns true (→ true) or `timeout` passes (→ false).
pub fn wait_for(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What both daemons share: a node, a private directory and the current sandbox.
#[derive(Debug)]
struct Daemon {
    host: Host,
    dir: PathBuf,
    sandbox: Option<Sandbox>,
}

impl Daemon {
    fn new(host: &Host, kind: &str) -> Result<Daemon> {
        let seq = SEQ.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("{}-{kind}-{seq}", host.netns));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Daemon { host: host.clone(), dir, sandbox: None })
    }

    fn launch(&mut self, binds: &[(PathBuf, PathBuf)], argv: &[String]) -> Result<()> {
        self.kill_all();
        let console = self.dir.join("console.log");
        self.sandbox = Some(Sandbox::start(&self.host, &self.dir, binds, argv, &console)?);
        Ok(())
    }

    fn main_pid(&self) -> Option<u32> {
        self.sandbox.as_ref()?.main_process().map(|p| p.pid)
    }

    fn processes(&self) -> Vec<NsProcess> {
        self.sandbox.as_ref().map(Sandbox::processes).unwrap_or_default()
    }

    fn main_running(&self) -> bool {
        self.main_pid().is_some()
    }

    fn signal_main(&self, signal: Signal) -> Result<bool> {
        match &self.sandbox {
            Some(s) => s.signal_main(signal),
            None => Ok(false),
        }
    }

    fn kill9(&self) -> Result<()> {
        if self.signal_main(Signal::SIGKILL)? {
            Ok(())
        } else {
            Err(TestnetError::Peer(format!("not running on {}", self.host.hostname)))
        }
    }

    fn kill_all(&mut self) {
        if let Some(mut s) = self.sandbox.take() {
            s.kill_all();
        }
    }

    fn exec(&self, argv: &[&str]) -> Result<CmdOutput> {
        let sandbox = self.sandbox.as_ref().ok_or_else(|| {
            TestnetError::Peer(format!("no sandbox on {} (stopped)", self.host.hostname))
        })?;
        let out = sandbox.exec(argv)?;
        Ok((
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.code().unwrap_or(-1),
        ))
    }

    fn console_text(&self) -> String {
        std::fs::read_to_string(self.dir.join("console.log")).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill_all();
        if std::thread::panicking() || std::env::var_os("HB_TESTNET_KEEP").is_some() {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "kept {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn script_argv<'a>(script: &'a str, arg: &'a str) -> Vec<&'a str> {
    if arg.is_empty() {
        vec![script]
    } else {
        vec![script, arg]
    }
}

fn write_mode(path: &Path, text: &str, mode: u32) -> Result<()> {
    std::fs::write(path, text)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// Copies a directory tree (files, modes, owners; symlinks as links) with `cp -a`.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    let src = format!("{}/.", from.display());
    crate::run(&["cp", "-a", &src, &to.to_string_lossy()]).map(drop)
}

/// Recreates the directories (not the files) below `from` under `to`, with modes and owners.
fn copy_dirs_only(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    let meta = std::fs::metadata(from)?;
    std::fs::set_permissions(to, meta.permissions())?;
    chown(to, Some(meta.uid()), Some(meta.gid()))?;
    for entry in std::fs::read_dir(from)?.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            copy_dirs_only(&entry.path(), &to.join(entry.file_name()))?;
        }
    }
    Ok(())
}
