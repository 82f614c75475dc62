//! Ping-node arbitration and fencing in the simulated world: the scenario options (each node's
//! uplink to the ping nodes, a fencing device with a success rate and a delay) and the fault
//! episodes that exercise them (uplink losses, a node cut off from both its peers and its
//! uplink, crashes a survivor must fence, partitions that end in a fencing race).
//!
//! Scenarios opt in: with the default knobs nothing here is drawn, so the fixed seed list keeps
//! its runs. `Knobs::arbitration` draws the options and extra episodes from their own random
//! stream; `Knobs::ping` and `Knobs::fencing` force them.

use crate::faults::{Fault, ScheduledFault};
use crate::rng::SimRng;
use crate::scenario::Scenario;
use crate::time::SimTime;

/// Upper bound on arbitration episodes added to a run.
pub const MAX_ARB_EPISODES: usize = 4;

/// How the simulated fencing device behaves (`stonith` in `ha.cf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FenceModel {
    /// Probability that a fence request powers the target off and reports success.
    pub success_ppm: u32,
    /// Shortest time from the request to the report, ms.
    pub min_ms: u64,
    /// Longest time from the request to the report, ms.
    pub max_ms: u64,
}

impl FenceModel {
    /// The `vopr --fencing` spelling: `SUCCESS_PPM:MIN_MS:MAX_MS`.
    pub fn to_arg(&self) -> String {
        format!("{}:{}:{}", self.success_ppm, self.min_ms, self.max_ms)
    }

    /// Parses the [`FenceModel::to_arg`] spelling.
    pub fn parse_arg(arg: &str) -> Result<FenceModel, String> {
        let parts: Vec<u64> = arg
            .split(':')
            .map(|p| p.parse().map_err(|_| format!("bad fencing model {arg:?}")))
            .collect::<Result<_, _>>()?;
        match parts.as_slice() {
            [ppm, min, max] if *ppm <= 1_000_000 && min <= max => {
                Ok(FenceModel { success_ppm: *ppm as u32, min_ms: *min, max_ms: *max })
            }
            _ => Err(format!("fencing model is SUCCESS_PPM:MIN_MS:MAX_MS, not {arg:?}")),
        }
    }
}

/// The arbitration options of one scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arbitration {
    /// Nodes have ping nodes: the shell reports reachability (`Input::PingReach`).
    pub ping_nodes: bool,
    /// `deadping`: a lost uplink is reported this long after it went down, ms.
    pub deadping_ms: u64,
    /// A restored uplink is reported this long after it came back (the next ping answer), ms.
    pub ping_interval_ms: u64,
    /// Fencing configured, and how the device behaves.
    pub fencing: Option<FenceModel>,
}

impl Arbitration {
    /// No ping nodes, no fencing (heartbeat 3.0.6's v1 behaviour).
    pub fn off(deadtime_ms: u64) -> Arbitration {
        Arbitration {
            ping_nodes: false,
            deadping_ms: deadtime_ms,
            ping_interval_ms: 200,
            fencing: None,
        }
    }

    /// Draws options for an opted-in scenario: mostly ping nodes, often fencing, with devices
    /// that always work, sometimes fail, or never work.
    pub fn draw(rng: &mut SimRng, deadtime_ms: u64) -> Arbitration {
        let ping_nodes = rng.below(5) != 0;
        let fencing = (rng.below(2) == 0).then(|| {
            let success_ppm = match rng.below(4) {
                0 | 1 => 1_000_000,
                2 => rng.range(300_000, 900_000) as u32,
                _ => 0,
            };
            let min_ms = rng.range(10, 500);
            FenceModel { success_ppm, min_ms, max_ms: min_ms + rng.range(0, 1_500) }
        });
        Arbitration {
            ping_nodes: ping_nodes || fencing.is_none(),
            deadping_ms: rng.range(deadtime_ms / 2, deadtime_ms * 3 / 2),
            ping_interval_ms: rng.range(100, 1_000),
            fencing,
        }
    }

    /// Longest a fence request can delay a takeover, ms (0 without fencing).
    pub fn fence_max_ms(&self) -> u64 {
        self.fencing.map_or(0, |f| f.max_ms)
    }
}

