//! Arbitration invariant c: with fencing configured, a node starts a group whose previous
//! holder died uncleanly only after fencing that holder successfully, unless the holder came
//! back. Judged on ground truth: when node X begins starting group g,
//! - if g's last holder H crashed (or was powered off) while g was present on it and H has not
//!   booted since, X must have been told of a successful fence of H after that crash;
//! - no live node that X has declared dead (and that has not rebooted since) may still hold g:
//!   a successful fence would have powered it off.
//!
//! Both only when X's current engine still heard from H after H began holding g: a peer that
//! held nothing when it fell silent "handed over cleanly" in heartbeat's terms (`stonith ...
//! unneeded`), and what it started after X lost sight of it is a split brain fencing does not
//! claim to prevent. Whether X had already *learned* what H held does not matter: holdings
//! not yet announced are not a clean hand-over.

use super::{Fact, Invariant, View};
use crate::engine::Observation;
use crate::time::SimTime;

/// Checker for arbitration invariant c.
#[derive(Debug, Default)]
pub struct FenceBeforeTakeover {
    /// Per node and group: present since.
    present: Vec<Vec<Option<SimTime>>>,
    /// Per group: the node that lost it in a crash, when, and since when it had held it.
    lost: Vec<Option<(usize, SimTime, SimTime)>>,
    /// `fenced[x][h]`: last time x was told h was fenced.
    fenced: Vec<Vec<Option<SimTime>>>,
    /// `dead[x][h]`: since when x's engine considers h dead.
    dead: Vec<Vec<Option<SimTime>>>,
    checks: u64,
}

impl FenceBeforeTakeover {
    fn judge_start(&self, view: &View<'_>, x: usize, g: usize) -> Result<(), String> {
        let sc = view.scenario;
        let key = &sc.groups[g].resources[0];
        // A status sent before the start may still arrive after it.
        let margin_us = 3 * sc.net.delay_max_us + crate::net::REORDER_MAX_US;
        let booted = view.booted_at[x].unwrap_or(view.now);
        let known = |h: usize, since: SimTime| {
            view.last_fresh[x][h]
                .is_some_and(|heard| heard >= booted && heard.since(since) >= margin_us)
        };
        if let Some((h, at, since)) = self.lost[g] {
            if h != x && known(h, since) && self.fenced[x][h].is_none_or(|f| f < at) {
                return Err(format!(
                    "{} started group {g} ({key}) which {} held when it crashed at {at}, \
                     without a successful fence of {} since",
                    sc.node_name(x),
                    sc.node_name(h),
                    sc.node_name(h)
                ));
            }
        }
        for h in 0..sc.nodes {
            let Some(dead_since) = self.dead[x][h] else { continue };
            let same_life = view.booted_at[h].is_some_and(|b| b <= dead_since);
            let held = self.present[h][g].is_some_and(|since| known(h, since));
            if h != x && same_life && held {
                return Err(format!(
                    "{} started group {g} ({key}) while {}, which it declared dead at \
                     {dead_since} and did not fence, still holds it",
                    sc.node_name(x),
                    sc.node_name(h)
                ));
            }
        }
        Ok(())
    }
}

impl Invariant for FenceBeforeTakeover {
    fn name(&self) -> &'static str {
        "fence-before-takeover"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        let sc = view.scenario;
        if sc.arbitration.fencing.is_none() {
            return Ok(());
        }
        let (nodes, groups) = (sc.nodes, sc.groups.len());
        self.present.resize(nodes, vec![None; groups]);
        self.lost.resize(groups, None);
        self.fenced.resize(nodes, vec![None; nodes]);
        self.dead.resize(nodes, vec![None; nodes]);
        match fact {
            Fact::Crashed { node, held, .. } => {
                for g in held {
                    let since = self.present[*node][*g].unwrap_or(view.now);
                    self.lost[*g] = Some((*node, view.now, since));
                }
                self.dead[*node].iter_mut().for_each(|d| *d = None);
            }
            Fact::Booted(node) => {
                self.lost
                    .iter_mut()
                    .filter(|l| l.is_some_and(|(h, ..)| h == *node))
                    .for_each(|l| *l = None);
                self.dead[*node].iter_mut().for_each(|d| *d = None);
            }
            Fact::FenceDone { by, target, ok: true } => self.fenced[*by][*target] = Some(view.now),
            Fact::Observed { node, obs: Observation::PeerDead(p) } => {
                self.dead[*node][*p] = Some(view.now);
            }
            Fact::Observed { node, obs: Observation::PeerUp(p) } => self.dead[*node][*p] = None,
            Fact::Group { node, group, present, .. } => {
                let began = *present && self.present[*node][*group].is_none();
                if !*present {
                    self.present[*node][*group] = None;
                } else if began {
                    self.present[*node][*group] = Some(view.now);
                }
                if began {
                    self.checks += 1;
                    self.judge_start(view, *node, *group)?;
                    self.lost[*group] = None;
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
