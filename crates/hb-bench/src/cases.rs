//! The measurements: failover cases timed with the client-side ARP prober, the false-failover
//! soak, the mass takeover and the footprint.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use hb_testnet::probe::{Mac, ProbeLog, Prober};
use serde::{Deserialize, Serialize};

use crate::lab::{cpu_ticks, pss_kib, rss_kib, wait, Bins, Lab, Setting};

/// Clock ticks per second of `/proc/PID/stat` (USER_HZ, 100 on Linux/x86).
const TICKS_PER_SEC: f64 = 100.0;
/// Gaps shorter than this are probe jitter, not outages, where whole outages are summed.
const JITTER: Duration = Duration::from_millis(20);

/// The failover cases, in the order one run executes them.
pub const FAILOVER_CASES: [&str; 7] =
    ["standby", "stop", "failback", "kill9", "kill9-restart", "partition", "crash"];

/// One measurement.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Sample {
    /// `daemon @ setting`.
    pub setting: String,
    /// Case name.
    pub case: String,
    /// Run number (1-based).
    pub run: usize,
    /// Named values; durations in ms. `outage` is the primary one of failover cases.
    pub metrics: BTreeMap<String, f64>,
    /// The case did not complete (e.g. no takeover within the limit).
    pub failed: bool,
    /// What went wrong or is worth knowing.
    pub note: String,
}

impl Sample {
    fn new(lab: &Lab, case: &str, run: usize) -> Sample {
        Sample { setting: lab.setting.label(), case: case.into(), run, ..Sample::default() }
    }

    fn set(&mut self, name: &str, value: f64) {
        self.metrics.insert(name.into(), value);
    }

