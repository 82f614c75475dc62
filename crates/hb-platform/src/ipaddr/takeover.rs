//! The `IPaddr`/`IPaddr2` resource actions: start (add + announce), stop, status; one address
//! at a time, or many with one kernel dump (a group of hundreds of addresses).

use std::net::IpAddr;

use super::{holds_with, resolve_with, AddrInfo, Change, Netlink, ResolvedVip, VipSpec};
use crate::garp::{self, GarpConfig};
use crate::{PlatformError, Result};

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

/// What [`Netlink::take_over_all`] did: the addresses taken over, in order, and the first
/// failure, after which nothing more was tried (a group starts left to right and stops at its
/// first failing resource).
#[derive(Debug)]
pub struct Batch {
    /// One entry per address taken over, in the order given.
    pub done: Vec<Takeover>,
    /// The index (into the given specs) and the error of the address that failed, if any.
    pub failed: Option<(usize, PlatformError)>,
}

impl Netlink {
    /// `start`: adds the address (idempotent) and announces it, gratuitous ARP for IPv4 and an
    /// unsolicited neighbour advertisement for IPv6. Announces also when the address was
    /// already present: after a takeover a stale neighbour cache is the usual failure, and a
    /// repeated announcement is harmless.
    pub async fn take_over(&self, spec: &VipSpec, announce: GarpConfig) -> Result<Takeover> {
        let vip = self.resolve(spec).await?;
        let change = self.add(&vip).await?;
        let announced = self.announce(&vip, announce).await?;
        Ok(Takeover { vip, change, announced })
    }

    /// [`Netlink::take_over`] for many addresses, in order, with one link dump and one address
    /// dump for all of them rather than three dumps each: a dump lists every address, so
    /// one-by-one calls cost time quadratic in the group's size (256 addresses took 125 ms on
    /// an idle machine and seconds on a busy one). Each address is announced as soon as it is
    /// added, so the first answers clients before the last is configured.
    pub async fn take_over_all(&self, specs: &[VipSpec], announce: GarpConfig) -> Batch {
        let mut batch = Batch { done: Vec::with_capacity(specs.len()), failed: None };
        if specs.is_empty() {
            return batch;
        }
        let (links, mut addrs) = match self.tables().await {
            Ok(t) => t,
            Err(e) => {
                batch.failed = Some((0, e));
                return batch;
            }
        };
        for (i, spec) in specs.iter().enumerate() {
            let one = async {
                let vip = resolve_with(spec, &links, &addrs)?;
                let change = if addrs.iter().any(|a| a.addr == vip.addr) {
                    Change::AlreadyInState
                } else {
                    self.add_absent(&vip).await?
                };
                let announced = self.announce(&vip, announce).await?;
                Ok::<_, PlatformError>(Takeover { vip, change, announced })
            };
            match one.await {
                Ok(t) => {
                    // Later specs resolve against the table as it now is (a duplicate is then
                    // "already present", as with one-by-one calls).
                    if t.change == Change::Done {
                        addrs.push(AddrInfo {
                            index: t.vip.link.index,
                            addr: t.vip.addr,
                            prefix: t.vip.prefix,
                            broadcast: t.vip.broadcast,
                            label: t.vip.label.clone(),
                            proto: Some(super::ADDRESS_PROTO),
                        });
                    }
                    batch.done.push(t);
                }
                Err(e) => {
                    batch.failed = Some((i, e));
                    break;
                }
            }
        }
        batch
    }

    /// `stop`: removes the address wherever it is (absent = success).
    pub async fn release(&self, spec: &VipSpec) -> Result<Change> {
        self.remove(spec.addr).await
    }

    /// [`Netlink::release`] for many addresses with one address dump. The outer error is the
    /// dump's; otherwise one result per address, in order, a failure not stopping the rest.
    pub async fn release_all(&self, specs: &[VipSpec]) -> Result<Vec<Result<Change>>> {
        let msgs = self.address_messages().await?;
        let mut out = Vec::with_capacity(specs.len());
        for spec in specs {
            out.push(self.delete_matching(spec.addr, &msgs).await);
        }
        Ok(out)
    }

    /// `status`: whether this host holds the address (on the given interface, if one is given).
    pub async fn holds(&self, spec: &VipSpec) -> Result<bool> {
        let (links, addrs) = self.tables().await?;
        Ok(holds_with(spec, &links, &addrs))
    }

    /// [`Netlink::holds`] for many addresses with one link and one address dump.
    pub async fn holds_all(&self, specs: &[VipSpec]) -> Result<Vec<bool>> {
        let (links, addrs) = self.tables().await?;
        Ok(specs.iter().map(|s| holds_with(s, &links, &addrs)).collect())
    }

    /// Announces again those of `specs` this host holds, with one dump; never adds an address,
    /// so it cannot undo a release. Per spec: `None` when not held here, else the frames sent
    /// or why announcing failed.
    pub async fn announce_held(
        &self,
        specs: &[VipSpec],
        cfg: GarpConfig,
    ) -> Result<Vec<Option<Result<u32>>>> {
        let (links, addrs) = self.tables().await?;
        let mut out = Vec::with_capacity(specs.len());
        for spec in specs {
            if !holds_with(spec, &links, &addrs) {
                out.push(None);
                continue;
            }
            let sent = match resolve_with(spec, &links, &addrs) {
                Ok(vip) => self.announce(&vip, cfg).await,
                Err(e) => Err(e),
            };
            out.push(Some(sent));
        }
        Ok(out)
    }

    /// Announces `vip` at its interface's Ethernet address (nothing without one).
    pub async fn announce(&self, vip: &ResolvedVip, cfg: GarpConfig) -> Result<u32> {
        match (vip.addr, vip.link.mac) {
            (IpAddr::V4(a), Some(mac)) => {
                let sock = match self.arp.get() {
                    Some(s) => s,
                    None => {
                        let opened = garp::ArpSocket::open()?;
                        self.arp.get_or_init(|| opened)
                    }
                };
                sock.announce(vip.link.index, mac, a, cfg).await
            }
            (IpAddr::V6(a), Some(mac)) => {
                garp::announce_ipv6(&vip.link.name, vip.link.index, mac, a, cfg).await
            }
            (_, None) => Ok(0),
        }
    }
}
