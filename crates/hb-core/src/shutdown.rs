//! Graceful shutdown hand-off (spec §8.6, leaving side).

use std::time::Duration;

use crate::api::{Event, OwnershipReason};
use crate::node::{Comm, Node, Shutdown};
use crate::resources::RscState;
use crate::standby::Standby;
use crate::timers::Timer;
use crate::wire_msg;

/// Statuses continue this long after `shutdone` (heartbeat's final phases).
const FINAL_PHASE: Duration = Duration::from_secs(2);

impl Node {
    pub(crate) fn request_shutdown(&mut self) {
        if self.shutdown != Shutdown::None {
            return;
        }
        self.shutdown = Shutdown::Pending;
        // Wait for a stable state, but not forever.
        self.timers.set(Timer::ShutdownWait, self.now + self.cfg.deadtime);
        self.try_begin_shutdown();
    }

    pub(crate) fn try_begin_shutdown(&mut self) {
        if self.shutdown == Shutdown::Pending && self.standby == Standby::Not && self.actions_idle()
        {
            self.begin_shutdown();
        }
    }

    pub(crate) fn begin_shutdown(&mut self) {
        if self.shutdown != Shutdown::Pending {
            return;
        }
        self.timers.stop(Timer::ShutdownWait);
        self.timers.stop(Timer::StandbyReply);
        self.timers.stop(Timer::RscDelay);
        self.timers.stop(Timer::ReqNodes);
        self.standby = Standby::Not;
        if self.is_nice() && self.comm == Comm::Up {
            let body = wire_msg::resource_full("none", false, Some("shutdown"));
            let body = self.with_groups_none(body);
            self.send(body);
        }
        self.rsc = RscState::Shutdown;
        self.timers.stop(Timer::IpRequest);
        self.ip_requested.iter_mut().for_each(|r| *r = false);
        self.groups.iter_mut().for_each(|g| g.retry_at = None);
        self.claim_flags = crate::api::ResourceSet::None;
        self.shutdown = Shutdown::Releasing;
        for g in 0..self.groups.len() {
            self.set_want(g, false, OwnershipReason::LocalShutdown);
        }
        self.after_settle();
    }

    fn with_groups_none(&self, body: wire_msg::Body) -> wire_msg::Body {
        if self.cfg.nodes.len() > 2 {
            wire_msg::with_groups(body, &[])
        } else {
            body
        }
    }

    pub(crate) fn finish_release(&mut self) {
        if self.shutdown != Shutdown::Releasing {
            return;
        }
        self.send(wire_msg::shutdone());
        self.shutdown = Shutdown::Final;
        self.timers.set(Timer::ShutdownFinal, self.now + FINAL_PHASE);
    }

    pub(crate) fn finish_shutdown(&mut self) {
        self.shutdown = Shutdown::Done;
        self.stop_all_timers();
        self.emit(Event::ShutdownComplete);
    }
}
