//! What one simulated run looks like, drawn entirely from its seed: the cluster (nodes, media,
//! resource groups, timers, failback mode, auth method), the network's misbehaviour, the
//! resource scripts' misbehaviour, each clock's drift, and the schedule of faults.

use crate::arbitration::{self, Arbitration, FenceModel};
use crate::faults::{self, ScheduledFault};
use crate::mutants::Mutation;
use crate::rng::SimRng;
use crate::settled::{self, ScheduleStyle};
use crate::time::MAX_DRIFT_PPM;

/// Hard limit on cluster size in the simulator (sweeps run 2, 3, 5 and 8 nodes; the engine's
/// own limit is far higher).
pub const MAX_NODES: usize = 8;
/// Hard limit on media (links) per node.
pub const MAX_MEDIA: usize = 3;

/// `auto_failback` setting of the simulated cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailbackMode {
    /// `auto_failback on`: groups return to their preferred node.
    On,
    /// `auto_failback off`: the current holder keeps them.
    Off,
    /// `auto_failback legacy`: ip-request based, no standby protocol.
    Legacy,
}

/// Authentication method the cluster's `authkeys` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthChoice {
    /// `crc` (CRC-32/CKSUM, no secret).
    Crc,
    /// `md5` (HMAC-MD5).
    Md5,
    /// `sha1` (HMAC-SHA1).
    Sha1,
}

/// One `haresources` line: preferred node and its resources (the first is the group key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSpec {
    /// Index of the node named on the line.
    pub preferred: usize,
    /// Resources in start order; `resources[0]` is the group key.
    pub resources: Vec<String>,
}

/// Cluster timers in milliseconds (the `ha.cf` directives of the same names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// `keepalive`.
    pub keepalive_ms: u64,
    /// `warntime`.
    pub warntime_ms: u64,
    /// `deadtime`.
    pub deadtime_ms: u64,
    /// `initdead`.
    pub initdead_ms: u64,
}

/// How the network misbehaves during the safety phase (rates in parts per million per packet
/// and receiver, delays in microseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetProfile {
    /// Smallest one-way delay.
    pub delay_min_us: u64,
    /// Largest one-way delay (before reordering).
    pub delay_max_us: u64,
    /// Probability a packet is lost.
    pub loss_ppm: u32,
    /// Probability a packet is delivered twice.
    pub dup_ppm: u32,
    /// Probability a packet is held back long enough to overtake later ones.
    pub reorder_ppm: u32,
    /// Probability, per packet sent, that an old captured packet is replayed to someone.
    pub replay_ppm: u32,
    /// Probability a packet arrives with bytes flipped.
    pub corrupt_ppm: u32,
    /// Probability, per packet sent, that a forged packet (wrong key) is injected.
    pub forge_ppm: u32,
}

impl NetProfile {
    /// A clean network: short delays, nothing lost, duplicated, replayed or forged.
    pub fn clean() -> NetProfile {
        NetProfile { delay_min_us: 100, delay_max_us: 2_000, ..NetProfile::default() }
    }
}

/// How resource scripts behave during the safety phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionProfile {
    /// Shortest script run time.
    pub min_ms: u64,
    /// Longest script run time (when it does not hang).
    pub max_ms: u64,
    /// Probability a start fails.
    pub start_fail_ppm: u32,
    /// Probability a start hangs until the shell's timeout kills it.
    pub start_hang_ppm: u32,
    /// The shell's per-action timeout.
    pub timeout_ms: u64,
}

