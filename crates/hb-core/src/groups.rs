//! Local resource groups: desired vs actual state, one action per group at a time, failed
//! starts stopped again, and the continuations that wait for actions to settle.

use crate::api::{Action, ActionResult, Event, GroupId, Output, OwnershipReason, ResourceSet};
use crate::node::{Node, Shutdown};
use crate::standby::Standby;
use crate::time::Instant;
use crate::wire_msg;

/// What the group is doing on this node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupState {
    /// Not running here.
    Stopped,
    /// Start action outstanding.
    Starting,
    /// Running here.
    Running,
    /// Stop action outstanding.
    Stopping,
    /// Its stop failed; it may be partly running.
    Failed,
}

/// Runtime state of one group on this node.
#[derive(Clone, Debug)]
pub(crate) struct GroupRt {
    pub(crate) state: GroupState,
    /// We want it running here (this is what we claim in `resource` messages).
    pub(crate) want: bool,
    pub(crate) reason: Option<OwnershipReason>,
    pub(crate) since: Instant,
    /// Taken over from a dead/leaving node; give it back when its owner returns.
    pub(crate) needs_failback: bool,
    /// Stopping because its start failed.
    pub(crate) failed_start: bool,
    /// Consecutive failed starts here (reset by a successful one).
    pub(crate) start_failures: u8,
    /// After a failed start: ask a peer to take the group over.
    pub(crate) handoff_pending: bool,
    /// After a failed start: try again here at this time.
    pub(crate) retry_at: Option<Instant>,
    /// The failed start was still wanted when it failed.
    pub(crate) retry_ok: bool,
}

impl GroupRt {
    pub(crate) fn new(now: Instant) -> GroupRt {
        GroupRt {
            state: GroupState::Stopped,
            want: false,
            reason: None,
            since: now,
            needs_failback: false,
            failed_start: false,
            start_failures: 0,
            handoff_pending: false,
            retry_at: None,
            retry_ok: false,
        }
    }
}

/// How often a failed start is retried on the same node before the group is handed over.
pub(crate) const LOCAL_START_RETRIES: u8 = 2;

impl Node {
    /// Earliest pending start retry.
    pub(crate) fn retry_deadline(&self) -> Option<Instant> {
        self.groups.iter().filter_map(|g| g.retry_at).min()
    }

    /// Retries failed starts that are due, if the group is still ours to run.
    pub(crate) fn retry_failed_starts(&mut self) {
        for g in 0..self.groups.len() {
            if self.groups[g].retry_at.is_none_or(|t| t > self.now) {
                continue;
            }
            self.groups[g].retry_at = None;
            // Legacy peers state nothing: there only the takeover target may retry.
            let ours = !self.claimed_by_any_peer(g)
                && (self.is_nice() || self.takeover_target(g) == Some(self.me));
            let idle = !self.groups[g].want && self.groups[g].state == GroupState::Stopped;
            let settled = self.standby == Standby::Not && self.shutdown == Shutdown::None;
            if !settled && self.shutdown == Shutdown::None {
                // In the middle of an exchange: look again later.
                self.groups[g].retry_at = Some(self.now + self.cfg.deadtime);
                continue;
            }
            if idle && settled && self.is_nice() && self.claimed_by_any_peer(g) {
                // A peer's claim may be stale: its release (a split brain resolved in our
                // favour) can still be in flight, and nothing else would bring the retry
                // back once it lands. Look again until we run the group or the claim is real
                // (the peer then keeps stating it; the check is one comparison per deadtime).
                self.groups[g].retry_at = Some(self.now + self.cfg.deadtime);
                continue;
            }
            if ours && idle && settled && !self.takeover_blocked() {
                let reason = if self.pref(g) == self.me {
                    OwnershipReason::Startup
                } else {
                    OwnershipReason::NodeDead
                };
                self.set_want(g, true, reason);
                self.groups[g].needs_failback = self.pref(g) != self.me;
                self.after_settle();
            } else if idle && settled && self.pref(g) == self.me && self.is_nice() {
                // A peer kept it meanwhile: with auto_failback on, ask for it back the way
                // `hb_takeover local` does (the holder runs standby for its foreign set).
                if self.cfg.auto_failback == crate::config::AutoFailback::On {
                    self.send(wire_msg::hb_takeover("local"));
                }
            }
        }
    }

    pub(crate) fn pref(&self, g: usize) -> usize {
        let p = &self.cfg.groups[g].preferred_node;
        self.cfg.nodes.iter().position(|n| n == p).unwrap_or(self.me)
    }

    /// Groups in `set` as seen from node `pov`.
    pub(crate) fn groups_in(&self, set: ResourceSet, pov: usize) -> Vec<usize> {
        (0..self.groups.len())
            .filter(|&g| if self.pref(g) == pov { set.has_local() } else { set.has_foreign() })
            .collect()
    }

