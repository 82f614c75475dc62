//! Native `IPaddr`/`IPaddr2` resources: virtual addresses via rtnetlink.
//!
//! `add` is idempotent (already present = success), `remove` too (absent = success), `find`
//! answers "is it here". When the interface or prefix is not given, the interface that already
//! has an address in a subnet containing the virtual address is used, and its prefix too (the
//! longest such match wins), like heartbeat's `findif`.
//! After an IPv4 add, the daemon sends gratuitous ARP with [`crate::garp`]. [`watch`] reports
//! address and carrier changes as the kernel announces them.

mod spec;
mod takeover;
mod watch;

use std::net::{IpAddr, Ipv4Addr};

use futures_util::TryStreamExt;
use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressMessage, AddressProtocol,
};
use netlink_packet_route::link::{LinkAttribute, LinkFlags};

pub use spec::{ipv4_broadcast, same_subnet, valid_ifname, VipSpec};
pub use takeover::{Batch, Takeover};
pub use watch::{watch, NetEvent, WATCH_QUEUE};

use crate::{PlatformError, Result};

/// `IFA_PROTO` value marking addresses added by heartbeat-rs (Linux ≥ 6.3 keeps it; older
/// kernels ignore it). A restarted daemon finds the virtual addresses a crashed one left behind
/// with [`Netlink::owned_addresses`] and removes those it should not hold.
pub const ADDRESS_PROTO: u8 = 0x48;

const EEXIST: i32 = 17;
const EADDRNOTAVAIL: i32 = 99;
/// Upper bound on links/addresses we read from one dump (limit on everything that grows).
const MAX_DUMP: usize = 4096;

/// One network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// Ethernet address, if the link has a 6-byte one.
    pub mac: Option<[u8; 6]>,
    /// Administratively up.
    pub up: bool,
}

/// One address on an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrInfo {
    /// Interface index.
    pub index: u32,
    /// The address.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix: u8,
    /// IPv4 broadcast address, if set.
    pub broadcast: Option<Ipv4Addr>,
    /// Label (`eth0`, `eth0:0`), if any.
    pub label: Option<String>,
    /// `IFA_PROTO`: who added it ([`ADDRESS_PROTO`] for us), if the kernel reports it.
    pub proto: Option<u8>,
}

/// A [`VipSpec`] with every part filled in, ready to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedVip {
    /// The virtual address.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix: u8,
    /// Interface.
    pub link: LinkInfo,
    /// IPv4 broadcast address (computed from the prefix unless given; none for /31 and /32).
    pub broadcast: Option<Ipv4Addr>,
    /// Address label, if any.
    pub label: Option<String>,
}

/// Outcome of an idempotent change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The change was made.
    Done,
    /// Nothing to do: the address was already present (add) or absent (remove).
    AlreadyInState,
}

/// A route-netlink connection bound to the network namespace of the thread that created it.
/// Create it inside a tokio runtime; the connection task is aborted on drop.
pub struct Netlink {
    handle: rtnetlink::Handle,
    task: tokio::task::JoinHandle<()>,
    /// Opened on first takeover and kept: closing it costs an RCU grace period.
    arp: std::sync::OnceLock<crate::garp::ArpSocket>,
}

impl Drop for Netlink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Netlink {
    /// Opens the netlink socket and spawns its connection task on the current runtime.
    pub fn new() -> Result<Self> {
        let (conn, handle, _) =
            rtnetlink::new_connection().map_err(|e| PlatformError::io("open netlink socket", e))?;
        let task = tokio::spawn(conn);
        Ok(Netlink { handle, task, arp: std::sync::OnceLock::new() })
    }

