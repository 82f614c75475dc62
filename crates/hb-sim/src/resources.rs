//! Ground truth about resources: which members of which group really run on which node, as
//! the machines themselves would show (an address configured, a service up), independent of
//! what any engine believes. Also the model of the resource scripts: how long an action takes
//! and whether it succeeds, fails or hangs until the shell's timeout.

use crate::engine::{ActionKind, ActionOutcome, ActionReq};
use crate::rng::SimRng;
use crate::scenario::{ActionProfile, Scenario};

/// State of one member on one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberState {
    /// Not running.
    Stopped,
    /// A start is running (the address may already answer).
    Starting,
    /// Running.
    Running,
    /// A start failed or was killed: it may be half up until a stop succeeds.
    Dirty,
    /// A stop is running.
    Stopping,
}

/// What the script model decided for one action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionPlan {
    /// Milliseconds until the shell reports completion.
    pub after_ms: u64,
    /// The reported outcome.
    pub outcome: ActionOutcome,
}

/// Resources of every node.
#[derive(Clone, Debug)]
pub struct Resources {
    /// `state[node][group][member]`.
    state: Vec<Vec<Vec<MemberState>>>,
}

impl Resources {
    /// Everything stopped.
    pub fn new(sc: &Scenario) -> Resources {
        let per_node: Vec<Vec<MemberState>> =
            sc.groups.iter().map(|g| vec![MemberState::Stopped; g.resources.len()]).collect();
        Resources { state: vec![per_node; sc.nodes] }
    }

    /// The machine lost power: nothing runs on it any more.
    pub fn wipe(&mut self, node: usize) {
        if let Some(groups) = self.state.get_mut(node) {
            for m in groups.iter_mut().flatten() {
                *m = MemberState::Stopped;
            }
        }
    }

    /// Records that an action began; returns the members it touches.
    pub fn begin(&mut self, node: usize, req: &ActionReq) -> Vec<usize> {
        let members = self.members(node, req);
        for &m in &members {
            if let Some(s) = self.slot(node, req.group, m) {
                match req.kind {
                    ActionKind::Start => *s = MemberState::Starting,
                    ActionKind::Stop => {
                        if *s != MemberState::Stopped {
                            *s = MemberState::Stopping;
                        }
                    }
                    ActionKind::Monitor => {}
                }
            }
        }
        members
    }

    /// Records how an action ended.
    pub fn finish(&mut self, node: usize, req: &ActionReq, outcome: ActionOutcome) {
        for m in self.members(node, req) {
            if let Some(s) = self.slot(node, req.group, m) {
                *s = match (req.kind, outcome) {
                    (ActionKind::Start, ActionOutcome::Success) => MemberState::Running,
                    (ActionKind::Start, _) => MemberState::Dirty,
                    (ActionKind::Stop, ActionOutcome::Success) => MemberState::Stopped,
                    (ActionKind::Stop, _) => MemberState::Dirty,
                    (ActionKind::Monitor, _) => *s,
                };
            }
        }
    }

    /// Whether any trace of `group` is present on `node` (running, starting, stopping or dirty):
    /// anything but fully stopped counts as holding it for safety purposes.
    pub fn present(&self, node: usize, group: usize) -> bool {
        self.group(node, group).is_some_and(|g| g.iter().any(|m| *m != MemberState::Stopped))
    }

    /// Whether every member of `group` runs on `node`.
    pub fn running(&self, node: usize, group: usize) -> bool {
        self.group(node, group).is_some_and(|g| g.iter().all(|m| *m == MemberState::Running))
    }

    /// Whether member `member` of `group` runs on `node`.
    pub fn member_running(&self, node: usize, group: usize, member: usize) -> bool {
        self.group(node, group).and_then(|g| g.get(member)) == Some(&MemberState::Running)
    }

    /// Nodes on which `group` is present.
    pub fn holders(&self, group: usize) -> Vec<usize> {
        (0..self.state.len()).filter(|n| self.present(*n, group)).collect()
    }

    /// Whether a monitor of this member would report it running.
    pub fn monitor_ok(&self, node: usize, req: &ActionReq) -> bool {
        self.members(node, req).iter().all(|m| {
            self.group(node, req.group)
                .and_then(|g| g.get(*m))
                .is_some_and(|s| *s == MemberState::Running)
        })
    }

