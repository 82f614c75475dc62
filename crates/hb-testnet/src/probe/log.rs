//! What a [`Prober`](super::Prober) saw, and the failover analysis over it. Pure data: tests
//! can build a [`ProbeLog`] by hand.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;
use std::time::Duration;

/// An Ethernet address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac(pub [u8; 6]);

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
    }
}

impl FromStr for Mac {
    type Err = String;

    /// Parses `aa:bb:cc:dd:ee:ff` (either case), as [`Testnet::mac_of`](crate::Testnet::mac_of)
    /// prints it.
    fn from_str(s: &str) -> Result<Mac, String> {
        let mut mac = [0u8; 6];
        let mut parts = s.trim().split(':');
        for byte in &mut mac {
            let part = parts.next().ok_or_else(|| format!("short MAC {s:?}"))?;
            *byte = u8::from_str_radix(part, 16).map_err(|e| format!("MAC {s:?}: {e}"))?;
        }
        if parts.next().is_some() {
            return Err(format!("long MAC {s:?}"));
        }
        Ok(Mac(mac))
    }
}

/// One ARP frame about the target address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpSeen {
    /// Monotonic time since the probe started.
    pub at: Duration,
    /// ARP sender hardware address (who claims the target IP).
    pub mac: Mac,
    /// ARP operation (1 request, 2 reply).
    pub op: u16,
}

/// A period without replies longer than the threshold given to [`ProbeLog::outages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    /// The last reply before the gap.
    pub before: ArpSeen,
    /// The first reply after it; `None` if none came before the probe stopped.
    pub after: Option<ArpSeen>,
    /// From `before.at` to `after.at` (or to the end of the probe).
    pub duration: Duration,
}

/// A reply from a different MAC than the reply before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnerChange {
    /// Time of the first reply from the new MAC.
    pub at: Duration,
    /// MAC of the previous reply.
    pub from: Mac,
    /// MAC of this reply.
    pub to: Mac,
}

/// A run of consecutive replies from one MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Who answered.
    pub mac: Mac,
    /// Time of the first reply of the run.
    pub first: Duration,
    /// Time of the last reply of the run.
    pub last: Duration,
    /// Number of replies in the run.
    pub replies: usize,
}

/// Everything one probe run recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeLog {
    /// The probed address.
    pub target: Ipv4Addr,
    /// The probe interval.
    pub interval: Duration,
    /// How long the probe ran.
    pub duration: Duration,
    /// Number of ARP requests sent.
    pub sent: u64,
    /// Longest pause between two requests sent (scheduling hiccups of the prober itself; an
    /// outage shorter than this may be the prober's, not the cluster's).
    pub max_send_gap: Duration,
    /// ARP replies for the target to our requests, in arrival order.
    pub replies: Vec<ArpSeen>,
    /// Gratuitous ARP for the target (sender IP = target IP = the probed address), requests and
    /// replies, in arrival order.
    pub garps: Vec<ArpSeen>,
    /// Whether recording stopped early because a log reached its size limit.
    pub truncated: bool,
}

impl ProbeLog {
    /// The default outage threshold: 3 × interval.
    pub fn default_threshold(&self) -> Duration {
        self.interval * 3
    }

    /// Gaps between consecutive replies (from any MAC) longer than `threshold`, and a trailing
    /// gap from the last reply to the end of the probe if it is longer. Time before the first
    /// reply is not an outage (the address may not have been up yet).
    pub fn outages(&self, threshold: Duration) -> Vec<Outage> {
        let mut found: Vec<Outage> = self
            .replies
            .windows(2)
            .filter(|w| w[1].at.saturating_sub(w[0].at) > threshold)
            .map(|w| Outage { before: w[0], after: Some(w[1]), duration: w[1].at - w[0].at })
            .collect();
        if let Some(last) = self.replies.last() {
            let tail = self.duration.saturating_sub(last.at);
            if tail > threshold {
                found.push(Outage { before: *last, after: None, duration: tail });
            }
        }
        found
    }

    /// The longest of [`outages`](Self::outages) that ends after `since` (e.g. the moment a
    /// node was killed).
    pub fn longest_outage_after(&self, since: Duration, threshold: Duration) -> Option<Outage> {
        self.outages(threshold)
            .into_iter()
            .filter(|o| o.after.map_or(self.duration, |a| a.at) > since)
            .max_by_key(|o| o.duration)
    }

    /// Runs of consecutive replies from the same MAC, in time order. Two holders answering at
    /// once show as many short alternating runs.
    pub fn timeline(&self) -> Vec<Span> {
        let mut spans: Vec<Span> = Vec::new();
        for r in &self.replies {
            match spans.last_mut() {
                Some(s) if s.mac == r.mac => {
                    s.last = r.at;
                    s.replies += 1;
                }
                _ => spans.push(Span { mac: r.mac, first: r.at, last: r.at, replies: 1 }),
            }
        }
        spans
    }

    /// Every reply whose MAC differs from the previous reply's.
    pub fn owner_changes(&self) -> Vec<OwnerChange> {
        self.replies
            .windows(2)
            .filter(|w| w[0].mac != w[1].mac)
            .map(|w| OwnerChange { at: w[1].at, from: w[0].mac, to: w[1].mac })
            .collect()
    }

    /// The first gratuitous ARP at or after `t`.
    pub fn first_garp_after(&self, t: Duration) -> Option<ArpSeen> {
        self.garps.iter().find(|g| g.at >= t).copied()
    }

    /// The first reply from `mac` at or after `t`.
    pub fn first_reply_from(&self, mac: Mac, t: Duration) -> Option<ArpSeen> {
        self.replies.iter().find(|r| r.mac == mac && r.at >= t).copied()
    }

    /// The last reply from `mac` (at any time).
    pub fn last_reply_from(&self, mac: Mac) -> Option<ArpSeen> {
        self.replies.iter().rev().find(|r| r.mac == mac).copied()
    }

    /// A few lines for a test's output: counts, spans and outages over `threshold`.
    pub fn summary(&self, threshold: Duration) -> String {
        let mut s = format!(
            "probe of {} every {:?} for {:.3?}: {} sent, {} replies, {} GARPs, max send gap {:.3?}\n",
            self.target,
            self.interval,
            self.duration,
            self.sent,
            self.replies.len(),
            self.garps.len(),
            self.max_send_gap
        );
        for span in self.timeline().iter().take(20) {
            s.push_str(&format!(
                "  {} answered {:.3?}..{:.3?} ({} replies)\n",
                span.mac, span.first, span.last, span.replies
            ));
        }
        let mut outages = self.outages(threshold);
        if outages.len() > 10 {
            s.push_str(&format!(
                "  {} outages over {threshold:?}; the 10 longest:\n",
                outages.len()
            ));
            outages.sort_by_key(|o| std::cmp::Reverse(o.duration));
            outages.truncate(10);
            outages.sort_by_key(|o| o.before.at);
        }
        for o in outages {
            let after =
                o.after.map_or("nothing".to_string(), |a| format!("{} at {:.3?}", a.mac, a.at));
            s.push_str(&format!(
                "  outage {:.3?}: last {} at {:.3?}, then {after}\n",
                o.duration, o.before.mac, o.before.at
            ));
        }
        s
    }
}
