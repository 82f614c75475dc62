//! Arbitration invariant e, the ping-node version of "never two owners for long": in a
//! scenario with ping nodes, when some live node is cut off from everything (uplink down, no
//! live peer heard) and the rest of the live nodes reach their ping nodes and each other, the
//! ping nodes decide, without waiting for the partition to heal: once nothing has changed for
//! `initdead`/`deadtime`/`deadping` plus fencing and scripts, every group is held by exactly
//! one node, a reachable one, and runs there (not judged during a start-up, whose exchanges
//! wait longer). (`single-owner` only judges connected clusters;
//! here the isolated side must give up and the reachable side take over.) The takeover half is
//! only promised when scripts and fencing cannot fail.

use super::{Fact, Invariant, View};
use crate::time::SimTime;

/// Checker for arbitration invariant e.
#[derive(Debug, Default)]
pub struct ArbitratedOwner {
    last_change: SimTime,
    checks: u64,
}

impl ArbitratedOwner {
    fn bound_us(view: &View<'_>, last_change: SimTime) -> u64 {
        let t = &view.scenario.timing;
        let dead_ms = view.dead_interval_ms(last_change);
        let decide_ms = t.initdead_ms.max(dead_ms).max(view.scenario.arbitration.deadping_ms);
        decide_ms * 1000 + view.arbitration_slack_us()
    }

    /// The reachable side, if the cluster is split the way ping nodes can arbitrate.
    fn reachable_side(view: &View<'_>) -> Option<Vec<usize>> {
        let sc = view.scenario;
        let live: Vec<usize> = (0..sc.nodes).filter(|n| view.alive[*n]).collect();
        let (isolated, reach): (Vec<usize>, Vec<usize>) =
            live.iter().partition(|n| view.isolated(**n));
        let split = !isolated.is_empty() && !reach.is_empty();
        let reach_ok = reach
            .iter()
            .all(|a| view.uplink[*a] && reach.iter().all(|b| a == b || (view.hears[*a][*b])));
        (split && reach_ok).then_some(reach)
    }
}

impl Invariant for ArbitratedOwner {
    fn name(&self) -> &'static str {
        "arbitrated-owner"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        let sc = view.scenario;
        if !sc.arbitration.ping_nodes {
            return Ok(());
        }
        match fact {
            Fact::Tick => {}
            // A replayed heartbeat crossing the cut brings a peer back to life for a deadtime.
            Fact::Status { from, to, .. } if !view.hears[*from][*to] => {
                self.last_change = view.now;
                return Ok(());
            }
            Fact::Status { .. } | Fact::Observed { .. } | Fact::Group { .. } => return Ok(()),
            _ => {
                self.last_change = view.now;
                return Ok(());
            }
        }
        if view.now.since(self.last_change) < Self::bound_us(view, self.last_change) {
            return Ok(());
        }
        // Nodes started together wait for each other (heartbeat's RQSTDELAY, 10 s) before
        // anyone takes groups.
        let startup_ms = sc.timing.initdead_ms + 12_000;
        if view.last_boot.iter().flatten().any(|b| view.now < b.plus_millis(startup_ms)) {
            return Ok(());
        }
        let Some(reach) = Self::reachable_side(view) else { return Ok(()) };
        self.checks += 1;
        let reliable = sc.actions.start_fail_ppm == 0
            && sc.actions.start_hang_ppm == 0
            && sc.arbitration.fencing.is_none_or(|f| f.success_ppm == 1_000_000);
        for (g, spec) in sc.groups.iter().enumerate() {
            let holders = view.resources.holders(g);
            let names: Vec<String> = holders.iter().map(|n| sc.node_name(*n)).collect();
            let wrong = match holders.as_slice() {
                [one] if reach.contains(one) => reliable && !view.resources.running(*one, g),
                [] => reliable,
                _ => true,
            };
            if wrong {
                let reach: Vec<String> = reach.iter().map(|n| sc.node_name(*n)).collect();
                return Err(format!(
                    "group {g} ({}) is held by [{}] {} ms after the last change, although only \
                     [{}] reach their ping nodes and the rest are cut off from everything",
                    spec.resources[0],
                    names.join(", "),
                    view.now.since(self.last_change) / 1000,
                    reach.join(", ")
                ));
            }
        }
        Ok(())
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
