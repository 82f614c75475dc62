//! Live reload (SIGHUP, `heartbeat -r`, `hbctl reload`): the new configuration is loaded and
//! checked as a whole, the engine decides what the difference means
//! ([`hb_core::Node::reconfigure`]), and this module applies it: swaps the authenticator,
//! re-opens the media, rebuilds the health checks, address watch, fencer and pinger, re-binds
//! the admin socket for a new `apiauth`, stops removed groups and runs changed groups' partial
//! restarts (old resources stopped from the first changed one, new ones started from there).
//!
//! Everything fallible happens before the engine is told, so a refused reload changes nothing.
//! A reload that arrives while resource actions or a hand-over run waits until they settle.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hb_api::Response;
use hb_core::{Action, EngineConfig, GroupChange, GroupId, GroupState, Input};
use hb_platform::media::Media;
use hb_platform::script::ScriptDirs;
use tokio::sync::oneshot;

use super::Daemon;
use crate::admin::Access;
use crate::report::{self, StaticInfo};
use crate::setup::{self, Resource};

/// Most reload requests waiting for things to settle (later ones are refused).
const MAX_WAITING: usize = 16;

/// After the active key changed, how long we keep sending in the classic format while no
/// peer signs with the new key yet (see [`KeyFollow`]).
pub(super) const KEY_FOLLOW_LIMIT: Duration = Duration::from_secs(3600);

/// heartbeat 3.0.6 checks a *netstring* message with the method of the key index it names but
/// the secret of its *own* active key (`hb_compute_authentication` passes
/// `config->authmethod`), so there it rejects everything not signed with its active key; a
/// *classic* message it checks with the key the message names (`isauthentic`), i.e. with any
/// key its authkeys lists. So after a reload that changed our active key we sign with the new
/// key but send the classic format until a peer signs with the new key (the last node has
/// switched), or for at most [`KEY_FOLLOW_LIMIT`]: a heartbeat 3.0.6 peer that lists the new
/// key accepts every message across the rollover, before and after it switches too.
pub(super) struct KeyFollow {
    new_index: u8,
    until: std::time::Instant,
}

/// What the daemon keeps between reloads.
pub(super) struct ReloadState {
    /// Changed groups being restarted in place: old resources and the first changed index.
    partial: HashMap<GroupId, (Arc<Vec<Resource>>, usize)>,
    /// Settings only a restart applies, as text, by name.
    restart_only: Vec<(&'static str, String)>,
    /// Media as opened, as text.
    media: String,
    keys: String,
    ping: String,
    stonith: String,
    monitors: String,
    apiauth: String,
    resource_d: PathBuf,
    env: Vec<(String, String)>,
    fence_delay: Duration,
    /// `--metrics-listen` (overrides `metrics.cf`).
    metrics_flag: Option<String>,
    /// A reload is asked for and waits for the engine to settle.
    pub(super) wanted: bool,
    /// Who asked (`hbctl reload`), answered once it is applied or refused.
    waiting: Vec<oneshot::Sender<Response>>,
    /// A new `apiauth`: the run loop re-binds the admin socket with it.
    pub(super) access: Option<Access>,
    /// A key rollover under way (see [`KeyFollow`]).
    follow: Option<KeyFollow>,
}

impl ReloadState {
    /// The state for the configuration the daemon started with.
    pub(super) fn new(
        config: &hb_config::Config,
        specs: &str,
        resource_d: PathBuf,
        env: Vec<(String, String)>,
        fence_delay: Duration,
        metrics_flag: Option<String>,
    ) -> ReloadState {
        ReloadState {
            partial: HashMap::new(),
            restart_only: restart_only(config),
            media: specs.to_owned(),
            keys: keys_text(config),
            ping: format!("{:?}|{:?}", config.hacf.ping_nodes, config.hacf.ping_groups),
            stonith: format!("{:?}", config.hacf.stonith),
            monitors: format!("{:?}", config.monitors),
            apiauth: format!("{:?}", config.hacf.apiauth),
            resource_d,
            env,
            fence_delay,
            metrics_flag,
            wanted: false,
            waiting: Vec::new(),
            access: None,
            follow: None,
        }
    }

    /// Whether to send in the classic format (a key rollover is under way; see [`KeyFollow`]).
    pub(super) fn send_classic(&mut self) -> bool {
        if self.follow.as_ref().is_some_and(|f| std::time::Instant::now() >= f.until) {
            if let Some(f) = self.follow.take() {
                tracing::warn!(
                    "authkeys: no peer signs with key {} after {KEY_FOLLOW_LIMIT:?}; back to \
                     the netstring format",
                    f.new_index
                );
            }
        }
        self.follow.is_some()
    }

