//! The typed result of reading keepalived.conf.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::Location;

/// How serious a [`Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth telling; `keepalived -t` would pass.
    Warning,
    /// keepalived reports it as a configuration error: `-t` fails (exit 5), but the daemon
    /// still starts, with the item ignored or defaulted as keepalived does.
    Error,
}

/// A problem found in keepalived.conf, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where it is.
    pub location: Location,
    /// How serious.
    pub severity: Severity,
    /// What is wrong and what happens about it.
    pub message: String,
}

impl Finding {
    /// A finding at `location`.
    pub fn new(location: Location, severity: Severity, message: impl Into<String>) -> Self {
        Finding { location, severity, message: message.into() }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{}: {sev}: {}", self.location, self.message)
    }
}

/// A whole keepalived configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct KeepalivedConf {
    /// `global_defs`.
    pub global: GlobalDefs,
    /// `vrrp_script` blocks, in file order.
    pub scripts: Vec<VrrpScript>,
    /// Valid `vrrp_instance` blocks, in file order (invalid ones are findings, not here).
    pub instances: Vec<VrrpInstance>,
    /// `vrrp_sync_group` blocks.
    pub sync_groups: Vec<SyncGroup>,
    /// Everything reported while reading, in order.
    pub findings: Vec<Finding>,
    /// The files read, main file first.
    pub files: Vec<PathBuf>,
}

impl KeepalivedConf {
    /// Whether `keepalived -t` would fail on this configuration (any [`Severity::Error`]).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The instance named `name`.
    pub fn instance(&self, name: &str) -> Option<&VrrpInstance> {
        self.instances.iter().find(|i| i.name == name)
    }
}

/// `global_defs` settings heartbeat-rs uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalDefs {
    /// `router_id` (keepalived defaults it to the host name).
    pub router_id: Option<String>,
    /// `vrrp_version`: default VRRP version of instances (2 or 3; default 2).
    pub vrrp_version: u8,
    /// `vrrp_garp_master_delay`: seconds after becoming master before the second GARP burst.
    pub garp_master_delay: Duration,
    /// `vrrp_garp_master_repeat`: GARPs per burst.
    pub garp_master_repeat: u32,
    /// `vrrp_garp_master_refresh`: seconds between periodic GARP bursts while master (0 = off).
    pub garp_master_refresh: Duration,
    /// `vrrp_garp_interval`: delay between the GARPs of one burst.
    pub garp_interval: Duration,
    /// `script_user USER [GROUP]`.
    pub script_user: Option<(String, Option<String>)>,
    /// `enable_script_security`.
    pub enable_script_security: bool,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            vrrp_version: 2,
            garp_master_delay: Duration::from_secs(5),
            garp_master_repeat: 5,
            garp_master_refresh: Duration::ZERO,
            garp_interval: Duration::ZERO,
            script_user: None,
            enable_script_security: false,
        }
    }
}

/// A command line as keepalived runs it (no shell): the program and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Program first.
    pub argv: Vec<String>,
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.argv.join(" "))
    }
}

/// A `vrrp_script` block: a health check instances track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpScript {
    /// Its name.
    pub name: String,
    /// `script`.
    pub command: Command,
    /// `interval` (default 1 s).
    pub interval: Duration,
    /// `timeout` (default: the interval).
    pub timeout: Duration,
    /// `weight` (-253..=253; 0 means failure puts tracking instances in FAULT).
    pub weight: i32,
    /// `weight N reverse`.
    pub weight_reverse: bool,
    /// `rise`: successes needed to be up (default 1).
    pub rise: u32,
    /// `fall`: failures needed to be down (default 1).
    pub fall: u32,
    /// `user USER [GROUP]`.
    pub user: Option<(String, Option<String>)>,
    /// `init_fail`: start as failed.
    pub init_fail: bool,
    /// Where the block starts.
    pub location: Location,
}

/// The state an instance starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitialState {
    /// `state MASTER`.
    Master,
    /// `state BACKUP` (the default).
    Backup,
}

