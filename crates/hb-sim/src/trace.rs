//! The run's trace: a running 64-bit FNV-1a hash over every event the simulator processes (so
//! two runs of one seed can be compared with one number), plus the last few event lines in a
//! bounded ring for failure reports.

use std::collections::VecDeque;

use crate::time::SimTime;

/// Lines kept for a failure report.
pub const TAIL_LINES: usize = 40;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// Hash plus a bounded tail of human-readable lines.
#[derive(Clone, Debug)]
pub struct Trace {
    hash: u64,
    events: u64,
    tail: VecDeque<String>,
    keep_lines: bool,
    echo: bool,
}

impl Default for Trace {
    fn default() -> Self {
        Trace::new(true)
    }
}

impl Trace {
    /// An empty trace; `keep_lines` false skips formatting lines (faster sweeps).
    pub fn new(keep_lines: bool) -> Trace {
        Trace { hash: FNV_OFFSET, events: 0, tail: VecDeque::new(), keep_lines, echo: false }
    }

    /// Also prints every line to standard error as it is recorded (for `vopr --log`).
    pub fn with_echo(mut self) -> Trace {
        self.keep_lines = true;
        self.echo = true;
        self
    }

    /// Records one event: its time, a kind tag, the node concerned and payload bytes.
    pub fn record(&mut self, at: SimTime, tag: &str, node: usize, payload: &[u8]) {
        self.events += 1;
        self.mix(&at.micros().to_le_bytes());
        self.mix(tag.as_bytes());
        self.mix(&(node as u64).to_le_bytes());
        self.mix(&(payload.len() as u64).to_le_bytes());
        self.mix(payload);
    }

    /// Records an event and, when lines are kept, a description of it (the line itself is not
    /// hashed, so wording changes do not change trace hashes).
    pub fn record_line(
        &mut self,
        at: SimTime,
        tag: &str,
        node: usize,
        payload: &[u8],
        line: impl FnOnce() -> String,
    ) {
        self.record(at, tag, node, payload);
        if self.keep_lines {
            if self.tail.len() == TAIL_LINES {
                self.tail.pop_front();
            }
            let text = format!("{at} {tag} node{}: {}", node + 1, line());
            if self.echo {
                eprintln!("{text}");
            }
            self.tail.push_back(text);
        }
    }

    /// The hash of everything recorded so far.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// Number of events recorded.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The last recorded lines, oldest first.
    pub fn tail(&self) -> impl Iterator<Item = &String> {
        self.tail.iter()
    }

    /// FNV-style mixing eight bytes at a time (then the tail byte by byte): the trace hash
    /// covers every delivered packet, and one multiply per byte was a tenth of a sweep's time.
    fn mix(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            self.hash ^= u64::from_le_bytes(b);
            self.hash = self.hash.wrapping_mul(FNV_PRIME);
        }
        for b in words.remainder() {
            self.hash ^= u64::from(*b);
            self.hash = self.hash.wrapping_mul(FNV_PRIME);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_every_field_and_order() {
        let mk = |items: &[(u64, &str, usize, &[u8])]| {
            let mut t = Trace::new(false);
            for (at, tag, node, p) in items {
                t.record(SimTime(*at), tag, *node, p);
            }
            t.hash()
        };
        let base = mk(&[(1, "a", 0, b"x"), (2, "b", 1, b"y")]);
        assert_eq!(base, mk(&[(1, "a", 0, b"x"), (2, "b", 1, b"y")]));
        assert_ne!(base, mk(&[(2, "b", 1, b"y"), (1, "a", 0, b"x")]));
        assert_ne!(base, mk(&[(1, "a", 0, b"x"), (3, "b", 1, b"y")]));
        assert_ne!(base, mk(&[(1, "a", 0, b"x"), (2, "b", 0, b"y")]));
        assert_ne!(base, mk(&[(1, "a", 0, b"x"), (2, "b", 1, b"z")]));
    }

    #[test]
    fn tail_is_bounded() {
        let mut t = Trace::new(true);
        for i in 0..(TAIL_LINES as u64 + 10) {
            t.record_line(SimTime(i), "e", 0, &[], || format!("line {i}"));
        }
        assert_eq!(t.tail().count(), TAIL_LINES);
        assert!(t.tail().next().is_some_and(|l| l.ends_with("line 10")));
        assert_eq!(t.events(), TAIL_LINES as u64 + 10);
    }
}
