//! Public types of a parsed `ha.cf`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

/// Most nodes (normal and ping) accepted, like heartbeat's `MAXNODE`.
pub const MAX_NODES: usize = 100;
/// Most media lines accepted, like heartbeat's `MAXMEDIA`.
pub const MAX_MEDIA: usize = 64;
/// Default UDP port when neither `udpport` nor `/etc/services` says otherwise.
pub const DEFAULT_UDP_PORT: u16 = 694;

/// Everything `ha.cf` configures, with heartbeat's defaults filled in.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HaCf {
    /// Cluster members from `node` lines, lower-cased (heartbeat lower-cases them), in order,
    /// without duplicates. The local node must be one of them (checked by the caller).
    pub nodes: Vec<String>,
    /// Heartbeat media, in file order. Ping nodes are in [`HaCf::ping_nodes`].
    pub media: Vec<Medium>,
    /// keepalive / deadtime / warntime / initdead / deadping.
    pub timers: Timers,
    /// `auto_failback` (or the older `nice_failback`).
    pub auto_failback: AutoFailback,
    /// `ping` and `ping6` pseudo-nodes.
    pub ping_nodes: Vec<PingNode>,
    /// `ping_group` pseudo-nodes.
    pub ping_groups: Vec<PingGroup>,
    /// Logging directives.
    pub logging: LogSettings,
    /// Who may use the client API (`apiauth`), including heartbeat's built-in defaults.
    pub apiauth: Vec<ApiAuth>,
    /// `respawn` and `failfast` helper programs.
    pub clients: Vec<ClientChild>,
    /// `stonith` and `stonith_host` lines.
    pub stonith: Vec<Stonith>,
    /// `watchdog` device.
    pub watchdog: Option<PathBuf>,
    /// `env NAME=value` for respawned clients (heartbeat exports them as `HA_NAME`).
    pub env: Vec<(String, String)>,
    /// Protocol and process tuning directives.
    pub tuning: Tuning,
}

/// The failure-detection timers, validated as heartbeat does.
///
/// Invariants: `keepalive > 0`, `deadtime > 2 × keepalive`, `initdead ≥ deadtime`,
/// `deadping > 2 × keepalive`, `warntime > 0`. Built by the parser, [`Timers::default`] or
/// [`Timers::new`], which check them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timers {
    /// Interval between heartbeats (default 1 s).
    pub keepalive: Duration,
    /// Silence after which a node is declared dead (default 30 s).
    pub deadtime: Duration,
    /// Silence after which a late heartbeat is logged (default deadtime / 2).
    pub warntime: Duration,
    /// Dead time used before first contact (default derived from deadtime).
    pub initdead: Duration,
    /// Dead time of ping nodes (default deadtime).
    pub deadping: Duration,
}

impl Default for Timers {
    /// Heartbeat's code defaults: keepalive 1 s, deadtime 30 s and the derived values.
    fn default() -> Self {
        let deadtime = Duration::from_secs(30);
        Timers {
            keepalive: Duration::from_secs(1),
            deadtime,
            warntime: deadtime / 2,
            initdead: derived_initdead(deadtime),
            deadping: deadtime,
        }
    }
}

impl Timers {
    /// Timers with heartbeat's derived defaults (`warntime = deadtime / 2`, `initdead` from
    /// [`derived_initdead`], `deadping = deadtime`) for the given keepalive and deadtime, or a
    /// message if `deadtime ≤ 2 × keepalive` or keepalive is zero.
    pub fn new(keepalive: Duration, deadtime: Duration) -> Result<Timers, String> {
        Timers {
            keepalive,
            deadtime,
            warntime: deadtime / 2,
            initdead: derived_initdead(deadtime),
            deadping: deadtime,
        }
        .checked()
    }

    /// The same timers with an explicit warntime, initdead and deadping, checked.
    pub fn with(
        self,
        warntime: Duration,
        initdead: Duration,
        deadping: Duration,
    ) -> Result<Timers, String> {
        Timers { warntime, initdead, deadping, ..self }.checked()
    }