/// `authentication` of a VRRPv2 instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `auth_type PASS`: the password, at most 8 bytes (longer ones are cut, with a finding).
    Pass(String),
    /// `auth_type AH`: accepted by keepalived, not supported by heartbeat-rs (a finding).
    Ah(String),
}

/// One `virtual_ipaddress` line: `ADDR[/LEN] [brd B] [dev D] [scope S] [label L]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vip {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length (default /32 or /128).
    pub prefix: u8,
    /// `brd`.
    pub brd: Option<Ipv4Addr>,
    /// `dev` (default: the instance's interface).
    pub dev: Option<String>,
    /// `scope` (host, link, site, global or a number).
    pub scope: Option<String>,
    /// `label`.
    pub label: Option<String>,
}

impl fmt::Display for Vip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)?;
        if let Some(b) = self.brd {
            write!(f, " brd {b}")?;
        }
        if let Some(d) = &self.dev {
            write!(f, " dev {d}")?;
        }
        if let Some(s) = &self.scope {
            write!(f, " scope {s}")?;
        }
        if let Some(l) = &self.label {
            write!(f, " label {l}")?;
        }
        Ok(())
    }
}

/// A tracked item (`track_script` or `track_interface` line) with its weight override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// Script or interface name.
    pub name: String,
    /// `weight N` on the line (overrides the script's own weight).
    pub weight: Option<i32>,
}

/// The notify scripts of an instance or sync group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notify {
    /// `notify_master`.
    pub master: Option<Command>,
    /// `notify_backup`.
    pub backup: Option<Command>,
    /// `notify_fault`.
    pub fault: Option<Command>,
    /// `notify_stop`.
    pub stop: Option<Command>,
    /// `notify`: called with `INSTANCE|GROUP name state priority` on every change.
    pub any: Option<Command>,
}

/// A valid `vrrp_instance`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpInstance {
    /// Its name.
    pub name: String,
    /// `state` (default BACKUP).
    pub state: InitialState,
    /// `interface`.
    pub interface: String,
    /// `virtual_router_id` (1..=255).
    pub vrid: u8,
    /// `priority` (1..=255, default 100).
    pub priority: u8,
    /// `advert_int` (default 1 s; v3 counts centiseconds, v2 whole seconds).
    pub advert_int: Duration,
    /// VRRP version (`version`, else `global_defs vrrp_version`).
    pub version: u8,
    /// `nopreempt`.
    pub nopreempt: bool,
    /// `dont_track_primary`: the instance's own interface going down is not a fault.
    pub dont_track_primary: bool,
    /// `preempt_delay` (0..=1000 s).
    pub preempt_delay: Duration,
    /// `authentication` (v2 only).
    pub auth: Option<Auth>,
    /// `virtual_ipaddress` (may be empty: cloud IPs moved by notify).
    pub vips: Vec<Vip>,
    /// `virtual_ipaddress_excluded`.
    pub vips_excluded: Vec<Vip>,
    /// `unicast_src_ip`.
    pub unicast_src_ip: Option<IpAddr>,
    /// `unicast_peer` (empty: multicast to 224.0.0.18 / ff02::12).
    pub unicast_peers: Vec<IpAddr>,
    /// `track_script`.
    pub track_scripts: Vec<Track>,
    /// `track_interface`.
    pub track_interfaces: Vec<Track>,
    /// notify scripts.
    pub notify: Notify,
    /// `garp_master_delay` (else the global value).
    pub garp_master_delay: Duration,
    /// `garp_master_repeat` (else the global value).
    pub garp_master_repeat: u32,
    /// `garp_master_refresh` (else the global value).
    pub garp_master_refresh: Duration,
    /// Where the block starts.
    pub location: Location,
}

/// A `vrrp_sync_group`: instances that change state together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroup {
    /// Its name.
    pub name: String,
    /// `group { ... }`: the instance names.
    pub instances: Vec<String>,
    /// notify scripts.
    pub notify: Notify,
    /// Where the block starts.
    pub location: Location,
}
