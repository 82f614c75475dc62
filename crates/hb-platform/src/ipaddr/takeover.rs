//! The `IPaddr`/`IPaddr2` resource actions: start (add + announce), stop, status; one address
//! at a time, or many with one kernel dump (a group of hundreds of addresses).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use futures_util::stream::{FuturesOrdered, StreamExt};
use netlink_packet_route::address::AddressMessage;

use super::{holds_with, resolve_with, AddrInfo, Change, Netlink, ResolvedVip, VipSpec};
use crate::garp::{self, GarpConfig};
use crate::{PlatformError, Result};

/// Most address additions [`Netlink::take_over_all`] keeps in flight at once: enough to keep
/// the kernel busy, few enough that their answers fit in the netlink socket's receive buffer.
pub const PIPELINE_DEPTH: usize = 64;

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
    /// From the call until the last address taken over had its first announcement round.
    pub first_round_in: Duration,
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

    /// [`Netlink::take_over`] for many addresses, in order, as one netlink exchange: one link
    /// dump and one address dump for all of them, then the additions pipelined (up to
    /// [`PIPELINE_DEPTH`] requests in flight, answers read in order) rather than each awaited
    /// before the next is sent. Awaiting them one by one made the last of 1000 addresses wait
    /// for 999 round trips to the kernel.
    ///
    /// Each address gets its first announcement round (one burst: ARP request and reply, or
    /// one neighbour advertisement) as soon as its addition is confirmed, so the first answers
    /// clients before the last is configured; the further rounds of `announce` follow for the
    /// whole batch at once, `announce.interval` apart. Every address still gets all its
    /// frames, but the last one's first frame no longer waits for every earlier address's
    /// repeats (the frames, not the additions, were most of a 1000-address takeover), and a
    /// non-zero interval is waited once per round rather than once per address and round.
    ///
    /// A group starts left to right and stops at its first failing resource: after a failure
    /// nothing more is sent, and additions already in flight behind it are undone, so the
    /// outcome is the same as one by one.
    pub async fn take_over_all(&self, specs: &[VipSpec], announce: GarpConfig) -> Batch {
        let began = std::time::Instant::now();
        let mut batch = Batch {
            done: Vec::with_capacity(specs.len()),
            failed: None,
            first_round_in: Duration::ZERO,
        };
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
        // Resolve every address first; later specs resolve against the table as it will be
        // (a duplicate is then "already present", as with one-by-one calls).
        let mut plan: Vec<(ResolvedVip, bool)> = Vec::with_capacity(specs.len());
        let mut unresolved = None;
        for (i, spec) in specs.iter().enumerate() {
            match resolve_with(spec, &links, &addrs) {
                Ok(vip) => {
                    let present = addrs.iter().any(|a| a.addr == vip.addr);
                    if !present {
                        addrs.push(AddrInfo {
                            index: vip.link.index,
                            addr: vip.addr,
                            prefix: vip.prefix,
                            broadcast: vip.broadcast,
                            label: vip.label.clone(),
                            proto: Some(super::ADDRESS_PROTO),
                        });
                    }
                    plan.push((vip, present));
                }
                Err(e) => {
                    unresolved = Some((i, e));
                    break;
                }
            }
        }
        let first_round = GarpConfig { rounds: announce.rounds.min(1), interval: Duration::ZERO };
        let mut next = 0;
        let mut in_flight = FuturesOrdered::new();
        let mut undo: Vec<ResolvedVip> = Vec::new();
        loop {
            while batch.failed.is_none() && in_flight.len() < PIPELINE_DEPTH && next < plan.len() {
                let (vip, present) = &plan[next];
                let present = *present;
                in_flight.push_back(async move {
                    let change = if present {
                        Ok(Change::AlreadyInState)
                    } else {
                        self.add_absent(vip).await
                    };
                    (vip, change)
                });
                next += 1;
            }
            let Some((vip, change)) = in_flight.next().await else { break };
            if batch.failed.is_some() {
                // Sent before the failure was known: take back what it added.
                if matches!(change, Ok(Change::Done)) {
                    undo.push(vip.clone());
                }
                continue;
            }
            let outcome = match change {
                Ok(change) => match self.announce(vip, first_round).await {
                    Ok(announced) => Ok(Takeover { vip: vip.clone(), change, announced }),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            match outcome {
                Ok(t) => {
                    batch.done.push(t);
                    batch.first_round_in = began.elapsed();
                }
                Err(e) => batch.failed = Some((batch.done.len(), e)),
            }
        }
        if batch.failed.is_none() {
            batch.failed = unresolved;
        }
        for vip in undo {
            if let Err(e) = self.remove(vip.addr).await {
                tracing::warn!("{}: cannot undo an addition after a failure: {e}", vip.addr);
            }
        }
        self.repeat_rounds(&mut batch.done, announce).await;
        batch
    }

    /// Rounds 2 and later of `announce` for addresses that had their first: one round for all
    /// of them, then the next after `announce.interval`. A frame that cannot be sent here is
    /// logged; the address was added and announced once already, so it stays.
    async fn repeat_rounds(&self, done: &mut [Takeover], announce: GarpConfig) {
        let one = GarpConfig { rounds: 1, interval: Duration::ZERO };
        for _ in 1..announce.rounds.min(garp::MAX_ROUNDS) {
            if !announce.interval.is_zero() {
                tokio::time::sleep(announce.interval).await;
            }
            for t in done.iter_mut() {
                match self.announce(&t.vip, one).await {
                    Ok(n) => t.announced += n,
                    Err(e) => tracing::warn!("{}: repeated announcement failed: {e}", t.vip.addr),
                }
            }
        }
    }

    /// `stop`: removes the address wherever it is (absent = success).
    pub async fn release(&self, spec: &VipSpec) -> Result<Change> {
        self.remove(spec.addr).await
    }

    /// [`Netlink::release`] for many addresses with one address dump, the removals pipelined
    /// like the additions of [`Netlink::take_over_all`]. The outer error is the dump's;
    /// otherwise one result per address, in order, a failure not stopping the rest.
    pub async fn release_all(&self, specs: &[VipSpec]) -> Result<Vec<Result<Change>>> {
        // The dump grouped by address once: matching each spec against the whole dump was
        // quadratic (a million parses for 1000 addresses).
        let mut by_addr: HashMap<IpAddr, Vec<AddressMessage>> = HashMap::new();
        for msg in self.address_messages().await? {
            if let Some(a) = super::addr_info(&msg) {
                by_addr.entry(a.addr).or_default().push(msg);
            }
        }
        let mut out = Vec::with_capacity(specs.len());
        let mut pending = specs.iter();
        let mut in_flight = FuturesOrdered::new();
        loop {
            while in_flight.len() < PIPELINE_DEPTH {
                let Some(spec) = pending.next() else { break };
                let msgs = by_addr.get(&spec.addr).map_or(&[][..], Vec::as_slice);
                in_flight.push_back(self.delete_matching(spec.addr, msgs));
            }
            match in_flight.next().await {
                Some(result) => out.push(result),
                None => break,
            }
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
