//! Retransmission (spec §6.4): asking for missing seqs and answering peers' requests.

use crate::api::NodeStatus;
use crate::node::Node;
use crate::time::Instant;
use crate::txhist::Lookup;
use crate::wire_msg;

/// Most retransmissions for one request.
const MAX_RESEND_PER_REQUEST: u32 = 50;

impl Node {
    pub(crate) fn rexmit_deadline(&self) -> Option<Instant> {
        self.other_indices().filter_map(|i| self.peers[i].rx.missing.values().min().copied()).min()
    }

    /// Sends `NS_rexmit` for every due missing seq of a live node and re-arms it with the full
    /// `max_rexmit_delay`.
    pub(crate) fn send_rexmit_requests(&mut self) {
        let now = self.now;
        let again = now + self.cfg.max_rexmit_delay;
        let others: Vec<usize> = self.other_indices().collect();
        for i in others {
            let live = matches!(self.peers[i].status, NodeStatus::Up | NodeStatus::Active);
            let due: Vec<u32> = self.peers[i]
                .rx
                .missing
                .iter()
                .filter(|(_, &t)| t <= now)
                .map(|(&s, _)| s)
                .collect();
            for s in due {
                self.peers[i].rx.missing.insert(s, again);
                if live {
                    let name = self.name(i);
                    self.send(wire_msg::rexmit(i, &name, s));
                }
            }
        }
    }

    pub(crate) fn answer_rexmit(&mut self, i: usize, first: u32, last: u32) {
        let highest = self.highest_seq();
        let last = last.min(first.saturating_add(MAX_RESEND_PER_REQUEST - 1));
        for s in first..=last {
            if s <= self.peers[i].acked_ours || s > highest {
                continue;
            }
            let name = self.name(i);
            match self.history.lookup(s, self.now) {
                Lookup::Resend(m) => self.resend(m),
                Lookup::TooLow => self.send(wire_msg::nak_rexmit(i, &name, s, "seqno too low")),
                Lookup::NotFound => self.send(wire_msg::nak_rexmit(i, &name, s, "seqno not found")),
                Lookup::Skip => {}
            }
        }
    }
}
