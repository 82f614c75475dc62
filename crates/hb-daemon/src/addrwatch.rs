//! Address watch: virtual addresses that heal themselves, and carrier loss on a VIP's
//! interface (issue 15). Driven by kernel netlink events, never by polling.
//!
//! - A VIP of a group started here that disappears (`ip addr del`, a DHCP client, a network
//!   script) is added back and announced again at once; counted and logged.
//! - A VIP of ours that appears while its group is not active here (neither starting nor
//!   started) is removed: only the holder may answer for it.
//! - An interface named by a VIP of a group started here that loses carrier hands that group
//!   over ([`HealthInput::CarrierLost`]); a restart could not help.
//!
//! A group's address is held from the moment a start covering it is spawned until a stop
//! covering it is spawned, so our own adds and removes never trigger the watch. A restart in
//! place covers only the resources from the failed one rightwards: an address left of it
//! stays held and watched throughout.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use hb_core::{Action, ActionResult, GroupId, HealthInput, Input};
use hb_platform::ipaddr::{NetEvent, VipSpec};
use tokio::sync::mpsc;

use crate::actions::Runner;
use crate::setup::Resource;

/// A virtual address as the watch knows it: its spec and its text in `haresources`.
type Vip = (VipSpec, String);

/// The watch and its counters.
pub struct AddrWatch {
    rx: Option<mpsc::Receiver<NetEvent>>,
    /// Per group: its virtual addresses (spec, text as written).
    vips: Vec<Vec<(VipSpec, String)>>,
    /// Per group: the index in the group of each of its `vips`.
    vip_index: Vec<Vec<usize>>,
    /// Per group: its resources below this index are held (0: none, `usize::MAX`: all).
    held: Vec<usize>,
    /// Last carrier state seen per interface index.
    carrier: HashMap<u32, bool>,
    /// VIPs added back after a removal we did not make.
    pub healed: u64,
    /// Foreign copies of our VIPs removed.
    pub removed: u64,
    /// Where re-adds, removals and carrier losses are counted for scrapes.
    pub metrics: crate::metrics::health::HealthMetrics,
}

impl AddrWatch {
    /// Subscribes when some group has a VIP (a failure to subscribe is logged, not fatal).
    pub fn start(groups: &[Arc<Vec<Resource>>]) -> AddrWatch {
        let (vips, vip_index): (Vec<Vec<Vip>>, Vec<Vec<usize>>) = groups
            .iter()
            .map(|g| {
                g.iter()
                    .enumerate()
                    .filter_map(|(i, r)| match r {
                        Resource::Vip { spec, text } => Some(((spec.clone(), text.clone()), i)),
                        _ => None,
                    })
                    .unzip()
            })
            .unzip();
        let rx = if vips.iter().any(|v| !v.is_empty()) {
            match hb_platform::ipaddr::watch() {
                Ok(rx) => Some(rx),
                Err(e) => {
                    tracing::error!("address watch off: {e}");
                    None
                }
            }
        } else {
            None
        };
        let n = vips.len();
        AddrWatch {
            rx,
            vips,
            vip_index,
            held: vec![0; n],
            carrier: HashMap::new(),
            healed: 0,
            removed: 0,
            metrics: crate::metrics::health::HealthMetrics::default(),
        }
    }

    /// Follows the group's actions on its resources `from..` (`result: None` when the action
    /// is spawned).
    pub fn on_action(
        &mut self,
        group: GroupId,
        action: Action,
        from: usize,
        result: Option<&ActionResult>,
    ) {
        let Some(h) = self.held.get_mut(usize::from(group.0)) else { return };
        match (action, result) {
            (Action::Start, None) => *h = usize::MAX,
            (Action::Stop, None) => *h = (*h).min(from),
            (Action::Start, Some(r)) if *r != ActionResult::Ok => *h = (*h).min(from),
            _ => {}
        }
    }

