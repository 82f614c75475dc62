//! `monitors`: optional health checks and failure policy for `haresources` groups.
//!
//! heartbeat 3.0.6 has no such file; it is ours, so `ha.cf` and `haresources` stay
//! byte-compatible with heartbeat peers, and a node without it behaves exactly as before.
//! One line per check or per group policy; `#` starts a comment (also after the options):
//!
//! ```text
//! # RESOURCE        CHECK                       OPTIONS
//! httpd             status                      interval=2s timeout=5s fall=2
//! mysqld            tcp:127.0.0.1:3306          interval=500ms fall=3 rise=2
//! demo-httpd        http://10.0.0.50/           interval=200ms timeout=150ms fall=2 expect=200
//! httpd             exec:/usr/local/bin/chk -q  interval=1s
//! group 10.0.0.50   restarts=2 window=10min
//! ```
//!
//! RESOURCE is a resource as written in `haresources` (`IPaddr::10.0.0.50/24`, `httpd`), or
//! its script name when only one resource of that name exists. CHECK is `status` (the
//! resource's own `status`, or `monitor` for OCF agents; `monitor` is accepted as a synonym),
//! `exec:PATH [ARGS…]` (exit 0 is healthy; the arguments are the tokens up to the first
//! option), `tcp:HOST:PORT` (connect) or `http://HOST[:PORT]/PATH` (GET, `expect` status).
//! Options: `interval` (default 2s), `timeout` (default 5s), `fall` (1), `rise` (1), `delay`
//! (before the first probe, 0), `expect` (HTTP status, 200). Times take heartbeat's forms
//! (`2`, `1.5`, `500ms`) and also `s`, `min` and `h` suffixes.
//!
//! `group RESOURCE` sets the policy of the group holding RESOURCE: `restarts` (restarts in
//! place within `window` before the group is handed over; default 2) and `window` (default
//! 10min; also how long the failed node is avoided, and at most one move per window).

mod parse;

use std::path::PathBuf;
use std::time::Duration;

use crate::error::Location;

pub use parse::{parse_monitor_time, parse_monitors};

/// Most lines with a check or policy (a limit on a runaway file).
pub const MAX_MONITORS: usize = 256;
/// Most restarts in place a policy may ask for.
pub const MAX_RESTARTS: u32 = 100;
/// Default `restarts`.
pub const DEFAULT_RESTARTS: u32 = 2;
/// Default `window`.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(600);
/// Default `interval`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);
/// Default `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Shortest `interval` accepted.
pub const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// The parsed file: checks and group policies, in file order. Empty when the file is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Monitors {
    /// The checks.
    pub checks: Vec<MonitorCheck>,
    /// Explicit group policies (groups without one use the defaults once they have a check).
    pub policies: Vec<GroupPolicy>,
    /// The file it came from (`None`: no file, nothing configured).
    pub file: Option<PathBuf>,
}

impl Monitors {
    /// Whether nothing is configured (the node behaves exactly as heartbeat 3.0.6).
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty() && self.policies.is_empty()
    }

    /// The policy of the group with key `group_key` (explicit or default).
    pub fn policy_for(&self, group_key: &str) -> GroupPolicy {
        self.policies.iter().find(|p| p.group_key == group_key).cloned().unwrap_or_else(|| {
            GroupPolicy {
                group_key: group_key.to_string(),
                restarts: DEFAULT_RESTARTS,
                window: DEFAULT_WINDOW,
                location: None,
            }
        })
    }
}

/// One check line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorCheck {
    /// The resource as written in `haresources` (resolved from the RESOURCE column).
    pub resource: String,
    /// Key of the group holding it.
    pub group_key: String,
    /// Index of the resource in its group (restarts stop from here rightwards).
    pub resource_index: usize,
    /// What to probe.
    pub kind: MonitorKind,
    /// From the start of one probe to the start of the next.
    pub interval: Duration,
    /// A probe running longer is killed and counts as failed.
    pub timeout: Duration,
    /// Consecutive failures that make the resource failed.
    pub fall: u32,
    /// Consecutive passes that make it healthy again.
    pub rise: u32,
    /// Delay before the first probe after the resource starts.
    pub delay: Duration,
    /// Where the line is.
    pub location: Location,
}

/// What a check probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorKind {
    /// The resource's own `status` (scripts) or `monitor` (OCF).
    Status,
    /// A program; exit 0 is healthy.
    Exec {
        /// Absolute path.
        program: PathBuf,
        /// Arguments, verbatim.
        args: Vec<String>,
    },
    /// A TCP connect.
    Tcp {
        /// Host (IPv6 without brackets).
        host: String,
        /// Port.
        port: u16,
    },
    /// An HTTP GET.
    Http {
        /// The URL as written.
        url: String,
        /// Host (IPv6 without brackets).
        host: String,
        /// Port (80 when not written).
        port: u16,
        /// Path, starting with `/`.
        path: String,
        /// Healthy status code.
        expect: u16,
    },
}

/// The failure policy of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPolicy {
    /// Key of the group (its first resource as written).
    pub group_key: String,
    /// Restarts in place allowed within `window` before the group is handed over.
    pub restarts: u32,
    /// The window for restarts, for avoiding the failed node, and for one move at most.
    pub window: Duration,
    /// Where the line is (`None` for defaults).
    pub location: Option<Location>,
}

/// Reads `path` if it exists (absent: empty [`Monitors`]); with `check_programs`, every
/// `exec:` program must be an executable file.
pub fn load_monitors(
    path: &std::path::Path,
    hr: &crate::Haresources,
    check_programs: bool,
) -> Result<Monitors, crate::ConfigError> {
    let bytes = match crate::text::read_limited(path) {
        Ok(b) => b,
        Err(crate::ConfigError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            return Ok(Monitors::default())
        }
        Err(e) => return Err(e),
    };
    let m = parse_monitors(path, crate::text::decode(path, &bytes)?, hr)?;
    if check_programs {
        for c in &m.checks {
            if let MonitorKind::Exec { program, .. } = &c.kind {
                use std::os::unix::fs::PermissionsExt;
                let ok = std::fs::metadata(program)
                    .is_ok_and(|md| md.is_file() && md.permissions().mode() & 0o111 != 0);
                if !ok {
                    return Err(crate::ConfigError::invalid(
                        c.location.clone(),
                        format!("exec program {} is not an executable file", program.display()),
                    ));
                }
            }
        }
    }
    Ok(m)
}

#[cfg(test)]
mod monitors_test;
