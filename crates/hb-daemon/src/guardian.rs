//! Crash safety: a virtual address must not outlive its daemon.
//!
//! At start-up the daemon starts a small guardian process (this binary with `--guardian`) in
//! its own process group and keeps the write end of a pipe to its standard input. The kernel
//! closes that pipe however the daemon ends — `kill -9`, a panic, the OOM killer. A daemon that
//! stops gracefully first writes [`GRACEFUL`]; on end-of-file without it the guardian removes
//! every address of the configured groups from this host (the peer takes them over after
//! `deadtime`, so for that window nobody answers rather than a dead node), logs why, and exits.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use crate::setup;

/// What a daemon that stops gracefully writes to its guardian.
pub const GRACEFUL: &[u8] = b"graceful\n";

/// The daemon's end of the guardian.
pub struct Guard {
    stdin: Option<ChildStdin>,
    child: Child,
}

impl Guard {
    /// Starts the guardian for the configuration in `config_dir`.
    pub fn spawn(config_dir: &Path) -> std::io::Result<Guard> {
        use std::os::unix::process::CommandExt;
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg("--guardian")
            .arg("--config-dir")
            .arg(config_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .process_group(0)
            .spawn()?;
        Ok(Guard { stdin: child.stdin.take(), child })
    }

    /// The guardian's PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Tells the guardian the daemon stopped gracefully and waits for it to exit.
    pub fn disarm(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(GRACEFUL);
        }
        let _ = self.child.wait();
    }
}

/// The guardian process: waits for the daemon to end, cleans up unless it ended gracefully.
/// Returns the exit code.
pub fn run(config_dir: &Path) -> i32 {
    let mut got = Vec::new();
    let _ = std::io::stdin().take(64).read_to_end(&mut got);
    if got == GRACEFUL {
        return 0;
    }
    release_addresses(config_dir)
}

/// Removes every address of the configured groups from this host (the guardian's clean-up,
/// also `heartbeat --release-addresses` for a service manager's stop-post hook). Returns the
/// exit code.
pub fn release_addresses(config_dir: &Path) -> i32 {
    let config = match setup::load(config_dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("heartbeat: configuration unreadable ({e:#}); cannot remove the addresses");
            return 1;
        }
    };
    let log = hb_platform::logging::LogTargets { debug: 0, ..setup::log_targets(&config, true) };
    let host =
        nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_default();
    let _ = hb_platform::logging::init(log, "heartbeat", &host);
    let groups = match setup::group_resources(&config) {
        Ok(g) => g,
        Err(e) => {
            tracing::error!("guardian: {e:#}");
            return 1;
        }
    };
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return 1;
    };
    rt.block_on(async {
        let netlink = match hb_platform::ipaddr::Netlink::new() {
            Ok(n) => n,
            Err(e) => {
                tracing::error!("guardian: netlink: {e}");
                return 1;
            }
        };
        let mut failed = false;
        for (text, result) in setup::release_vips(&netlink, &groups).await {
            match result {
                Ok(()) => {
                    tracing::error!("heartbeat died without stopping its resources: removed {text}")
                }
                Err(e) => {
                    failed = true;
                    tracing::error!("heartbeat died; cannot remove {text}: {e}");
                }
            }
        }
        i32::from(failed)
    })
}
