//! A process tree confined to one node: its network namespace plus private UTS, mount and PID
//! namespaces.
//!
//! Contract: [`Sandbox::start`] runs `argv` as the "main" process under a small shell that is
//! PID 1 of a new PID namespace, inside `host`'s network namespace, with host name
//! `host.hostname` and the given directories bind-mounted over system paths (private mounts:
//! nothing leaks to the caller's mount namespace). Every process the daemon forks stays in the
//! PID namespace, so [`Sandbox::kill_all`] (SIGKILL of PID 1, after which the kernel kills the
//! rest) ends all of them and only them. The shell reaps orphans and outlives the main process,
//! so killing the main process leaves its children running, as on a real machine.
//!
//! Command chain: `setpriv --pdeathsig KILL -- ip netns exec NS unshare --uts --mount --pid
//! --fork --kill-child --mount-proc --propagation private -- sh -c SCRIPT`. `ip netns exec`
//! execs in place, so the spawned child is `unshare`; `--kill-child` kills PID 1 when `unshare`
//! dies, and `--pdeathsig` kills `unshare` when the thread that spawned it exits. So if the
//! test process is killed outright, the daemons die too. Caveat: that is the spawning *thread*;
//! do not start a sandbox on a short-lived helper thread. `unshare` ignores SIGTERM while it
//! waits for its child; only SIGKILL ends it.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};

use crate::{pid_of, Host, Result, TestnetError};

/// How long [`Sandbox::start`] waits for the namespace's PID 1 and the main process to appear.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// One process of a sandbox, as seen from the caller's PID namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsProcess {
    /// PID in the caller's namespace (use this to signal it).
    pub pid: u32,
    /// PID inside the sandbox's PID namespace.
    pub ns_pid: u32,
    /// Parent PID in the caller's namespace.
    pub ppid: u32,
    /// Command line, arguments joined by spaces (daemons may rewrite it, e.g.
    /// `heartbeat: master control process`).
    pub cmdline: String,
}

/// A running sandbox; see the module doc. Dropping it kills every process in it.
#[derive(Debug)]
pub struct Sandbox {
    netns: String,
    unshare: Child,
    init: u32,
    main_ns_pid: u32,
}