/// Knobs a caller (test or `vopr` command line) may fix; everything else comes from the seed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Knobs {
    /// Force the number of nodes (2..=MAX_NODES).
    pub nodes: Option<usize>,
    /// Force the number of media (1..=MAX_MEDIA).
    pub media: Option<usize>,
    /// Force the failback mode.
    pub failback: Option<FailbackMode>,
    /// Length of the safety (fault) phase in simulated seconds.
    pub safety_secs: Option<u64>,
    /// Length of the heal phase in simulated seconds.
    pub heal_secs: Option<u64>,
    /// No faults at all (a healthy cluster must stay quiet).
    pub quiet: bool,
    /// Instead of the drawn schedule: exactly these faults (`vopr --fault`, repeatable).
    pub script: Option<Vec<ScheduledFault>>,
    /// Run a deliberately wrong engine on one node (checker self-test).
    pub mutant: Option<(Mutation, usize)>,
    /// Run the simulator's reference model engine instead of `hb-core`.
    pub model: bool,
    /// Opt in to ping nodes and fencing: draw their options and extra uplink, isolation,
    /// crash and partition episodes from the seed (see [`crate::arbitration`]).
    pub arbitration: bool,
    /// Force ping nodes on or off.
    pub ping: Option<bool>,
    /// Force fencing on, with this device model.
    pub fencing: Option<FenceModel>,
    /// Force the number of resource groups (1..=nodes + 1).
    pub groups: Option<usize>,
    /// Opt in to health checks: draw a check model, a failure policy and check episodes
    /// (see [`crate::checks`]).
    pub checks: bool,
    /// Force the fault schedule's style (drawn from the seed otherwise).
    pub schedule: Option<ScheduleStyle>,
    /// Opt in to a node added to `ha.cf` on some nodes only (three nodes or more): the last
    /// node lists every node, but only some of the others list it (see
    /// [`Scenario::partial_member`]).
    pub partial_member: bool,
}

impl Knobs {
    /// The `vopr` arguments that reproduce these knobs (empty for the defaults).
    pub fn to_args(&self) -> String {
        let mut s = String::new();
        if let Some(n) = self.nodes {
            s.push_str(&format!(" --nodes {n}"));
        }
        if let Some(m) = self.media {
            s.push_str(&format!(" --media {m}"));
        }
        if let Some(m) = self.failback {
            let word = match m {
                FailbackMode::On => "on",
                FailbackMode::Off => "off",
                FailbackMode::Legacy => "legacy",
            };
            s.push_str(&format!(" --failback {word}"));
        }
        if let Some(v) = self.safety_secs {
            s.push_str(&format!(" --safety-secs {v}"));
        }
        if let Some(v) = self.heal_secs {
            s.push_str(&format!(" --heal-secs {v}"));
        }
        if self.quiet {
            s.push_str(" --quiet");
        }
        if let Some(script) = &self.script {
            if script.is_empty() {
                s.push_str(" --no-faults");
            }
            for f in script {
                s.push_str(&format!(" --fault {}", f.to_arg()));
            }
        }
        if let Some((m, node)) = self.mutant {
            s.push_str(&format!(" --mutant {}:{node}", m.name()));
        }
        if self.model {
            s.push_str(" --model");
        }
        if self.arbitration {
            s.push_str(" --arbitration");
        }
        if let Some(p) = self.ping {
            s.push_str(if p { " --ping on" } else { " --ping off" });
        }
        if let Some(f) = self.fencing {
            s.push_str(&format!(" --fencing {}", f.to_arg()));
        }
        if let Some(g) = self.groups {
            s.push_str(&format!(" --groups {g}"));
        }
        if self.checks {
            s.push_str(" --checks");
        }
        if let Some(style) = self.schedule {
            s.push_str(&format!(" --schedule {}", style.to_arg()));
        }
        if self.partial_member {
            s.push_str(" --partial-member");
        }
        s
    }
}

