//! The faults a run injects and the seeded schedule that places them in the safety phase.

use crate::checks::CheckMode;
use crate::rng::SimRng;
use crate::scenario::Scenario;
use crate::time::SimTime;

/// Upper bound on fault episodes per run.
pub const MAX_EPISODES: usize = 12;

/// The resource set an `hb_standby` / `hb_takeover` request names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResourceSet {
    /// `all`.
    All,
    /// `local`: groups whose `haresources` line names the requesting node.
    Local,
    /// `foreign`: the others.
    Foreign,
    /// `failback` (= foreign for standby).
    Failback,
}

/// An administrator request injected at a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminCmd {
    /// `hb_standby <set>` run on the node.
    Standby(ResourceSet),
    /// `hb_takeover <set>` run on the node.
    Takeover(ResourceSet),
    /// `heartbeat -k`: graceful stop (release everything, tell the peers, exit).
    Shutdown,
}

/// One fault (or repair) applied at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The machine dies: its engine stops and its resources vanish.
    Crash(usize),
    /// The machine boots again with its persisted generation + 1.
    Restart(usize),
    /// Packets from every node in `from` (bit mask) to every node in `to` are dropped; when
    /// `two_way`, the reverse direction too.
    Partition {
        /// Sender side bit mask.
        from: u32,
        /// Receiver side bit mask.
        to: u32,
        /// Cut both directions.
        two_way: bool,
    },
    /// All partitions removed.
    HealPartitions,
    /// One node's link on one medium fails (both directions).
    LinkDown {
        /// The node.
        node: usize,
        /// The medium.
        medium: usize,
    },
    /// That link works again.
    LinkUp {
        /// The node.
        node: usize,
        /// The medium.
        medium: usize,
    },
    /// A node's wall clock jumps (the monotonic clock does not).
    ClockStep {
        /// The node.
        node: usize,
        /// Jump in seconds, negative = backwards.
        secs: i64,
    },
    /// A node loses its uplink: no ping node answers it any more (heartbeat links are
    /// separate interfaces and unaffected).
    UplinkDown(usize),
    /// That node's ping nodes answer again.
    UplinkUp(usize),
    /// An admin command on a node.
    Admin {
        /// The node it runs on.
        node: usize,
        /// The command.
        cmd: AdminCmd,
    },
    /// From now on, `group`'s check answers `mode` on `node` (with `--checks`).
    Check {
        /// The node.
        node: usize,
        /// The group.
        group: usize,
        /// What its check answers there.
        mode: CheckMode,
    },
    /// The interface carrying every group's addresses on `node` loses (`up: false`) or
    /// regains carrier (with `--checks`); the heartbeat media are not affected. The daemon's
    /// carrier watch reports a loss for each group running there at that moment.
    Carrier {
        /// The node.
        node: usize,
        /// Carrier present after the change.
        up: bool,
    },
}

/// A fault and when it happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScheduledFault {
    /// When.
    pub at: SimTime,
    /// What.
    pub fault: Fault,
}

impl ScheduledFault {
    /// The `vopr --fault` spelling: `AT_MS:KIND[:ARGS]`, e.g. `12000:crash:0`,
    /// `5000:link-down:0:1`, `9000:partition:1:2:two-way`, `14000:heal`,
    /// `8000:standby:1:all`, `7000:uplink-down:1`.
    pub fn to_arg(&self) -> String {
        let at = self.at.millis();
        let set = |s: ResourceSet| match s {
            ResourceSet::All => "all",
            ResourceSet::Local => "local",
            ResourceSet::Foreign => "foreign",
            ResourceSet::Failback => "failback",
        };
        match self.fault {
            Fault::Crash(n) => format!("{at}:crash:{n}"),
            Fault::Restart(n) => format!("{at}:restart:{n}"),
            Fault::Partition { from, to, two_way } => {
                format!(
                    "{at}:partition:{from}:{to}:{}",
                    if two_way { "two-way" } else { "one-way" }
                )
            }
            Fault::HealPartitions => format!("{at}:heal"),
            Fault::LinkDown { node, medium } => format!("{at}:link-down:{node}:{medium}"),
            Fault::LinkUp { node, medium } => format!("{at}:link-up:{node}:{medium}"),
            Fault::ClockStep { node, secs } => format!("{at}:clock-step:{node}:{secs}"),
            Fault::UplinkDown(n) => format!("{at}:uplink-down:{n}"),
            Fault::UplinkUp(n) => format!("{at}:uplink-up:{n}"),
            Fault::Admin { node, cmd: AdminCmd::Standby(s) } => {
                format!("{at}:standby:{node}:{}", set(s))
            }
            Fault::Admin { node, cmd: AdminCmd::Takeover(s) } => {
                format!("{at}:takeover:{node}:{}", set(s))
            }
            Fault::Admin { node, cmd: AdminCmd::Shutdown } => format!("{at}:shutdown:{node}"),
            Fault::Check { node, group, mode } => {
                format!("{at}:check:{node}:{group}:{}", mode.word())
            }
            Fault::Carrier { node, up: false } => format!("{at}:carrier-down:{node}"),
            Fault::Carrier { node, up: true } => format!("{at}:carrier-up:{node}"),
        }
    }

