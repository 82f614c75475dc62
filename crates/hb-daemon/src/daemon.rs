//! The daemon proper: one task owns the engine and feeds it network messages, timer expiries,
//! action results, operator commands and signals; it executes what the engine asks for.
//!
//! Order of start-up: configuration → state directory (generation, UUID) → addresses of our
//! groups that a previous instance left behind are removed (we own nothing yet; when we acquire
//! a group again it is re-added *and announced*, so clients never keep a stale MAC) → media →
//! admin socket → engine. The pid file is written by the caller once this returns `Ready`.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hb_api::{EventRecord, Request, Response, Scope};
use hb_core::{
    Action, AdminCommand, EngineConfig, Event, GroupId, Input, Instant, LinkId, Node, Output,
    ResourceSet, UnreachablePolicy,
};
use hb_platform::garp::GarpConfig;
use hb_platform::ipaddr::Netlink;
use hb_platform::logging::LogTargets;
use hb_platform::media::Media;
use hb_platform::script::{RunOptions, ScriptDirs, ScriptRunner};
use hb_platform::state::StateDir;
use hb_wire::Authenticator;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinSet;

use crate::actions::Runner;
use crate::admin::{self, Access, AdminCall, MAX_PENDING_CALLS};
use crate::report::{self, LateStats, StaticInfo};
use crate::setup::{self, Paths, Resource};

/// Time limit of one resource script run (heartbeat has none; a hung script must not hang
/// the cluster).
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Environment variable that replaces [`SCRIPT_TIMEOUT`] (a positive number of milliseconds);
/// end-to-end tests use it so a hung script is killed in seconds. Other values are ignored.
pub const SCRIPT_TIMEOUT_ENV: &str = "HB_SCRIPT_TIMEOUT_MS";

/// Everything the run loop owns.
struct Daemon {
    node: Node,
    origin: std::time::Instant,
    auth: Authenticator,
    media: Media,
    local_node: String,
    state: StateDir,
    runner: Runner,
    groups: Vec<Arc<Vec<Resource>>>,
    group_names: Vec<String>,
    link_names: Vec<String>,
    actions: JoinSet<(GroupId, Action, usize, hb_core::ActionResult)>,
    events: broadcast::Sender<EventRecord>,
    waiters: Vec<oneshot::Sender<Response>>,
    late: LateStats,
    info: StaticInfo,
    bad_packets: u64,
    send_failures: u64,
    /// Per medium: whether it is reported to the engine as working.
    link_ok: Vec<bool>,
    /// Per medium: since when every send on it has failed (None after a success).
    link_failing_since: Vec<Option<Instant>>,
    /// How long sends on a medium must keep failing before it is reported down (`deadtime`).
    /// heartbeat itself only logs send errors; a lone failure (a full socket buffer, a
    /// firewall drop answered with EPERM) must not flap the link.
    link_fail_grace: Duration,
    notify: crate::notify::Notifier,
    run_dir: PathBuf,
    /// Outputs taken from the engine early (to see a refusal) and not yet executed.
    pending: VecDeque<Output>,
    fencer: Option<Arc<crate::fence::Fencer>>,
    fences: JoinSet<(String, Result<String, String>)>,
    ping_rx: Option<mpsc::Receiver<crate::ping::PingReport>>,
    ping_state: Option<crate::ping::PingReport>,
    alerts: crate::alert::Alerts,
    /// Live reload state (see `daemon_reload`).
    reload: daemon_reload::ReloadState,
    config_dir: PathBuf,
    watchdog: Option<crate::watchdog::Watchdog>,
    keepalive: Duration,
    metrics: crate::metrics::Metrics,
    /// Health checks of the `monitors` file (idle without one).
    health: crate::health::Health,
    /// Kernel address and carrier events for our VIPs.
    addrwatch: crate::addrwatch::AddrWatch,
    /// `--stderr`-style logging and `-d` from the command line, kept across reloads.
    log_cli: (bool, u8),
    /// The etcd lease arbiter (`arbiter.conf`), when configured.
    arbiter: Option<crate::arbiter::Arbiter>,
    arbiter_metrics: Option<Arc<crate::arbiter_report::ArbiterMetrics>>,
    /// Our recent datagrams: their loop-back copies are dropped unparsed, and a message sent
    /// twice is sealed once.
    own: crate::own_echo::OwnEcho,
}

