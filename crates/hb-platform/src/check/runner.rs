//! The runner: one tokio task per started check, reports on one bounded channel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::probe::{self, ProbeContext};
use super::{
    CheckCounters, CheckEvent, CheckId, CheckSpec, Debounce, Health, ProbeOutcome, MAX_CHECKS,
};
use crate::script::ScriptDirs;
use crate::{PlatformError, Result};

/// Events buffered between the check tasks and their consumer; a full channel makes checks
/// wait (no probe result is dropped, and a stalled consumer cannot grow memory).
pub const EVENT_QUEUE: usize = 256;

/// What [`CheckRunner::status`] reports about one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckStatus {
    /// The spec's name.
    pub name: String,
    /// Debounced health.
    pub health: Health,
    /// Totals since it was started.
    pub counters: CheckCounters,
    /// The latest probe, if any ran yet.
    pub last: Option<ProbeOutcome>,
}

struct Running {
    instance: u64,
    task: JoinHandle<()>,
    shared: Arc<Mutex<CheckStatus>>,
}

/// Starts, stops and reports health checks. Needs a tokio runtime; dropping it stops every
/// check (and kills probe programs still running).
pub struct CheckRunner {
    ctx: Arc<ProbeContext>,
    tx: mpsc::Sender<CheckEvent>,
    running: HashMap<CheckId, Running>,
    next_instance: u64,
}

impl CheckRunner {
    /// A runner whose program probes find resource scripts in `dirs` and get exactly `env`
    /// as their environment; probe reports arrive on the returned receiver.
    pub fn new(
        dirs: ScriptDirs,
        env: Vec<(String, String)>,
    ) -> (CheckRunner, mpsc::Receiver<CheckEvent>) {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        let ctx = Arc::new(ProbeContext { dirs, env });
        (CheckRunner { ctx, tx, running: HashMap::new(), next_instance: 1 }, rx)
    }

    /// Starts `spec` as `id` (restarting it if `id` already runs: fresh counters and
    /// fall/rise state). Returns the instance number its events carry, so reports of an
    /// earlier instance still queued can be told apart ([`CheckRunner::is_current`]).
    pub fn start(&mut self, id: CheckId, spec: CheckSpec) -> Result<u64> {
        spec.validate().map_err(|reason| PlatformError::Invalid {
            what: "check",
            input: spec.name.clone(),
            reason,
        })?;
        self.stop(id);
        if self.running.len() >= MAX_CHECKS {
            return Err(PlatformError::Invalid {
                what: "check",
                input: spec.name.clone(),
                reason: format!("more than {MAX_CHECKS} checks"),
            });
        }
        let instance = self.next_instance;
        self.next_instance = self.next_instance.saturating_add(1);
        let shared = Arc::new(Mutex::new(CheckStatus {
            name: spec.name.clone(),
            health: spec.initial,
            counters: CheckCounters::default(),
            last: None,
        }));
        let task = tokio::spawn(check_loop(
            id,
            instance,
            spec,
            Arc::clone(&self.ctx),
            self.tx.clone(),
            Arc::clone(&shared),
        ));
        self.running.insert(id, Running { instance, task, shared });
        Ok(instance)
    }

    /// Stops `id` (killing its probe if one runs); false if it was not running.
    pub fn stop(&mut self, id: CheckId) -> bool {
        match self.running.remove(&id) {
            Some(r) => {
                r.task.abort();
                true
            }
            None => false,
        }
    }

    /// Stops every check.
    pub fn stop_all(&mut self) {
        for (_, r) in self.running.drain() {
            r.task.abort();
        }
    }

    /// Whether `event` comes from the instance of its check that runs now.
    pub fn is_current(&self, event: &CheckEvent) -> bool {
        self.running.get(&event.id).is_some_and(|r| r.instance == event.instance)
    }

    /// Health, counters and last probe of `id`, if it runs.
    pub fn status(&self, id: CheckId) -> Option<CheckStatus> {
        self.running.get(&id).map(|r| r.shared.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    /// Ids of the running checks, sorted.
    pub fn ids(&self) -> Vec<CheckId> {
        let mut ids: Vec<CheckId> = self.running.keys().copied().collect();
        ids.sort();
        ids
    }
}

impl Drop for CheckRunner {
    fn drop(&mut self) {
        self.stop_all();
    }
}

async fn check_loop(
    id: CheckId,
    instance: u64,
    spec: CheckSpec,
    ctx: Arc<ProbeContext>,
    tx: mpsc::Sender<CheckEvent>,
    shared: Arc<Mutex<CheckStatus>>,
) {
    let mut debounce = Debounce::new(spec.fall, spec.rise, spec.initial);
    let mut next = Instant::now() + spec.start_delay;
    loop {
        tokio::time::sleep_until(next).await;
        let started = Instant::now();
        // The only place a probe runs for this check: the loop awaits it before the next one,
        // so two runs of one check never overlap.
        let outcome = probe::run(&spec, &ctx).await;
        let elapsed = started.elapsed();
        let transition = debounce.record(&outcome);
        next += spec.interval;
        let now = Instant::now();
        if next < now {
            debounce.record_overrun();
            next = now;
        }
        match (&transition, &outcome) {
            (Some(Health::Down), _) => tracing::warn!(
                "check {} failed ({}): {}",
                spec.name,
                fall_text(&spec),
                outcome_text(&outcome)
            ),
            (Some(Health::Up), _) => tracing::info!("check {} healthy again", spec.name),
            (_, ProbeOutcome::Pass) => {}
            (_, o) => tracing::debug!("check {}: {}", spec.name, outcome_text(o)),
        }
        let counters = debounce.counters();
        {
            let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
            s.health = debounce.health();
            s.counters = counters;
            s.last = Some(outcome.clone());
        }
        let event = CheckEvent {
            id,
            instance,
            outcome,
            health: debounce.health(),
            changed: transition.is_some(),
            counters,
            elapsed,
        };
        if tx.send(event).await.is_err() {
            return; // nobody listens any more
        }
    }
}

fn fall_text(spec: &CheckSpec) -> String {
    format!("{} in a row, timeout {:?}", spec.fall, spec.timeout)
}

fn outcome_text(o: &ProbeOutcome) -> String {
    match o {
        ProbeOutcome::Pass => "passed".into(),
        ProbeOutcome::Fail(reason) => reason.clone(),
        ProbeOutcome::TimedOut => "timed out, killed".into(),
    }
}