    /// All interfaces.
    pub async fn links(&self) -> Result<Vec<LinkInfo>> {
        let mut out = Vec::new();
        let mut stream = self.handle.link().get().execute();
        while let Some(msg) =
            stream.try_next().await.map_err(|e| PlatformError::netlink("dump links", e))?
        {
            if out.len() >= MAX_DUMP {
                break;
            }
            let mut info = LinkInfo {
                index: msg.header.index,
                name: String::new(),
                mac: None,
                up: msg.header.flags.contains(LinkFlags::Up),
            };
            for attr in msg.attributes {
                match attr {
                    LinkAttribute::IfName(n) => info.name = n,
                    LinkAttribute::Address(a) => info.mac = <[u8; 6]>::try_from(a.as_slice()).ok(),
                    _ => {}
                }
            }
            out.push(info);
        }
        Ok(out)
    }

    /// The interface called `name`.
    pub async fn link(&self, name: &str) -> Result<LinkInfo> {
        self.links()
            .await?
            .into_iter()
            .find(|l| l.name == name)
            .ok_or_else(|| PlatformError::NoSuchInterface(name.to_string()))
    }

    /// The link and address tables, one dump each.
    async fn tables(&self) -> Result<(Vec<LinkInfo>, Vec<AddrInfo>)> {
        Ok((self.links().await?, self.addresses().await?))
    }

    /// All addresses of all interfaces.
    pub async fn addresses(&self) -> Result<Vec<AddrInfo>> {
        Ok(self.address_messages().await?.iter().filter_map(addr_info).collect())
    }

    /// The first IPv4 address of interface `name` (used by bcast/mcast media).
    pub async fn ipv4_of(&self, name: &str) -> Result<AddrInfo> {
        let link = self.link(name).await?;
        self.addresses()
            .await?
            .into_iter()
            .find(|a| a.index == link.index && a.addr.is_ipv4())
            .ok_or_else(|| PlatformError::NoIpv4Address(name.to_string()))
    }

    /// Where `addr` is configured, if anywhere.
    pub async fn find(&self, addr: IpAddr) -> Result<Option<AddrInfo>> {
        Ok(self.addresses().await?.into_iter().find(|a| a.addr == addr))
    }

    /// Addresses carrying our [`ADDRESS_PROTO`] mark (virtual addresses we added, possibly
    /// by a previous, crashed run).
    pub async fn owned_addresses(&self) -> Result<Vec<AddrInfo>> {
        Ok(self.addresses().await?.into_iter().filter(|a| a.proto == Some(ADDRESS_PROTO)).collect())
    }

    /// Whether `addr` is one of this host's addresses.
    pub async fn is_local(&self, addr: IpAddr) -> Result<bool> {
        Ok(self.find(addr).await?.is_some())
    }

    /// Fills in interface, prefix and broadcast of `spec` (see the module doc).
    pub async fn resolve(&self, spec: &VipSpec) -> Result<ResolvedVip> {
        let (links, addrs) = self.tables().await?;
        resolve_with(spec, &links, &addrs)
    }

    /// Adds the address; success if it is already present (on any interface).
    pub async fn add(&self, vip: &ResolvedVip) -> Result<Change> {
        if self.find(vip.addr).await?.is_some() {
            return Ok(Change::AlreadyInState);
        }
        self.add_absent(vip).await
    }

    /// Adds an address the caller found absent (EEXIST, from a race, is still success).
    async fn add_absent(&self, vip: &ResolvedVip) -> Result<Change> {
        let mut req = self.handle.address().add(vip.link.index, vip.addr, vip.prefix);
        let msg = req.message_mut();
        if let Some(b) = vip.broadcast {
            msg.attributes.push(AddressAttribute::Broadcast(b));
        }
        if let Some(l) = &vip.label {
            msg.attributes.push(AddressAttribute::Label(l.clone()));
        }
        msg.attributes.push(AddressAttribute::Protocol(AddressProtocol::Other(ADDRESS_PROTO)));
        if vip.addr.is_ipv6() {
            // A tentative address cannot be the source of our neighbour advertisement, and
            // duplicate detection would delay the takeover by a second or more.
            msg.attributes.push(AddressAttribute::Flags(AddressFlags::Nodad));
        }
        match req.execute().await {
            Ok(()) => Ok(Change::Done),
            Err(e) if errno(&e) == Some(EEXIST) => Ok(Change::AlreadyInState),
            Err(e) => Err(PlatformError::netlink(
                format!("add {}/{} on {}", vip.addr, vip.prefix, vip.link.name),
                e,
            )),
        }
    }