    fn checked(self) -> Result<Timers, String> {
        if self.keepalive.is_zero() {
            return Err("keepalive must be greater than 0".into());
        }
        if self.deadtime <= self.keepalive * 2 {
            return Err("deadtime must be greater than twice keepalive".into());
        }
        if self.initdead < self.deadtime {
            return Err("initdead must be at least deadtime".into());
        }
        if self.deadping <= self.keepalive * 2 {
            return Err("deadping must be greater than twice keepalive".into());
        }
        if self.warntime.is_zero() {
            return Err("warntime must be greater than 0".into());
        }
        Ok(self)
    }
}

/// Heartbeat's default `initdead` for a given deadtime: deadtime if it exceeds 10 s,
/// 12 s if it is below 6 s, else twice the deadtime.
pub fn derived_initdead(deadtime: Duration) -> Duration {
    if deadtime > Duration::from_secs(10) {
        deadtime
    } else if deadtime < Duration::from_secs(6) {
        Duration::from_secs(12)
    } else {
        deadtime * 2
    }
}

/// A heartbeat medium (one `bcast` interface, `ucast`, `mcast`, … line).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Medium {
    /// `bcast IF…` (one value per interface); also the pre-2.0 spelling `udp IF…`.
    Bcast {
        /// Interface.
        interface: String,
        /// The `udpport` in force when the line was read.
        port: u16,
    },
    /// `ucast IF PEER`. Heartbeat configs often list every node's address on every node;
    /// the daemon skips the line whose peer is a local address.
    Ucast {
        /// Interface (`SO_BINDTODEVICE`).
        interface: String,
        /// Peer address or host name.
        peer: Peer,
        /// The `udpport` in force when the line was read.
        port: u16,
    },
    /// `ucast6 IF PEER6`.
    Ucast6 {
        /// Interface.
        interface: String,
        /// Peer IPv6 address or host name (a `%scope` suffix is kept in the name form).
        peer: Peer,
        /// The `udpport` in force when the line was read.
        port: u16,
    },
    /// `mcast IF GROUP PORT TTL LOOP`.
    Mcast {
        /// Interface.
        interface: String,
        /// IPv4 multicast group.
        group: Ipv4Addr,
        /// UDP port (named on the line; `udpport` does not apply).
        port: u16,
        /// Multicast TTL, 0–4 as heartbeat's plugin accepts.
        ttl: u8,
        /// `IP_MULTICAST_LOOP`.
        loopback: bool,
    },
    /// `mcast6 IF GROUP PORT HOPS LOOP`.
    Mcast6 {
        /// Interface.
        interface: String,
        /// IPv6 multicast group.
        group: Ipv6Addr,
        /// UDP port.
        port: u16,
        /// Multicast hop limit, 0–4.
        hops: u8,
        /// `IPV6_MULTICAST_LOOP`.
        loopback: bool,
    },
    /// `serial DEV…` (one value per device).
    Serial {
        /// TTY device.
        device: PathBuf,
        /// The `baud` setting (default 19200).
        baud: u32,
    },
}

/// A unicast peer: an address, or a name to resolve when the medium is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// A literal address.
    Addr(IpAddr),
    /// A host name (or an address with a scope suffix).
    Name(String),
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Peer::Addr(a) => write!(f, "{a}"),
            Peer::Name(n) => f.write_str(n),
        }
    }
}

/// `auto_failback` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutoFailback {
    /// Groups go back to their preferred node when it returns ("nice failback").
    On,
    /// The current holder keeps the groups ("nice failback" without give-back).
    Off,
    /// Heartbeat's default: no resource negotiation, each node requests its own groups.
    #[default]
    Legacy,
}

/// A `ping`/`ping6` pseudo-node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingNode {
    /// The address (or name) pinged; it is also the node's name.
    pub address: String,
    /// True for `ping6`.
    pub ipv6: bool,
}

