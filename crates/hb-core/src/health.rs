//! Health-check policy (issue 15): what the engine does when the shell reports that a
//! resource of a group it runs failed its check, or that a VIP's interface lost carrier.
//!
//! Per group, with a [`HealthPolicy`] (`restarts` within `window`, defaults 2 and 10 min):
//! - a failure restarts the group **in place** while fewer than `restarts` restarts happened
//!   within `window`: its resources are stopped right to left from the last one down to the
//!   failed one, then started again left to right from the failed one; those left of it (the
//!   VIP before the service, say) keep running untouched. The group stays wanted, so the
//!   cluster sees nothing (no `resource` message changes);
//! - one failure more hands the group over **the way `hb_standby` does** (a heartbeat 3.0.6
//!   peer sees only a standby), and this node is not chosen again for it until `window`
//!   passed or [`HealthInput::Clear`] (`hbctl clear GROUP`); an interface without carrier
//!   hands over at once (a restart cannot help);
//! - **no ping-pong**: a group that came here less than `window` ago (or when no live peer
//!   can take it, or an exchange is in flux) stays, is restarted in place again, and a
//!   [`HealthEvent::Stays`] alert says why: the check fails everywhere it was tried.
//!
//! Heartbeat's standby moves a whole resource *set* (`local`/`foreign`); when other groups of
//! the same set run here they move along, and the event names them.
//!
//! Everything is in-memory and sans-IO: the shell feeds [`crate::Input::Health`] and reads
//! [`crate::Event::Health`].

use std::collections::VecDeque;
use std::time::Duration;

use crate::api::{Action, Event, GroupId, Output, OwnershipReason, ResourceSet};
use crate::groups::GroupState;
use crate::node::{Node, Shutdown};
use crate::standby::Standby;
use crate::time::Instant;

/// Default restarts in place within the window.
pub const DEFAULT_RESTARTS: u32 = 2;
/// Default window.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(600);
/// Most restarts a policy may allow (bounds the remembered restart times).
pub const MAX_RESTARTS: u32 = 100;

/// A group's failure policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthPolicy {
    /// Restarts in place allowed within `window` before the group is handed over.
    pub restarts: u32,
    /// Restart window; also how long a node where the group failed is avoided, and the
    /// shortest time between two moves caused by failures.
    pub window: Duration,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        HealthPolicy { restarts: DEFAULT_RESTARTS, window: DEFAULT_WINDOW }
    }
}

/// What the shell reports about health.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HealthInput {
    /// Sets a group's policy (the shell sends one per configured group at start-up).
    Policy {
        /// The group.
        group: GroupId,
        /// Its policy (`restarts` capped at [`MAX_RESTARTS`]).
        policy: HealthPolicy,
    },
    /// A check of a resource of `group` turned failed (after its `fall` count).
    ResourceFailed {
        /// The group.
        group: GroupId,
        /// Index of the failed resource in [`crate::GroupConfig::resources`]: a restart in
        /// place covers it and the resources right of it. An index past the group's end
        /// restarts the whole group.
        resource: u16,
        /// Which check and why (shown in events, logs, the alert hook and status).
        reason: String,
    },
    /// The interface of a VIP of `group` lost carrier: hand over without restarting (and
    /// without avoiding this node afterwards).
    CarrierLost {
        /// The group.
        group: GroupId,
        /// Interface and detail.
        reason: String,
    },
    /// `hbctl clear GROUP`: forget failures, allow this node again.
    Clear {
        /// The group.
        group: GroupId,
    },
}

/// What the policy did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HealthEvent {
    /// Restarting the group in place (`attempt` of `limit` within the window).
    Restarting {
        /// The group.
        group: GroupId,
        /// The first resource restarted (the failed one); those left of it keep running.
        from: u16,
        /// The failure.
        reason: String,
        /// This restart's number within the window (1-based).
        attempt: u32,
        /// The policy's `restarts`.
        limit: u32,
    },
    /// Handing the group (and `with`, the other groups of its set here) to a peer.
    HandingOver {
        /// The group.
        group: GroupId,
        /// Other groups that move with it (heartbeat's sets).
        with: Vec<GroupId>,
        /// The failure.
        reason: String,
        /// This node is avoided for the group until this long has passed (or a clear); zero
        /// after a carrier loss.
        avoid_for: Duration,
    },
    /// An alert: the group stays here although it failed (restarted in place again).
    Stays {
        /// The group.
        group: GroupId,
        /// The failure.
        reason: String,
        /// Why it does not move.
        why: String,
    },
    /// `hbctl clear GROUP` took effect.
    Cleared {
        /// The group.
        group: GroupId,
    },
}