    /// Removes `addr` from every interface that has it; success if it is absent.
    pub async fn remove(&self, addr: IpAddr) -> Result<Change> {
        let msgs = self.address_messages().await?;
        self.delete_matching(addr, &msgs).await
    }

    /// Deletes the entries of `msgs` (an address dump) that are `addr`.
    async fn delete_matching(&self, addr: IpAddr, msgs: &[AddressMessage]) -> Result<Change> {
        let mut change = Change::AlreadyInState;
        for msg in msgs {
            if addr_info(msg).map(|a| a.addr) != Some(addr) {
                continue;
            }
            match self.handle.address().del(msg.clone()).execute().await {
                Ok(()) => change = Change::Done,
                Err(e) if errno(&e) == Some(EADDRNOTAVAIL) => {}
                Err(e) => return Err(PlatformError::netlink(format!("remove {addr}"), e)),
            }
        }
        Ok(change)
    }

    async fn address_messages(&self) -> Result<Vec<AddressMessage>> {
        let mut out = Vec::new();
        let mut stream = self.handle.address().get().execute();
        while let Some(msg) =
            stream.try_next().await.map_err(|e| PlatformError::netlink("dump addresses", e))?
        {
            if out.len() < MAX_DUMP {
                out.push(msg);
            }
        }
        Ok(out)
    }
}

/// [`Netlink::resolve`] on given tables (pure, for tests).
pub fn resolve_with(spec: &VipSpec, links: &[LinkInfo], addrs: &[AddrInfo]) -> Result<ResolvedVip> {
    let wanted = match &spec.iface {
        Some(name) => Some(
            links
                .iter()
                .find(|l| &l.name == name)
                .ok_or_else(|| PlatformError::NoSuchInterface(name.clone()))?,
        ),
        None => None,
    };
    let (link, prefix) = match (wanted, spec.prefix) {
        (Some(l), Some(p)) => (l, p),
        _ => {
            // Longest-prefix match among interface addresses whose subnet holds the VIP.
            let best = addrs
                .iter()
                .filter(|a| a.addr != spec.addr)
                .filter(|a| wanted.is_none_or(|l| l.index == a.index))
                .filter(|a| same_subnet(a.addr, spec.addr, a.prefix))
                .filter(|a| !a.addr.is_loopback())
                .max_by_key(|a| a.prefix)
                .ok_or(PlatformError::NoMatchingSubnet(spec.addr))?;
            let link = links
                .iter()
                .find(|l| l.index == best.index)
                .ok_or(PlatformError::NoMatchingSubnet(spec.addr))?;
            (link, spec.prefix.unwrap_or(best.prefix))
        }
    };
    let broadcast = match spec.addr {
        IpAddr::V4(a) if spec.broadcast.is_none() && prefix < 31 => Some(ipv4_broadcast(a, prefix)),
        IpAddr::V4(_) => spec.broadcast,
        IpAddr::V6(_) => None,
    };
    if let Some(l) = &spec.label {
        let ok = l.len() <= 15 && (l == &link.name || l.starts_with(&format!("{}:", link.name)));
        if !ok {
            return Err(PlatformError::Invalid {
                what: "address label",
                input: l.clone(),
                reason: format!("must be {0} or start with {0}: (max 15 bytes)", link.name),
            });
        }
    }
    Ok(ResolvedVip {
        addr: spec.addr,
        prefix,
        link: link.clone(),
        broadcast,
        label: spec.label.clone(),
    })
}

