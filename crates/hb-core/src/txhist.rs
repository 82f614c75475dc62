//! Our own sent-message history for retransmission (spec §6.1, §6.4), bounded to
//! heartbeat's `MAXMSGHIST` slots.

use std::collections::VecDeque;

use hb_wire::Message;

use crate::time::Instant;

/// Slots kept (heartbeat's `MAXMSGHIST`).
pub(crate) const MAX_HISTORY: usize = 500;

struct Sent {
    seq: u32,
    msg: Message,
    last_sent: Instant,
}

/// Ring of the last [`MAX_HISTORY`] sequenced messages, in seq order without holes.
#[derive(Default)]
pub(crate) struct TxHistory {
    ring: VecDeque<Sent>,
}

/// Answer to one requested seq.
#[derive(Debug, PartialEq)]
pub(crate) enum Lookup {
    Resend(Message),
    TooLow,
    NotFound,
    /// Resent less than 240 ms ago, or above our highest seq.
    Skip,
}

impl TxHistory {
    pub(crate) fn push(&mut self, seq: u32, msg: Message, now: Instant) {
        if self.ring.len() == MAX_HISTORY {
            self.ring.pop_front();
        }
        self.ring.push_back(Sent { seq, msg, last_sent: now });
    }

    pub(crate) fn lookup(&mut self, seq: u32, now: Instant) -> Lookup {
        let Some(front) = self.ring.front() else { return Lookup::TooLow };
        if seq < front.seq {
            return Lookup::TooLow;
        }
        let idx = (seq - front.seq) as usize;
        match self.ring.get_mut(idx) {
            Some(s) if s.seq == seq => {
                if now < s.last_sent + std::time::Duration::from_millis(240) {
                    Lookup::Skip
                } else {
                    s.last_sent = now;
                    Lookup::Resend(s.msg.clone())
                }
            }
            Some(_) => Lookup::NotFound,
            None => Lookup::Skip,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ring.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bounded_and_answers_per_spec() {
        let mut h = TxHistory::default();
        for s in 1..=600u32 {
            let mut m = Message::new();
            m.push_str("seq", &format!("{s:x}"));
            h.push(s, m, Instant(0));
        }
        assert_eq!(h.len(), MAX_HISTORY);
        assert_eq!(h.lookup(50, Instant(0)), Lookup::TooLow);
        let later = Instant(0) + Duration::from_secs(1);
        match h.lookup(200, later) {
            Lookup::Resend(m) => assert_eq!(m.get_str("seq"), Some("c8")),
            other => panic!("expected resend, got {other:?}"),
        }
        assert_eq!(h.lookup(200, later), Lookup::Skip, "resent < 240 ms ago");
        assert_eq!(h.lookup(601, later), Lookup::Skip);
    }
}
