//! The `IPaddr`/`IPaddr2` resource actions: start (add + announce), stop, status.

use std::net::IpAddr;

use super::{Change, Netlink, ResolvedVip, VipSpec};
use crate::garp::{self, GarpConfig};
use crate::Result;

/// What [`Netlink::take_over`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Takeover {
    /// The address as configured.
    pub vip: ResolvedVip,
    /// Whether it was added or already present.
    pub change: Change,
    /// Announcement frames sent (gratuitous ARP or neighbour advertisements); 0 when the link
    /// has no Ethernet address.
    pub announced: u32,
}

impl Netlink {
    /// `start`: adds the address (idempotent) and announces it, gratuitous ARP for IPv4 and an
    /// unsolicited neighbour advertisement for IPv6. Announces also when the address was
    /// already present: after a takeover a stale neighbour cache is the usual failure, and a
    /// repeated announcement is harmless.
    pub async fn take_over(&self, spec: &VipSpec, announce: GarpConfig) -> Result<Takeover> {
        let vip = self.resolve(spec).await?;
        let change = self.add(&vip).await?;
        let announced = match (vip.addr, vip.link.mac) {
            (IpAddr::V4(a), Some(mac)) => {
                let sock = match self.arp.get() {
                    Some(s) => s,
                    None => {
                        let opened = garp::ArpSocket::open()?;
                        self.arp.get_or_init(|| opened)
                    }
                };
                sock.announce(vip.link.index, mac, a, announce).await?
            }
            (IpAddr::V6(a), Some(mac)) => {
                garp::announce_ipv6(&vip.link.name, vip.link.index, mac, a, announce).await?
            }
            (_, None) => 0,
        };
        Ok(Takeover { vip, change, announced })
    }

    /// `stop`: removes the address wherever it is (absent = success).
    pub async fn release(&self, spec: &VipSpec) -> Result<Change> {
        self.remove(spec.addr).await
    }

    /// `status`: whether this host holds the address (on the given interface, if one is given).
    pub async fn holds(&self, spec: &VipSpec) -> Result<bool> {
        let Some(found) = self.find(spec.addr).await? else {
            return Ok(false);
        };
        match &spec.iface {
            None => Ok(true),
            Some(name) => {
                Ok(self.link(name).await.map(|l| l.index == found.index).unwrap_or(false))
            }
        }
    }
}
