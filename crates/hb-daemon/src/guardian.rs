//! Crash safety: a virtual address must not outlive its daemon.
//!
//! At start-up the daemon starts a small guardian process (this binary with `--guardian`) in
//! its own process group and keeps the write end of a pipe to its standard input. The kernel
//! closes that pipe however the daemon ends — `kill -9`, a panic, the OOM killer. A daemon that
//! stops gracefully first writes [`GRACEFUL`]; on end-of-file without it the guardian removes
//! every address of the configured groups from this host (the peer takes them over after
//! `deadtime`, so for that window nobody answers rather than a dead node), logs why, and exits.
//!
//! Once the daemon runs it also hands the guardian, as a `gone <hex>` line, the sealed
//! "gone" message of its incarnation (hb-core `gone`). The guardian then loads what it needs
//! at once (configuration, send-only sockets on every medium, netlink), and when the daemon
//! dies it removes the addresses and sends that message, so the peers take over within
//! milliseconds instead of after `deadtime`.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use crate::setup;

/// What a daemon that stops gracefully writes to its guardian.
pub const GRACEFUL: &[u8] = b"graceful\n";
/// Prefix of the line that hands the guardian the sealed "gone" datagram, hex-encoded.
pub const GONE_PREFIX: &str = "gone ";
/// Longest line the guardian reads (a datagram is at most 64 KiB, twice that in hex).
const MAX_LINE: u64 = 140_000;

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

    /// Hands the guardian the sealed "gone" datagram to send if the daemon dies.
    pub fn arm(&mut self, datagram: &[u8]) {
        let Some(stdin) = self.stdin.as_mut() else { return };
        let hex: String = datagram.iter().map(|b| format!("{b:02x}")).collect();
        if let Err(e) = stdin.write_all(format!("{GONE_PREFIX}{hex}\n").as_bytes()) {
            tracing::warn!("cannot hand the crash guardian its message: {e}");
        }
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
    use std::io::BufRead;
    let mut stdin = std::io::stdin().lock();
    let mut armed: Option<Armed> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        match (&mut stdin).take(MAX_LINE).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == GRACEFUL => return 0,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                if let Some(hex) = text.trim_end().strip_prefix(GONE_PREFIX) {
                    match decode_hex(hex) {
                        Some(datagram) => armed = Armed::prepare(config_dir, datagram),
                        None => eprintln!("heartbeat guardian: unreadable gone message"),
                    }
                }
            }
        }
    }
    match armed {
        Some(a) => a.fire(),
        None => release_addresses(config_dir),
    }
}

/// Everything loaded in advance to act within milliseconds of the daemon's death.
struct Armed {
    rt: tokio::runtime::Runtime,
    netlink: hb_platform::ipaddr::Netlink,
    media: hb_platform::media::Media,
    groups: Vec<Vec<setup::Resource>>,
    datagram: Vec<u8>,
}

impl Armed {
    /// Loads the configuration and opens send-only media. `None` (logged) when anything fails:
    /// the guardian then does the plain clean-up, and the peers wait for deadtime.
    fn prepare(config_dir: &Path, datagram: Vec<u8>) -> Option<Armed> {
        let config = match setup::load(config_dir) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("heartbeat guardian: configuration unreadable ({e:#})");
                return None;
            }
        };
        init_logging(&config);
        let groups = setup::group_resources(&config).ok()?;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        let opened = rt.block_on(async {
            let netlink = hb_platform::ipaddr::Netlink::new()?;
            let local: Vec<std::net::IpAddr> =
                netlink.addresses().await?.into_iter().map(|a| a.addr).collect();
            let plan = setup::media_plan(&config, &local)?;
            let media =
                hb_platform::media::Media::open_send_only(&plan.specs, plan.udpport).await?;
            anyhow::Ok((netlink, media))
        });
        match opened {
            Ok((netlink, media)) => Some(Armed { rt, netlink, media, groups, datagram }),
            Err(e) => {
                tracing::error!("guardian: cannot prepare the gone message: {e:#}");
                None
            }
        }
    }

    /// The daemon died: remove the addresses, then tell the peers.
    fn fire(self) -> i32 {
        let Armed { rt, netlink, media, groups, datagram } = self;
        rt.block_on(async {
            let failed = log_release(setup::release_vips(&netlink, &groups).await);
            let report = media.send_all(&datagram).await;
            // A second copy against a single lost datagram; a duplicate is harmless.
            let _ = media.send_all(&datagram).await;
            tracing::error!(
                "heartbeat died: told the peers on {} of {} media",
                report.sent,
                report.sent + report.failed.len()
            );
            i32::from(failed)
        })
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

fn init_logging(config: &hb_config::Config) {
    let log = hb_platform::logging::LogTargets { debug: 0, ..setup::log_targets(config, true) };
    let host =
        nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_default();
    let _ = hb_platform::logging::init(log, "heartbeat", &host);
}

/// Logs each removal; returns whether one failed.
fn log_release(results: Vec<(String, Result<(), hb_platform::PlatformError>)>) -> bool {
    let mut failed = false;
    for (text, result) in results {
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
    failed
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
    init_logging(&config);
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
        i32::from(log_release(setup::release_vips(&netlink, &groups).await))
    })
}
