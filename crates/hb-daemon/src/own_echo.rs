//! Our own datagrams coming back: a `bcast` medium (and `mcast` with loop on) delivers every
//! datagram we send to our own receive socket too. heartbeat drops them by `src` after
//! authenticating and parsing them; at a 10 ms keepalive that was half of all the datagrams a
//! node read, each costing a digest and a parse. Those that are byte for byte one of the
//! datagrams we just sent are dropped here before that: the outcome is the same (a datagram
//! equal to one we sealed authenticates and names us as `src`, so it would be dropped anyway),
//! only cheaper. Anything else, older copies included, takes the full path.

use hb_wire::{Authenticator, Message, WireError};

/// How many of our last datagrams are remembered. The loop-back copy arrives within
/// microseconds; a few more cover a burst (a status, its echo, acks, retransmissions).
pub const REMEMBERED: usize = 8;

/// The last [`REMEMBERED`] datagrams we sent, in a ring whose buffers are reused, and the
/// last message sealed.
#[derive(Debug, Default)]
pub struct OwnEcho {
    sent: Vec<Vec<u8>>,
    next: usize,
    /// Datagrams recognised and dropped early.
    pub dropped: u64,
    /// The last message sealed and its datagram: the engine's status echo sends the same
    /// message again half a keepalive later, and sealing is deterministic (two keyed digests
    /// and an encoding), so the second copy reuses the first's bytes.
    /// The flag is the sealing format (classic or not) the bytes were made with.
    last: Option<(Message, bool, Vec<u8>)>,
    /// Seals saved that way.
    pub reused: u64,
}

impl OwnEcho {
    /// The datagram for `msg`: the last one again if `msg` is the message sealed last,
    /// otherwise `auth.seal(msg)`. Either way it is remembered as ours (see [`OwnEcho::is_own`]).
    pub fn seal(&mut self, auth: &Authenticator, msg: &Message) -> Result<&[u8], WireError> {
        self.seal_as(auth, msg, false)
    }

    /// [`OwnEcho::seal`] in the classic format when `classic` (a key rollover beside a
    /// heartbeat 3.0.6 peer, see `daemon_reload`); bytes made in the other format are not reused.
    pub fn seal_as(
        &mut self,
        auth: &Authenticator,
        msg: &Message,
        classic: bool,
    ) -> Result<&[u8], WireError> {
        match &self.last {
            Some((m, c, _)) if m == msg && *c == classic => self.reused += 1,
            _ => {
                let bytes = if classic { auth.seal_classic(msg)? } else { auth.seal(msg)? };
                self.last = Some((msg.clone(), classic, bytes));
            }
        }
        let OwnEcho { sent, next, last, .. } = self;
        let bytes = last.as_ref().map_or(&[][..], |(_, _, b)| b.as_slice());
        remember(sent, next, bytes);
        Ok(bytes)
    }

    /// Forgets the last sealed message (the keys changed: its bytes must not be sent again).
    pub fn forget_sealed(&mut self) {
        self.last = None;
    }

    /// Notes a datagram we are about to send.
    pub fn record(&mut self, datagram: &[u8]) {
        remember(&mut self.sent, &mut self.next, datagram);
    }

    /// Whether `datagram` is one we sent recently (counted in [`OwnEcho::dropped`]).
    pub fn is_own(&mut self, datagram: &[u8]) -> bool {
        let own = self.sent.iter().any(|s| s.as_slice() == datagram);
        if own {
            self.dropped += 1;
        }
        own
    }
}

fn remember(sent: &mut Vec<Vec<u8>>, next: &mut usize, datagram: &[u8]) {
    if sent.len() < REMEMBERED {
        sent.push(datagram.to_vec());
        return;
    }
    if let Some(slot) = sent.get_mut(*next) {
        slot.clear();
        slot.extend_from_slice(datagram);
    }
    *next = (*next + 1) % REMEMBERED;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_sent_twice_is_sealed_once_with_the_same_bytes() {
        use hb_wire::{AuthKey, AuthMethod, Value};
        let key = AuthKey { index: 1, method: AuthMethod::Sha1, secret: b"lab".to_vec() };
        let auth = Authenticator::new(1, vec![key]).expect("one sha1 key");
        let msg = |seq: &str| {
            let mut m = Message::new();
            m.push("t", Value::Str(b"status".to_vec()));
            m.push("seq", Value::Str(seq.as_bytes().to_vec()));
            m
        };
        let mut e = OwnEcho::default();
        let first = e.seal(&auth, &msg("1")).expect("seal").to_vec();
        assert_eq!(first, auth.seal(&msg("1")).expect("seal"));
        let again = e.seal(&auth, &msg("1")).expect("seal").to_vec();
        assert_eq!((again == first, e.reused), (true, 1));
        let next = e.seal(&auth, &msg("2")).expect("seal").to_vec();
        assert_eq!(next, auth.seal(&msg("2")).expect("seal"));
        assert_eq!(e.reused, 1);
        // Both are remembered as ours; a stranger's datagram is not.
        assert!(e.is_own(&first) && e.is_own(&next));
        assert!(!e.is_own(b"###\nsomething else"));
        // What the peer opens is what we sealed.
        let opened = auth.open(&next).expect("our own datagram opens");
        assert_eq!(opened.message().get_str("seq"), Some("2"));
    }

    #[test]
    fn recognises_the_last_datagrams_only() {
        let mut e = OwnEcho::default();
        let d = |i: usize| format!("datagram {i}").into_bytes();
        for i in 0..REMEMBERED + 3 {
            e.record(&d(i));
        }
        // The three oldest were overwritten by the ring.
        for i in 0..3 {
            assert!(!e.is_own(&d(i)), "{i}");
        }
        for i in 3..REMEMBERED + 3 {
            assert!(e.is_own(&d(i)), "{i}");
        }
        assert_eq!(e.dropped, REMEMBERED as u64);
        // A prefix, an extension or a one-byte change is not ours.
        let last = d(REMEMBERED + 2);
        assert!(!e.is_own(&last[..last.len() - 1]));
        let mut longer = last.clone();
        longer.push(b'x');
        assert!(!e.is_own(&longer));
        let mut changed = last.clone();
        changed[0] ^= 1;
        assert!(!e.is_own(&changed));
        assert!(!e.is_own(b""));
    }
}
