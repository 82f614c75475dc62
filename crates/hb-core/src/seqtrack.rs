//! Per-source receive sequencing (spec §6.2): replay and duplicate rejection, gap detection,
//! generation (restart) handling and the acknowledgement pattern (§6.3).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::api::DropReason;
use crate::time::Instant;

/// More missing seqs than this resets tracking instead (heartbeat's `FLOWCONTROL_LIMIT`).
pub(crate) const MAX_MISSING: usize = 250;

/// What to do with a sequenced message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// New: process it.
    Accept,
    /// Seen already (several media, or a replay within the generation): refresh links only.
    Duplicate,
    /// Reject outright.
    Drop(DropReason),
}

/// Result of [`RxSeq::receive`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    pub(crate) verdict: Verdict,
    /// A higher generation than known: the sender restarted (not set on first contact).
    pub(crate) restarted: bool,
    /// Same generation from a node we declared dead: a healed partition.
    pub(crate) returned: bool,
}

/// Receive state for one source node.
#[derive(Clone, Debug)]
pub(crate) struct RxSeq {
    /// Highest generation seen; never lowered.
    pub(crate) generation: u32,
    pub(crate) last_seq: Option<u32>,
    /// Highest seq accepted in this generation; survives [`RxSeq::reset`], so a message from
    /// before a death (partition) cannot be replayed afterwards. Heartbeat forgets it.
    pub(crate) high: Option<u32>,
    /// Missing seq → when to (re)request it.
    pub(crate) missing: BTreeMap<u32, Instant>,
    pub(crate) last_status_seq: Option<u32>,
    /// Residue mod 10 we acknowledge (random per source).
    pub(crate) ack_trigger: u32,
    pub(crate) last_ack_sent: Option<u32>,
}

impl RxSeq {
    pub(crate) fn new(ack_trigger: u32) -> RxSeq {
        RxSeq {
            generation: 0,
            last_seq: None,
            high: None,
            missing: BTreeMap::new(),
            last_status_seq: None,
            ack_trigger: ack_trigger % 10,
            last_ack_sent: None,
        }
    }

    /// Forgets the sequence position (node death, restart); keeps the generation.
    pub(crate) fn reset(&mut self) {
        self.last_seq = None;
        self.missing.clear();
        self.last_ack_sent = None;
    }

    /// Runs steps 3–8 of §6.2. `was_dead` = we declared the sender dead after hearing it.
    /// `delay` gives the first retransmission-request delay for each new missing seq.
    pub(crate) fn receive(
        &mut self,
        seq: u32,
        hg: u32,
        is_status: bool,
        was_dead: bool,
        now: Instant,
        mut delay: impl FnMut() -> Duration,
    ) -> Outcome {
        let mut out = Outcome { verdict: Verdict::Accept, restarted: false, returned: false };
        if hg < self.generation {
            out.verdict = Verdict::Drop(DropReason::Replay);
            return out;
        }
        let mut special = false;
        if hg > self.generation {
            out.restarted = self.generation != 0 || self.last_status_seq.is_some();
            self.generation = hg;
            self.reset();
            self.high = None;
            self.last_status_seq = None;
            special = true;
        } else if is_status && was_dead {
            if self.last_status_seq.is_some_and(|l| seq <= l) {
                out.verdict = Verdict::Duplicate;
                return out;
            }
            out.returned = true;
            special = true;
        }
        out.verdict = match self.last_seq {
            None if self.high.is_some_and(|h| seq <= h) => Verdict::Duplicate,
            None => {
                self.last_seq = Some(seq);
                Verdict::Accept
            }
            Some(l) if seq == l.wrapping_add(1) => {
                self.last_seq = Some(seq);
                Verdict::Accept
            }
            Some(l) if seq == l => Verdict::Duplicate,
            Some(l) if seq > l => {
                let gap = (seq - l - 1) as usize;
                if gap + self.missing.len() > MAX_MISSING {
                    self.missing.clear();
                } else {
                    for s in l + 1..seq {
                        self.missing.insert(s, now + delay());
                    }
                }
                self.last_seq = Some(seq);
                Verdict::Accept
            }
            Some(_) => {
                if self.missing.remove(&seq).is_some() {
                    Verdict::Accept
                } else if special {
                    self.reset();
                    self.last_seq = Some(seq);
                    Verdict::Accept
                } else {
                    Verdict::Duplicate
                }
            }
        };
        if out.verdict == Verdict::Accept {
            self.high = Some(self.high.map_or(seq, |h| h.max(seq)));
        }
        if out.verdict == Verdict::Accept && is_status {
            self.last_status_seq = Some(self.last_status_seq.map_or(seq, |l| l.max(seq)));
        }
        out
    }

