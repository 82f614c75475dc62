//! One seeded run: random cluster and fault model, a fixed script of disturbances, every
//! invariant observed after every step.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use hb_vrrp::{Input, InstanceConfig, Version};

use crate::no_flap::NoFlap;
use crate::one_master::OneMaster;
use crate::prio_zero::PriorityZero;
use crate::takeover::Takeover;
use crate::world::{Net, Rng, World};
use crate::{Disturbance, Invariant};

/// Totals over a sweep, for the report.
#[derive(Default)]
pub struct Stats {
    pub runs_v2: u64,
    pub runs_v3: u64,
    pub runs_unicast: u64,
    pub runs_lossy: u64,
    pub delivered: u64,
    pub lost: u64,
    pub spurious_masters: u64,
    pub prio_zero_skipped: u64,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} v2 / {} v3 runs, {} unicast, {} lossy; {} adverts delivered, {} lost; \
             {} short-lived masters under loss; {} priority-0 hand-overs skipped (all copies lost)",
            self.runs_v2,
            self.runs_v3,
            self.runs_unicast,
            self.runs_lossy,
            self.delivered,
            self.lost,
            self.spurious_masters,
            self.prio_zero_skipped
        )
    }
}

/// Steps per run before the run is declared livelocked (a normal run takes a few thousand).
const MAX_STEPS: u64 = 2_000_000;

struct Run {
    steps: u64,
    w: World,
    one: OneMaster,
    take: Takeover,
    zero: PriorityZero,
    flap: NoFlap,
}

impl Run {
    fn invariants(&mut self) -> [&mut dyn Invariant; 4] {
        [&mut self.one, &mut self.take, &mut self.zero, &mut self.flap]
    }

    fn observe(&mut self) -> Result<(), String> {
        let new = std::mem::take(&mut self.w.happenings);
        let w = &self.w;
        for inv in
            [&mut self.one as &mut dyn Invariant, &mut self.take, &mut self.zero, &mut self.flap]
        {
            inv.observe(w, &new).map_err(|e| format!("{}: {e}", inv.name()))?;
        }
        Ok(())
    }

    fn run_for(&mut self, d: Duration) -> Result<(), String> {
        let until = self.w.now + d;
        while let Some(t) = self.w.next_event().filter(|t| *t <= until) {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(format!("livelock: over {MAX_STEPS} steps by {:?}", self.w.now));
            }
            self.w.now = t;
            self.w.step();
            self.observe()?;
        }
        self.w.now = until;
        Ok(())
    }

    fn disturb(&mut self, d: Disturbance) -> Result<(), String> {
        let w = &self.w;
        for inv in
            [&mut self.one as &mut dyn Invariant, &mut self.take, &mut self.zero, &mut self.flap]
        {
            inv.disturb(w, d);
        }
        match d {
            Disturbance::Start(n) => self.w.start(n),
            Disturbance::Crash(n) => self.w.crash(n),
            Disturbance::Shutdown(n) => self.w.input(n, Input::Shutdown),
            Disturbance::Priority(_)
            | Disturbance::Partition
            | Disturbance::Heal
            | Disturbance::Calm => {}
        }
        self.observe()
    }
}

