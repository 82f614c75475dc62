//! Public types of a parsed `haresources`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use crate::error::Location;

/// Most resource groups accepted.
pub const MAX_GROUPS: usize = 256;
/// Most resources in one group. Heartbeat has no such limit (its `ResourceManager` takes any
/// line); ours bounds memory against a runaway file while leaving room for the large address
/// groups of hosting setups (hundreds of `IPaddr` resources on one line, continued with `\`).
pub const MAX_RESOURCES_PER_GROUP: usize = 1024;

/// All resource groups, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Haresources {
    /// The groups.
    pub groups: Vec<ResourceGroup>,
}

/// One line of `haresources`: a preferred node and its ordered resources (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceGroup {
    /// The preferred node, lower-cased (heartbeat matches node names case-insensitively).
    pub preferred_node: String,
    /// Resources, started left to right and stopped right to left. At least one.
    pub resources: Vec<Resource>,
    /// Where the line starts (the node name).
    pub location: Location,
}

impl ResourceGroup {
    /// The group key heartbeat uses on the wire: the first resource as written.
    pub fn key(&self) -> &str {
        self.resources.first().map_or("", |r| r.spec.as_str())
    }
}

/// One resource of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// The resource exactly as written (`IPaddr::10.0.0.1/24/eth0`, `10.0.0.1`, `httpd`).
    pub spec: String,
    /// What it is.
    pub kind: ResourceKind,
    /// Where the program that manages it lives (set by [`super::resolve_scripts`]).
    pub script: ScriptPath,
    /// Where it is written.
    pub location: Location,
}

/// What a resource is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// A virtual address managed natively (`IPaddr`, `IPaddr2`, `IPv6addr` or a bare address).
    IpAddr {
        /// `IPaddr` or `IPaddr2` (a bare address is `IPaddr`).
        agent: IpAgent,
        /// The address specification.
        spec: IpAddrSpec,
    },
    /// A heartbeat resource script (`resource.d/`) or an init script (`init.d/`).
    Script {
        /// Script name.
        name: String,
        /// Arguments (the `::`-separated parts after the name).
        args: Vec<String>,
    },
    /// A cloud provider's reserved (floating) IP, `ReservedIP::IP[::provider=NAME]`: moved by
    /// the provider's API (see [`crate::cloud`]), not by netlink.
    ReservedIp {
        /// The address.
        address: std::net::IpAddr,
        /// The `cloud.conf` section named by `provider=NAME`; `None`: the first.
        provider: Option<String>,
    },
    /// An OCF resource agent.
    Ocf {
        /// Provider directory (`heartbeat`, `pacemaker`…).
        provider: String,
        /// Agent name.
        agent: String,
        /// `name=value` parameters (passed as `OCF_RESKEY_name`).
        params: Vec<(String, String)>,
    },
}

/// Which built-in address agent a resource names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpAgent {
    /// `IPaddr` (also a bare address).
    IpAddr,
    /// `IPaddr2` (IPv4 or IPv6).
    IpAddr2,
    /// `IPv6addr` (IPv6 only), written `IPv6addr::2001:db8::10/64/eth0`.
    Ipv6Addr,
}

/// `IP[/prefix[/interface[/broadcast]]]` as `IPaddr`/`IPaddr2`/`IPv6addr` take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpAddrSpec {
    /// The address (IPv6 only through `IPaddr2` or `IPv6addr`).
    pub address: IpAddr,
    /// Prefix length (0–32 for IPv4, 0–128 for IPv6), if given.
    pub prefix: Option<u8>,
    /// Interface (may carry an alias label such as `eth0:1`), if given.
    pub interface: Option<String>,
    /// Broadcast address, if given (IPv4 only).
    pub broadcast: Option<Ipv4Addr>,
}

impl fmt::Display for IpAddrSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.address)?;
        let parts = [
            self.prefix.map(|p| p.to_string()),
            self.interface.clone(),
            self.broadcast.map(|b| b.to_string()),
        ];
        let last = parts.iter().rposition(Option::is_some);
        if let Some(last) = last {
            for p in &parts[..=last] {
                write!(f, "/{}", p.as_deref().unwrap_or(""))?;
            }
        }
        Ok(())
    }
}

/// Where the program managing a resource is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptPath {
    /// Implemented natively by heartbeat-rs (`IPaddr`, `IPaddr2`).
    Builtin,
    /// The script or agent found on disk.
    Found(PathBuf),
    /// Not looked up (syntax-only check).
    Unchecked,
}