    /// What we claim, in our point of view: a category counts when we want one of its groups,
    /// or, for a category without any group, when we took responsibility for it (heartbeat
    /// announces `local` after acquiring an empty local set).
    pub(crate) fn held_set(&self) -> ResourceSet {
        let (mut local, mut foreign) = (false, false);
        let (mut any_local, mut any_foreign) = (false, false);
        for (g, rt) in self.groups.iter().enumerate() {
            let own = self.pref(g) == self.me;
            if own {
                any_local = true;
                local |= rt.want;
            } else {
                any_foreign = true;
                foreign |= rt.want;
            }
        }
        local |= !any_local && self.claim_flags.has_local();
        foreign |= !any_foreign && self.claim_flags.has_foreign();
        ResourceSet::from_bits(local, foreign)
    }

    pub(crate) fn has_local_groups(&self) -> bool {
        (0..self.groups.len()).any(|g| self.pref(g) == self.me)
    }

    pub(crate) fn actions_idle(&self) -> bool {
        !self.groups.iter().any(|g| matches!(g.state, GroupState::Starting | GroupState::Stopping))
    }

    /// Sets the desired state and starts/stops as needed.
    pub(crate) fn set_want(&mut self, g: usize, want: bool, reason: OwnershipReason) {
        if want && self.shutdown != Shutdown::None {
            // Nothing starts once we are leaving, whatever message arrives late.
            return;
        }
        let rt = &mut self.groups[g];
        if rt.want != want {
            rt.want = want;
            rt.reason = Some(reason);
        }
        if !want {
            rt.needs_failback = false;
        }
        self.reconcile(g);
    }

    pub(crate) fn reconcile(&mut self, g: usize) {
        // With the lease arbiter, a wanted group runs only while we hold its key.
        let run = self.groups[g].want && self.lease_allows(g);
        self.reconcile_to(g, run);
        self.lease_follow(g);
    }

    fn reconcile_to(&mut self, g: usize, run: bool) {
        let rt = &mut self.groups[g];
        let action = match (rt.state, run) {
            (GroupState::Stopped | GroupState::Failed, true) => {
                rt.state = GroupState::Starting;
                Action::Start
            }
            (GroupState::Running, false) => {
                rt.state = GroupState::Stopping;
                Action::Stop
            }
            _ => return,
        };
        // A restart in place starts again from the failed resource; anything else (and any
        // stop, which ends a restart) covers the whole group.
        let from = if action == Action::Start { self.action_from(g) } else { 0 };
        self.push_output(Output::RunAction { group: GroupId(g as u16), action, from });
    }

    pub(crate) fn handle_action_done(
        &mut self,
        group: GroupId,
        action: Action,
        result: ActionResult,
    ) {
        let g = group.0 as usize;
        let Some(rt) = self.groups.get(g) else { return };
        let me = self.name(self.me);
        // Only the nice modes can offer a group to a peer (the standby exchange); legacy
        // peers have none, so there a failing group keeps being retried here, with back-off.
        let can_hand_off = self.is_nice();
        match (action, rt.state) {
            (Action::Start, GroupState::Starting) => match result {
                ActionResult::Ok => {
                    let rt = &mut self.groups[g];
                    rt.state = GroupState::Running;
                    rt.since = self.now;
                    let retried = std::mem::take(&mut rt.start_failures) > 0;
                    let reason = rt.reason.unwrap_or(OwnershipReason::Startup);
                    // A restart in place is no change of owner: nothing to announce.
                    if !self.health_take_restart(g) {
                        self.health_on_started(g, reason, retried);
                        self.emit(Event::Ownership { group, owner: Some(me), reason });
                    }
                }
                other => {
                    // A failed start after a restart in place is an ordinary failed start.
                    self.health_take_restart(g);
                    let reason = failure_text(&other);
                    self.emit(Event::StartFailed { group, reason });
                    let rt = &mut self.groups[g];
                    rt.failed_start = true;
                    // Only a start we still wanted counts (and is retried or handed over).
                    rt.retry_ok = rt.want;
                    if rt.want {
                        rt.start_failures = rt.start_failures.saturating_add(1);
                    }
                    rt.want = false;
                    rt.needs_failback = false;
                    rt.state = GroupState::Stopping;
                    self.push_output(Output::RunAction { group, action: Action::Stop, from: 0 });
                    return;
                }
            },
            (Action::Stop, GroupState::Stopping) if rt.want && self.health_restarting(g) => {
                // Restart in place: the group stays wanted, so `reconcile` starts it again.
                let rt = &mut self.groups[g];
                rt.since = self.now;
                if let Some(reason) = result_failure(&result) {
                    rt.state = GroupState::Failed;
                    self.emit(Event::StopFailed { group, reason });
                } else {
                    rt.state = GroupState::Stopped;
                }
            }
            (Action::Stop, GroupState::Stopping) if self.action_from(g) > 0 => {
                // Released while a restart in place had stopped only the resources from the
                // failed one: the ones left of it still run. Stop the whole group (stopping
                // a stopped resource does nothing); that stop is an ordinary release.
                self.health_take_restart(g);
                if let Some(reason) = result_failure(&result) {
                    self.emit(Event::StopFailed { group, reason });
                }
                self.push_output(Output::RunAction { group, action: Action::Stop, from: 0 });
                return;
            }
            (Action::Stop, GroupState::Stopping) => {
                // Released while a restart was under way: an ordinary release now.
                self.health_take_restart(g);
                let rt = &mut self.groups[g];
                rt.since = self.now;
                let failed = std::mem::take(&mut rt.failed_start);
                match result {
                    ActionResult::Ok => {
                        rt.state = GroupState::Stopped;
                        // A failed start is retried here (scripts fail transiently), then the
                        // group is offered to a peer once; after that (or if it cannot be
                        // offered) retries continue with an exponential back-off, each failure
                        // reported (Event::StartFailed, the daemon's alert), never abandoned.
                        let counted = failed && std::mem::take(&mut rt.retry_ok);
                        let n = rt.start_failures;
                        rt.handoff_pending =
                            counted && can_hand_off && n == LOCAL_START_RETRIES + 1;
                        if counted && !rt.handoff_pending {
                            rt.retry_at = Some(self.now + retry_delay(self.cfg.deadtime, n));
                        }
                        let reason = if failed {
                            OwnershipReason::StartFailed
                        } else {
                            rt.reason.unwrap_or(OwnershipReason::LocalShutdown)
                        };
                        self.emit(Event::Ownership { group, owner: None, reason });
                        if let Some(r) = self.ip_answer[g].take() {
                            let key = self.cfg.groups[g].name.clone();
                            let name = self.name(r);
                            self.send(wire_msg::ip_request_resp(r, &name, &key, true));
                        }
                    }
                    other => {
                        rt.state = GroupState::Failed;
                        let reason = failure_text(&other);
                        self.emit(Event::StopFailed { group, reason });
                    }
                }
            }
            // A report for an action we did not ask for (stale or bogus): ignore.
            _ => return,
        }
        self.reconcile(g);
        self.after_settle();
    }