#[path = "daemon_metrics.rs"]
mod daemon_metrics;

#[path = "daemon_reload.rs"]
mod daemon_reload;

/// What the daemon needs from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// Paths.
    pub paths: Paths,
    /// This node's name.
    pub node_name: String,
    /// Debug level (`-d`).
    pub debug: u8,
    /// Also log to stderr.
    pub stderr_log: bool,
    /// Fencing delay of the non-preferred node.
    pub fence_delay: Duration,
    /// Gratuitous ARP on takeover.
    pub garp: GarpConfig,
    /// `-l`: do not run at real-time priority whatever ha.cf says.
    pub no_realtime: bool,
    /// `--metrics-listen`: serve metrics there (overrides `metrics.cf`).
    pub metrics_listen: Option<String>,
}

/// How the daemon ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Stopped for good (SIGTERM, `heartbeat -k`).
    Stopped,
}

/// Runs the daemon until a graceful stop completes. `ready` is called once the node is up
/// (pid file, readiness notification); an `Err` before that is a start-up failure.
pub fn run(opts: Options, ready: impl FnOnce()) -> anyhow::Result<Exit> {
    let config = setup::load(&opts.paths.config_dir)?;
    let mut log = setup::log_targets(&config, opts.stderr_log);
    log.debug = log.debug.max(opts.debug);
    hb_platform::logging::init(log.clone(), "heartbeat", &opts.node_name)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let local = opts.node_name.to_lowercase();
    if !config.hacf.nodes.contains(&local) {
        anyhow::bail!(
            "node name {local:?} is not listed in {}/ha.cf (node lines: {})",
            opts.paths.config_dir.display(),
            config.hacf.nodes.join(" ")
        );
    }
    let guard = crate::guardian::Guard::spawn(&opts.paths.config_dir)
        .context("cannot start the crash guardian")?;
    tracing::debug!("crash guardian running as pid {}", guard.pid());
    if config.hacf.tuning.realtime && !opts.no_realtime {
        match crate::realtime::enter(config.hacf.tuning.rtprio) {
            Ok(what) => tracing::info!("{what}"),
            Err(e) => tracing::warn!("{e}; running at normal priority"),
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = rt.block_on(async move {
        let mut daemon = Daemon::start(&config, &opts, &log).await?;
        ready();
        daemon.notify.ready();
        tracing::info!("heartbeat-rs {} started on node {local}", env!("CARGO_PKG_VERSION"));
        daemon.run(Access::from_apiauth(&config.hacf.apiauth)).await
    });
    if result.is_ok() {
        guard.disarm();
    }
    // On an error the guard is dropped armed: the guardian removes our addresses.
    result
}

impl Daemon {
    async fn start(
        config: &hb_config::Config,
        opts: &Options,
        log: &LogTargets,
    ) -> anyhow::Result<Daemon> {
        let local = opts.node_name.to_lowercase();
        let state = StateDir::open(&opts.paths.state_dir).map_err(|e| anyhow::anyhow!("{e}"))?;
        let uuid = state.node_uuid().map_err(|e| anyhow::anyhow!("{e}"))?;
        let unix_now = unix_secs();
        let last_gen = state.generation().map_err(|e| anyhow::anyhow!("{e}"))?.unwrap_or(unix_now);
        let last_gen = u32::try_from(last_gen).unwrap_or(u32::MAX - 1);

        let netlink = Arc::new(Netlink::new().map_err(|e| anyhow::anyhow!("{e}"))?);
        let local_addrs: Vec<IpAddr> = netlink
            .addresses()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .into_iter()
            .map(|a| a.addr)
            .collect();
        let plan = setup::media_plan(config, &local_addrs)?;
        let groups = setup::group_resources(config)?;
        remove_leftover_addresses(&netlink, &groups).await;

        let media = Media::open(&plan.specs, plan.udpport)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open media: {e}"))?;
        let auth = setup::authenticator(&config.authkeys)?;

        let mut engine_cfg = EngineConfig::from_config(config, &local, last_gen, uuid);
        engine_cfg.links = plan.names.clone();
        let reload = daemon_reload::ReloadState::new(
            config,
            &format!("{:?}|{}", plan.specs, plan.udpport),
            opts.paths.resource_d(),
            env_for_reload(&local, &opts.paths.config_dir, log, config),
            opts.fence_delay,
            opts.metrics_listen.clone(),
        );
        let group_names: Vec<String> = engine_cfg.groups.iter().map(|g| g.name.clone()).collect();
        let origin = std::time::Instant::now();
        let mut node = Node::new(engine_cfg, u64::from_le_bytes(seed()), Instant::ZERO)
            .map_err(|e| anyhow::anyhow!("configuration rejected: {e}"))?;
        if let Some(a) = &config.arbiter {
            node.set_lease_policy(lease_policy(a, config.hacf.timers.deadtime));
        }
        node.handle_input(Instant::ZERO, Input::WallClock(unix_now));

        let metrics = crate::metrics::launch::start(
            config.hacf.timers.keepalive,
            opts.metrics_listen.as_deref(),
            &opts.paths.config_dir,
        )?;
        let env = hb_platform::script::heartbeat_env(
            &local,
            &opts.paths.config_dir,
            log,
            &config.hacf.env,
        );
        let mut health = crate::health::Health::from_config(
            config,
            &group_names,
            ScriptDirs { resource_d: opts.paths.resource_d(), ..ScriptDirs::default() },
            env.clone(),
        )?;
        health.set_metrics(metrics.health());
        for input in health.policy_inputs() {
            node.handle_input(Instant::ZERO, input);
        }
        let scripts = ScriptRunner::new(
            ScriptDirs { resource_d: opts.paths.resource_d(), ..ScriptDirs::default() },
            RunOptions { timeout: script_timeout(), env: env.clone(), ..RunOptions::default() },
        );
        let alerts = crate::alert::Alerts::start(opts.paths.config_dir.join("alert"), env.clone());
        let (events, _) = broadcast::channel(1024);
        let runner = Runner {
            cloud_events: crate::cloud::EventSink::new(alerts.sender(), events.clone()),
            netlink,
            netlink_lock: Arc::new(tokio::sync::Mutex::new(())),
            scripts: Arc::new(scripts),
            garp: opts.garp,
            stop_retry_pause: crate::actions::STOP_RETRY_PAUSE,
            node: local.clone(),
            sendmail: crate::mailto::SENDMAIL.into(),
            announced: metrics.garp_frames(),
        };
        let preferred = config
            .haresources
            .groups
            .first()
            .map(|g| g.preferred_node.to_lowercase())
            .or_else(|| config.hacf.nodes.first().cloned());
        let delay = if preferred.as_deref() == Some(local.as_str()) {
            Duration::ZERO
        } else {
            opts.fence_delay
        };
        let fencer =
            crate::fence::Fencer::from_config(&config.hacf.stonith, &local, delay).map(Arc::new);
        let ping_rx = start_pinger(config);
        let watchdog =
            match &config.hacf.watchdog {
                None => None,
                Some(path) => Some(crate::watchdog::Watchdog::open(path).with_context(|| {
                    format!("cannot open the watchdog device {}", path.display())
                })?),
            };
        let groups_arc: Vec<Arc<Vec<Resource>>> = groups.into_iter().map(Arc::new).collect();
        let mut addrwatch = crate::addrwatch::AddrWatch::start(&groups_arc);
        addrwatch.metrics = metrics.health();
        let info = StaticInfo {
            parameters: report::parameters(config),
            group_resources: config
                .haresources
                .groups
                .iter()
                .map(|g| g.resources.iter().map(|r| r.spec.clone()).collect())
                .collect(),
        };
        let arbiter = config.arbiter.as_ref().map(|a| {
            crate::arbiter::Arbiter::start(a, &local, &group_names, config.hacf.timers.deadtime)
        });
        let arbiter_metrics = arbiter.as_ref().map(|_| {
            let m = Arc::new(crate::arbiter_report::ArbiterMetrics::default());
            metrics.register(|r| m.register(r));
            m
        });
        Ok(Daemon {
            arbiter,
            arbiter_metrics,
            node,
            origin,
            auth,
            media,
            local_node: local,
            state,
            runner,
            groups: groups_arc,
            group_names,
            link_names: plan.names.clone(),
            actions: JoinSet::new(),
            events,
            waiters: Vec::new(),
            late: LateStats::default(),
            info,
            bad_packets: 0,
            send_failures: 0,
            link_ok: vec![true; plan.specs.len()],
            link_failing_since: vec![None; plan.specs.len()],
            link_fail_grace: config.hacf.timers.deadtime,
            notify: crate::notify::Notifier::from_env(),
            run_dir: opts.paths.run_dir.clone(),
            pending: VecDeque::new(),
            fencer,
            fences: JoinSet::new(),
            ping_rx,
            ping_state: None,
            alerts,
            reload,
            config_dir: opts.paths.config_dir.clone(),
            watchdog,
            keepalive: config.hacf.timers.keepalive,
            metrics,
            health,
            addrwatch,
            log_cli: (opts.stderr_log, opts.debug),
            own: crate::own_echo::OwnEcho::default(),
        })
    }

    fn now(&self) -> Instant {
        Instant::from_nanos(u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    fn to_tokio(&self, t: Instant) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.origin) + Duration::from_nanos(t.as_nanos())
    }

    async fn run(&mut self, access: Access) -> anyhow::Result<Exit> {
        let sock = admin::socket_in(&self.run_dir);
        let listener = admin::bind(&sock, &access)
            .with_context(|| format!("cannot bind the admin socket {}", sock.display()))?;
        let (calls_tx, mut calls) = mpsc::channel::<AdminCall>(MAX_PENDING_CALLS);
        let mut server =
            tokio::spawn(admin::serve(listener, access, calls_tx.clone(), self.events.clone()));
        let mut sigterm = signal(SignalKind::terminate()).context("SIGTERM handler")?;
        let mut sigint = signal(SignalKind::interrupt()).context("SIGINT handler")?;
        let mut sighup = signal(SignalKind::hangup()).context("SIGHUP handler")?;
        let mut watchdog = tokio::time::interval(self.notify.watchdog_interval());
        let mut pet = tokio::time::interval(
            self.keepalive.clamp(Duration::from_millis(10), Duration::from_secs(1)),
        );
        let mut shutting_down = false;
        let mut publish = tokio::time::interval(crate::metrics::PUBLISH_EVERY);
        // One timer for the engine's next deadline, moved only when that deadline moves
        // (re-created on every pass it was a timer-wheel insertion per datagram).
        let sleep = tokio::time::sleep_until(self.to_tokio(Instant::ZERO));
        tokio::pin!(sleep);
        let mut armed: Option<tokio::time::Instant> = None;

        loop {
            self.reload_if_due().await;
            if let Some(access) = self.reload.access.take() {
                // apiauth changed: the socket's mode and the admitted ids follow. Connections
                // already open (the `hbctl reload` that asked) are served to their end.
                match admin::bind(&sock, &access) {
                    Ok(listener) => {
                        server.abort();
                        let (tx, ev) = (calls_tx.clone(), self.events.clone());
                        server = tokio::spawn(admin::serve(listener, access, tx, ev));
                    }
                    Err(e) => tracing::error!("reload: cannot re-bind the admin socket: {e}"),
                }
            }
            self.drain_outputs().await?;
            if self.node.is_shut_down() && self.actions.is_empty() {
                break;
            }
            let deadline = self.node.poll_timeout().map(|t| self.to_tokio(t));
            if let Some(d) = deadline {
                if armed != Some(d) {
                    sleep.as_mut().reset(d);
                    armed = Some(d);
                }
            }
            tokio::select! {
                biased;
                Some(done) = self.actions.join_next() => {
                    match done {
                        Ok((group, action, from, result)) => {
                            self.health.on_action(group, action, from, Some(&result));
                            self.addrwatch.on_action(group, action, from, Some(&result));
                            let now = self.now();
                            self.metrics.action_done(group, action, &result, now, &self.group_names);
                            self.node.handle_input(now, Input::ActionDone { group, action, result });
                        }
                        Err(e) => anyhow::bail!("a resource action task failed: {e}"),
                    }
                }
                r = self.media.recv() => match r {
                    Ok(d) => self.datagram(d.link, d.from, &d.data),
                    Err(e) => tracing::warn!("receive error: {e}"),
                },
                () = &mut sleep, if deadline.is_some() => {
                    armed = None;
                    let now = self.now();
                    self.node.handle_input(now, Input::Timeout);
                }
                Some(call) = calls.recv() => self.admin_call(call),
                Some(ev) = self.addrwatch.next() => {
                    for input in self.addrwatch.on_event(ev, &self.runner) {
                        let now = self.now();
                        self.node.handle_input(now, input);
                    }
                }
                Some(ev) = self.health.next() => {
                    if let Some(input) = self.health.on_check_event(&ev) {
                        let now = self.now();
                        self.node.handle_input(now, input);
                    }
                }
                Some(done) = self.fences.join_next() => {
                    if let Ok((node, result)) = done {
                        let (ok, detail) = match result {
                            Ok(d) => (true, d),
                            Err(d) => (false, d),
                        };
                        let now = self.now();
                        self.node.handle_input(now, Input::FenceDone { node, ok, detail });
                    }
                }
                Some(input) = crate::arbiter::next_opt(&mut self.arbiter) => {
                    let now = self.now();
                    self.node.handle_input(now, Input::Lease(input));
                }
                Some(report) = recv_opt(&mut self.ping_rx) => {
                    let now = self.now();
                    self.node.handle_input(now, Input::PingReach(report.reachable));
                    self.ping_state = Some(report);
                }
                _ = sigterm.recv() => self.begin_shutdown(&mut shutting_down, "SIGTERM"),
                _ = sigint.recv() => self.begin_shutdown(&mut shutting_down, "SIGINT"),
                _ = sighup.recv() => self.request_reload(None),
                _ = watchdog.tick() => self.notify.watchdog(),
                _ = publish.tick(), if self.metrics.enabled() => self.publish_metrics(),
                _ = pet.tick(), if self.watchdog.is_some() => {
                    if let Some(w) = self.watchdog.as_mut() {
                        w.pet();
                    }
                }
            }
        }
        server.abort();
        let _ = std::fs::remove_file(&sock);
        if let Some(w) = self.watchdog.take() {
            w.close();
        }
        tracing::debug!("{}: run loop finished", self.local_node);
        Ok(Exit::Stopped)
    }

    fn begin_shutdown(&mut self, already: &mut bool, why: &str) {
        if *already {
            tracing::info!("{why}: shutdown already in progress");
            return;
        }
        *already = true;
        tracing::info!("{why}: Heartbeat shutdown in progress. ({})", std::process::id());
        self.notify.stopping();
        let now = self.now();
        self.node.handle_input(now, Input::Admin(AdminCommand::Shutdown));
    }

    fn datagram(&mut self, link: usize, from: std::net::SocketAddr, data: &[u8]) {
        if self.own.is_own(data) {
            // Our own broadcast or multicast, looped back (see own_echo): from now on the
            // kernel drops those from this source.
            match self.media.ignore_own_source(from) {
                Ok(true) => tracing::debug!("own datagrams from {from} now dropped in the kernel"),
                Ok(false) => {}
                Err(e) => tracing::warn!("cannot filter our own datagrams from {from}: {e}"),
            }
            return;
        }
        let verified = match self.auth.open(data) {
            Ok(v) => v,
            Err(e) => {
                self.metrics.reject_wire(&e);
                self.bad_packets += 1;
                // Rate-limited: a flood of forged packets must not flood the log.
                if self.bad_packets <= 10 || self.bad_packets.is_power_of_two() {
                    tracing::warn!(
                        "bad packet #{} on {}: {e}",
                        self.bad_packets,
                        self.link_names.get(link).map(String::as_str).unwrap_or("?")
                    );
                }
                return;
            }
        };
        if verified.message().get_str("src") == Some(self.local_node.as_str()) {
            return; // our own broadcast or multicast, looped back
        }
        self.reload.on_peer_key(verified.key_index());
        let link = LinkId(u16::try_from(link).unwrap_or(u16::MAX));
        let now = self.now();
        let heartbeat = self.heartbeat_before(verified.message());
        self.node.handle_input(now, Input::Message { link, msg: verified });
        self.heartbeat_after(heartbeat);
    }

    fn admin_call(&mut self, call: AdminCall) {
        let (cmd, wait) = match call.request {
            Request::Status => {
                let mut st =
                    report::status(&self.node.snapshot(), self.now(), &self.late, &self.info);
                st.checks = self.health.summary();
                st.reserved_ips = crate::cloud::reclaim_counts(&self.groups);
                if let Some(a) = &self.arbiter {
                    st.arbiter =
                        crate::arbiter_report::status_rows(&a.snapshot(), &self.group_names);
                }
                if let Some(p) = &self.ping_state {
                    st.nodes.extend(p.per_address.iter().map(|(addr, ok)| hb_api::NodeStatus {
                        name: addr.to_string(),
                        node_type: "ping".into(),
                        status: if *ok { "ping" } else { "dead" }.into(),
                        weight: 100,
                        site: String::new(),
                        links: Vec::new(),
                    }));
                }
                let _ = call.reply.send(Response::Status(Box::new(st)));
                return;
            }
            Request::Standby { scope, wait } => (AdminCommand::Standby(set_of(scope)), wait),
            Request::Takeover { scope, wait } => (AdminCommand::Takeover(set_of(scope)), wait),
            Request::Events => return, // served by the admin task itself
            Request::Reload => {
                self.request_reload(Some(call.reply));
                return;
            }
            Request::Clear { group } => {
                let found = self.info.group_resources.iter().position(|rs| rs.contains(&group));
                let answer = match found.and_then(|g| u16::try_from(g).ok()) {
                    Some(g) => {
                        let now = self.now();
                        let input = hb_core::HealthInput::Clear { group: GroupId(g) };
                        self.node.handle_input(now, Input::Health(input));
                        Response::Accepted { detail: format!("health failures of {group} cleared") }
                    }
                    None => Response::Refused { reason: format!("no resource group {group}") },
                };
                let _ = call.reply.send(answer);
                return;
            }
        };
        let now = self.now();
        self.node.handle_input(now, Input::Admin(cmd));
        // A request the engine refuses at once (no peer, exchange in progress) is refused to
        // the caller even without --wait: nothing was sent.
        let refused = self.peek_refusal();
        match refused {
            Some(reason) => {
                let _ = call.reply.send(Response::Refused { reason });
            }
            None if wait => self.waiters.push(call.reply),
            None => {
                let _ = call.reply.send(Response::Accepted { detail: "request sent".into() });
            }
        }
    }

    /// Whether the engine's pending outputs refuse the request just made.
    fn peek_refusal(&mut self) -> Option<String> {
        while let Some(out) = self.node.poll_output() {
            self.pending.push_back(out);
        }
        self.pending.iter().find_map(|o| match o {
            Output::Event(Event::StandbyRefused { reason }) => Some(reason.clone()),
            _ => None,
        })
    }
}

impl Daemon {
    /// Executes everything the engine asked for, in order.
    async fn drain_outputs(&mut self) -> anyhow::Result<()> {
        loop {
            let out = match self.pending.pop_front() {
                Some(out) => out,
                None => match self.node.poll_output() {
                    Some(out) => out,
                    None => return Ok(()),
                },
            };
            match out {
                Output::Transmit { msg, link } => self.transmit(&msg, link).await,
                Output::RunAction { group, action, from } => {
                    self.spawn_action(group, action, usize::from(from))
                }
                Output::PersistGeneration(g) => {
                    // Replay protection depends on it: without a stored generation a restart
                    // could reuse sequence numbers the peers already saw.
                    self.state
                        .write_generation(u64::from(g))
                        .map_err(|e| anyhow::anyhow!("cannot store the generation: {e}"))?;
                }
                Output::Event(ev) => self.on_event(ev),
                Output::Fence { node } => self.spawn_fence(node),
                Output::Lease(req) => match &self.arbiter {
                    Some(a) => a.request(req),
                    None => tracing::error!("lease request without an arbiter: {req:?}"),
                },
            }
        }
    }

    async fn transmit(&mut self, msg: &hb_wire::Message, link: Option<LinkId>) {
        self.metrics.on_transmit(msg);
        let classic = self.reload.send_classic();
        let bytes = match self.own.seal_as(&self.auth, msg, classic) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("cannot encode a {:?} message: {e}", msg.get_str("t"));
                return;
            }
        };
        let mut results: Vec<(usize, bool, Option<std::io::Error>)> = Vec::new();
        match link {
            None => {
                let report = self.media.send_all(bytes).await;
                let failed: Vec<usize> = report.failed.iter().map(|(l, _)| *l).collect();
                for l in 0..self.link_ok.len() {
                    if !failed.contains(&l) {
                        results.push((l, true, None));
                    }
                }
                for (l, e) in report.failed {
                    results.push((l, false, Some(e)));
                }
            }
            Some(l) => {
                let i = usize::from(l.0);
                match self.media.send_on(i, bytes).await {
                    Ok(()) => results.push((i, true, None)),
                    Err(e) => results.push((i, false, Some(e))),
                }
            }
        }
        for (l, ok, err) in results {
            if let Some(e) = err {
                self.send_failures += 1;
                if self.send_failures <= 10 || self.send_failures.is_power_of_two() {
                    let name = self.link_names.get(l).map(String::as_str).unwrap_or("?");
                    tracing::warn!("send on {name} failed (#{}): {e}", self.send_failures);
                }
            }
            let now = self.now();
            let Some(since) = self.link_failing_since.get_mut(l) else { continue };
            let report = if ok {
                *since = None;
                true
            } else {
                let first = *since.get_or_insert(now);
                now.saturating_duration_since(first) < self.link_fail_grace
            };
            if self.link_ok.get(l).copied() != Some(report) {
                if let Some(slot) = self.link_ok.get_mut(l) {
                    *slot = report;
                }
                let link = LinkId(u16::try_from(l).unwrap_or(u16::MAX));
                self.node.handle_input(now, Input::LinkState { link, up: report });
            }
        }
    }

    /// Runs `action` on the group's resources `from..` (all of them when `from` is 0; a
    /// restart in place leaves those left of the failed one alone).
    fn spawn_action(&mut self, group: GroupId, action: Action, from: usize) {
        let Some(resources) = self.groups.get(usize::from(group.0)).cloned() else {
            tracing::error!("engine asked for an action on unknown group {}", group.0);
            return;
        };
        // A reload's restart of a changed group names its own first resource (and, to stop,
        // the group's old resources); otherwise the engine's `from`, the whole group when out
        // of range.
        let (resources, reload_from) = self.reload.resources_for(group, action, &resources);
        let from = match reload_from {
            Some(f) => f.min(resources.len()),
            None if from < resources.len() => from,
            None => 0,
        };
        let runner = self.runner.clone();
        let name = self.group_names.get(usize::from(group.0)).cloned().unwrap_or_default();
        if from == 0 {
            tracing::info!("{action:?} of group {name}");
        } else {
            let first = resources.get(from).map_or_else(|| "(none)".to_owned(), |r| r.name());
            tracing::info!("{action:?} of group {name} from its resource {first} rightwards");
        }
        self.metrics.action_started(group, action, self.now());
        self.health.on_action(group, action, from, None);
        self.addrwatch.on_action(group, action, from, None);
        self.actions.spawn(async move {
            let result = match action {
                Action::Start => runner.start(&resources[from..]).await,
                Action::Stop => runner.stop(&resources[from..]).await,
            };
            (group, action, from, result)
        });
    }

    fn spawn_fence(&mut self, node: String) {
        let Some(fencer) = self.fencer.clone() else {
            // The engine only asks when fencing is configured; answer anyway so it never waits.
            let now = self.now();
            let detail = "no fencing configured".to_owned();
            self.node.handle_input(now, Input::FenceDone { node, ok: false, detail });
            return;
        };
        self.fences.spawn(async move {
            let result = fencer.fence(&node).await;
            (node, result)
        });
    }

    /// After a partition, groups we keep were also announced by the peer: announce them again
    /// so neighbours stop sending to the peer, which releases them silently.
    fn reannounce(&self, groups: &[GroupId]) {
        for g in groups {
            let Some(resources) = self.groups.get(usize::from(g.0)).cloned() else { continue };
            let runner = self.runner.clone();
            tokio::spawn(async move { runner.reannounce(&resources).await });
        }
    }

    fn on_event(&mut self, ev: Event) {
        self.metrics.on_event(&ev, &self.group_names);
        if let Event::LateHeartbeat { node, late_by, .. } = &ev {
            self.late.record(node, *late_by);
        }
        if let Event::SplitBrainSuspected { groups, we_keep: true, .. } = &ev {
            self.reannounce(groups);
        }
        let answer = match &ev {
            Event::StandbyCompleted { set } => Some(Response::Accepted {
                detail: format!("hand-off of {set} resources completed"),
            }),
            Event::StandbyRefused { reason } => Some(Response::Refused { reason: reason.clone() }),
            _ => None,
        };
        if let Some(answer) = answer {
            for w in self.waiters.drain(..) {
                let _ = w.send(answer.clone());
            }
        }
        if let Event::Ownership { reason: hb_core::OwnershipReason::Isolated, .. } = &ev {
            if let Some(w) = self.watchdog.as_mut() {
                w.stop_petting("isolated: no peer and no ping node answers");
            }
        }
        let record = report::event(&ev, unix_ms(), &self.group_names, &self.link_names);
        self.alerts.send(&record);
        let _ = self.events.send(record);
    }
}