/// A `ping_group NAME ADDR…` pseudo-node: up while any member answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingGroup {
    /// Node name of the group.
    pub name: String,
    /// Member addresses.
    pub members: Vec<String>,
}

/// Logging directives (`logfile`, `debugfile`, `logfacility`, `use_logd`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// `logfile`; `/dev/null` when a facility is set and no file (as heartbeat does).
    pub logfile: Option<PathBuf>,
    /// `debugfile`; `/dev/null` when a facility is set and no file.
    pub debugfile: Option<PathBuf>,
    /// `logfacility`; `None` if unset or `none`.
    pub facility: Option<String>,
    /// Log through the logging daemon (implicitly on when nothing else is configured).
    pub use_logd: bool,
    /// `conn_logd_time` (default 60 s).
    pub conn_logd_time: Duration,
    /// `debug` level 0–255 (default 0).
    pub debug_level: u8,
    /// `log_badpack` (default true).
    pub log_badpack: bool,
    /// `syslogmsgfmt` (default true).
    pub syslog_format_files: bool,
}

/// One `apiauth CLIENT uid=… gid=…` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiAuth {
    /// API client name (`ipfail`, `ccm`, `cl_status`'s `anon`…).
    pub client: String,
    /// Allowed user names or ids.
    pub uids: Vec<String>,
    /// Allowed group names or ids.
    pub gids: Vec<String>,
    /// True for heartbeat's built-in defaults (not written in ha.cf).
    pub builtin: bool,
}

/// A `respawn` or `failfast` helper program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientChild {
    /// User to run as.
    pub user: String,
    /// Absolute path of the program.
    pub path: PathBuf,
    /// The whole command line (program and arguments) as written.
    pub command: String,
    /// `failfast`: reboot the node if the program dies.
    pub failfast: bool,
}

/// A STONITH device line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stonith {
    /// `stonith TYPE CONFIGFILE`.
    File {
        /// Device type.
        device_type: String,
        /// Configuration file of the device.
        config_file: String,
    },
    /// `stonith_host HOST|* TYPE PARAMS…`.
    Host {
        /// Node the line applies to (lower-cased), or `*`.
        host: String,
        /// Device type.
        device_type: String,
        /// Device parameters as written.
        params: String,
    },
}

/// Process and protocol tuning directives, with heartbeat's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tuning {
    /// `cluster` name (default `linux-ha`).
    pub cluster_name: String,
    /// `hopfudge` (default 1).
    pub hopfudge: u8,
    /// `realtime` (default true).
    pub realtime: bool,
    /// `rtprio` (default: midpoint of the SCHED_FIFO range, chosen at run time).
    pub rtprio: Option<u8>,
    /// `memreserve` in kB (default 6500).
    pub memreserve_kb: u32,
    /// `hbgenmethod` (default file).
    pub generation_method: GenerationMethod,
    /// `uuidfrom` (default file).
    pub uuid_from: UuidFrom,
    /// `msgfmt` (default classic).
    pub msgfmt: MsgFormat,
    /// `compression` (default zlib).
    pub compression: Compression,
    /// `compression_threshold` in kB (default 2).
    pub compression_threshold_kb: u32,
    /// `traditional_compression` (default false).
    pub traditional_compression: bool,
    /// `max_rexmit_delay` (default 250 ms).
    pub max_rexmit_delay: Duration,
    /// `coredumps` (default true).
    pub coredumps: bool,
    /// `coreroot`.
    pub coreroot: Option<PathBuf>,
    /// `use_apphbd` (default false).
    pub use_apphbd: bool,
}

/// `hbgenmethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenerationMethod {
    /// Generation number kept in a file.
    File,
    /// Generation number taken from the clock.
    Time,
}

/// `uuidfrom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UuidFrom {
    /// A UUID stored in a file.
    File,
    /// A UUID derived from the node name.
    NodeName,
}

/// `msgfmt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgFormat {
    /// `name=value` lines.
    Classic,
    /// Netstrings.
    Netstring,
}

/// `compression`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// zlib.
    Zlib,
    /// bzip2.
    Bz2,
}