    /// A peer's message verified with key `index`: once one signs with our new key, the
    /// rollover is over.
    pub(super) fn on_peer_key(&mut self, index: u8) {
        if self.follow.as_ref().is_some_and(|f| f.new_index == index) {
            self.follow = None;
            tracing::info!("authkeys: a peer signs with key {index}; rollover complete");
        }
    }

    /// The resources an action on `group` runs: a changed group's restart stops the old
    /// resources from the first changed one and starts the new ones from there.
    pub(super) fn resources_for(
        &mut self,
        group: GroupId,
        action: Action,
        current: &Arc<Vec<Resource>>,
    ) -> (Arc<Vec<Resource>>, Option<usize>) {
        match (action, self.partial.get(&group)) {
            (Action::Stop, Some((old, from))) => (old.clone(), Some(*from)),
            (Action::Start, Some((_, from))) => {
                let from = *from;
                self.partial.remove(&group);
                (current.clone(), Some(from))
            }
            _ => (current.clone(), None),
        }
    }
}

impl Daemon {
    /// Asks for a reload; `reply` (from `hbctl reload`) gets the outcome.
    pub(super) fn request_reload(&mut self, reply: Option<oneshot::Sender<Response>>) {
        if let Some(reply) = reply {
            if self.reload.waiting.len() >= MAX_WAITING {
                let reason = "too many reloads waiting".to_owned();
                let _ = reply.send(Response::Refused { reason });
                return;
            }
            self.reload.waiting.push(reply);
        }
        self.reload.wanted = true;
    }

    /// Runs a wanted reload once the engine is settled (called by the run loop).
    pub(super) async fn reload_if_due(&mut self) {
        if !self.reload.wanted {
            return;
        }
        if let Some(why) = self.node.reload_blocked() {
            if self.node.is_shut_down() || why.contains("shutdown") {
                self.reload.wanted = false;
                self.answer_reload(Err(format!("not reloaded: {why}")));
            }
            return;
        }
        self.reload.wanted = false;
        let outcome = self.apply_reload().await;
        match &outcome {
            Ok(changes) if changes.is_empty() => {
                tracing::info!("reload: configuration unchanged but for log targets, applied")
            }
            Ok(changes) => tracing::info!("reload: applied: {}", changes.join("; ")),
            Err(e) => {
                tracing::error!("reload: refused, keeping the running configuration: {e}")
            }
        }
        self.answer_reload(outcome);
    }

    fn answer_reload(&mut self, outcome: Result<Vec<String>, String>) {
        let answer = match outcome {
            Ok(c) if c.is_empty() => Response::Accepted { detail: "nothing changed".into() },
            Ok(c) => Response::Accepted { detail: c.join("\n") },
            Err(reason) => Response::Refused { reason },
        };
        for w in self.reload.waiting.drain(..) {
            let _ = w.send(answer.clone());
        }
    }