/// Draws the extra episodes of an opted-in scenario, inside the safety phase: uplink losses,
/// isolation (uplink lost and every heartbeat link cut), crashes, partitions with every uplink
/// up (with fencing: a shoot-out) and every uplink lost at once.
pub fn schedule(rng: &mut SimRng, sc: &Scenario) -> Vec<ScheduledFault> {
    let mut out = Vec::new();
    let dt = sc.timing.deadtime_ms;
    let first_ms = sc.timing.initdead_ms + dt;
    let span_ms = sc.safety_ms.saturating_sub(first_ms).max(1);
    let episodes = 1 + rng.below(MAX_ARB_EPISODES as u64);
    for _ in 0..episodes {
        let at_ms = first_ms + rng.below(span_ms);
        // Long enough, often, for the isolated side to give up and the other to take over.
        let len_ms = rng.range(dt, dt * 4 + sc.arbitration.deadping_ms * 2);
        push_episode(rng, sc, &mut out, at_ms, len_ms);
    }
    out.sort_by_key(|f| f.at);
    out
}

fn push_episode(
    rng: &mut SimRng,
    sc: &Scenario,
    out: &mut Vec<ScheduledFault>,
    at_ms: u64,
    len_ms: u64,
) {
    let mut push = |ms: u64, fault: Fault| {
        out.push(ScheduledFault { at: SimTime::from_millis(ms), fault });
    };
    let node = rng.index(sc.nodes);
    let end = at_ms + len_ms;
    let mask_all = (1u32 << sc.nodes) - 1;
    let me = 1u32 << node;
    match rng.below(10) {
        0..=2 => {
            // Isolation: the uplink and the heartbeat links go, in either order, often for
            // long enough that the ping nodes must decide before the partition heals.
            let skew = rng.below(sc.timing.deadtime_ms * 2);
            let end = end + len_ms;
            let (up_at, cut_at) =
                if rng.below(2) == 0 { (at_ms, at_ms + skew) } else { (at_ms + skew, at_ms) };
            push(up_at, Fault::UplinkDown(node));
            push(cut_at, Fault::Partition { from: me, to: mask_all & !me, two_way: true });
            push(end + skew, Fault::HealPartitions);
            push(end + skew + rng.below(sc.timing.deadtime_ms), Fault::UplinkUp(node));
        }
        3 | 4 => {
            push(at_ms, Fault::UplinkDown(node));
            push(end, Fault::UplinkUp(node));
        }
        5 | 6 => {
            push(at_ms, Fault::Crash(node));
            push(end, Fault::Restart(node));
        }
        7 => {
            let mut from = 0;
            while from == 0 || from == mask_all {
                from = rng.below(u64::from(mask_all) + 1) as u32;
            }
            push(at_ms, Fault::Partition { from, to: mask_all & !from, two_way: true });
            push(end, Fault::HealPartitions);
        }
        8 => {
            for n in 0..sc.nodes {
                push(at_ms, Fault::UplinkDown(n));
                push(end + rng.below(sc.timing.deadtime_ms), Fault::UplinkUp(n));
            }
        }
        _ => {
            // A short flap, below deadping: the pinger must not report it.
            let flap = rng.range(1, sc.arbitration.deadping_ms.max(2));
            push(at_ms, Fault::UplinkDown(node));
            push(at_ms + flap / 2, Fault::UplinkUp(node));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Knobs;

    #[test]
    fn fence_model_args_round_trip() {
        let m = FenceModel { success_ppm: 250_000, min_ms: 10, max_ms: 900 };
        assert_eq!(FenceModel::parse_arg(&m.to_arg()), Ok(m));
        assert!(FenceModel::parse_arg("2000000:1:2").is_err());
        assert!(FenceModel::parse_arg("1:9:2").is_err());
        assert!(FenceModel::parse_arg("1:2").is_err());
    }

    #[test]
    fn opted_in_scenarios_mix_every_kind_and_default_ones_draw_nothing() {
        let knobs = Knobs { arbitration: true, ..Knobs::default() };
        let (mut uplink, mut fencing, mut failing, mut ping) = (0, 0, 0, 0);
        for seed in 0..200 {
            let sc = Scenario::generate(seed, &knobs);
            assert!(sc.faults.windows(2).all(|w| w[0].at <= w[1].at));
            uplink += sc.faults.iter().filter(|f| matches!(f.fault, Fault::UplinkDown(_))).count();
            ping += usize::from(sc.arbitration.ping_nodes);
            if let Some(f) = sc.arbitration.fencing {
                fencing += 1;
                failing += usize::from(f.success_ppm < 1_000_000);
            }
            let plain = Scenario::generate(seed, &Knobs::default());
            assert_eq!(plain.arbitration, Arbitration::off(plain.timing.deadtime_ms));
            assert!(!plain.faults.iter().any(|f| matches!(f.fault, Fault::UplinkDown(_))));
        }
        assert!(uplink > 100 && fencing > 50 && failing > 20 && ping > 120, "{uplink} {fencing}");
    }
}
