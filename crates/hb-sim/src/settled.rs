//! The settled fault schedule: the cluster is left alone until it has settled, then exactly one
//! fault hits it, then it settles again, and so on. Every episode therefore starts from a
//! state in which the checkers make promises (the failover deadline after a crash, a single
//! owner, no false death, an outcome for every admin command), which the storm style of
//! [`crate::faults::schedule`] rarely gives: there a crash usually lands inside another
//! disturbance and nothing is promised.
//!
//! The episodes also cover what clusters of more than two nodes meet: one-way and partial
//! partitions (A–B cut while both still reach C), a node cut off on every medium, rolling
//! restarts (each node in turn stopped and booted again) and a wall-clock step on one node.

use crate::faults::{AdminCmd, Fault, ResourceSet, ScheduledFault};
use crate::rng::SimRng;
use crate::scenario::Scenario;
use crate::time::SimTime;

/// Which schedule a scenario's safety phase uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleStyle {
    /// The storm or sparse episodes of [`crate::faults::schedule`] (the schedule every seed had
    /// before the settled style existed; seeds drawn with it keep their runs).
    Classic,
    /// Settled periods, each followed by one fault (this module).
    Settled,
}

impl ScheduleStyle {
    /// The `vopr --schedule` spelling.
    pub fn to_arg(self) -> &'static str {
        match self {
            ScheduleStyle::Classic => "classic",
            ScheduleStyle::Settled => "settled",
        }
    }

    /// Parses the `vopr --schedule` spelling.
    pub fn parse_arg(s: &str) -> Result<ScheduleStyle, String> {
        match s {
            "classic" => Ok(ScheduleStyle::Classic),
            "settled" => Ok(ScheduleStyle::Settled),
            other => Err(format!("--schedule classic|settled, not {other}")),
        }
    }
}

/// Upper bound on episodes of one settled schedule (each needs a full settle time).
pub const MAX_SETTLED_EPISODES: usize = 6;

/// The kinds of single fault an episode applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Crash,
    Shutdown,
    CutOff,
    Isolate,
    OneWay,
    Partial,
    Standby,
    Takeover,
    ClockStep,
    Rolling,
}

const KINDS: [Kind; 10] = [
    Kind::Crash,
    Kind::Shutdown,
    Kind::CutOff,
    Kind::Isolate,
    Kind::OneWay,
    Kind::Partial,
    Kind::Standby,
    Kind::Takeover,
    Kind::ClockStep,
    Kind::Rolling,
];

/// Draws a settled schedule. With `fixed_end` (the caller fixed the safety phase length) no
/// episode starts at or after it; otherwise 3 to [`MAX_SETTLED_EPISODES`] episodes are drawn
/// and the returned end time says how long the safety phase must be for the last one to
/// settle.
pub fn schedule(
    rng: &mut SimRng,
    sc: &Scenario,
    fixed_end: Option<u64>,
) -> (Vec<ScheduledFault>, u64) {
    let settle_ms = sc.safety_settle_ms();
    let dt = sc.timing.deadtime_ms;
    let episodes = 3 + rng.below((MAX_SETTLED_EPISODES - 2) as u64) as usize;
    // The first episode is always the crash of a group's preferred node (most likely its
    // holder): the failover promise is the one that matters most.
    let mut kinds = vec![Kind::Crash];
    while kinds.len() < episodes {
        kinds.push(KINDS[rng.index(KINDS.len())]);
    }
    let mut out = Vec::new();
    let mut t = settle_ms + rng.below(dt);
    for kind in kinds {
        if fixed_end.is_some_and(|end| t >= end) {
            break;
        }
        let busy_ms = push(rng, sc, &mut out, kind, t);
        t += busy_ms + settle_ms + rng.below(dt);
    }
    out.sort_by_key(|f| f.at);
    (out, t)
}

