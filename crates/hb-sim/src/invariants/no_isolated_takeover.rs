//! Arbitration invariant b: a node told that its ping nodes do not answer starts no group it
//! was not holding (since before it was told, without a break), until it is told they answer
//! again: it takes nothing over, by any path (a dead peer's groups, a failback, a hand-over),
//! while it may be the one cut off and cannot serve clients. Only in scenarios with ping nodes; the pinger's report
//! comes `deadping` after the uplink went down, as the daemon's does.

use super::{Fact, Invariant, View};

/// Checker for arbitration invariant b.
#[derive(Debug, Default)]
pub struct NoIsolatedTakeover {
    /// Per node: groups present when it was told its ping nodes were lost (None: reachable).
    lost: Vec<Option<Vec<usize>>>,
    /// Per node and group: present (to see starts begin).
    present: Vec<Vec<bool>>,
    checks: u64,
}

impl Invariant for NoIsolatedTakeover {
    fn name(&self) -> &'static str {
        "no-isolated-takeover"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        let sc = view.scenario;
        if !sc.arbitration.ping_nodes {
            return Ok(());
        }
        self.lost.resize(sc.nodes, None);
        self.present.resize(sc.nodes, vec![false; sc.groups.len()]);
        match fact {
            Fact::PingReported { node, reachable: false } => {
                let held = (0..sc.groups.len()).filter(|g| self.present[*node][*g]).collect();
                self.lost[*node] = Some(held);
            }
            Fact::PingReported { node, reachable: true }
            | Fact::Booted(node)
            | Fact::Exited(node)
            | Fact::Crashed { node, .. } => self.lost[*node] = None,
            // Armed time counts as judging: every start in it would be a violation.
            Fact::Tick => self.checks += self.lost.iter().flatten().count() as u64,
            Fact::Group { node, group, present, .. } => {
                let began = *present && !self.present[*node][*group];
                self.present[*node][*group] = *present;
                let Some(held) = &mut self.lost[*node] else { return Ok(()) };
                if !*present {
                    held.retain(|g| g != group);
                }
                if began && !held.contains(group) {
                    return Err(format!(
                        "{} started group {group} ({}) although its pinger reported its ping \
                         nodes lost (it still held {held:?} since)",
                        sc.node_name(*node),
                        sc.groups[*group].resources[0]
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}
