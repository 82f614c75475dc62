//! Health checks in the simulator (issue 15, opt-in with `Knobs::checks` / `vopr --checks`):
//! per node and group the world holds what the group's check would answer there — pass, fail,
//! hang (each probe runs into its timeout and counts as failed then), flap (alternating) — and
//! feeds a failure to the engine as the daemon does: one `ResourceFailed` when the check turns
//! failed after `fall` probes, counted again only after the group was (re)started, since the
//! daemon restarts a group's checks when it starts.

use crate::faults::{Fault, ScheduledFault};
use crate::rng::SimRng;
use crate::scenario::Scenario;
use crate::time::SimTime;

/// Most check episodes a run draws.
pub const MAX_CHECK_EPISODES: u64 = 3;

/// What a group's check answers on one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CheckMode {
    /// Healthy.
    #[default]
    Pass,
    /// Every probe fails.
    Fail,
    /// Every probe hangs until its timeout kills it (a failure).
    Hang,
    /// Alternates between passing and failing every `flap_ms`.
    Flap,
}

impl CheckMode {
    /// The `vopr --fault AT:check:NODE:GROUP:MODE` spelling.
    pub fn word(self) -> &'static str {
        match self {
            CheckMode::Pass => "pass",
            CheckMode::Fail => "fail",
            CheckMode::Hang => "hang",
            CheckMode::Flap => "flap",
        }
    }

    /// Parses [`CheckMode::word`].
    pub fn parse(word: &str) -> Option<CheckMode> {
        [CheckMode::Pass, CheckMode::Fail, CheckMode::Hang, CheckMode::Flap]
            .into_iter()
            .find(|m| m.word() == word)
    }

    /// Whether the check keeps failing (a flap passes half the time).
    pub fn steadily_failing(self) -> bool {
        matches!(self, CheckMode::Fail | CheckMode::Hang)
    }
}

/// The checks' timing and the groups' failure policy in a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthModel {
    /// Checks are modelled (and the policy sent to the engines).
    pub enabled: bool,
    /// Policy: restarts in place within the window.
    pub restarts: u32,
    /// Policy: window in ms.
    pub window_ms: u64,
    /// Probe interval in ms.
    pub interval_ms: u64,
    /// Failed probes in a row before the check turns failed.
    pub fall: u64,
    /// Probe timeout in ms (a hang lasts this long).
    pub timeout_ms: u64,
    /// Half period of a flapping check in ms.
    pub flap_ms: u64,
}

impl HealthModel {
    /// No checks (default scenarios).
    pub fn off() -> HealthModel {
        HealthModel {
            enabled: false,
            restarts: 0,
            window_ms: 0,
            interval_ms: 0,
            fall: 1,
            timeout_ms: 0,
            flap_ms: 0,
        }
    }

    /// Draws a model; windows are short so that a run sees them expire.
    pub fn draw(rng: &mut SimRng) -> HealthModel {
        let interval_ms = rng.range(100, 500);
        HealthModel {
            enabled: true,
            restarts: rng.below(3) as u32,
            window_ms: rng.range(3_000, 8_000),
            interval_ms,
            fall: rng.range(1, 3),
            timeout_ms: rng.range(interval_ms / 2, interval_ms * 2),
            flap_ms: rng.range(500, 3_000),
        }
    }

    /// How long after `since` (group started or mode changed) a check in `mode` is reported
    /// failed at `now`, as a phase number when due (flaps report once per failing phase).
    pub fn due(&self, mode: CheckMode, since: SimTime, now: SimTime) -> Option<u64> {
        let el_ms = now.since(since) / 1000;
        let detect = |probe_ms: u64| self.fall * probe_ms;
        match mode {
            CheckMode::Pass => None,
            CheckMode::Fail => (el_ms >= detect(self.interval_ms)).then_some(0),
            CheckMode::Hang => (el_ms >= detect(self.interval_ms + self.timeout_ms)).then_some(0),
            CheckMode::Flap => {
                let phase = el_ms / self.flap_ms.max(1);
                let into = el_ms % self.flap_ms.max(1);
                (phase % 2 == 1 && into >= detect(self.interval_ms)).then_some(phase)
            }
        }
    }

    /// Worst time from a steady failure to its report, in ms.
    pub fn detect_ms(&self) -> u64 {
        self.fall * (self.interval_ms + self.timeout_ms)
    }
}

/// Draws check episodes in the safety phase: a group's check turns fail, hang or flap on the
/// node that is likely to hold it (sometimes on every node), and often passes again later;
/// and in half the runs the address interface of a likely holder loses carrier for a while.
pub fn schedule(rng: &mut SimRng, sc: &Scenario) -> Vec<ScheduledFault> {
    let mut out = Vec::new();
    let first_ms = sc.safety_settle_ms();
    let span_ms = sc.safety_ms.saturating_sub(first_ms).max(1);
    for _ in 0..1 + rng.below(MAX_CHECK_EPISODES) {
        let at_ms = first_ms + rng.below(span_ms / 2 + 1);
        let group = rng.index(sc.groups.len());
        let mode = match rng.below(8) {
            0..=2 => CheckMode::Fail,
            3 | 4 => CheckMode::Hang,
            _ => CheckMode::Flap,
        };
        let everywhere = rng.below(6) == 0;
        let holder = sc.groups[group].preferred;
        let nodes: Vec<usize> = if everywhere { (0..sc.nodes).collect() } else { vec![holder] };
        let until_ms = at_ms + rng.range(sc.health.window_ms / 2, 2 * sc.health.window_ms);
        for node in nodes {
            let at = SimTime::from_millis(at_ms);
            out.push(ScheduledFault { at, fault: Fault::Check { node, group, mode } });
            if rng.below(2) == 0 && until_ms < sc.safety_ms {
                let at = SimTime::from_millis(until_ms);
                let mode = CheckMode::Pass;
                out.push(ScheduledFault { at, fault: Fault::Check { node, group, mode } });
            }
        }
    }
    // Drawn after the check episodes, so those stay what they were for a seed.
    if rng.below(2) == 0 {
        let node = sc.groups[rng.index(sc.groups.len())].preferred;
        let at_ms = first_ms + rng.below(span_ms / 2 + 1);
        let until_ms = at_ms + rng.range(sc.health.window_ms / 2, 2 * sc.health.window_ms);
        out.push(ScheduledFault {
            at: SimTime::from_millis(at_ms),
            fault: Fault::Carrier { node, up: false },
        });
        if until_ms < sc.safety_ms {
            let at = SimTime::from_millis(until_ms);
            out.push(ScheduledFault { at, fault: Fault::Carrier { node, up: true } });
        }
    }
    out
}
