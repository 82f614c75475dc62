//! Arbitration invariant d: after a node is told that fencing a peer failed, it starts none of
//! the groups that peer held (still holds, or lost in its crash) until it sees the peer alive
//! again, reboots, or is told of a later successful fence. A group another node started in the
//! meantime is that node's business (invariant c judges it).

use super::{Fact, Invariant, View};
use crate::engine::Observation;

/// Checker for arbitration invariant d.
#[derive(Debug, Default)]
pub struct FenceFailureBlocks {
    present: Vec<Vec<bool>>,
    /// Per group: the node that lost it in a crash (until someone starts it).
    lost: Vec<Option<usize>>,
    /// `blocked[x][h]`: groups x may not start after fencing h failed.
    blocked: Vec<Vec<Option<Vec<usize>>>>,
    /// `back[x][h]`: x saw h alive again after it last declared h dead (a fence result that
    /// arrives after that return blocks nothing: x already knows h is alive).
    back: Vec<Vec<bool>>,
    checks: u64,
}

impl Invariant for FenceFailureBlocks {
    fn name(&self) -> &'static str {
        "fence-failure-blocks"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        let sc = view.scenario;
        if sc.arbitration.fencing.is_none() {
            return Ok(());
        }
        let (nodes, groups) = (sc.nodes, sc.groups.len());
        self.present.resize(nodes, vec![false; groups]);
        self.lost.resize(groups, None);
        self.blocked.resize(nodes, vec![None; nodes]);
        self.back.resize(nodes, vec![false; nodes]);
        match fact {
            Fact::Crashed { node, held, .. } => {
                for g in held {
                    self.lost[*g] = Some(*node);
                }
                self.blocked[*node].iter_mut().for_each(|b| *b = None);
            }
            Fact::Booted(node) => self.blocked[*node].iter_mut().for_each(|b| *b = None),
            // Armed time counts as judging: a start of a blocked group would be a violation.
            Fact::Tick => {
                self.checks += self.blocked.iter().flatten().flatten().count() as u64;
            }
            Fact::FenceDone { by, target, ok } => {
                let failed_while_dead = !ok && !self.back[*by][*target];
                self.blocked[*by][*target] = failed_while_dead.then(|| {
                    (0..groups)
                        .filter(|g| self.present[*target][*g] || self.lost[*g] == Some(*target))
                        .collect()
                });
            }
            Fact::Observed { node, obs: Observation::PeerUp(p) } => {
                self.blocked[*node][*p] = None;
                self.back[*node][*p] = true;
            }
            Fact::Observed { node, obs: Observation::PeerDead(p) } => self.back[*node][*p] = false,
            Fact::Group { node, group, present, .. } => {
                let began = *present && !self.present[*node][*group];
                self.present[*node][*group] = *present;
                if !began {
                    return Ok(());
                }
                self.lost[*group] = None;
                for (h, b) in self.blocked[*node].iter().enumerate() {
                    let Some(set) = b else { continue };
                    if set.contains(group) {
                        return Err(format!(
                            "{} started group {group} ({}) of {} although fencing {} failed \
                             and it has not seen it alive since",
                            sc.node_name(*node),
                            sc.groups[*group].resources[0],
                            sc.node_name(h),
                            sc.node_name(h)
                        ));
                    }
                }
                // Someone else started it: from now on it is theirs, not the fenced node's.
                for (x, row) in self.blocked.iter_mut().enumerate() {
                    if x != *node {
                        row.iter_mut().flatten().for_each(|set| set.retain(|g| g != group));
                    }
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