    /// Loads, checks and applies the configuration; the changes made, or why nothing was.
    async fn apply_reload(&mut self) -> Result<Vec<String>, String> {
        let config = setup::load(&self.config_dir).map_err(|e| format!("{e:#}"))?;
        let listed = {
            let _netlink = self.runner.netlink_lock.lock().await;
            self.runner.netlink.addresses().await
        };
        let local_addrs: Vec<IpAddr> = listed
            .map_err(|e| format!("cannot list local addresses: {e}"))?
            .into_iter()
            .map(|a| a.addr)
            .collect();
        let plan = setup::media_plan(&config, &local_addrs).map_err(|e| format!("{e:#}"))?;
        let resources = setup::group_resources(&config).map_err(|e| format!("{e:#}"))?;
        if !config.hacf.nodes.contains(&self.local_node) {
            return Err(format!("this node ({}) is no longer listed in ha.cf", self.local_node));
        }
        let restart = restart_only(&config);
        let needs: Vec<&str> = restart
            .iter()
            .zip(&self.reload.restart_only)
            .filter(|(a, b)| a.1 != b.1)
            .map(|(a, _)| a.0)
            .collect();
        if !needs.is_empty() {
            return Err(format!("{} changed: only a restart applies that", needs.join(", ")));
        }
        let auth = setup::authenticator(&config.authkeys).map_err(|e| format!("{e:#}"))?;
        crate::metrics::launch::check(self.reload.metrics_flag.as_deref(), &self.config_dir)
            .map_err(|e| format!("{e:#}"))?;
        let media_text = format!("{:?}|{}", plan.specs, plan.udpport);
        let media = if media_text == self.reload.media {
            None
        } else {
            let m = Media::open(&plan.specs, plan.udpport)
                .await
                .map_err(|e| format!("cannot open the new media: {e}"))?;
            Some(m)
        };
        let mut engine = EngineConfig::from_config(&config, &self.local_node, 0, [0; 16]);
        engine.links = plan.names.clone();
        let names: Vec<String> = engine.groups.iter().map(|g| g.name.clone()).collect();
        let monitors = format!("{:?}", config.monitors);
        let rebuild_health = monitors != self.reload.monitors || names != self.group_names;
        let mut health = if rebuild_health {
            let dirs =
                ScriptDirs { resource_d: self.reload.resource_d.clone(), ..ScriptDirs::default() };
            let h =
                crate::health::Health::from_config(&config, &names, dirs, self.reload.env.clone())
                    .map_err(|e| format!("{e:#}"))?;
            Some(h)
        } else {
            None
        };

        // The commit point: from here on nothing is refused.
        let core = self.node.reconfigure(engine).map_err(|e| e.to_string())?;
        let mut changes = core.describe();

        let old_groups = std::mem::take(&mut self.groups);
        let old_specs = std::mem::take(&mut self.info.group_resources);
        let new_specs: Vec<Vec<String>> = config
            .haresources
            .groups
            .iter()
            .map(|g| g.resources.iter().map(|r| r.spec.clone()).collect())
            .collect();
        let mut fresh: Vec<Option<Vec<Resource>>> = resources.into_iter().map(Some).collect();
        let mut groups = Vec::with_capacity(names.len());
        for (i, specs) in new_specs.iter().enumerate() {
            let old = core.group_map.iter().position(|m| m.map(|g| usize::from(g.0)) == Some(i));
            let kept =
                old.filter(|&o| old_specs.get(o) == Some(specs)).and_then(|o| old_groups.get(o));
            // Unchanged groups keep their resources (and a reserved IP's verifier state).
            groups.push(match kept {
                Some(arc) => Arc::clone(arc),
                None => Arc::new(fresh[i].take().unwrap_or_default()),
            });
        }
        for change in &core.groups {
            match change {
                GroupChange::Changed { id, old, from, restart: true, .. } => {
                    if let Some(arc) = old_groups.get(usize::from(old.0)) {
                        self.reload.partial.insert(*id, (Arc::clone(arc), *from));
                    }
                }
                GroupChange::Removed { name, old, held: true } => {
                    if let Some(arc) = old_groups.get(usize::from(old.0)).cloned() {
                        self.release_removed(name.clone(), arc);
                    }
                }
                _ => {}
            }
        }
        self.groups = groups;
        self.group_names = names;
        self.info =
            StaticInfo { parameters: report::parameters(&config), group_resources: new_specs };

        let snapshot = self.node.snapshot();
        let running =
            |g: usize| snapshot.groups.get(g).is_some_and(|s| s.local_state == GroupState::Running);
        if let Some(mut h) = health.take() {
            h.set_metrics(self.metrics.health());
            let now = self.now();
            for input in h.policy_inputs() {
                self.node.handle_input(now, input);
            }
            for g in (0..self.groups.len()).filter(|&g| running(g)) {
                let id = GroupId(u16::try_from(g).unwrap_or(u16::MAX));
                h.on_action(id, Action::Start, 0, Some(&hb_core::ActionResult::Ok));
            }
            self.health = h;
            if monitors != self.reload.monitors {
                changes.push("health checks (monitors) replaced".into());
            }
            self.reload.monitors = monitors;
        }
        if !core.groups.is_empty() {
            let mut watch = crate::addrwatch::AddrWatch::start(&self.groups);
            watch.metrics = self.metrics.health();
            for (g, s) in snapshot.groups.iter().enumerate() {
                if matches!(s.local_state, GroupState::Running | GroupState::Starting) {
                    let id = GroupId(u16::try_from(g).unwrap_or(u16::MAX));
                    watch.on_action(id, Action::Start, 0, None);
                }
            }
            self.addrwatch = watch;
        }

        if let Some(m) = media {
            self.media = m;
            self.link_names = plan.names.clone();
            let (ok, failing) = (&self.link_ok, &self.link_failing_since);
            let mut new_ok = vec![true; plan.names.len()];
            let mut new_failing = vec![None; plan.names.len()];
            for (o, m) in core.link_map.iter().enumerate() {
                if let (Some(m), Some(up), Some(f)) = (m, ok.get(o), failing.get(o)) {
                    new_ok[*m] = *up;
                    new_failing[*m] = *f;
                }
            }
            self.link_ok = new_ok;
            self.link_failing_since = new_failing;
            if core.links_added.is_empty() && core.links_removed.is_empty() {
                changes.push("media re-opened (udpport or medium options changed)".into());
            }
            self.reload.media = media_text;
        }
        self.link_fail_grace = config.hacf.timers.deadtime;

        let keys = keys_text(&config);
        if keys != self.reload.keys {
            changes.push(format!(
                "authkeys: sending with key {}, accepting keys {}",
                config.authkeys.active().index().get(),
                config
                    .authkeys
                    .keys()
                    .iter()
                    .map(|k| k.index().get().to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
            self.reload.keys = keys;
        }
        let (old_index, new_index) = (self.auth.sign_index(), auth.sign_index());
        if old_index != new_index || self.auth.key(old_index) != auth.key(old_index) {
            changes.push(format!(
                "authkeys: classic format until a peer signs with key {new_index} (at most \
                 {KEY_FOLLOW_LIMIT:?})"
            ));
            self.reload.follow =
                Some(KeyFollow { new_index, until: std::time::Instant::now() + KEY_FOLLOW_LIMIT });
        }
        self.auth = auth;
        self.own.forget_sealed();

        let ping = format!("{:?}|{:?}", config.hacf.ping_nodes, config.hacf.ping_groups);
        if ping != self.reload.ping {
            // The old pinger thread ends when its channel is dropped.
            self.ping_rx = super::start_pinger(&config);
            self.ping_state = None;
            if self.ping_rx.is_none() {
                let now = self.now();
                self.node.handle_input(now, Input::PingReach(true));
            }
            changes.push("ping nodes replaced".into());
            self.reload.ping = ping;
        }
        let stonith = format!("{:?}", config.hacf.stonith);
        if stonith != self.reload.stonith {
            let preferred = config
                .haresources
                .groups
                .first()
                .map(|g| g.preferred_node.to_lowercase())
                .or_else(|| config.hacf.nodes.first().cloned());
            let delay = if preferred.as_deref() == Some(self.local_node.as_str()) {
                Duration::ZERO
            } else {
                self.reload.fence_delay
            };
            self.fencer =
                crate::fence::Fencer::from_config(&config.hacf.stonith, &self.local_node, delay)
                    .map(Arc::new);
            changes.push("fencing replaced".into());
            self.reload.stonith = stonith;
        }
        let apiauth = format!("{:?}", config.hacf.apiauth);
        if apiauth != self.reload.apiauth {
            self.reload.access = Some(Access::from_apiauth(&config.hacf.apiauth));
            changes.push("apiauth replaced".into());
            self.reload.apiauth = apiauth;
        }
        let flag = self.reload.metrics_flag.clone();
        match crate::metrics::launch::reload(&mut self.metrics, flag.as_deref(), &self.config_dir) {
            Ok(None) => {}
            Ok(Some(what)) => changes.push(what),
            Err(e) => {
                tracing::error!("reload: {e}; metrics are off");
                changes.push(format!("{e} (metrics are off)"));
            }
        }
        let (stderr, debug) = self.log_cli;
        hb_platform::logging::retarget(setup::log_targets(&config, stderr), debug);
        for w in &config.warnings {
            tracing::warn!("{w}");
        }
        Ok(changes)
    }

    /// A group removed from haresources that ran here: stop it with its old resources.
    fn release_removed(&mut self, name: String, resources: Arc<Vec<Resource>>) {
        let runner = self.runner.clone();
        tracing::info!("reload: group {name} removed from haresources; releasing it");
        tokio::spawn(async move {
            match runner.stop(&resources).await {
                hb_core::ActionResult::Ok => {
                    tracing::info!("reload: removed group {name} released")
                }
                other => tracing::error!("reload: removed group {name} did not stop: {other:?}"),
            }
        });
    }
}

/// Settings only a restart applies, by name, as text.
fn restart_only(config: &hb_config::Config) -> Vec<(&'static str, String)> {
    let h = &config.hacf;
    vec![
        ("watchdog", format!("{:?}", h.watchdog)),
        ("env", format!("{:?}", h.env)),
        ("respawn/clients", format!("{:?}", h.clients)),
        (
            "tuning (realtime, rtprio, msgfmt, compression, coredumps, ...)",
            format!("{:?}", h.tuning),
        ),
        ("cloud.conf", format!("{:?}", config.cloud.as_ref().map(crate::cloud::fingerprint))),
        ("arbiter.conf", format!("{:?}", config.arbiter)),
    ]
}

fn keys_text(config: &hb_config::Config) -> String {
    let keys: Vec<_> = config
        .authkeys
        .keys()
        .iter()
        .map(|k| (k.index().get(), k.method().name(), k.secret().as_bytes().to_vec()))
        .collect();
    format!("{}|{keys:?}", config.authkeys.active().index().get())
}