    /// Parses the [`ScheduledFault::to_arg`] spelling.
    pub fn parse_arg(arg: &str) -> Result<ScheduledFault, String> {
        let parts: Vec<&str> = arg.split(':').collect();
        let num = |i: usize| -> Result<u64, String> {
            parts.get(i).and_then(|p| p.parse().ok()).ok_or(format!("bad fault {arg:?}: field {i}"))
        };
        let set = |i: usize| match parts.get(i).copied() {
            Some("all") => Ok(ResourceSet::All),
            Some("local") => Ok(ResourceSet::Local),
            Some("foreign") => Ok(ResourceSet::Foreign),
            Some("failback") => Ok(ResourceSet::Failback),
            _ => Err(format!("bad resource set in {arg:?}")),
        };
        let at = SimTime::from_millis(num(0)?);
        let node = || num(2).map(|n| n as usize);
        let fault = match parts.get(1).copied() {
            Some("crash") => Fault::Crash(node()?),
            Some("restart") => Fault::Restart(node()?),
            Some("partition") => Fault::Partition {
                from: num(2)? as u32,
                to: num(3)? as u32,
                two_way: parts.get(4) == Some(&"two-way"),
            },
            Some("heal") => Fault::HealPartitions,
            Some("link-down") => Fault::LinkDown { node: node()?, medium: num(3)? as usize },
            Some("link-up") => Fault::LinkUp { node: node()?, medium: num(3)? as usize },
            Some("clock-step") => {
                let secs =
                    parts.get(3).and_then(|p| p.parse().ok()).ok_or(format!("bad step {arg:?}"))?;
                Fault::ClockStep { node: node()?, secs }
            }
            Some("uplink-down") => Fault::UplinkDown(node()?),
            Some("uplink-up") => Fault::UplinkUp(node()?),
            Some("standby") => Fault::Admin { node: node()?, cmd: AdminCmd::Standby(set(3)?) },
            Some("takeover") => Fault::Admin { node: node()?, cmd: AdminCmd::Takeover(set(3)?) },
            Some("shutdown") => Fault::Admin { node: node()?, cmd: AdminCmd::Shutdown },
            Some("check") => Fault::Check {
                node: node()?,
                group: num(3)? as usize,
                mode: parts
                    .get(4)
                    .and_then(|w| CheckMode::parse(w))
                    .ok_or(format!("bad check mode in {arg:?} (pass|fail|hang|flap)"))?,
            },
            Some("carrier-down") => Fault::Carrier { node: node()?, up: false },
            Some("carrier-up") => Fault::Carrier { node: node()?, up: true },
            _ => return Err(format!("unknown fault kind in {arg:?}")),
        };
        Ok(ScheduledFault { at, fault })
    }
}

/// Draws the safety phase's faults: a handful of episodes (crash + restart, partition + heal,
/// link down + up, clock step, admin command), possibly overlapping, all repaired by the end of
/// the safety phase at the latest (the heal phase repairs whatever is left anyway).
pub fn schedule(rng: &mut SimRng, sc: &Scenario) -> Vec<ScheduledFault> {
    let mut out = Vec::new();
    let dt = sc.timing.deadtime_ms;
    // Two styles: a storm of possibly overlapping episodes soon after start-up, or one or two
    // episodes each hitting a settled cluster (so the failover deadline gets judged).
    let sparse = rng.below(2) == 0;
    let settle_ms = sc.safety_settle_ms();
    let first_ms = if sparse { settle_ms } else { sc.timing.initdead_ms + dt };
    let span_ms = sc.safety_ms.saturating_sub(first_ms).max(1);
    let episodes = if sparse { 1 + rng.below(2) } else { 1 + rng.below(MAX_EPISODES as u64) };
    let mut next_ms = first_ms;
    for _ in 0..episodes {
        let at_ms =
            if sparse { next_ms + rng.below(2 * dt) } else { first_ms + rng.below(span_ms) };
        let len_ms = rng.range(dt / 2, dt * 4);
        if at_ms >= sc.safety_ms {
            break;
        }
        next_ms = at_ms + len_ms + settle_ms;
        push_episode(rng, sc, &mut out, at_ms, len_ms);
    }
    // Stable sort: equal times keep generation order, so the schedule is a pure function of the
    // seed.
    out.sort_by_key(|f| f.at);
    out
}

