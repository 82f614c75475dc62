//! Executing an instance's outputs: adverts, addresses, announcements, notify jobs, logs.

use std::sync::Arc;
use std::time::Duration;

use hb_platform::garp::GarpConfig;
use hb_platform::ipaddr::Netlink;
use hb_vrrp::{Output, State};
use tokio::sync::mpsc;

use super::sock::VrrpSocket;
use super::{notify, Slot};

/// Removes virtual addresses left configured by an earlier run that died without releasing
/// them (kill -9, crash): every instance starts as Backup, and a backup still answering ARP
/// for the VIP would split the clients between two nodes. An address owner (priority 255)
/// keeps its addresses: they are its own and it becomes master at once.
pub(super) async fn remove_leftovers(s: &Slot, netlink: &Netlink) {
    let name = &s.engine.config().name;
    if s.engine.config().priority == hb_vrrp::PRIORITY_OWNER || s.vips.is_empty() {
        return;
    }
    match netlink.release_all(&s.vips).await {
        Ok(results) => {
            for (r, v) in results.iter().zip(&s.vips) {
                match r {
                    Ok(hb_platform::ipaddr::Change::Done) => tracing::warn!(
                        "VRRP_Instance({name}) removed {} left over from an earlier run",
                        v.addr
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::error!("VRRP_Instance({name}) removing {}: {e}", v.addr),
                }
            }
        }
        Err(e) => tracing::error!("VRRP_Instance({name}) checking for leftover addresses: {e}"),
    }
}

/// Executes every pending output of one instance, in order; returns its state changes (for
/// the sync groups).
pub(super) async fn drain(
    s: &mut Slot,
    ifaces: &[(String, Arc<VrrpSocket>)],
    netlink: &Arc<Netlink>,
    notify_tx: &mpsc::Sender<notify::Job>,
    garp_interval: Duration,
) -> Vec<(State, State, hb_vrrp::Reason)> {
    let name = s.engine.config().name.clone();
    let mut changes = Vec::new();
    while let Some(out) = s.engine.poll_output() {
        match out {
            Output::SendAdvert { dst, bytes, .. } => {
                let sock = s.sender.as_ref().unwrap_or(&ifaces[s.iface].1);
                if let Err(e) = sock.send(dst, &bytes) {
                    tracing::warn!("VRRP_Instance({name}) advert to {dst} failed: {e}");
                }
            }
            Output::AddAddresses => {
                // Announcing is the engine's separate Announce output.
                let none = GarpConfig { rounds: 0, interval: Duration::ZERO };
                let batch = netlink.take_over_all(&s.vips, none).await;
                if let Some((i, e)) = batch.failed {
                    tracing::error!("VRRP_Instance({name}) adding {}: {e}", s.vips[i].addr);
                }
            }
            Output::RemoveAddresses if s.keep_addresses => {
                tracing::info!("VRRP_Instance({name}) keeps its addresses (--dont-release-vrrp)");
            }
            Output::RemoveAddresses => match netlink.release_all(&s.vips).await {
                Ok(results) => {
                    for (r, v) in results.iter().zip(&s.vips) {
                        if let Err(e) = r {
                            tracing::error!("VRRP_Instance({name}) removing {}: {e}", v.addr);
                        }
                    }
                }
                Err(e) => tracing::error!("VRRP_Instance({name}) removing addresses: {e}"),
            },
            Output::Announce { repeat } => {
                let cfg = GarpConfig { rounds: repeat, interval: garp_interval };
                let (nl, vips, name) = (netlink.clone(), s.vips.clone(), name.clone());
                let burst = async move {
                    if let Err(e) = nl.announce_held(&vips, cfg).await {
                        tracing::warn!("VRRP_Instance({name}) gratuitous ARP: {e}");
                    }
                };
                // A paced burst (vrrp_garp_interval) sleeps between rounds: off the main
                // task, so that adverts keep their schedule. An unpaced one is immediate.
                if garp_interval.is_zero() {
                    burst.await;
                } else {
                    tokio::spawn(burst);
                }
            }
            Output::Notify(state) => {
                let job = notify::Job {
                    instance: name.clone(),
                    state,
                    priority: s.engine.effective_priority(),
                    notify: s.notify.clone(),
                    group: false,
                };
                if notify_tx.try_send(job).is_err() {
                    tracing::error!("VRRP_Instance({name}) notify queue full: {state} dropped");
                }
            }
            Output::Event(ev) => {
                if let hb_vrrp::Event::StateChange { from, to, reason } = ev {
                    changes.push((from, to, reason));
                }
                log_event(&name, &ev);
            }
            _ => tracing::debug!("VRRP_Instance({name}) unhandled output"),
        }
    }
    changes
}

fn log_event(name: &str, ev: &hb_vrrp::Event) {
    match ev {
        hb_vrrp::Event::StateChange { to, reason, .. } => {
            let word = match to {
                State::Master => "Entering MASTER STATE",
                State::Backup => "Entering BACKUP STATE",
                State::Fault => "Entering FAULT STATE",
                _ => "Stopped",
            };
            tracing::info!("(VRRP_Instance({name})) {word} ({reason:?})");
        }
        other => tracing::info!("(VRRP_Instance({name})) {other:?}"),
    }
}