/// Everything a run does, derived from `seed` and the knobs.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The seed this scenario came from.
    pub seed: u64,
    /// The knobs it was built with (for the replay command).
    pub knobs: Knobs,
    /// Node count.
    pub nodes: usize,
    /// Media (links) per node.
    pub media: usize,
    /// Resource groups, one per `haresources` line.
    pub groups: Vec<GroupSpec>,
    /// Timers.
    pub timing: Timing,
    /// Failback mode.
    pub failback: FailbackMode,
    /// Authentication method.
    pub auth: AuthChoice,
    /// Network behaviour during the safety phase.
    pub net: NetProfile,
    /// Script behaviour during the safety phase.
    pub actions: ActionProfile,
    /// Per-node clock drift in ppm.
    pub drift_ppm: Vec<i64>,
    /// A node that seals its datagrams in the classic (pre-netstring) format, as an older peer
    /// would; receivers must accept both.
    pub classic_node: Option<usize>,
    /// Ping nodes and fencing.
    pub arbitration: Arbitration,
    /// Health checks and the groups' failure policy.
    pub health: crate::checks::HealthModel,
    /// A node added to `ha.cf` on some nodes only: `Some(listed)` where `listed[k]` says
    /// whether node k's `ha.cf` has a `node` line for the last node (always true for the last
    /// node itself, true for at least one other node and false for at least one). The last
    /// node then prefers no group (as a node just added would). The others drop its packets
    /// as from an unknown node, as heartbeat 3.0.6 does without `autojoin`.
    pub partial_member: Option<Vec<bool>>,
    /// Faults of the safety phase, sorted by time.
    pub faults: Vec<ScheduledFault>,
    /// Safety phase length in ms.
    pub safety_ms: u64,
    /// Heal phase length in ms.
    pub heal_ms: u64,
}

