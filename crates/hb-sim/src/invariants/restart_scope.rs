//! Health-check invariant c (`--checks`): a restart in place touches only the failed member
//! and those right of it. When an engine answers a failed check of member `m` at once with a
//! stop (a restart in place: a hand-over first asks the peer and stops later), that stop must
//! cover exactly the members `m..` (all of them when `m` is past the group's end), the members
//! left of `m` must still run, and the engine's next action on the group there must be either
//! the start of the same members `m..` (the restart's second half, with the left members
//! still running) or a stop of the whole group (it was released meanwhile: nothing of it may
//! stay behind).

use super::{Fact, Invariant, View};
use crate::engine::{ActionKind, ActionReq};

/// Checker for health-check invariant c.
#[derive(Debug, Default)]
pub struct RestartScope {
    /// `reacting[node][group]`: a failed check of this member is being handed to the engine.
    reacting: Vec<Vec<Option<usize>>>,
    /// `restarting[node][group]`: a restart's stop began covering members from this one.
    restarting: Vec<Vec<Option<usize>>>,
    checks: u64,
}

impl Invariant for RestartScope {
    fn name(&self) -> &'static str {
        "restart-scope"
    }

    fn observe(&mut self, fact: &Fact, view: &View<'_>) -> Result<(), String> {
        let sc = view.scenario;
        if !sc.health.enabled {
            return Ok(());
        }
        let groups = sc.groups.len();
        self.reacting.resize(sc.nodes, vec![None; groups]);
        self.restarting.resize(sc.nodes, vec![None; groups]);
        match fact {
            Fact::CheckFailed { node, group, member } => {
                self.reacting[*node][*group] = Some(*member);
            }
            Fact::CheckHandled { node, group } => self.reacting[*node][*group] = None,
            Fact::Booted(node) | Fact::Exited(node) | Fact::Crashed { node, .. } => {
                self.reacting[*node].iter_mut().for_each(|r| *r = None);
                self.restarting[*node].iter_mut().for_each(|r| *r = None);
            }
            Fact::ActionBegun { node, req } => return self.judge(*node, req, view),
            _ => {}
        }
        Ok(())
    }

    fn checks(&self) -> u64 {
        self.checks
    }
}

impl RestartScope {
    fn judge(&mut self, node: usize, req: &ActionReq, view: &View<'_>) -> Result<(), String> {
        let g = req.group;
        if req.kind == ActionKind::Monitor || req.member.is_some() {
            return Ok(());
        }
        let members = view.scenario.groups[g].resources.len();
        let left_running = |upto: usize| {
            (0..upto).find(|&k| !view.resources.member_running(node, g, k)).map_or(Ok(()), |k| {
                Err(format!(
                    "node{}: member {k} of group {g} is not running during a restart in place \
                     from member {upto}",
                    node + 1
                ))
            })
        };
        if let Some(m) = self.reacting[node][g].take() {
            if req.kind != ActionKind::Stop {
                return Ok(());
            }
            let want = if m < members { m } else { 0 };
            self.checks += 1;
            if req.from != want {
                return Err(format!(
                    "node{}: the restart in place after member {m} of group {g} failed stops \
                     from member {} (expected {want})",
                    node + 1,
                    req.from
                ));
            }
            left_running(want)?;
            self.restarting[node][g] = Some(want);
            return Ok(());
        }
        let Some(from) = self.restarting[node][g].take() else { return Ok(()) };
        self.checks += 1;
        match req.kind {
            ActionKind::Start if req.from == from => left_running(from),
            ActionKind::Stop if req.from == 0 => Ok(()),
            _ => Err(format!(
                "node{}: after a restart's stop from member {from} of group {g}, the next action \
                 is {:?} from member {} (expected a start from {from} or a whole stop)",
                node + 1,
                req.kind,
                req.from
            )),
        }
    }
}
