//! Health checks of the `monitors` file, run by the shared [`CheckRunner`] and reported to the
//! engine as [`HealthInput`]s.
//!
//! A resource's checks run exactly while it is started here: they start (fresh fall/rise
//! state, healthy at first) when a start covering it succeeds and stop as soon as a stop
//! covering it begins, so a restart in place, a hand-over or a shutdown never reports its own
//! outage as a failure, and a restarted service that still fails is reported again. A restart
//! in place covers the failed resource and those right of it only; checks of the resources
//! left of it keep running. Only transitions to
//! failed reach the engine (`fall` failures in a row); every probe is counted.
//!
//! Without a `monitors` file nothing here runs and the engine gets no input from it.

use hb_config::monitors::{MonitorCheck, MonitorKind};
use hb_core::{Action, ActionResult, GroupId, HealthEvent, HealthInput, HealthPolicy, Input};
use hb_platform::check::{
    CheckCounters, CheckEvent, CheckId, CheckKind, CheckRunner, CheckSpec, Health as CheckHealth,
    HttpTarget, ProbeOutcome,
};
use hb_platform::script::{ResourceRef, ScriptDirs};
use std::collections::BTreeMap;

use crate::metrics::health::{CheckLabel, HealthMetrics};
use tokio::sync::mpsc;

/// One configured check and the group it guards.
struct Check {
    group: usize,
    /// Index of the checked resource in its group.
    resource: usize,
    spec: CheckSpec,
    /// Failure transitions reported to the engine.
    reported: u64,
    /// Totals of earlier runs of this check (it restarts with each start of its group).
    past: CheckCounters,
    /// Its labels in the metrics.
    label: CheckLabel,
}

/// The daemon's health checks.
pub struct Health {
    runner: CheckRunner,
    rx: mpsc::Receiver<CheckEvent>,
    checks: Vec<Check>,
    policies: Vec<(GroupId, HealthPolicy)>,
    metrics: HealthMetrics,
}