impl Scenario {
    /// Draws a scenario from `seed`, with `knobs` overriding the drawn values.
    pub fn generate(seed: u64, knobs: &Knobs) -> Scenario {
        let mut rng = SimRng::new(seed);
        let nodes = knobs.nodes.unwrap_or(2 + rng.below(3) as usize / 2).clamp(2, MAX_NODES);
        let media = knobs.media.unwrap_or(1 + rng.below(2) as usize).clamp(1, MAX_MEDIA);
        let keepalive_ms = [100, 150, 200][rng.index(3)];
        let deadtime_ms = keepalive_ms * rng.range(6, 10);
        let timing = Timing {
            keepalive_ms,
            warntime_ms: deadtime_ms / 2,
            deadtime_ms,
            initdead_ms: deadtime_ms * 2,
        };
        let failback = knobs.failback.unwrap_or(match rng.below(4) {
            0 => FailbackMode::Off,
            1 => FailbackMode::Legacy,
            _ => FailbackMode::On,
        });
        let auth = [AuthChoice::Crc, AuthChoice::Sha1, AuthChoice::Md5][rng.index(3)];
        let mut groups = Vec::new();
        let drawn_groups = 1 + rng.below(nodes as u64 + 1) as usize;
        let group_count = knobs.groups.map_or(drawn_groups, |g| g.clamp(1, nodes + 1));
        for g in 0..group_count {
            let members = 1 + rng.below(3) as usize;
            let resources = (0..members)
                .map(|m| {
                    if m == 0 {
                        format!("IPaddr::10.99.{}.{}/24", g + 1, 10 + m)
                    } else {
                        format!("svc{g}x{m}")
                    }
                })
                .collect();
            groups.push(GroupSpec { preferred: g % nodes, resources });
        }
        let net = draw_net(&mut rng, media);
        let actions = ActionProfile {
            min_ms: 5,
            max_ms: rng.range(20, 150),
            start_fail_ppm: if rng.below(3) == 0 { rng.range(20_000, 150_000) as u32 } else { 0 },
            start_hang_ppm: if rng.below(4) == 0 { rng.range(20_000, 100_000) as u32 } else { 0 },
            timeout_ms: rng.range(500, 1_500),
        };
        let drift_ppm = (0..nodes)
            .map(|_| rng.range(0, 2 * MAX_DRIFT_PPM as u64) as i64 - MAX_DRIFT_PPM)
            .collect();
        // Opted-in arbitration runs get room for an isolation to be decided before it heals.
        let default_safety = if knobs.arbitration || knobs.checks { 30 } else { 20 };
        let safety_ms = knobs.safety_secs.unwrap_or(default_safety) * 1000;
        let heal_ms = knobs.heal_secs.unwrap_or(35) * 1000;
        let mut scenario = Scenario {
            seed,
            knobs: knobs.clone(),
            nodes,
            media,
            groups,
            timing,
            failback,
            auth,
            net: if knobs.quiet { NetProfile::clean() } else { net },
            actions: if knobs.quiet {
                ActionProfile { start_fail_ppm: 0, start_hang_ppm: 0, ..actions }
            } else {
                actions
            },
            drift_ppm,
            // Own stream, so this choice shifts no other draw.
            classic_node: {
                let mut crng = SimRng::new(seed ^ 0xc1a5_51c0);
                (crng.below(4) == 0).then(|| crng.index(nodes))
            },
            // Own stream, drawn only when asked for, so default scenarios keep their runs.
            arbitration: {
                let mut arng = SimRng::new(seed ^ 0xa4b1_7a71_0e55_f00d);
                let mut a = if knobs.arbitration {
                    Arbitration::draw(&mut arng, deadtime_ms)
                } else {
                    Arbitration::off(deadtime_ms)
                };
                if let Some(p) = knobs.ping {
                    a.ping_nodes = p;
                }
                if knobs.fencing.is_some() {
                    a.fencing = knobs.fencing;
                }
                a
            },
            // Own stream, drawn only when asked for, so default scenarios keep their runs.
            health: if knobs.checks {
                crate::checks::HealthModel::draw(&mut SimRng::new(seed ^ 0xc4ec_5eed_0015))
            } else {
                crate::checks::HealthModel::off()
            },
            // Own stream, drawn only when asked for, so default scenarios keep their runs.
            partial_member: (knobs.partial_member && nodes >= 3).then(|| {
                let mut prng = SimRng::new(seed ^ 0x9a57_1a1e_e0de_5000);
                let last = nodes - 1;
                let mut listed: Vec<bool> = (0..nodes).map(|_| prng.below(2) == 0).collect();
                listed[last] = true;
                // At least one other node lists it and at least one does not.
                listed[prng.index(last)] = true;
                let mut k = prng.index(last);
                while listed.iter().take(last).all(|&l| l) {
                    listed[k] = false;
                    k = (k + 1) % last;
                }
                listed
            }),
            faults: Vec::new(),
            safety_ms,
            heal_ms,
        };
        if scenario.partial_member.is_some() {
            for g in &mut scenario.groups {
                if g.preferred == nodes - 1 {
                    g.preferred = 0;
                }
            }
        }
        if let Some(script) = &knobs.script {
            scenario.faults = script.clone();
            scenario.faults.sort_by_key(|f| f.at);
        } else if !knobs.quiet {
            let mut frng = rng.fork(1);
            scenario.faults = faults::schedule(&mut frng, &scenario);
            // Own stream, so that classic seeds keep their runs; half the seeds get settled
            // periods each followed by one fault (arbitration runs have their own episodes).
            let mut srng = SimRng::new(seed ^ 0x5e77_1ed5_c4ed_0001);
            let drawn = if srng.below(2) == 0 && !knobs.arbitration {
                ScheduleStyle::Settled
            } else {
                ScheduleStyle::Classic
            };
            if knobs.schedule.unwrap_or(drawn) == ScheduleStyle::Settled {
                let fixed = knobs.safety_secs.map(|s| s * 1000);
                let (faults, end_ms) = settled::schedule(&mut srng, &scenario, fixed);
                scenario.faults = faults;
                scenario.safety_ms = fixed.unwrap_or(end_ms.max(scenario.safety_ms));
            }
            if knobs.arbitration {
                let mut arng = SimRng::new(seed ^ 0x0a4b_1e95_5c4e_d01e);
                // Half of them without the background faults, so that isolations get decided.
                if arng.below(2) == 0 {
                    scenario.faults.clear();
                }
                scenario.faults.extend(arbitration::schedule(&mut arng, &scenario));
                scenario.faults.sort_by_key(|f| f.at);
            }
            if knobs.checks {
                let mut crng = SimRng::new(seed ^ 0xc4ec_0015_e915_0de5);
                // Half of them without the background faults, so that failures get judged
                // in a settled cluster.
                if crng.below(2) == 0 {
                    scenario.faults.clear();
                }
                scenario.faults.extend(crate::checks::schedule(&mut crng, &scenario));
                scenario.faults.sort_by_key(|f| f.at);
            }
        }
        scenario
    }