/// Per-group health state on this node.
#[derive(Clone, Debug, Default)]
pub(crate) struct HealthRt {
    policy: HealthPolicy,
    /// Restarts within the window (oldest first; at most `policy.restarts` kept).
    restarts: VecDeque<Instant>,
    /// The current stop is a restart: the group stays wanted and is started again.
    pub(crate) restarting: bool,
    /// The first resource the current restart covers (0 = the whole group).
    restart_from: u16,
    /// This node failed the group; not chosen again before this time.
    pub(crate) avoid_until: Option<Instant>,
    /// When the group last started here after coming from elsewhere.
    arrived_at: Option<Instant>,
    /// The group started here before (a later start for `Startup` is a return).
    started_before: bool,
    /// When this node last handed the group over after a failed check. Counted as a move
    /// besides `arrived_at`: the group may come back without a start that looks like an
    /// arrival (after a partition or a peer's death it is started as this node's own), and
    /// must not be handed over again within the window (simulator seed 94 with `--checks`).
    handed_over_at: Option<Instant>,
    /// Last failure reason (for status).
    pub(crate) last_failure: Option<String>,
}

impl Node {
    pub(crate) fn handle_health(&mut self, input: HealthInput) {
        match input {
            HealthInput::Policy { group, policy } => {
                if let Some(h) = self.health.get_mut(usize::from(group.0)) {
                    h.policy = HealthPolicy {
                        restarts: policy.restarts.min(MAX_RESTARTS),
                        window: policy.window,
                    };
                }
            }
            HealthInput::ResourceFailed { group, resource, reason } => {
                self.on_failure(group, reason, Some(resource))
            }
            HealthInput::CarrierLost { group, reason } => self.on_failure(group, reason, None),
            HealthInput::Clear { group } => {
                if let Some(h) = self.health.get_mut(usize::from(group.0)) {
                    h.restarts.clear();
                    h.avoid_until = None;
                    h.arrived_at = None;
                    h.handed_over_at = None;
                    h.last_failure = None;
                    self.emit(Event::Health(HealthEvent::Cleared { group }));
                }
            }
        }
    }

    /// Partner side of a standby from `requester` for `set`: a group we would take failed
    /// its check here within its window. We then ignore the whole request (the requester
    /// keeps the set and times out): accepting the rest would leave that group running
    /// nowhere, since the wire speaks of whole sets and our `resource` answer would claim it
    /// (simulator seed 160 with `--checks`: a failback handed back two groups, one of them
    /// failed here).
    pub(crate) fn declines_standby(&self, set: ResourceSet, requester: usize) -> Option<String> {
        let offered: Vec<usize> = self
            .groups_in(set, requester)
            .into_iter()
            .filter(|&g| !self.groups[g].want && self.claimed_by_peer(requester, g))
            .collect();
        let avoided: Vec<usize> = offered.into_iter().filter(|&g| self.avoids(g)).collect();
        if avoided.is_empty() {
            return None;
        }
        let names: Vec<&str> = avoided.iter().map(|&g| self.cfg.groups[g].name.as_str()).collect();
        Some(format!(
            "ignored standby request from {}: {} failed its health check here within its \
             window (hbctl clear GROUP allows it again)",
            self.name(requester),
            names.join(", ")
        ))
    }

    /// Whether this node must not take `g` now (it failed here within the window).
    pub(crate) fn avoids(&self, g: usize) -> bool {
        self.health.get(g).and_then(|h| h.avoid_until).is_some_and(|t| t > self.now)
    }

    /// Called when a start of `g` succeeded: remember when it came from elsewhere. A start for
    /// `Startup` is an arrival too unless it is the group's first start on this node: the
    /// engine also gives that reason when it takes its own group back after a partition or a
    /// peer's death (simulator seed 513 with `--checks`); but not when it is this node's own
    /// retry after its start failed here (`retried`): the group did not move (the netns test
    /// saw a web server killed during the first start turn the next failure into a "stays").
    pub(crate) fn health_on_started(&mut self, g: usize, reason: OwnershipReason, retried: bool) {
        let from_elsewhere = !matches!(reason, OwnershipReason::Startup);
        if let Some(h) = self.health.get_mut(g) {
            let returned = h.started_before && !retried;
            if (from_elsewhere || returned) && !h.restarting {
                h.arrived_at = Some(self.now);
            }
            h.started_before = true;
        }
    }

    /// Whether `g` is being restarted in place (its stop is not a release).
    pub(crate) fn health_restarting(&self, g: usize) -> bool {
        self.health.get(g).is_some_and(|h| h.restarting)
    }