    /// Continuations that wait for every outstanding action.
    pub(crate) fn after_settle(&mut self) {
        if !self.actions_idle() {
            return;
        }
        match self.standby {
            Standby::GivingUp(s) => self.finish_giving_up(s),
            Standby::Acquiring { set, .. } => self.finish_acquiring(set),
            _ => {}
        }
        if self.pending_shutdone_ack && self.actions_idle() {
            self.pending_shutdone_ack = false;
            if self.shutdown == Shutdown::None {
                self.send(wire_msg::ask_resources("all", "done"));
                self.send_full_resource(true, None);
            }
        }
        if self.pending_machdown && self.actions_idle() {
            self.pending_machdown = false;
            if self.shutdown == Shutdown::None && self.is_nice() {
                if self.held_set().has_foreign() {
                    let body = self.with_claims(wire_msg::resource_machdown());
                    self.announced_groups = self.wanted_groups();
                    self.send(body);
                } else {
                    // The taken-over groups were let go meanwhile (a split brain resolved in
                    // the owner's favour): `mach_down` would claim `foreign` falsely and the
                    // owner, seeing them claimed, would never retry a failed start. Say what
                    // we really hold.
                    self.send_full_resource(true, None);
                }
            }
        }
        match self.shutdown {
            Shutdown::Pending => self.try_begin_shutdown(),
            Shutdown::Releasing => self.finish_release(),
            _ => {}
        }
        self.reannounce_if_changed();
        self.try_handoff_failed();
        if self.actions_idle() && self.rsc == crate::resources::RscState::Stable {
            self.check_failbacks(true);
        }
    }
}

/// Delay before retry number `failures`: deadtime for the first retries, then doubling, at
/// most [`MAX_RETRY_DELAY`].
pub(crate) fn retry_delay(deadtime: std::time::Duration, failures: u8) -> std::time::Duration {
    let doublings = u32::from(failures.saturating_sub(LOCAL_START_RETRIES + 1)).min(16);
    (deadtime * 2u32.pow(doublings)).min(MAX_RETRY_DELAY)
}

/// Longest wait between two start attempts of a failing group.
const MAX_RETRY_DELAY: std::time::Duration = std::time::Duration::from_secs(300);

fn result_failure(r: &ActionResult) -> Option<String> {
    (*r != ActionResult::Ok).then(|| failure_text(r))
}

fn failure_text(r: &ActionResult) -> String {
    match r {
        ActionResult::Ok => String::new(),
        ActionResult::Failed(s) => s.clone(),
        ActionResult::TimedOut => "timed out".to_owned(),
    }
}