impl Health {
    /// The checks of `config.monitors` (none without a `monitors` file). `groups` are the
    /// engine's group names (keys) in order; scripts are found in `dirs` and run with `env`.
    pub fn from_config(
        config: &hb_config::Config,
        groups: &[String],
        dirs: ScriptDirs,
        env: Vec<(String, String)>,
    ) -> anyhow::Result<Health> {
        let (runner, rx) = CheckRunner::new(dirs, env);
        let index = |key: &str| {
            groups
                .iter()
                .position(|g| g == key)
                .ok_or_else(|| anyhow::anyhow!("monitors: no group {key} in haresources"))
        };
        let mut checks = Vec::new();
        for c in &config.monitors.checks {
            let spec = spec_of(c)?;
            let kind = match c.kind {
                MonitorKind::Status => "status",
                MonitorKind::Exec { .. } => "exec",
                MonitorKind::Tcp { .. } => "tcp",
                MonitorKind::Http { .. } => "http",
            };
            let label = CheckLabel {
                group: c.group_key.clone(),
                check: spec.name.clone(),
                kind: kind.into(),
            };
            checks.push(Check {
                group: index(&c.group_key)?,
                resource: c.resource_index,
                spec,
                reported: 0,
                past: CheckCounters::default(),
                label,
            });
        }
        let mut policies = Vec::new();
        let mut keys: Vec<&str> =
            config.monitors.checks.iter().map(|c| c.group_key.as_str()).collect();
        keys.extend(config.monitors.policies.iter().map(|p| p.group_key.as_str()));
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            let p = config.monitors.policy_for(key);
            let policy = HealthPolicy { restarts: p.restarts, window: p.window };
            policies.push((GroupId(u16::try_from(index(key)?).unwrap_or(u16::MAX)), policy));
        }
        if !checks.is_empty() {
            tracing::info!("{} health check(s) configured", checks.len());
        }
        Ok(Health { runner, rx, checks, policies, metrics: HealthMetrics::default() })
    }

    /// Counts probes into `metrics` from now on (every check shows as idle until its group
    /// starts here).
    pub fn set_metrics(&mut self, metrics: HealthMetrics) {
        for c in &self.checks {
            metrics.check_idle(&c.label);
        }
        self.metrics = metrics;
    }

    /// The policy inputs to feed the engine once at start-up.
    pub fn policy_inputs(&self) -> Vec<Input> {
        self.policies
            .iter()
            .map(|&(group, policy)| Input::Health(HealthInput::Policy { group, policy }))
            .collect()
    }

    /// Follows the group's actions on its resources `from..`: their checks start after a
    /// successful start and stop when a stop begins (call with `result: None` when the action
    /// is spawned).
    pub fn on_action(
        &mut self,
        group: GroupId,
        action: Action,
        from: usize,
        result: Option<&ActionResult>,
    ) {
        let g = usize::from(group.0);
        match (action, result) {
            (Action::Stop, None)
            | (Action::Start, Some(ActionResult::Failed(_)))
            | (Action::Start, Some(ActionResult::TimedOut)) => self.stop_group(g, from),
            (Action::Start, Some(ActionResult::Ok)) => self.start_group(g, from),
            _ => {}
        }
    }

    /// Next probe report (pending forever when no check runs).
    pub async fn next(&mut self) -> Option<CheckEvent> {
        if self.checks.is_empty() {
            return std::future::pending().await;
        }
        self.rx.recv().await
    }

    /// The engine input a probe report calls for, if any (a current check turning failed).
    pub fn on_check_event(&mut self, ev: &CheckEvent) -> Option<Input> {
        if !self.runner.is_current(ev) {
            return None;
        }
        let c = self.checks.get_mut(usize::try_from(ev.id.0).ok()?)?;
        self.metrics.check_probed(&c.label, &ev.outcome, ev.health);
        if !ev.changed || ev.health != CheckHealth::Down {
            return None;
        }
        c.reported += 1;
        let why = match &ev.outcome {
            ProbeOutcome::Pass => "passed".to_owned(),
            ProbeOutcome::Fail(r) => r.clone(),
            ProbeOutcome::TimedOut => {
                format!("no answer within {} ms (killed)", c.spec.timeout.as_millis())
            }
        };
        let reason =
            format!("check {} failed {} time(s) in a row: {why}", c.spec.name, c.spec.fall);
        let group = GroupId(u16::try_from(c.group).unwrap_or(u16::MAX));
        let resource = u16::try_from(c.resource).unwrap_or(u16::MAX);
        Some(Input::Health(HealthInput::ResourceFailed { group, resource, reason }))
    }

    /// One line per check: name, state, probe counters (for logs and status).
    pub fn summary(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (i, c) in self.checks.iter().enumerate() {
            let now = self.runner.status(CheckId(i as u64));
            let mut n = c.past;
            let state = match &now {
                Some(s) => {
                    add(&mut n, &s.counters);
                    format!("{:?}", s.health).to_lowercase()
                }
                None => "idle".to_owned(),
            };
            out.insert(
                c.spec.name.clone(),
                format!(
                    "{state} runs={} passes={} failures={} timeouts={} overruns={} reported={}",
                    n.runs, n.passes, n.failures, n.timeouts, n.overruns, c.reported
                ),
            );
        }
        out
    }

    fn start_group(&mut self, g: usize, from: usize) {
        for i in 0..self.checks.len() {
            if self.checks[i].group != g || self.checks[i].resource < from {
                continue;
            }
            self.stop_one(i);
            let spec = self.checks[i].spec.clone();
            if let Err(e) = self.runner.start(CheckId(i as u64), spec) {
                tracing::error!("cannot start check {}: {e}", self.checks[i].spec.name);
            }
        }
    }

    fn stop_group(&mut self, g: usize, from: usize) {
        for i in 0..self.checks.len() {
            if self.checks[i].group == g && self.checks[i].resource >= from {
                self.stop_one(i);
            }
        }
    }

    fn stop_one(&mut self, i: usize) {
        let id = CheckId(i as u64);
        if let Some(s) = self.runner.status(id) {
            add(&mut self.checks[i].past, &s.counters);
        }
        self.runner.stop(id);
        self.metrics.check_idle(&self.checks[i].label);
    }
}