/// [`Netlink::holds`] on given tables (pure): `spec`'s address is configured, on its
/// interface if it names one.
pub fn holds_with(spec: &VipSpec, links: &[LinkInfo], addrs: &[AddrInfo]) -> bool {
    addrs.iter().filter(|a| a.addr == spec.addr).any(|a| match &spec.iface {
        None => true,
        Some(name) => links.iter().any(|l| &l.name == name && l.index == a.index),
    })
}

pub(crate) fn addr_info(msg: &AddressMessage) -> Option<AddrInfo> {
    let mut local = None;
    let mut address = None;
    let mut info = AddrInfo {
        index: msg.header.index,
        addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        prefix: msg.header.prefix_len,
        broadcast: None,
        label: None,
        proto: None,
    };
    for attr in &msg.attributes {
        match attr {
            AddressAttribute::Local(a) => local = Some(*a),
            AddressAttribute::Address(a) => address = Some(*a),
            AddressAttribute::Broadcast(b) => info.broadcast = Some(*b),
            AddressAttribute::Label(l) => info.label = Some(l.clone()),
            AddressAttribute::Protocol(p) => info.proto = Some(u8::from(*p)),
            _ => {}
        }
    }
    // For IPv4, IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer on
    // point-to-point links).
    info.addr = local.or(address)?;
    Some(info)
}

fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(m) => Some(-m.raw_code()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> (Vec<LinkInfo>, Vec<AddrInfo>) {
        let link = |index, name: &str| LinkInfo {
            index,
            name: name.into(),
            mac: Some([2, 0, 0, 0, 0, index as u8]),
            up: true,
        };
        let addr = |index, a: [u8; 4], prefix| AddrInfo {
            index,
            addr: IpAddr::from(a),
            prefix,
            broadcast: None,
            label: None,
            proto: None,
        };
        (
            vec![link(1, "lo"), link(2, "eth0"), link(3, "eth1")],
            vec![
                addr(1, [127, 0, 0, 1], 8),
                addr(2, [10, 99, 1, 10], 24),
                addr(3, [10, 99, 0, 10], 16),
            ],
        )
    }

    #[test]
    fn interface_and_prefix_come_from_the_matching_subnet() -> Result<()> {
        let (links, addrs) = tables();
        // 10.99.1.x is in both 10.99.1.0/24 (eth0) and 10.99.0.0/16 (eth1): longest wins.
        let v = resolve_with(&"10.99.1.50".parse()?, &links, &addrs)?;
        assert_eq!((v.link.name.as_str(), v.prefix), ("eth0", 24));
        assert_eq!(v.broadcast, Some(Ipv4Addr::new(10, 99, 1, 255)));
        let v = resolve_with(&"10.99.7.50".parse()?, &links, &addrs)?;
        assert_eq!((v.link.name.as_str(), v.prefix), ("eth1", 16));
        // Explicit interface restricts the search; explicit prefix overrides.
        let v = resolve_with(&"10.99.1.50/28/eth1".parse()?, &links, &addrs)?;
        assert_eq!((v.link.name.as_str(), v.prefix), ("eth1", 28));
        let v = resolve_with(&"10.99.1.50//eth1".parse()?, &links, &addrs)?;
        assert_eq!((v.link.name.as_str(), v.prefix), ("eth1", 16));
        Ok(())
    }

    #[test]
    fn no_subnet_or_unknown_interface_is_an_error() -> Result<()> {
        let (links, addrs) = tables();
        assert!(matches!(
            resolve_with(&"192.168.5.5".parse()?, &links, &addrs),
            Err(PlatformError::NoMatchingSubnet(_))
        ));
        assert!(matches!(
            resolve_with(&"10.99.1.5/24/eth9".parse()?, &links, &addrs),
            Err(PlatformError::NoSuchInterface(_))
        ));
        assert!(resolve_with(&"10.99.1.5/24/eth0:1".parse()?, &links, &addrs).is_ok());
        let mut bad: VipSpec = "10.99.1.5/24/eth0".parse()?;
        bad.label = Some("eth1:0".into());
        assert!(resolve_with(&bad, &links, &addrs).is_err());
        Ok(())
    }
}