    /// Whether the `k`th address of group `g` is held here (and so watched).
    fn watched(&self, g: usize, k: usize) -> bool {
        self.vip_index[g].get(k).is_some_and(|&i| i < self.held[g])
    }

    /// Next kernel event (pending forever without a subscription).
    pub async fn next(&mut self) -> Option<NetEvent> {
        match self.rx.as_mut() {
            Some(rx) => rx.recv().await,
            None => std::future::pending().await,
        }
    }

    /// Reacts to one event; returns the engine inputs it calls for.
    pub fn on_event(&mut self, ev: NetEvent, runner: &Runner) -> Vec<Input> {
        match ev {
            NetEvent::AddressRemoved(a) => {
                let mut held: Vec<(VipSpec, String)> = Vec::new();
                for (g, vips) in self.vips.iter().enumerate() {
                    for (k, v) in vips.iter().enumerate() {
                        if v.0.addr == a.addr && self.watched(g, k) {
                            held.push(v.clone());
                        }
                    }
                }
                for (spec, text) in held {
                    self.healed += 1;
                    self.metrics.vip_readded(&text);
                    tracing::warn!(
                        "{text}: address removed under us (#{}); adding it back",
                        self.healed
                    );
                    heal(runner.clone(), spec, text);
                }
                Vec::new()
            }
            NetEvent::AddressAdded(a) => {
                let ours = self.vips.iter().enumerate().any(|(g, v)| {
                    v.iter().enumerate().any(|(k, (s, _))| s.addr == a.addr && self.watched(g, k))
                });
                let known = self.vips.iter().flatten().find(|(s, _)| s.addr == a.addr);
                if let (false, Some((_, text))) = (ours, known) {
                    self.removed += 1;
                    self.metrics.vip_stray_removed(text);
                    tracing::warn!(
                        "{text}: address appeared but its group is not held here (#{}); removing it",
                        self.removed
                    );
                    let (runner, addr) = (runner.clone(), a.addr);
                    tokio::spawn(async move {
                        let _l = runner.netlink_lock.lock().await;
                        if let Err(e) = runner.netlink.remove(addr).await {
                            tracing::error!("cannot remove {addr}: {e}");
                        }
                    });
                }
                Vec::new()
            }
            NetEvent::Link { index, name, up, carrier } => {
                let now_ok = up && carrier;
                let was_ok = self.carrier.insert(index, now_ok).unwrap_or(true);
                if now_ok || !was_ok {
                    return Vec::new();
                }
                let named = |s: &VipSpec| s.iface.as_deref() == Some(name.as_str());
                if self.vips.iter().flatten().any(|(s, _)| named(s)) {
                    self.metrics.carrier_lost(&name);
                }
                let mut out = Vec::new();
                for (g, vips) in self.vips.iter().enumerate() {
                    let on_it = vips.iter().enumerate().any(|(k, (s, _))| {
                        s.iface.as_deref() == Some(name.as_str()) && self.watched(g, k)
                    });
                    if on_it {
                        tracing::error!(
                            "{name}: carrier lost under a virtual address; handing its group over"
                        );
                        let group = GroupId(u16::try_from(g).unwrap_or(u16::MAX));
                        let reason = format!("interface {name} lost carrier");
                        out.push(Input::Health(HealthInput::CarrierLost { group, reason }));
                    }
                }
                out
            }
            _ => Vec::new(),
        }
    }
}

/// Adds `spec` back and announces it, off the run loop.
fn heal(runner: Runner, spec: VipSpec, text: String) {
    tokio::spawn(async move {
        let t0 = Instant::now();
        let done = {
            let _l = runner.netlink_lock.lock().await;
            runner.netlink.take_over(&spec, runner.garp).await
        };
        match done {
            Ok(_) => tracing::warn!("{text}: added back and announced in {:?}", t0.elapsed()),
            Err(e) => tracing::error!("{text}: cannot add it back: {e}"),
        }
    });
}