async fn recv_opt<T>(rx: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Starts the pinger thread when ha.cf names ping nodes or groups.
fn start_pinger(config: &hb_config::Config) -> Option<mpsc::Receiver<crate::ping::PingReport>> {
    let hacf = &config.hacf;
    let mut addrs: Vec<String> = hacf.ping_nodes.iter().map(|p| p.address.clone()).collect();
    addrs.extend(hacf.ping_groups.iter().flat_map(|g| g.members.iter().cloned()));
    if addrs.is_empty() {
        return None;
    }
    let targets = crate::ping::resolve(&addrs);
    if targets.is_empty() {
        tracing::error!("no usable ping node address; ping arbitration is off");
        return None;
    }
    let interval = hacf.timers.keepalive.clamp(Duration::from_millis(100), Duration::from_secs(1));
    let deadping = hacf.timers.deadping;
    let (tx, rx) = mpsc::channel(16);
    tracing::info!("ping nodes {:?}: every {interval:?}, unreachable after {deadping:?}", targets);
    std::thread::Builder::new()
        .name("ping".into())
        .spawn(move || {
            if let Err(e) = crate::ping::run(targets, interval, deadping, tx) {
                tracing::error!("ping nodes: {e}; ping arbitration is off");
            }
        })
        .ok()?;
    Some(rx)
}

/// The engine's policy for an `arbiter.conf`.
fn lease_policy(a: &hb_config::arbiter::ArbiterConf, deadtime: Duration) -> UnreachablePolicy {
    match a.unreachable {
        hb_config::arbiter::Unreachable::Keep => UnreachablePolicy::Keep,
        hb_config::arbiter::Unreachable::Release => {
            UnreachablePolicy::Release { grace: a.grace_for(deadtime) }
        }
    }
}

/// The environment resource scripts get (kept for health checks rebuilt by a reload).
fn env_for_reload(
    local: &str,
    config_dir: &std::path::Path,
    log: &LogTargets,
    config: &hb_config::Config,
) -> Vec<(String, String)> {
    hb_platform::script::heartbeat_env(local, config_dir, log, &config.hacf.env)
}

fn set_of(scope: Scope) -> ResourceSet {
    match scope {
        Scope::All => ResourceSet::All,
        Scope::Local => ResourceSet::Local,
        Scope::Foreign | Scope::Failback => ResourceSet::Foreign,
    }
}

/// Removes addresses of our groups that are configured here at start-up: a previous instance
/// that died (kill -9, crash) may have left them, and we own nothing until the cluster says so.
async fn remove_leftover_addresses(netlink: &Netlink, groups: &[Vec<Resource>]) {
    for (text, result) in setup::release_vips(netlink, groups).await {
        match result {
            Ok(()) => tracing::warn!("{text}: address left over from a previous run; removed"),
            Err(e) => tracing::error!("{text}: cannot remove a leftover address: {e}"),
        }
    }
}

/// [`SCRIPT_TIMEOUT`], or the value of [`SCRIPT_TIMEOUT_ENV`] when that is set and valid.
fn script_timeout() -> Duration {
    let Some(text) = std::env::var_os(SCRIPT_TIMEOUT_ENV) else { return SCRIPT_TIMEOUT };
    match text.to_str().and_then(|t| t.trim().parse::<u64>().ok()).filter(|&ms| ms > 0) {
        Some(ms) => {
            tracing::warn!("{SCRIPT_TIMEOUT_ENV}: resource scripts time out after {ms} ms");
            Duration::from_millis(ms)
        }
        None => {
            tracing::warn!("{SCRIPT_TIMEOUT_ENV} is not a positive number of ms; ignored");
            SCRIPT_TIMEOUT
        }
    }
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(1)
        .max(1)
}

fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn seed() -> [u8; 8] {
    let mut b = [0u8; 8];
    if getrandom_fill(&mut b).is_err() {
        b = unix_ms().to_le_bytes();
    }
    b
}

fn getrandom_fill(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}