/// Describes an engine health event for logs and the event stream: (event name, detail).
pub fn describe(ev: &HealthEvent, group: impl Fn(&GroupId) -> String) -> (&'static str, String) {
    match ev {
        HealthEvent::Restarting { group: g, from, reason, attempt, limit, .. } => {
            tracing::warn!(
                "Group {}: {reason}; restarting it here ({attempt} of {limit}) from its \
                 resource #{} rightwards",
                group(g),
                u32::from(*from) + 1
            );
            ("health_restart", format!("{} {attempt}/{limit}: {reason}", group(g)))
        }
        HealthEvent::HandingOver { group: g, with, reason, avoid_for } => {
            let others: Vec<String> = with.iter().map(&group).collect();
            let with = if others.is_empty() {
                String::new()
            } else {
                format!(" with {}", others.join(", "))
            };
            if avoid_for.is_zero() {
                tracing::error!("Group {}: {reason}; handing it over{with}", group(g));
            } else {
                tracing::error!(
                    "Group {}: {reason}; restarts exhausted, handing it over{with}; this node \
                     is avoided for {} s (hbctl clear to allow it again)",
                    group(g),
                    avoid_for.as_secs()
                );
            }
            ("health_handover", format!("{}: {reason}", group(g)))
        }
        HealthEvent::Stays { group: g, reason, why } => {
            tracing::error!("Group {}: {reason}; it stays here: {why}", group(g));
            ("health_stays", format!("{}: {reason}; {why}", group(g)))
        }
        HealthEvent::Cleared { group: g } => {
            tracing::info!("Group {}: health failures cleared", group(g));
            ("health_cleared", group(g))
        }
        other => {
            tracing::info!("{other:?}");
            ("health", format!("{other:?}"))
        }
    }
}

fn add(total: &mut CheckCounters, more: &CheckCounters) {
    total.runs += more.runs;
    total.passes += more.passes;
    total.failures += more.failures;
    total.timeouts += more.timeouts;
    total.overruns += more.overruns;
    total.downs += more.downs;
    total.ups += more.ups;
}

fn spec_of(c: &MonitorCheck) -> anyhow::Result<CheckSpec> {
    let (kind, what) = match &c.kind {
        MonitorKind::Status => {
            let r: ResourceRef =
                c.resource.parse().map_err(|e| anyhow::anyhow!("{}: {e}", c.location))?;
            (CheckKind::Resource(r), "status".to_owned())
        }
        MonitorKind::Exec { program, args } => (
            CheckKind::Exec { program: program.clone(), args: args.clone() },
            format!("exec:{}", program.display()),
        ),
        MonitorKind::Tcp { host, port } => {
            (CheckKind::Tcp { host: host.clone(), port: *port }, format!("tcp:{host}:{port}"))
        }
        MonitorKind::Http { url, host, port, path, expect } => (
            CheckKind::Http(HttpTarget {
                host: host.clone(),
                port: *port,
                path: path.clone(),
                expect: *expect,
            }),
            url.clone(),
        ),
    };
    let mut spec = CheckSpec::new(format!("{} {what}", c.resource), kind);
    spec.interval = c.interval;
    spec.timeout = c.timeout;
    spec.fall = c.fall;
    spec.rise = c.rise;
    spec.start_delay = c.delay;
    spec.initial = CheckHealth::Up;
    spec.validate().map_err(|e| anyhow::anyhow!("{}: {e}", c.location))?;
    Ok(spec)
}
