//! Health checks: the shared, engine-neutral check runner.
//!
//! A check is a [`CheckSpec`] (what to probe, how often, how long a probe may take, how many
//! consecutive results flip its health). The [`CheckRunner`] runs each started check in its own
//! task and reports every probe as a [`CheckEvent`] on one channel: the probe's
//! [`ProbeOutcome`], the debounced [`Health`], whether this probe changed it, and the check's
//! [`CheckCounters`]. Nothing here knows about resource groups, VRRP instances or the cluster:
//! the heartbeat daemon turns health transitions into core inputs, the keepalived mode turns
//! them into `vrrp_script` weights, each with its own [`CheckId`] numbering.
//!
//! Guarantees:
//! - **Never two runs of one check at once**: a check's probes run one after the other in its
//!   task; a probe longer than the interval delays the next one (counted as an overrun).
//! - **A hung probe is a failure**: at `timeout` the probe is abandoned and counted as
//!   [`ProbeOutcome::TimedOut`]; for programs the whole process group gets `SIGKILL` and the
//!   leader is reaped, so nothing it forked survives.
//! - **No fork for the built-ins**: [`CheckKind::Tcp`] and [`CheckKind::Http`] are probed
//!   in-process on tokio sockets.
//! - Stopping a check (or dropping the runner) kills a probe program still running.
//!
//! The fall/rise logic is the pure [`Debounce`], usable (and tested) without any I/O.

mod debounce;
mod http;
mod probe;
mod runner;

use std::path::PathBuf;
use std::time::Duration;

pub use debounce::Debounce;
pub use http::{parse_status_line, HttpTarget};
pub use runner::{CheckRunner, CheckStatus, EVENT_QUEUE};

use crate::script::ResourceRef;

/// Longest probe timeout accepted (a limit on what a config can ask).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);
/// Shortest interval accepted: faster probing only burns CPU.
pub const MIN_INTERVAL: Duration = Duration::from_millis(10);
/// Most checks one runner runs at once.
pub const MAX_CHECKS: usize = 1024;
/// Bytes of a probe's output (program) or answer head (HTTP) kept.
pub const OUTPUT_LIMIT: usize = 512;

/// What a check probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckKind {
    /// Run a program; exit status 0 is healthy. `args` go to it verbatim (no shell).
    Exec {
        /// The program (absolute path).
        program: PathBuf,
        /// Its arguments.
        args: Vec<String>,
    },
    /// Ask a resource whether it runs: `status` for heartbeat/LSB scripts (heartbeat's text
    /// rules, then LSB codes), `monitor` for OCF agents; "running" is healthy.
    Resource(ResourceRef),
    /// Open a TCP connection; connected is healthy.
    Tcp {
        /// Host name or address literal (IPv6 without brackets).
        host: String,
        /// Port.
        port: u16,
    },
    /// `GET` over HTTP/1.0; the expected status code is healthy.
    Http(HttpTarget),
}

/// Debounced health of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Not yet decided (before `rise` passes or `fall` failures in a row).
    Unknown,
    /// Healthy.
    Up,
    /// Failed.
    Down,
}

/// One check: what, how often, how long, how many in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSpec {
    /// Name for logs (`httpd status`, `chk_haproxy`).
    pub name: String,
    /// What to probe.
    pub kind: CheckKind,
    /// Time from the start of one probe to the start of the next.
    pub interval: Duration,
    /// A probe still running after this long is killed and counted as failed.
    pub timeout: Duration,
    /// Consecutive failures that turn the health `Down`.
    pub fall: u32,
    /// Consecutive passes that turn the health `Up`.
    pub rise: u32,
    /// Health before any probe (keepalived's `init_fail` is `Down`; a freshly started
    /// resource is `Up`).
    pub initial: Health,
    /// Delay before the first probe (a service just started may need a moment).
    pub start_delay: Duration,
    /// Run programs as this `(uid, gid)` (keepalived's `user`); `None` = the daemon's user.
    pub run_as: Option<(u32, u32)>,
}

impl CheckSpec {
    /// A spec with the documented defaults: interval 2 s, timeout 5 s, fall 1, rise 1,
    /// initial `Up`, no start delay, the daemon's user.
    pub fn new(name: impl Into<String>, kind: CheckKind) -> Self {
        CheckSpec {
            name: name.into(),
            kind,
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            fall: 1,
            rise: 1,
            initial: Health::Up,
            start_delay: Duration::ZERO,
            run_as: None,
        }
    }

    /// Checks the limits; the runner refuses a spec that fails this.
    pub fn validate(&self) -> Result<(), String> {
        if self.interval < MIN_INTERVAL {
            return Err(format!("interval {:?} is below {:?}", self.interval, MIN_INTERVAL));
        }
        if self.timeout.is_zero() || self.timeout > MAX_TIMEOUT {
            return Err(format!("timeout {:?} is not in (0, {:?}]", self.timeout, MAX_TIMEOUT));
        }
        if self.fall == 0 || self.rise == 0 {
            return Err("fall and rise must be at least 1".into());
        }
        Ok(())
    }
}

/// Caller-chosen identity of a started check (the daemon and keepalived mode number their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckId(pub u64);

/// How one probe ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// Healthy answer.
    Pass,
    /// Unhealthy answer; the reason says which (exit code, refused, status 503, …).
    Fail(String),
    /// No answer within the timeout (process group killed, socket dropped).
    TimedOut,
}

impl ProbeOutcome {
    /// Whether this probe counts as healthy.
    pub fn passed(&self) -> bool {
        matches!(self, ProbeOutcome::Pass)
    }
}

/// Running totals of one check (since it was started).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckCounters {
    /// Probes finished.
    pub runs: u64,
    /// Probes that passed.
    pub passes: u64,
    /// Probes that failed with an answer.
    pub failures: u64,
    /// Probes killed at the timeout (also failures for fall/rise).
    pub timeouts: u64,
    /// Probes that took longer than the interval (the next one started late, never in parallel).
    pub overruns: u64,
    /// Health transitions to `Down`.
    pub downs: u64,
    /// Health transitions to `Up`.
    pub ups: u64,
}

/// One probe's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckEvent {
    /// Which check.
    pub id: CheckId,
    /// Which start of it ([`CheckRunner::start`]'s return value).
    pub instance: u64,
    /// How the probe ended.
    pub outcome: ProbeOutcome,
    /// The debounced health after this probe.
    pub health: Health,
    /// Whether this probe changed `health`.
    pub changed: bool,
    /// Totals including this probe.
    pub counters: CheckCounters,
    /// How long the probe took.
    pub elapsed: Duration,
}