impl Sandbox {
    /// Starts `argv` in a new sandbox on `host`. `binds` are `(source dir, mount point)` pairs
    /// mounted in order; `console` receives the standard output and error of everything in
    /// the sandbox; `dir` is a scratch directory for the sandbox's own files.
    pub fn start(
        host: &Host,
        dir: &Path,
        binds: &[(PathBuf, PathBuf)],
        argv: &[String],
        console: &Path,
    ) -> Result<Sandbox> {
        fs::create_dir_all(dir)?;
        let main_pid_file = dir.join("main.pid");
        let _ = fs::remove_file(&main_pid_file);
        let mut script = String::from("set -e\nulimit -l unlimited 2>/dev/null || true\n");
        script.push_str(&format!("hostname {}\n", quote(&host.hostname)));
        for (src, dst) in binds {
            script.push_str(&format!(
                "mount --bind {} {}\n",
                quote(&src.to_string_lossy()),
                quote(&dst.to_string_lossy())
            ));
        }
        script.push_str("set +e\n\"$@\" &\n");
        script.push_str(&format!("echo $! > {}\n", quote(&main_pid_file.to_string_lossy())));
        // PID 1 stays up after the main process dies (its children live on, as on a real box)
        // and reaps whatever is reparented to it: each foreground `sleep` is waited for with
        // waitpid(-1), which also collects orphans.
        script.push_str("while :; do wait; sleep 1; done\n");
        let out = fs::File::create(console)?;
        let err = out.try_clone()?;
        let unshare = Command::new("setpriv")
            .args(["--pdeathsig", "KILL", "--", "ip", "netns", "exec", &host.netns, "unshare"])
            .args(["--uts", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"])
            .args(["--propagation", "private", "--", "sh", "-c", &script, "sandbox"])
            .args(argv)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()?;
        let mut sandbox = Sandbox { netns: host.netns.clone(), unshare, init: 0, main_ns_pid: 0 };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = sandbox.unshare.try_wait() {
                let text = fs::read_to_string(console).unwrap_or_default();
                return Err(TestnetError::Peer(format!("sandbox exited ({status}): {text}")));
            }
            if sandbox.init == 0 {
                sandbox.init = children_of(sandbox.unshare.id()).first().copied().unwrap_or(0);
            }
            let ns_pid = fs::read_to_string(&main_pid_file)
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok())
                .unwrap_or(0);
            if sandbox.init != 0 && ns_pid != 0 {
                sandbox.main_ns_pid = ns_pid;
                return Ok(sandbox);
            }
            if Instant::now() > deadline {
                return Err(TestnetError::Peer(format!(
                    "sandbox on {} did not start within {START_TIMEOUT:?}",
                    host.netns
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// PID (caller's namespace) of the sandbox's PID 1.
    pub fn init_pid(&self) -> u32 {
        self.init
    }

    /// Every live process of the sandbox except PID 1 and its pacing `sleep` (zombies
    /// excluded).
    pub fn processes(&self) -> Vec<NsProcess> {
        let Some(ns) = pid_ns_of(self.init) else { return Vec::new() };
        let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
        let mut found = Vec::new();
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if pid == self.init || pid_ns_of(pid) != Some(ns) {
                continue;
            }
            // PID 1's own pacing `sleep` is not part of the daemon.
            if let Some(p) =
                read_process(pid).filter(|p| !(p.ppid == self.init && p.cmdline == "sleep 1"))
            {
                found.push(p);
            }
        }
        found.sort_by_key(|p| p.ns_pid);
        found
    }

    /// The main process (the `argv` given to [`Sandbox::start`]) while it runs.
    pub fn main_process(&self) -> Option<NsProcess> {
        self.processes().into_iter().find(|p| p.ns_pid == self.main_ns_pid)
    }

    /// Sends `signal` to the main process only; `Ok(false)` if it is not running.
    pub fn signal_main(&self, signal: Signal) -> Result<bool> {
        let Some(p) = self.main_process() else { return Ok(false) };
        kill(pid_of(p.pid), signal).map_err(std::io::Error::from)?;
        Ok(true)
    }

    /// Whether the sandbox (its PID 1) still exists.
    pub fn is_alive(&mut self) -> bool {
        matches!(self.unshare.try_wait(), Ok(None))
    }

    /// Runs `argv` inside all of the sandbox's namespaces (`nsenter`) and returns its output.
    pub fn exec(&self, argv: &[&str]) -> Result<Output> {
        let target = self.init.to_string();
        Ok(Command::new("nsenter")
            .args(["-t", &target, "-m", "-u", "-p", "-n", "--"])
            .args(argv)
            .stdin(Stdio::null())
            .output()?)
    }

    /// Kills every process of the sandbox (SIGKILL to its PID 1) and waits until they are gone.
    pub fn kill_all(&mut self) {
        if self.init != 0 && matches!(self.unshare.try_wait(), Ok(None)) {
            let _ = kill(pid_of(self.init), Signal::SIGKILL);
        }
        // `unshare` exits once its child (PID 1) is gone, and PID 1 goes only after the kernel
        // has killed the rest of the namespace.
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.unshare.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if matches!(self.unshare.try_wait(), Ok(None)) {
            let _ = self.unshare.kill();
        }
        let _ = self.unshare.wait();
    }

    /// The network namespace it runs in.
    pub fn netns(&self) -> &str {
        &self.netns
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// Single-quotes `s` for `sh`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Inode of `/proc/<pid>/ns/pid`, identifying the PID namespace.
fn pid_ns_of(pid: u32) -> Option<u64> {
    fs::metadata(format!("/proc/{pid}/ns/pid")).ok().map(|m| m.ino())
}

/// PIDs whose parent is `ppid`.
fn children_of(ppid: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
        .filter(|&pid| read_process(pid).is_some_and(|p| p.ppid == ppid))
        .collect()
}

/// Reads one live (non-zombie) process from `/proc`.
fn read_process(pid: u32) -> Option<NsProcess> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_string())
    };
    if field("State:")?.starts_with('Z') {
        return None;
    }
    let ppid = field("PPid:")?.parse().ok()?;
    let ns_pid = field("NSpid:")?.split_whitespace().last()?.parse().ok()?;
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let cmdline = String::from_utf8_lossy(&cmdline)
        .split('\0')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Some(NsProcess { pid, ns_pid, ppid, cmdline })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
    }
}
