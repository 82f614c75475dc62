//! The demo's client side: an HTTP prober that asks the VIP which node serves it, a run-length
//! log of the answers, and the outage arithmetic over that log (pure, so it is unit-tested on
//! synthetic logs).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most runs (stretches of equal answers) the log keeps; a flapping service cannot grow it
/// further, later probes only extend the last run.
pub const MAX_RUNS: usize = 10_000;
/// Most bytes read from one HTTP answer.
const MAX_RESPONSE: u64 = 1024;
/// Longest node name taken from an answer.
const MAX_NAME: usize = 32;

/// What one probe saw: the name of the node that answered, or `None` (no answer in time).
pub type Answer = Option<String>;

/// Consecutive probes with the same answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// When the first of them was sent (since the demo started).
    pub first: Duration,
    /// When the last of them was sent.
    pub last: Duration,
    /// What they saw.
    pub answer: Answer,
    /// How many probes.
    pub count: u32,
}

/// Every probe so far, as runs.
#[derive(Debug, Default, Clone)]
pub struct ProbeLog {
    runs: Vec<Run>,
}

impl ProbeLog {
    /// Adds a probe result; returns true when it starts a new run (the answer changed).
    pub fn push(&mut self, at: Duration, answer: Answer) -> bool {
        let full = self.runs.len() >= MAX_RUNS;
        if let Some(last) = self.runs.last_mut() {
            if last.answer == answer || full {
                last.last = at;
                last.count = last.count.saturating_add(1);
                return false;
            }
        }
        self.runs.push(Run { first: at, last: at, answer, count: 1 });
        true
    }

    /// The runs, oldest first.
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// The current run.
    pub fn current(&self) -> Option<&Run> {
        self.runs.last()
    }

    /// When a run of answers follows a run of failures: how long nobody answered, from the
    /// last answer before the failures to the first answer after them.
    pub fn gap_before_current(&self) -> Option<Duration> {
        let n = self.runs.len();
        let [before, failed, now] = self.runs.get(n.checked_sub(3)?..)? else { return None };
        (before.answer.is_some() && failed.answer.is_none() && now.answer.is_some())
            .then(|| now.first.saturating_sub(before.last))
    }
}

/// What the probes saw around one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    /// Who answered last at or before the event.
    pub before: Answer,
    /// Who answered last in the window after the event.
    pub after: Answer,
    /// From the last answer before the first failed probe after the event to the first answer
    /// after the last failed one; zero when no probe failed; `None` when the window ends
    /// without an answer.
    pub outage: Option<Duration>,
    /// Failed probes in the window.
    pub failed: u32,
}

/// The outage caused by an event at `from`, looking at probes up to `to` (the next event).
pub fn outage(runs: &[Run], from: Duration, to: Duration) -> Outage {
    let last_answer_until = |t: Duration| {
        runs.iter()
            .rev()
            .find(|r| r.first <= t && r.answer.is_some())
            .and_then(|r| r.answer.clone())
    };
    let before = last_answer_until(from);
    let after = last_answer_until(to);
    let in_window = |r: &&Run| r.last >= from && r.first <= to;
    let failures: Vec<usize> = runs
        .iter()
        .enumerate()
        .filter(|(_, r)| in_window(r) && r.answer.is_none())
        .map(|(i, _)| i)
        .collect();
    let (Some(&first), Some(&last)) = (failures.first(), failures.last()) else {
        return Outage { before, after, outage: Some(Duration::ZERO), failed: 0 };
    };
    let failed = failures.iter().filter_map(|&i| runs.get(i)).map(|r| r.count).sum();
    // Adjacent runs differ, so the neighbours of a failure run are answers.
    let start = first.checked_sub(1).and_then(|i| runs.get(i)).map_or(from, |r| r.last);
    let outage =
        runs.get(last + 1).filter(|r| r.first <= to).map(|r| r.first.saturating_sub(start));
    Outage { before, after, outage, failed }
}

/// One HTTP GET of `/` at `addr`; the node name from a `served by NAME` answer.
pub fn probe_once(addr: SocketAddr, connect: Duration, read: Duration) -> Answer {
    let mut s = TcpStream::connect_timeout(&addr, connect).ok()?;
    s.set_read_timeout(Some(read)).ok()?;
    s.set_write_timeout(Some(read)).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: demo\r\n\r\n").ok()?;
    let mut buf = Vec::with_capacity(256);
    s.take(MAX_RESPONSE).read_to_end(&mut buf).ok()?;
    served_by(&buf)
}

/// The node name in an HTTP answer whose status is 200 and whose body says `served by NAME`.
pub fn served_by(response: &[u8]) -> Answer {
    let text = std::str::from_utf8(response).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    if head.split_whitespace().nth(1) != Some("200") {
        return None;
    }
    let name = body.trim().strip_prefix("served by ")?.trim();
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    ok.then(|| name.to_string())
}

/// How the prober runs.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Where to send the GETs.
    pub addr: SocketAddr,
    /// Time between the starts of two probes.
    pub interval: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Read timeout.
    pub read_timeout: Duration,
    /// When the demo started (log times are relative to it).
    pub t0: Instant,
    /// Print each change of answer as it happens.
    pub live: bool,
}

/// Probes until `stop` is set, logging into `log`; runs on a thread already inside the client
/// namespace.
pub fn probe_loop(cfg: &ProbeConfig, log: &Mutex<ProbeLog>, stop: &AtomicBool) {
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let sent = cfg.t0.elapsed();
        let answer = probe_once(cfg.addr, cfg.connect_timeout, cfg.read_timeout);
        let mut l = log.lock().unwrap_or_else(|p| p.into_inner());
        let previous = l.current().map(|r| r.answer.clone());
        if l.push(sent, answer.clone()) && cfg.live {
            let gap = l.gap_before_current();
            drop(l);
            print_change(sent, previous, answer, gap);
        }
        next += cfg.interval;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now;
        }
    }
}

fn print_change(at: Duration, from: Option<Answer>, to: Answer, gap: Option<Duration>) {
    let name = |a: &Answer| a.clone().unwrap_or_else(|| "no answer".to_string());
    let gap = gap.map(|g| format!("  (no answer for {} ms)", g.as_millis())).unwrap_or_default();
    match from {
        // The very first probe.
        None => println!("{}  probe: {}", stamp(at), name(&to)),
        Some(from) => println!("{}  probe: {} -> {}{gap}", stamp(at), name(&from), name(&to)),
    }
}

/// A timeline time stamp: `+  12.345s`.
pub fn stamp(at: Duration) -> String {
    format!("+{:>8.3}s", at.as_secs_f64())
}

#[cfg(test)]
#[path = "demo_probe_test.rs"]
mod tests;
