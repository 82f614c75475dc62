//! The engine's timers: an enum and a fixed table whose minimum is the next deadline.

use crate::time::Instant;

/// Every timer the engine uses. Per-peer deadlines (liveness, retransmission requests) are
/// folded into one entry each and recomputed after every input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Send the next `status`.
    Keepalive,
    /// End of the start-up `dt` bump (deadtime + 2 s for the first 5 s).
    DtBumpEnd,
    /// Resend `reqnodes` to the chosen partner.
    ReqNodes,
    /// `RQSTDELAY`: take our groups if nobody stable answered our `starting`.
    RscDelay,
    /// Standby exchange reply/overall timeout.
    StandbyReply,
    /// Give up waiting for a stable state before shutting down.
    ShutdownWait,
    /// End of the final status phase after `shutdone`.
    ShutdownFinal,
    /// Legacy mode: repeat unanswered `ip-request`s.
    IpRequest,
    /// Legacy mode, more than two nodes: stop waiting for the answers to a dead peer's
    /// groups we asked for, and take them.
    AskTakeover,
    /// An `hb_takeover` we sent got no `ask_resources … me` in time.
    TakeoverReply,
    /// After a standby we requested: check that someone took what we released.
    StandbyVerify,
    /// Earliest retry of a failed group start.
    StartRetry,
    /// Earliest node or link death.
    Liveness,
    /// Earliest retransmission request.
    Rexmit,
    /// Send the last `status` again, unchanged (see `Node::send_status`).
    StatusEcho,
    /// Lease arbiter, `release` policy: the store stayed unreachable for the grace time.
    LeaseGrace,
}

const ALL: [Timer; 16] = [
    Timer::Keepalive,
    Timer::DtBumpEnd,
    Timer::ReqNodes,
    Timer::RscDelay,
    Timer::StandbyReply,
    Timer::ShutdownWait,
    Timer::ShutdownFinal,
    Timer::IpRequest,
    Timer::AskTakeover,
    Timer::TakeoverReply,
    Timer::StandbyVerify,
    Timer::StartRetry,
    Timer::Liveness,
    Timer::Rexmit,
    Timer::StatusEcho,
    Timer::LeaseGrace,
];

/// Deadlines indexed by [`Timer`].
#[derive(Clone, Debug, Default)]
pub(crate) struct TimerTable {
    data: [Option<Instant>; ALL.len()],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.data[timer as usize] = Some(at);
    }

    pub(crate) fn set_opt(&mut self, timer: Timer, at: Option<Instant>) {
        self.data[timer as usize] = at;
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.data[timer as usize] = None;
    }

    #[cfg(test)]
    pub(crate) fn is_set(&self, timer: Timer) -> bool {
        self.data[timer as usize].is_some()
    }

    pub(crate) fn stop_all(&mut self) {
        self.data = Default::default();
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.data.iter().flatten().min().copied()
    }

    /// Removes and returns the first expired timer, if any.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<Timer> {
        for t in ALL {
            if let Some(at) = self.data[t as usize] {
                if at <= now {
                    self.data[t as usize] = None;
                    return Some(t);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_minimum_and_expiry_pops_once() {
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Keepalive, Instant(30));
        t.set(Timer::Rexmit, Instant(10));
        assert_eq!(t.next(), Some(Instant(10)));
        assert_eq!(t.pop_expired(Instant(9)), None);
        assert_eq!(t.pop_expired(Instant(10)), Some(Timer::Rexmit));
        assert_eq!(t.pop_expired(Instant(10)), None);
        assert_eq!(t.next(), Some(Instant(30)));
        t.stop(Timer::Keepalive);
        assert!(!t.is_set(Timer::Keepalive));
    }
}