    /// The seq to acknowledge now, if any: the highest seq with our residue that has nothing
    /// missing below it and is newer than the last ack we sent.
    pub(crate) fn ack_due(&mut self) -> Option<u32> {
        let last = self.last_seq?;
        let contiguous = match self.missing.keys().next() {
            Some(&m) => m.checked_sub(1)?,
            None => last,
        };
        let r = contiguous % 10;
        let s = if r >= self.ack_trigger {
            contiguous - (r - self.ack_trigger)
        } else {
            contiguous.checked_sub(r + 10 - self.ack_trigger)?
        };
        if s == 0 || self.last_ack_sent.is_some_and(|a| a >= s) {
            return None;
        }
        self.last_ack_sent = Some(s);
        Some(s)
    }

    /// Gives up on a seq the sender cannot retransmit. Returns whether we were waiting for it.
    pub(crate) fn give_up(&mut self, seq: u32) -> bool {
        self.missing.remove(&seq).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Instant = Instant(0);

    fn rx(r: &mut RxSeq, seq: u32, hg: u32) -> Verdict {
        r.receive(seq, hg, false, false, NOW, || Duration::from_millis(100)).verdict
    }

    #[test]
    fn in_order_duplicate_replay_and_gap() {
        let mut r = RxSeq::new(3);
        assert_eq!(rx(&mut r, 5, 10), Verdict::Accept);
        assert_eq!(rx(&mut r, 6, 10), Verdict::Accept);
        assert_eq!(rx(&mut r, 6, 10), Verdict::Duplicate);
        assert_eq!(rx(&mut r, 7, 9), Verdict::Drop(DropReason::Replay));
        assert_eq!(rx(&mut r, 9, 10), Verdict::Accept);
        assert_eq!(r.missing.keys().copied().collect::<Vec<_>>(), [7, 8]);
        assert_eq!(rx(&mut r, 8, 10), Verdict::Accept);
        assert_eq!(rx(&mut r, 8, 10), Verdict::Duplicate);
        assert_eq!(rx(&mut r, 4, 10), Verdict::Duplicate);
        assert!(r.give_up(7));
        assert!(r.missing.is_empty());
    }

    #[test]
    fn higher_generation_is_a_restart_and_resets() {
        let mut r = RxSeq::new(0);
        let o = r.receive(40, 10, true, false, NOW, || Duration::ZERO);
        assert!(!o.restarted, "first contact is not a restart");
        let o = r.receive(1, 11, true, false, NOW, || Duration::ZERO);
        assert_eq!(o.verdict, Verdict::Accept);
        assert!(o.restarted);
        assert_eq!(r.last_seq, Some(1));
    }

    #[test]
    fn returning_after_partition_needs_a_newer_status() {
        let mut r = RxSeq::new(0);
        r.receive(40, 10, true, false, NOW, || Duration::ZERO);
        r.reset(); // declared dead
        let o = r.receive(40, 10, true, true, NOW, || Duration::ZERO);
        assert_eq!(o.verdict, Verdict::Duplicate);
        let o = r.receive(55, 10, true, true, NOW, || Duration::ZERO);
        assert_eq!(o.verdict, Verdict::Accept);
        assert!(o.returned);
    }

    #[test]
    fn old_messages_stay_old_after_a_reset_within_the_generation() {
        let mut r = RxSeq::new(0);
        assert_eq!(rx(&mut r, 30, 10), Verdict::Accept);
        assert_eq!(rx(&mut r, 31, 10), Verdict::Accept);
        r.reset(); // declared dead
        assert_eq!(rx(&mut r, 12, 10), Verdict::Duplicate, "replay from before the death");
        assert_eq!(rx(&mut r, 40, 10), Verdict::Accept);
        assert_eq!(rx(&mut r, 5, 11), Verdict::Accept, "a new generation starts over");
    }

    #[test]
    fn acks_follow_the_residue_and_wait_for_gaps() {
        let mut r = RxSeq::new(3);
        for s in 1..=12 {
            rx(&mut r, s, 1);
        }
        assert_eq!(r.ack_due(), Some(3), "highest seq ≡ 3 (mod 10) up to 12");
        assert_eq!(r.ack_due(), None);
        rx(&mut r, 15, 1); // 13, 14 missing
        assert_eq!(r.ack_due(), None);
        rx(&mut r, 13, 1);
        assert_eq!(r.ack_due(), Some(13));
    }

    #[test]
    fn huge_gap_resets_instead_of_tracking() {
        let mut r = RxSeq::new(0);
        rx(&mut r, 1, 1);
        assert_eq!(rx(&mut r, 1000, 1), Verdict::Accept);
        assert!(r.missing.is_empty());
        assert_eq!(r.last_seq, Some(1000));
    }
}