    fn note(&mut self, text: &str) {
        if !self.note.is_empty() {
            self.note.push_str("; ");
        }
        self.note.push_str(text);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn say(text: &str) {
    let now = chrono::Local::now().format("%H:%M:%S");
    eprintln!("[{now}] {text}");
}

/// Probes the first VIP while `action` runs, until `until` holds (or `limit`), then `margin`
/// more. Returns the log, the action's time on the log's axis, and whether `until` held.
fn observe(
    lab: &mut Lab,
    action: impl FnOnce(&mut Lab) -> Result<()>,
    until: impl Fn(&Lab) -> bool,
    limit: Duration,
    margin: Duration,
) -> Result<(ProbeLog, Duration, bool)> {
    let prober = Prober::start(lab.net(), lab.vip())?;
    std::thread::sleep(Duration::from_millis(300));
    let t0 = prober.now();
    action(lab)?;
    let done = wait(limit, || until(lab)).is_some();
    std::thread::sleep(margin);
    Ok((prober.stop(), t0, done))
}

/// Fills a hand-over sample: outage = first reply from `new` minus the last reply from `old`
/// before it; plus first reply from `new` and first GARP from it after `t0`, and whether
/// `old` went on answering afterwards.
fn handover(s: &mut Sample, log: &ProbeLog, t0: Duration, old: Mac, new: Mac) {
    s.set("send_gap", ms(log.max_send_gap));
    let Some(first_new) = log.first_reply_from(new, t0) else {
        s.failed = true;
        s.note("the new owner never answered");
        return;
    };
    let last_old = log.replies.iter().rfind(|r| r.mac == old && r.at < first_new.at);
    match last_old {
        Some(o) => s.set("outage", ms(first_new.at - o.at)),
        None => {
            s.set("outage", ms(first_new.at.saturating_sub(t0)));
            s.note("old owner never answered");
        }
    }
    s.set("new_owner", ms(first_new.at.saturating_sub(t0)));
    if let Some(g) = log.garps.iter().find(|g| g.mac == new && g.at >= t0) {
        s.set("garp", ms(g.at - t0));
    }
    if let Some(o) = log.replies.iter().rev().find(|r| r.mac == old && r.at > first_new.at) {
        let dual = o.at - first_new.at;
        s.set("dual", ms(dual));
        if dual > Duration::from_millis(50) {
            s.note(&format!(
                "old owner still answered {:.2} s after the new one (both answer)",
                dual.as_secs_f64()
            ));
        }
    }
    let changes = log.owner_changes().iter().filter(|c| c.at >= t0).count();
    s.set("owner_changes", changes as f64);
}

/// Gaps without any reply after `t0`, longer than [`JITTER`]: (sum, longest).
fn silence_after(log: &ProbeLog, t0: Duration) -> (Duration, Duration) {
    let outs: Vec<_> = log
        .outages(JITTER)
        .into_iter()
        .filter(|o| o.after.map_or(log.duration, |a| a.at) > t0)
        .map(|o| {
            let end = o.after.map_or(log.duration, |a| a.at);
            end - o.before.at.max(t0)
        })
        .collect();
    (outs.iter().sum(), outs.iter().max().copied().unwrap_or_default())
}

/// Limits derived from the setting's detection time.
fn limit(lab: &Lab, factor: u32, extra_s: u64) -> Duration {
    lab.setting.detect() * factor + Duration::from_secs(extra_s)
}

/// Starts both nodes and waits until n1 alone holds the group.
pub fn bring_up(lab: &mut Lab, extra_s: u64) -> Result<Duration> {
    bring_up_with(lab, extra_s, &[])
}

/// [`bring_up`] with n1's daemon run through `wrapper` (a command that execs its arguments;
/// heartbeat-rs only).
pub fn bring_up_with(lab: &mut Lab, extra_s: u64, wrapper: &[&str]) -> Result<Duration> {
    let began = Instant::now();
    if wrapper.is_empty() {
        lab.start(0)?;
    } else {
        lab.start_wrapped(0, wrapper)?;
    }
    lab.start(1)?;
    let lim = limit(lab, 3, extra_s);
    let n = lab.vips.len();
    let Some(_) = wait(lim, || lab.count_vips(0, None) == n && lab.count_vips(1, None) == 0) else {
        bail!(
            "n1 never held all {n} addresses alone within {lim:?} (holders {:?})\n{}",
            lab.holders(),
            lab.log_tail(0, 1500)
        );
    };
    let all_up = began.elapsed();
    let settle = AFTER_START.saturating_sub(lab.since_start(1).min(lab.since_start(0)));
    std::thread::sleep(Duration::from_millis(500).max(settle));
    Ok(all_up)
}

/// Both heartbeats advertise deadtime + 2 s during their first 5 s (so a peer that just
/// restarted is declared dead late): the cases that measure failure detection (kill -9,
/// crash) start only this long after n1's last start.
const AFTER_START: Duration = Duration::from_secs(6);

/// Waits until n1 alone holds the VIP again.
fn restore(lab: &mut Lab) -> Result<()> {
    if lab.wait_holders(&[0], limit(lab, 3, 40)).is_none() {
        bail!(
            "n1 did not get the VIP back (holders {:?})\n{}",
            lab.holders(),
            lab.log_tail(0, 1500)
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    Ok(())
}

/// Before a case that measures failure detection: waits until n1 was started at least
/// [`AFTER_START`] ago.
fn settle_after_start(lab: &Lab) {
    std::thread::sleep(AFTER_START.saturating_sub(lab.since_start(0)));
}

/// A planned hand-over (standby, graceful stop, failback): runs `action` and waits until node
/// `to` alone holds the VIP; the outage is measured from the MAC `macs.0` to `macs.1`.
fn planned(
    lab: &mut Lab,
    case: &str,
    run: usize,
    action: impl FnOnce(&mut Lab) -> Result<()>,
    to: usize,
    lim: Duration,
    macs: (Mac, Mac),
) -> Result<Sample> {
    let mut s = Sample::new(lab, case, run);
    let (log, t0, done) =
        observe(lab, action, |l| l.holders() == [to], lim, Duration::from_secs(1))?;
    handover(&mut s, &log, t0, macs.0, macs.1);
    if !done {
        s.failed = true;
        s.note(&format!("holders {:?} after {lim:?}", lab.holders()));
    }
    Ok(s)
}

/// Runs the selected failover cases on a fresh lab; one sample per case.
pub fn failover_run(
    setting: &Setting,
    bins: &Bins,
    cases: &[&str],
    run: usize,
    out: &mut Vec<Sample>,
) -> Result<()> {
    let mut lab = Lab::new(setting, 1, bins)?;
    bring_up(&mut lab, 60)?;
    let (m1, m2) = (lab.mac(0)?, lab.mac(1)?);
    let has = |c: &str| cases.contains(&c);
    if has("standby") {
        say(&format!("{} run {run}: standby", setting.label()));
        lab.settle(Duration::from_secs(40));
        let lim = limit(&lab, 2, 30);
        out.push(planned(&mut lab, "standby", run, |l| l.standby(0), 1, lim, (m1, m2))?);
        lab.settle(Duration::from_secs(40));
        lab.takeover(0)?;
        restore(&mut lab)?;
        lab.settle(Duration::from_secs(40));
    }
    if has("stop") || has("failback") {
        say(&format!("{} run {run}: graceful stop", setting.label()));
        let lim = limit(&lab, 2, 60);
        let s = planned(&mut lab, "stop", run, |l| l.stop(0), 1, lim, (m1, m2))?;
        if has("stop") {
            out.push(s);
        }
        say(&format!("{} run {run}: failback (n1 restarts)", setting.label()));
        let lim = limit(&lab, 3, 60);
        let s = planned(&mut lab, "failback", run, |l| l.start(0), 0, lim, (m2, m1))?;
        if has("failback") {
            out.push(s);
        }
        restore(&mut lab)?;
    }
    if has("kill9") {
        settle_after_start(&lab);
        say(&format!("{} run {run}: kill -9 of the owner's daemon", setting.label()));
        let mut s = Sample::new(&lab, "kill9", run);
        let lim = limit(&lab, 2, 20);
        let (log, t0, done) = observe(
            &mut lab,
            |l| l.kill9(0),
            |l| l.holders().contains(&1),
            lim,
            Duration::from_millis(1500),
        )?;
        handover(&mut s, &log, t0, m1, m2);
        if !done {
            s.failed = true;
            s.note("peer never took the VIP");
        }
        out.push(s);
        lab.start(0)?;
        restore(&mut lab)?;
    }
    if has("kill9-restart") {
        say(&format!("{} run {run}: kill -9 and immediate restart", setting.label()));
        let mut s = Sample::new(&lab, "kill9-restart", run);
        let lim = limit(&lab, 3, 40);
        let settle_after = lab.setting.detect() + Duration::from_secs(2);
        let started = Instant::now();
        let (log, t0, done) = observe(
            &mut lab,
            |l| {
                l.kill9(0)?;
                l.start(0)
            },
            |l| started.elapsed() > settle_after && l.holders().len() == 1,
            lim,
            Duration::from_secs(1),
        )?;
        let (sum, longest) = silence_after(&log, t0);
        s.set("outage", ms(sum));
        s.set("longest", ms(longest));
        s.set("send_gap", ms(log.max_send_gap));
        s.set("owner_changes", log.owner_changes().iter().filter(|c| c.at >= t0).count() as f64);
        if !done {
            s.note(&format!("holders {:?} at the end", lab.holders()));
        }
        if log.replies.iter().all(|r| r.at < t0) {
            s.failed = true;
            s.note("nobody answered after the restart");
        }
        out.push(s);
        restore(&mut lab)?;
    }
    if has("partition") {
        say(&format!("{} run {run}: partition and heal", setting.label()));
        let mut s = Sample::new(&lab, "partition", run);
        lab.partition(true)?;
        let formed = lab.wait_holders(&[0, 1], limit(&lab, 2, 20));
        if formed.is_none() {
            s.note(&format!("no split brain formed (holders {:?})", lab.holders()));
        }
        std::thread::sleep(Duration::from_millis(500));
        let lim = limit(&lab, 3, 60);
        // Settled: one holder, seen twice 1 s apart.
        let (log, t0, done) = observe(
            &mut lab,
            |l| l.partition(false),
            |l| {
                let h = l.holders();
                h.len() == 1 && {
                    std::thread::sleep(Duration::from_secs(1));
                    l.holders() == h
                }
            },
            lim,
            Duration::from_secs(2),
        )?;
        let (_, longest) = silence_after(&log, t0);
        s.set("outage", ms(longest));
        s.set("send_gap", ms(log.max_send_gap));
        let holders = lab.holders();
        if let Some(&winner) = holders.first() {
            let loser = if winner == 0 { m2 } else { m1 };
            let end =
                log.replies.iter().rev().find(|r| r.mac == loser && r.at >= t0).map(|r| r.at - t0);
            s.set("split_end", end.map_or(0.0, ms));
            s.note(&format!("n{} kept the VIP", winner + 1));
        }
        if !done {
            s.failed = true;
            s.note(&format!("holders {holders:?} {lim:?} after heal"));
        }
        out.push(s);
        restore(&mut lab)?;
    }
    if has("crash") {
        settle_after_start(&lab);
        say(&format!("{} run {run}: owner crash (link cut, then kill)", setting.label()));
        let mut s = Sample::new(&lab, "crash", run);
        let lim = limit(&lab, 2, 30);
        let n1 = lab.host(0);
        let (log, t0, done) = observe(
            &mut lab,
            |l| {
                l.net().link_down(&n1)?;
                l.crash(0)
            },
            |l| l.holders().contains(&1),
            lim,
            Duration::from_millis(700),
        )?;
        handover(&mut s, &log, t0, m1, m2);
        if !done {
            s.failed = true;
            s.note("peer never took the VIP");
        }
        out.push(s);
        lab.clear_vips(0)?;
        lab.net().link_up(&n1)?;
        lab.start(0)?;
        restore(&mut lab)?;
    }
    Ok(())
}

/// False-failover soak: `secs` seconds with a busy loop in n1's namespace and 5 % loss on
/// n1's link; counts ownership changes.
pub fn false_failover(setting: &Setting, bins: &Bins, secs: u64) -> Result<Sample> {
    let mut lab = Lab::new(setting, 1, bins)?;
    bring_up(&mut lab, 60)?;
    let mut s = Sample::new(&lab, "false-failover", 1);
    let n1 = lab.host(0);
    lab.net().set_loss(&n1, 5)?;
    let busy = lab.busy_loop(0)?;
    let prober = Prober::start(lab.net(), lab.vip())?;
    let t0 = Instant::now();
    let mut last = lab.holders();
    let mut holder_changes = 0usize;
    let mut shared = Duration::ZERO;
    while t0.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_millis(200));
        let h = lab.holders();
        if h.len() > 1 {
            shared += Duration::from_millis(200);
        }
        if h != last {
            holder_changes += 1;
            last = h;
        }
    }
    let log = prober.stop();
    lab.kill_spawned(busy)?;
    lab.net().set_loss(&n1, 0)?;
    s.set("owner_changes", log.owner_changes().len() as f64);
    let (episodes, foreign) = foreign_episodes(&log);
    s.set("episodes", episodes as f64);
    s.set("foreign", ms(foreign));
    s.set("holder_changes", holder_changes as f64);
    s.set("both_hold", ms(shared));
    let (_, longest) = silence_after(&log, Duration::ZERO);
    s.set("longest_outage", ms(longest));
    s.set("send_gap", ms(log.max_send_gap));
    s.set("secs", secs as f64);
    if holder_changes > 0 || !log.owner_changes().is_empty() {
        s.note(&format!("final holders {last:?}"));
    }
    Ok(s)
}

/// Episodes in which a MAC other than the first one answered (answers less than 100 ms apart
/// are one episode), and how long it answered in total (first to last reply of each run of
/// its replies, plus one probe interval).
fn foreign_episodes(log: &ProbeLog) -> (usize, Duration) {
    let Some(owner) = log.replies.first().map(|r| r.mac) else { return (0, Duration::ZERO) };
    let mut episodes = 0;
    let mut total = Duration::ZERO;
    let mut last_end: Option<Duration> = None;
    for span in log.timeline().into_iter().filter(|s| s.mac != owner) {
        total += span.last - span.first + log.interval;
        if last_end.is_none_or(|e| span.first.saturating_sub(e) > Duration::from_millis(100)) {
            episodes += 1;
        }
        last_end = Some(span.last);
    }
    (episodes, total)
}

/// Mass takeover: `count` addresses in one group; the owner's link is cut and its daemon
/// killed; times until every address is up on the peer and the last one answers.
pub fn mass(setting: &Setting, bins: &Bins, count: usize, run: usize) -> Result<Sample> {
    let mut lab = Lab::new(setting, count, bins)?;
    let mut s = Sample::new(&lab, "mass", run);
    let all_up = bring_up(&mut lab, 600)?;
    s.set("startup", ms(all_up));
    s.set("count", count as f64);
    let (first, last) = (lab.vips[0], lab.vips[count - 1]);
    let m2 = lab.mac(1)?;
    let p_first = Prober::start(lab.net(), first)?;
    let p_last = Prober::start(lab.net(), last)?;
    std::thread::sleep(Duration::from_millis(300));
    let t0 = p_last.now();
    let t0_first = p_first.now();
    let rss_n2 = |lab: &Lab| -> u64 { lab.processes(1).into_iter().map(rss_kib).sum() };
    let rss_before = rss_n2(&lab);
    let n1 = lab.host(0);
    lab.net().link_down(&n1)?;
    lab.crash(0)?;
    let started = Instant::now();
    let all = wait(limit(&lab, 2, 600), || lab.count_vips(1, None) == count);
    std::thread::sleep(Duration::from_secs(1));
    let (log_first, log_last) = (p_first.stop(), p_last.stop());
    match all {
        Some(_) => s.set("all_up", ms(started.elapsed().saturating_sub(Duration::from_secs(1)))),
        None => {
            s.failed = true;
            s.note(&format!("only {} of {count} addresses up on n2", lab.count_vips(1, None)));
        }
    }
    if let Some(r) = log_first.first_reply_from(m2, t0_first) {
        s.set("first_vip", ms(r.at - t0_first));
    }
    match log_last.first_reply_from(m2, t0) {
        Some(r) => s.set("last_vip", ms(r.at - t0)),
        None => {
            s.failed = true;
            s.note("the last address never answered");
        }
    }
    let first_garp = log_first.garps.iter().find(|g| g.mac == m2 && g.at >= t0_first);
    if let Some(g) = first_garp {
        s.set("first_garp", ms(g.at - t0_first));
    }
    if let Some(g) = log_last.garps.iter().find(|g| g.mac == m2 && g.at >= t0) {
        s.set("last_garp", ms(g.at - t0));
        // The probes started a few µs apart; their clocks are compared through t0 / t0_first.
        if let Some(f) = first_garp {
            s.set("garp_spread", ms((g.at - t0).saturating_sub(f.at - t0_first)));
        }
    }
    // heartbeat-rs times the batch itself (the probes' clocks jitter by milliseconds on a busy
    // machine): from the first addition until the last address's first announcement round.
    if let Some((first, all)) = batch_times(&lab.log_tail(1, 16 << 20)) {
        s.set("batch_first_round", first);
        s.set("batch_all_rounds", all);
    }
    // Memory the takeover cost the survivor: its daemon's RSS once it holds everything,
    // against before the crash (heartbeat-rs: daemon + guardian; others: all processes).
    let rss_after = rss_n2(&lab);
    s.set("rss_kib_n2", rss_after as f64);
    s.set("rss_growth_kib", rss_after.saturating_sub(rss_before) as f64);
    Ok(s)
}

/// The last "N addresses added and announced: last first announcement after X ms, all
/// rounds after Y ms" line of a heartbeat-rs log: `(X, Y)`.
fn batch_times(log: &str) -> Option<(f64, f64)> {
    let line = log.lines().rev().find(|l| l.contains("addresses added and announced:"))?;
    let num = |key: &str| -> Option<f64> {
        let rest = &line[line.find(key)? + key.len()..];
        rest.split_whitespace().next()?.parse().ok()
    };
    Some((num("last first announcement after ")?, num("all rounds after ")?))
}

/// Footprint of two-node labs for each setting, all running at once: RSS summed over each
/// node's daemon processes, and CPU seconds used over `secs` seconds of idle operation.
pub fn footprint(settings: &[Setting], bins: &Bins, secs: u64) -> Vec<Sample> {
    let mut labs = Vec::new();
    let mut out = Vec::new();
    for st in settings {
        let made = Lab::new(st, 1, bins).and_then(|mut l| bring_up(&mut l, 60).map(|_| l));
        match made {
            Ok(l) => labs.push(l),
            Err(e) => {
                let mut s = Sample {
                    setting: st.label(),
                    case: "footprint".into(),
                    run: 1,
                    ..Sample::default()
                };
                s.failed = true;
                s.note(&format!("{e:#}"));
                out.push(s);
            }
        }
    }
    std::thread::sleep(Duration::from_secs(3));
    let ticks = |l: &Lab, i: usize| -> BTreeMap<u32, u64> {
        l.processes(i).into_iter().map(|p| (p, cpu_ticks(p))).collect()
    };
    let before: Vec<[BTreeMap<u32, u64>; 2]> =
        labs.iter().map(|l| [ticks(l, 0), ticks(l, 1)]).collect();
    std::thread::sleep(Duration::from_secs(secs));
    for (l, b) in labs.iter().zip(&before) {
        let mut s = Sample::new(l, "footprint", 1);
        for (i, earlier) in b.iter().enumerate() {
            let now = ticks(l, i);
            let used: u64 =
                now.iter().map(|(p, t)| t.saturating_sub(*earlier.get(p).unwrap_or(&0))).sum();
            let rss: u64 = now.keys().map(|&p| rss_kib(p)).sum();
            s.set(&format!("cpu_s_n{}", i + 1), used as f64 / TICKS_PER_SEC);
            s.set(&format!("rss_kib_n{}", i + 1), rss as f64);
            let pss: u64 = now.keys().map(|&p| pss_kib(p)).sum();
            s.set(&format!("pss_kib_n{}", i + 1), pss as f64);
            s.set(&format!("procs_n{}", i + 1), now.len() as f64);
        }
        s.set("secs", secs as f64);
        if l.holders() != [0] {
            s.note(&format!("holders {:?} at the end", l.holders()));
        }
        out.push(s);
    }
    out
}

/// Error text of a run that could not complete, as a failed sample.
pub fn failed_run(setting: &Setting, case: &str, run: usize, err: &anyhow::Error) -> Sample {
    Sample {
        setting: setting.label(),
        case: case.into(),
        run,
        failed: true,
        note: format!("run aborted: {}", first_lines(&format!("{err:#}"), 6)),
        ..Sample::default()
    }
}

fn first_lines(text: &str, n: usize) -> String {
    text.lines().take(n).collect::<Vec<_>>().join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hb_testnet::probe::ArpSeen;

    fn log(replies: &[(u64, u8)]) -> ProbeLog {
        let at = |t: u64| Duration::from_millis(t);
        ProbeLog {
            target: std::net::Ipv4Addr::new(10, 99, 1, 50),
            interval: at(1),
            duration: at(replies.last().map_or(0, |r| r.0) + 1),
            sent: replies.len() as u64,
            max_send_gap: at(1),
            replies: replies
                .iter()
                .map(|&(t, m)| ArpSeen { at: at(t), mac: Mac([2, 0, 0, 0, 0, m]), op: 2 })
                .collect(),
            garps: vec![],
            truncated: false,
        }
    }

    #[test]
    fn batch_times_from_the_last_takeover_line() {
        let log = "x: 3 addresses added and announced: last first announcement after 9.0 ms, \
                   all rounds after 12.5 ms\n\
                   y: 1000 addresses added and announced: last first announcement after 14.2 ms, \
                   all rounds after 20.1 ms\nz: IP address 10.99.251.1/24 on eth0: added\n";
        assert_eq!(batch_times(log), Some((14.2, 20.1)));
        assert_eq!(batch_times("nothing here\n"), None);
    }

    #[test]
    fn episodes_merge_alternations_and_split_on_quiet() {
        // Owner 1; node 2 answers alongside it at 10..=12 ms, and again at 500 ms.
        let l = log(&[(1, 1), (10, 2), (10, 1), (11, 2), (11, 1), (12, 2), (13, 1), (500, 2)]);
        let (episodes, total) = foreign_episodes(&l);
        assert_eq!(episodes, 2);
        assert_eq!(total, Duration::from_millis(4));
        assert_eq!(foreign_episodes(&log(&[(1, 1), (2, 1)])), (0, Duration::ZERO));
    }

    #[test]
    fn handover_measures_gap_dual_and_changes() {
        let (a, b) = (Mac([2, 0, 0, 0, 0, 1]), Mac([2, 0, 0, 0, 0, 2]));
        let l = log(&[(1, 1), (2, 1), (3, 1), (40, 2), (41, 2), (200, 1), (201, 2)]);
        let mut s = Sample::default();
        handover(&mut s, &l, Duration::from_millis(2), a, b);
        assert!(!s.failed);
        assert_eq!(s.metrics.get("outage").copied(), Some(37.0));
        assert_eq!(s.metrics.get("new_owner").copied(), Some(38.0));
        assert_eq!(s.metrics.get("dual").copied(), Some(160.0));
        assert_eq!(s.metrics.get("owner_changes").copied(), Some(3.0));
        assert!(s.note.contains("both answer"));
        let mut s = Sample::default();
        handover(&mut s, &log(&[(1, 1)]), Duration::ZERO, a, b);
        assert!(s.failed);
        let (sum, longest) = silence_after(&l, Duration::from_millis(2));
        assert_eq!((sum, longest), (Duration::from_millis(196), Duration::from_millis(159)));
    }
}