    /// The first resource the next action of `g` covers: the failed one while a restart in
    /// place is under way, else 0 (the whole group).
    pub(crate) fn action_from(&self, g: usize) -> u16 {
        self.health.get(g).filter(|h| h.restarting).map_or(0, |h| h.restart_from)
    }

    /// Ends a restart in place of `g` (its start finished); true if one was under way.
    pub(crate) fn health_take_restart(&mut self, g: usize) -> bool {
        self.health.get_mut(g).is_some_and(|h| std::mem::take(&mut h.restarting))
    }

    /// A failure of `group`: of resource `failed` (restarted in place first), or of its
    /// interface (`None`: handed over at once).
    fn on_failure(&mut self, group: GroupId, reason: String, failed: Option<u16>) {
        let g = usize::from(group.0);
        let Some(rt) = self.groups.get(g) else { return };
        let restart_first = failed.is_some();
        let len = self.cfg.groups.get(g).map_or(0, |c| c.resources.len());
        let from = failed.filter(|&r| usize::from(r) < len).unwrap_or(0);
        // A report for a group we do not run (a late check after a release) changes nothing.
        if !rt.want || rt.state != GroupState::Running || self.shutdown != Shutdown::None {
            return;
        }
        let now = self.now;
        let h = &mut self.health[g];
        h.last_failure = Some(reason.clone());
        let window = h.policy.window;
        while h.restarts.front().is_some_and(|&t| t + window <= now) {
            h.restarts.pop_front();
        }
        let used = u32::try_from(h.restarts.len()).unwrap_or(u32::MAX);
        if restart_first && used < h.policy.restarts {
            h.restarts.push_back(now);
            let limit = h.policy.restarts;
            self.emit(Event::Health(HealthEvent::Restarting {
                group,
                from,
                reason,
                attempt: used + 1,
                limit,
            }));
            return self.restart_in_place(g, from);
        }
        if let Some(why) = self.why_stay(g) {
            self.emit(Event::Health(HealthEvent::Stays { group, reason, why }));
            return self.restart_in_place(g, from);
        }
        let own = self.pref(g) == self.me;
        let set = if own { ResourceSet::Local } else { ResourceSet::Foreign };
        let with: Vec<GroupId> = (0..self.groups.len())
            .filter(|&k| k != g && self.groups[k].want && (self.pref(k) == self.me) == own)
            .map(|k| GroupId(k as u16))
            .collect();
        // A failed service is avoided here for the window; a lost carrier is not (the link
        // comes back, and the preferred node must then get its group back as usual).
        let avoid_for = if restart_first { window } else { Duration::ZERO };
        self.health[g].avoid_until = restart_first.then_some(now + window);
        self.health[g].arrived_at = None;
        if restart_first {
            self.health[g].handed_over_at = Some(now);
        }
        self.emit(Event::Health(HealthEvent::HandingOver { group, with, reason, avoid_for }));
        self.start_standby(set);
    }

    /// Why a failed group cannot move now, if it cannot.
    fn why_stay(&self, g: usize) -> Option<String> {
        let h = &self.health[g];
        if let Some(at) = h.arrived_at.filter(|&t| t + h.policy.window > self.now) {
            let ago = self.now.saturating_duration_since(at);
            return Some(format!(
                "it moved here {} ms ago: at most one move per window of {} s, so the check \
                 fails on every node it was tried on",
                ago.as_millis(),
                h.policy.window.as_secs()
            ));
        }
        if let Some(at) = h.handed_over_at.filter(|&t| t + h.policy.window > self.now) {
            let ago = self.now.saturating_duration_since(at);
            return Some(format!(
                "this node handed it over {} ms ago and it came back: at most one move per \
                 window of {} s, so the check fails on every node it was tried on",
                ago.as_millis(),
                h.policy.window.as_secs()
            ));
        }
        if self.standby != Standby::Not {
            return Some("a standby exchange is in progress".to_owned());
        }
        self.standby_refusal(true).map(|r| format!("no hand-over possible: {r}"))
    }

    /// Stops `g`'s resources from `from` rightwards; `groups.rs` starts them again from
    /// `from` when the stop is done (or stops the rest too if the group was released
    /// meanwhile).
    fn restart_in_place(&mut self, g: usize, from: u16) {
        let rt = &mut self.groups[g];
        if rt.state != GroupState::Running {
            return;
        }
        rt.state = GroupState::Stopping;
        self.health[g].restarting = true;
        self.health[g].restart_from = from;
        let group = GroupId(g as u16);
        self.push_output(Output::RunAction { group, action: Action::Stop, from });
    }
}

#[cfg(test)]
#[path = "health_test.rs"]
mod health_test;