    /// Node name as it appears on the wire and in `haresources`.
    pub fn node_name(&self, node: usize) -> String {
        format!("node{}", node + 1)
    }

    /// Index of a node name, if it is one of ours.
    pub fn node_index(&self, name: &str) -> Option<usize> {
        let n: usize = name.strip_prefix("node")?.parse().ok()?;
        (1..=self.nodes).contains(&n).then(|| n - 1)
    }

    /// Index of a group by its key (first resource).
    pub fn group_index(&self, key: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.resources.first().map(String::as_str) == Some(key))
    }

    /// Worst-case time to run `count` actions one after another, in ms.
    pub fn action_budget_ms(&self, count: usize) -> u64 {
        count as u64 * self.actions.max_ms.max(self.actions.timeout_ms)
    }

    /// Time for a connected cluster to get back to at most one holder per group after a
    /// disturbance: start-up (initdead), a death decision, the partition-heal restart (2 s) and
    /// every script twice, with slack.
    pub fn safety_settle_ms(&self) -> u64 {
        let t = &self.timing;
        t.initdead_ms
            + 2 * t.deadtime_ms
            + 3_000
            + 2 * self.total_members() as u64 * self.actions.max_ms
    }

    /// Time after which a healthy cluster must have stopped moving groups: the safety settle
    /// time plus heartbeat's fixed delays (RQSTDELAY 10 s after a simultaneous start, the
    /// failback standby exchange) with slack.
    pub fn quiet_settle_ms(&self) -> u64 {
        self.safety_settle_ms() + 14_000
    }

    /// Total number of resources over all groups.
    pub fn total_members(&self) -> usize {
        self.groups.iter().map(|g| g.resources.len()).sum()
    }

    /// One line describing the cluster and the fault load.
    pub fn summary(&self) -> String {
        let failback = match self.failback {
            FailbackMode::On => "on",
            FailbackMode::Off => "off",
            FailbackMode::Legacy => "legacy",
        };
        let a = &self.arbitration;
        let arb = match (a.ping_nodes, a.fencing) {
            (false, None) => String::new(),
            (ping, fence) => format!(
                ", ping nodes {}, deadping {} ms, fencing {}",
                if ping { "on" } else { "off" },
                a.deadping_ms,
                fence.map_or("off".to_string(), |f| format!(
                    "{}% ok in {}..{} ms",
                    f.success_ppm / 10_000,
                    f.min_ms,
                    f.max_ms
                ))
            ),
        };
        format!(
            "{} nodes, {} media, {} groups, auto_failback {failback}, {:?}, keepalive {} ms, \
             deadtime {} ms, loss {}%, {} faults{arb}",
            self.nodes,
            self.media,
            self.groups.len(),
            self.auth,
            self.timing.keepalive_ms,
            self.timing.deadtime_ms,
            self.net.loss_ppm / 10_000,
            self.faults.len()
        )
    }

    /// The command line that replays this scenario.
    pub fn replay_command(&self) -> String {
        format!("cargo run -p hb-sim --bin vopr -- --seed {}{}", self.seed, self.knobs.to_args())
    }
}

fn draw_net(rng: &mut SimRng, media: usize) -> NetProfile {
    let delay_min_us = rng.range(50, 500);
    // With a single medium, keep loss low enough that deadtime's worth of consecutive losses
    // (a legitimate death) stays astronomically rare; with two it may be harsh.
    let max_loss = if media == 1 { 100_000 } else { 300_000 };
    NetProfile {
        delay_min_us,
        delay_max_us: delay_min_us + rng.range(100, 20_000),
        loss_ppm: rng.range(0, max_loss) as u32,
        dup_ppm: rng.range(0, 100_000) as u32,
        reorder_ppm: rng.range(0, 100_000) as u32,
        replay_ppm: rng.range(0, 20_000) as u32,
        corrupt_ppm: rng.range(0, 20_000) as u32,
        forge_ppm: rng.range(0, 10_000) as u32,
    }
}