    fn members(&self, node: usize, req: &ActionReq) -> Vec<usize> {
        let count = self.group(node, req.group).map_or(0, Vec::len);
        match req.member {
            Some(m) if m < count => vec![m],
            Some(_) => Vec::new(),
            None => (req.from.min(count)..count).collect(),
        }
    }

    fn group(&self, node: usize, group: usize) -> Option<&Vec<MemberState>> {
        self.state.get(node).and_then(|g| g.get(group))
    }

    fn slot(&mut self, node: usize, group: usize, member: usize) -> Option<&mut MemberState> {
        self.state.get_mut(node).and_then(|g| g.get_mut(group)).and_then(|g| g.get_mut(member))
    }
}

/// Decides how a script run goes. Stops always succeed (a failed stop needs fencing, which v1
/// without STONITH cannot offer); starts may fail or hang when the profile says so.
pub fn plan_action(
    rng: &mut SimRng,
    profile: &ActionProfile,
    req: &ActionReq,
    ok: bool,
) -> ActionPlan {
    let after_ms = rng.range(profile.min_ms, profile.max_ms);
    match req.kind {
        ActionKind::Start if rng.chance_ppm(profile.start_hang_ppm) => {
            ActionPlan { after_ms: profile.timeout_ms, outcome: ActionOutcome::TimedOut }
        }
        ActionKind::Start if rng.chance_ppm(profile.start_fail_ppm) => {
            ActionPlan { after_ms, outcome: ActionOutcome::Failed }
        }
        ActionKind::Monitor if !ok => ActionPlan { after_ms, outcome: ActionOutcome::Failed },
        _ => ActionPlan { after_ms, outcome: ActionOutcome::Success },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Knobs, Scenario};

    fn req(group: usize, member: Option<usize>, kind: ActionKind) -> ActionReq {
        ActionReq { group, member, from: 0, kind, token: 0 }
    }

    #[test]
    fn start_failure_leaves_the_group_dirty_until_stopped() {
        let sc = Scenario::generate(5, &Knobs { nodes: Some(2), ..Knobs::default() });
        let mut r = Resources::new(&sc);
        let start = req(0, None, ActionKind::Start);
        r.begin(1, &start);
        assert!(r.present(1, 0) && !r.running(1, 0));
        r.finish(1, &start, ActionOutcome::Failed);
        assert!(r.present(1, 0) && !r.running(1, 0));
        let stop = req(0, None, ActionKind::Stop);
        r.begin(1, &stop);
        assert!(r.present(1, 0));
        r.finish(1, &stop, ActionOutcome::Success);
        assert!(!r.present(1, 0));
        assert!(r.holders(0).is_empty());
    }

    #[test]
    fn member_actions_touch_one_member_and_wipe_clears_all() {
        let sc = Scenario::generate(5, &Knobs { nodes: Some(2), ..Knobs::default() });
        let mut r = Resources::new(&sc);
        let members = sc.groups[0].resources.len();
        for m in 0..members {
            let start = req(0, Some(m), ActionKind::Start);
            r.begin(0, &start);
            r.finish(0, &start, ActionOutcome::Success);
            assert_eq!(r.running(0, 0), m + 1 == members);
        }
        assert_eq!(r.holders(0), vec![0]);
        r.wipe(0);
        assert!(r.holders(0).is_empty());
    }

    #[test]
    fn plans_follow_the_profile() {
        let profile = ActionProfile {
            min_ms: 5,
            max_ms: 10,
            start_fail_ppm: 1_000_000,
            start_hang_ppm: 0,
            timeout_ms: 900,
        };
        let mut rng = SimRng::new(9);
        let p = plan_action(&mut rng, &profile, &req(0, None, ActionKind::Start), true);
        assert_eq!(p.outcome, ActionOutcome::Failed);
        let p = plan_action(&mut rng, &profile, &req(0, None, ActionKind::Stop), true);
        assert_eq!(p.outcome, ActionOutcome::Success);
        assert!((5..=10).contains(&p.after_ms));
        let hang = ActionProfile { start_hang_ppm: 1_000_000, ..profile };
        let p = plan_action(&mut rng, &hang, &req(0, None, ActionKind::Start), true);
        assert_eq!(p, ActionPlan { after_ms: 900, outcome: ActionOutcome::TimedOut });
    }
}
