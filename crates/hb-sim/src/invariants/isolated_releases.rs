//! Arbitration invariant a: a node cut off from everything (its uplink down and no live peer's
//! heartbeats reaching it) holds nothing once it has had time to notice: `deadtime` for its
//! peers to die (`initdead` after a boot; a replayed heartbeat that still reaches it restarts
//! that), `deadping` for its pinger to give up, then its stops.
//! Only in scenarios with ping nodes.

use super::{Fact, Invariant, View};
use crate::time::SimTime;

/// Checker for arbitration invariant a.
#[derive(Debug, Default)]
pub struct IsolatedReleases {
    /// Per node: isolated without a break since.
    since: Vec<Option<SimTime>>,
    checks: u64,
}

impl IsolatedReleases {
    fn deadline(view: &View<'_>, node: usize, since: SimTime) -> SimTime {
        let t = &view.scenario.timing;
        let deadping = view.scenario.arbitration.deadping_ms;
        let from_cut = since.plus_millis(view.dead_interval_ms(since).max(deadping));
        let booted = view.booted_at[node].unwrap_or(since);
        let from_boot = booted.plus_millis(t.initdead_ms.max(deadping));
        from_cut.max(from_boot).plus_micros(view.arbitration_slack_us())
    }
}

impl Invariant for IsolatedReleases {
    fn name(&self) -> &'static str {
        "isolated-releases"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        let sc = view.scenario;
        if !sc.arbitration.ping_nodes {
            return Ok(());
        }
        self.since.resize(sc.nodes, None);
        for n in 0..sc.nodes {
            if !view.isolated(n) {
                self.since[n] = None;
            } else if self.since[n].is_none() {
                self.since[n] = Some(view.now);
            }
        }
        // An old heartbeat replayed across the cut may fill a gap the node still waits for, and
        // heartbeat counts that as a sign of life: the node's timer starts again.
        if let Fact::Status { to, .. } = fact {
            if self.since[*to].is_some() {
                self.since[*to] = Some(view.now);
            }
        }
        if !matches!(fact, Fact::Tick) {
            return Ok(());
        }
        for n in 0..sc.nodes {
            let Some(since) = self.since[n] else { continue };
            if view.now <= Self::deadline(view, n, since) {
                continue;
            }
            self.checks += 1;
            let held: Vec<usize> =
                (0..sc.groups.len()).filter(|g| view.resources.present(n, *g)).collect();
            if !held.is_empty() {
                return Err(format!(
                    "{} has been cut off from its ping nodes and every live peer since {since} \
                     ({} ms; deadtime {} ms, deadping {} ms) and still holds groups {held:?}",
                    sc.node_name(n),
                    view.now.since(since) / 1000,
                    sc.timing.deadtime_ms,
                    sc.arbitration.deadping_ms
                ));
            }
        }
        Ok(())
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