/// Appends one episode starting at `at_ms`; two-part faults are repaired `len_ms` later.
fn push_episode(
    rng: &mut SimRng,
    sc: &Scenario,
    out: &mut Vec<ScheduledFault>,
    at_ms: u64,
    len_ms: u64,
) {
    let at = SimTime::from_millis(at_ms);
    let end = SimTime::from_millis(at_ms + len_ms);
    let node = rng.index(sc.nodes);
    match rng.below(10) {
        0..=2 => {
            // Mostly power losses, sometimes an orderly `heartbeat -k`; either way it boots again.
            let fault = if rng.below(4) == 0 {
                Fault::Admin { node, cmd: AdminCmd::Shutdown }
            } else {
                Fault::Crash(node)
            };
            out.push(ScheduledFault { at, fault });
            out.push(ScheduledFault { at: end, fault: Fault::Restart(node) });
        }
        3 | 4 => {
            let mask_all = (1u32 << sc.nodes) - 1;
            let mut from = 0;
            while from == 0 || from == mask_all {
                from = rng.below(u64::from(mask_all) + 1) as u32;
            }
            let two_way = rng.below(2) == 0;
            out.push(ScheduledFault {
                at,
                fault: Fault::Partition { from, to: mask_all & !from, two_way },
            });
            out.push(ScheduledFault { at: end, fault: Fault::HealPartitions });
        }
        5 | 6 => {
            let medium = rng.index(sc.media);
            out.push(ScheduledFault { at, fault: Fault::LinkDown { node, medium } });
            out.push(ScheduledFault { at: end, fault: Fault::LinkUp { node, medium } });
        }
        7 => {
            let secs = rng.range(1, 7200) as i64 * if rng.below(2) == 0 { -1 } else { 1 };
            out.push(ScheduledFault { at, fault: Fault::ClockStep { node, secs } });
        }
        _ => {
            let sets =
                [ResourceSet::All, ResourceSet::Local, ResourceSet::Foreign, ResourceSet::Failback];
            let set = sets[rng.index(sets.len())];
            let cmd =
                if rng.below(2) == 0 { AdminCmd::Standby(set) } else { AdminCmd::Takeover(set) };
            out.push(ScheduledFault { at, fault: Fault::Admin { node, cmd } });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Knobs, Scenario};

    #[test]
    fn schedules_are_seeded_sorted_and_inside_the_safety_phase_start() {
        let mut kinds = [0usize; 4];
        for seed in 0..200 {
            let sc = Scenario::generate(seed, &Knobs::default());
            assert_eq!(sc.faults, Scenario::generate(seed, &Knobs::default()).faults);
            assert!(sc.faults.windows(2).all(|w| w[0].at <= w[1].at));
            for f in &sc.faults {
                match f.fault {
                    Fault::Crash(n) => {
                        assert!(n < sc.nodes);
                        assert!(f.at.millis() < sc.safety_ms);
                        kinds[0] += 1;
                    }
                    Fault::Partition { from, to, .. } => {
                        assert_eq!(from & to, 0);
                        assert!(from != 0 && to != 0);
                        kinds[1] += 1;
                    }
                    Fault::LinkDown { medium, .. } => {
                        assert!(medium < sc.media);
                        kinds[2] += 1;
                    }
                    Fault::Admin { .. } => kinds[3] += 1,
                    _ => {}
                }
            }
        }
        assert!(kinds.iter().all(|k| *k > 20), "{kinds:?}");
    }

    #[test]
    fn fault_args_round_trip() {
        for seed in 0..100 {
            for f in Scenario::generate(seed, &Knobs::default()).faults {
                assert_eq!(ScheduledFault::parse_arg(&f.to_arg()), Ok(f));
            }
        }
        for arg in ["7000:uplink-down:1", "9000:uplink-up:0"] {
            let f = ScheduledFault::parse_arg(arg).expect("valid");
            assert_eq!(f.to_arg(), arg);
        }
        assert!(ScheduledFault::parse_arg("100:explode:1").is_err());
        assert!(ScheduledFault::parse_arg("x:crash:1").is_err());
    }

    #[test]
    fn quiet_knob_means_no_faults() {
        let knobs = Knobs { quiet: true, ..Knobs::default() };
        for seed in 0..50 {
            assert!(Scenario::generate(seed, &knobs).faults.is_empty());
        }
    }
}