/// Appends one episode at `t` and returns how long it keeps the cluster disturbed.
fn push(rng: &mut SimRng, sc: &Scenario, out: &mut Vec<ScheduledFault>, kind: Kind, t: u64) -> u64 {
    let dt = sc.timing.deadtime_ms;
    let n = sc.nodes;
    let node = rng.index(n);
    let at = |ms: u64| SimTime::from_millis(ms);
    let mut put = |ms: u64, fault: Fault| out.push(ScheduledFault { at: at(ms), fault });
    // Long enough for the failover to finish before the node returns, sometimes much longer.
    let down_ms = rng.range(2 * dt, 5 * dt) + sc.action_budget_ms(1);
    let cut_ms = rng.range(dt / 2, 4 * dt);
    match kind {
        Kind::Crash => {
            let victim = sc.groups[rng.index(sc.groups.len())].preferred;
            put(t, Fault::Crash(victim));
            put(t + down_ms, Fault::Restart(victim));
            down_ms
        }
        Kind::Shutdown => {
            put(t, Fault::Admin { node, cmd: AdminCmd::Shutdown });
            put(t + down_ms, Fault::Restart(node));
            down_ms
        }
        Kind::CutOff => {
            for medium in 0..sc.media {
                put(t, Fault::LinkDown { node, medium });
                put(t + cut_ms, Fault::LinkUp { node, medium });
            }
            cut_ms
        }
        Kind::Isolate | Kind::OneWay => {
            let all = (1u32 << n) - 1;
            let from = 1u32 << node;
            let (from, to) =
                if rng.below(2) == 0 { (from, all & !from) } else { (all & !from, from) };
            put(t, Fault::Partition { from, to, two_way: kind == Kind::Isolate });
            put(t + cut_ms, Fault::HealPartitions);
            cut_ms
        }
        Kind::Partial => {
            // A and B lose each other (both ways or one way) while every other node still
            // hears both: with two nodes this degenerates to a plain partition.
            let other = (node + 1 + rng.index(n - 1)) % n;
            let two_way = rng.below(2) == 0;
            put(t, Fault::Partition { from: 1 << node, to: 1 << other, two_way });
            put(t + cut_ms, Fault::HealPartitions);
            cut_ms
        }
        Kind::Standby | Kind::Takeover => {
            let sets =
                [ResourceSet::All, ResourceSet::Local, ResourceSet::Foreign, ResourceSet::Failback];
            let set = sets[rng.index(sets.len())];
            let cmd = if kind == Kind::Standby {
                AdminCmd::Standby(set)
            } else {
                AdminCmd::Takeover(set)
            };
            put(t, Fault::Admin { node, cmd });
            0
        }
        Kind::ClockStep => {
            let secs = rng.range(1, 7200) as i64 * if rng.below(2) == 0 { -1 } else { 1 };
            put(t, Fault::ClockStep { node, secs });
            0
        }
        Kind::Rolling => {
            // Each node in turn: an orderly stop, a boot a little later, the next node once
            // this one had time to rejoin (not to settle: that is the operator's hurry).
            let gap_ms = sc.timing.initdead_ms + dt;
            let mut s = t;
            for k in 0..n {
                let back = s + rng.range(dt / 2, 2 * dt);
                put(s, Fault::Admin { node: k, cmd: AdminCmd::Shutdown });
                put(back, Fault::Restart(k));
                s = back + gap_ms;
            }
            s - t
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Knobs;

    fn settled(seed: u64, nodes: usize) -> Scenario {
        let knobs = Knobs {
            nodes: Some(nodes),
            schedule: Some(ScheduleStyle::Settled),
            ..Knobs::default()
        };
        Scenario::generate(seed, &knobs)
    }

    #[test]
    fn every_episode_starts_after_a_settle_time_and_the_first_is_a_crash() {
        let mut crashes = 0;
        for seed in 0..100 {
            let sc = settled(seed, 2 + seed as usize % 4);
            let first = sc.faults.first().expect("a settled schedule has faults");
            assert!(matches!(first.fault, Fault::Crash(_)), "seed {seed}: {first:?}");
            assert!(first.at.millis() >= sc.safety_settle_ms());
            assert!(sc.faults.last().expect("faults").at.millis() < sc.safety_ms);
            crashes += 1;
        }
        assert_eq!(crashes, 100);
    }

    #[test]
    fn partial_partitions_and_rolling_restarts_are_drawn() {
        let (mut partial, mut rolling) = (0, 0);
        for seed in 0..300 {
            let sc = settled(seed, 3);
            let all = (1u32 << sc.nodes) - 1;
            for f in &sc.faults {
                if let Fault::Partition { from, to, .. } = f.fault {
                    if from | to != all {
                        partial += 1;
                    }
                }
            }
            let shutdowns = sc
                .faults
                .iter()
                .filter(|f| matches!(f.fault, Fault::Admin { cmd: AdminCmd::Shutdown, .. }))
                .count();
            if shutdowns >= 3 {
                rolling += 1;
            }
        }
        assert!(partial > 10 && rolling > 10, "partial {partial}, rolling {rolling}");
    }

    #[test]
    fn a_fixed_safety_length_bounds_the_schedule() {
        for seed in 0..50 {
            let knobs = Knobs {
                nodes: Some(3),
                safety_secs: Some(20),
                schedule: Some(ScheduleStyle::Settled),
                ..Knobs::default()
            };
            let sc = Scenario::generate(seed, &knobs);
            assert_eq!(sc.safety_ms, 20_000);
            let starts: Vec<u64> = sc.faults.iter().map(|f| f.at.millis()).collect();
            assert!(starts.first().is_some_and(|s| *s < 20_000), "seed {seed}: {starts:?}");
        }
    }
}