/// Runs seed `seed`; returns (invariant, checks) pairs.
pub fn run(seed: u64, stats: &mut Stats) -> Result<Vec<(&'static str, u64)>, String> {
    let mut rng = Rng::new(seed);
    let n = 2 + rng.below(3) as usize;
    let version = if rng.chance(500) { Version::V2 } else { Version::V3 };
    let adv_cs: u16 = match version {
        Version::V2 => 100,
        Version::V3 => [5, 20, 100][rng.below(3) as usize],
    };
    let unicast = rng.chance(300);
    let addr = |i: usize| IpAddr::from([10, 99, 0, 1 + i as u8]);
    let mut prios: Vec<u8> = Vec::new();
    while prios.len() < n {
        let p = if rng.chance(60) { 255 } else { 1 + rng.below(254) as u8 };
        if !prios.contains(&p) {
            prios.push(p);
        }
    }
    let cfgs = (0..n)
        .map(|i| {
            let mut c = InstanceConfig::new(&format!("node{i}"), 51, addr(i));
            c.version = version;
            c.advert_int_cs = adv_cs;
            c.priority = prios[i];
            c.virtual_addresses = vec![IpAddr::from([10, 99, 0, 100])];
            if unicast {
                c.unicast_peers = (0..n).filter(|j| *j != i).map(addr).collect();
            }
            c
        })
        .collect();
    let advert = Duration::from_millis(u64::from(adv_cs) * 10);
    let net = Net {
        loss: [0, 0, 20, 100, 200][rng.below(5) as usize],
        dup: [0, 100][rng.below(2) as usize],
        max_delay: advert * rng.below(26) as u32 / 100,
    };
    let mut r = Run {
        steps: 0,
        w: World::new(cfgs, net, rng.next_u64()),
        one: OneMaster::new(advert),
        take: Takeover::default(),
        zero: PriorityZero::default(),
        flap: NoFlap::default(),
    };
    let ctx = |e: String| {
        format!(
            "{e} [n={n} {version:?} advert={adv_cs}cs prios={prios:?} unicast={unicast} {net:?}]"
        )
    };
    script(&mut r, &mut rng, advert).map_err(ctx)?;
    let w = &r.w;
    for inv in [&mut r.one as &mut dyn Invariant, &mut r.take, &mut r.zero, &mut r.flap] {
        inv.finish(w).map_err(|e| ctx(format!("{}: {e}", inv.name())))?;
    }
    match version {
        Version::V2 => stats.runs_v2 += 1,
        Version::V3 => stats.runs_v3 += 1,
    }
    stats.runs_unicast += u64::from(unicast);
    stats.runs_lossy += u64::from(net.loss > 0);
    stats.delivered += r.w.delivered;
    stats.lost += r.w.lost;
    stats.spurious_masters += r.flap.spurious;
    stats.prio_zero_skipped += r.zero.skipped;
    Ok(r.invariants().iter().map(|i| (i.name(), i.checks())).collect())
}

fn script(r: &mut Run, rng: &mut Rng, advert: Duration) -> Result<(), String> {
    let n = r.w.nodes.len();
    let settle = advert * 40;
    // Staggered start within one interval.
    for i in 0..n {
        r.disturb(Disturbance::Start(i))?;
        r.run_for(advert * rng.below(100) as u32 / 100 / n as u32)?;
    }
    r.run_for(settle)?;
    // kill -9 of the master, then it comes back (and preempts unless another is better).
    let m = current_master(r)?;
    r.disturb(Disturbance::Crash(m))?;
    r.run_for(settle)?;
    r.disturb(Disturbance::Start(m))?;
    r.run_for(settle)?;
    // Graceful stop of the master just before its next advert (so that no regular advert of
    // it is still in flight behind the priority-0 one), then restart.
    let m = current_master(r)?;
    let due = r.w.nodes[m].inst.as_ref().and_then(hb_vrrp::Instance::poll_timeout);
    if let Some(due) = due {
        r.run_for((due - r.w.now).saturating_sub(Duration::from_micros(1)))?;
    }
    r.disturb(Disturbance::Shutdown(m))?;
    r.run_for(settle)?;
    r.w.crash(m);
    r.disturb(Disturbance::Start(m))?;
    r.run_for(settle)?;
    // The master's tracked script fails with a weight that drops it below everyone, then
    // recovers.
    let m = current_master(r)?;
    r.disturb(Disturbance::Priority(m))?;
    r.w.input(m, Input::PriorityDelta(-254));
    r.observe()?;
    r.run_for(settle)?;
    r.disturb(Disturbance::Priority(m))?;
    r.w.input(m, Input::PriorityDelta(0));
    r.observe()?;
    r.run_for(settle)?;
    // Partition into two non-empty sides, then heal.
    let cut = 1 + rng.below(n as u64 - 1) as usize;
    r.disturb(Disturbance::Partition)?;
    for (i, node) in r.w.nodes.iter_mut().enumerate() {
        node.side = u8::from(i >= cut);
    }
    r.run_for(advert * 30)?;
    r.disturb(Disturbance::Heal)?;
    for node in &mut r.w.nodes {
        node.side = 0;
    }
    r.run_for(settle)?;
    // Converge phase: faults off, so that the run must end with the best node alone master.
    r.disturb(Disturbance::Calm)?;
    r.w.net.loss = 0;
    r.w.net.dup = 0;
    r.run_for(settle)
}

/// The master to disturb: the best-ranked one (under loss a lower node may be master for a
/// moment beside it).
fn current_master(r: &Run) -> Result<usize, String> {
    let ms = r.w.masters();
    ms.iter()
        .copied()
        .max_by_key(|m| r.w.rank(*m))
        .ok_or_else(|| format!("no master at {:?}", r.w.now))
}
