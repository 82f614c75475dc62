//! keepalived mode's VRRP daemon: one tokio current-thread runtime whose main task owns
//! every [`hb_vrrp::Instance`] and executes their outputs; helper tasks only read sockets,
//! run checks and run notify scripts, and talk to it through queues.
//!
//! Per interface one raw socket ([`sock`]); advert timers come from `poll_timeout`;
//! addresses via hb-platform's netlink with gratuitous ARP; `track_script` via the shared
//! check runner ([`track`]); notify scripts in order with a timeout ([`notify`]). SIGTERM or
//! SIGINT: every instance gets `Shutdown` (a master sends priority 0 and removes its
//! addresses), then the process exits. SIGHUP re-reads the file and touches only what changed
//! ([`reload`]); SIGUSR1, SIGUSR2 and SIGJSON write keepalived's dump files ([`dump`]); the
//! admin socket and the metrics show the instances ([`observe`]). IPv4 and IPv6 (VRRPv3,
//! multicast to ff02::12 from the link-local address, unsolicited neighbour advertisements).

pub mod build;
pub mod dump;
mod exec;
pub mod guardian;
pub mod notify;
pub mod observe;
pub mod reload;
pub mod security;
pub mod sock;
pub mod track;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use hb_api::{EventRecord, Request, Response, VrrpStatus};
use hb_config::keepalived::{KeepalivedConf, VrrpInstance};
use hb_platform::check::{CheckEvent, CheckId, CheckRunner, Health};
use hb_platform::ipaddr::{Netlink, VipSpec};
use hb_platform::script::ScriptDirs;
use hb_vrrp::{Input, Instance, State};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{broadcast, mpsc};

use sock::{Received, VrrpSocket};

/// Packets queued from the socket readers to the main task; beyond this they are dropped
/// (the kernel drops them anyway when we fall behind).
const PACKET_QUEUE: usize = 1024;
/// How long shutdown waits for queued notify scripts.
const NOTIFY_DRAIN: Duration = Duration::from_secs(5);
/// How often the metrics list is refreshed (state metrics lag by at most this).
const PUBLISH_EVERY: Duration = Duration::from_millis(200);

/// How the daemon runs, from keepalived's command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// The configuration file, read again on SIGHUP.
    pub conf_file: PathBuf,
    /// Remove the virtual addresses on stop (keepalived's `-V` turns it off).
    pub release_on_stop: bool,
    /// The admin socket (`hbctl status`); `None`: none.
    pub api_socket: Option<PathBuf>,
    /// Serve the `heartbeat_vrrp_*` metrics on this address.
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// One running instance.
struct Slot {
    engine: Instance,
    iface: usize,
    /// Own send socket when `unicast_src_ip` is set; else the interface's socket.
    sender: Option<VrrpSocket>,
    vips: Vec<VipSpec>,
    notify: hb_config::keepalived::Notify,
    tracked: Vec<track::Tracked>,
    /// Tracked interfaces (its own first).
    ifs: Vec<track::TrackedIf>,
    fault: bool,
    delta: i32,
    /// A reload's priority change, kept as a shift of the engine's configured priority.
    base_shift: i32,
    /// The configuration block it runs (compared on reload).
    conf: VrrpInstance,
    /// State at the last look, and since when.
    seen: State,
    since: hb_vrrp::Instant,
    /// Stopping with `-V`: the addresses stay.
    keep_addresses: bool,
}

/// The process's monotonic clock as the engine counts it.
struct Clock(std::time::Instant);

impl Clock {
    fn now(&self) -> hb_vrrp::Instant {
        let nanos = u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX);
        hb_vrrp::Instant::from_nanos(nanos)
    }

    fn at(&self, t: hb_vrrp::Instant) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.0 + Duration::from_nanos(t.as_nanos()))
    }
}

/// Everything the main task owns.
struct Daemon {
    opts: Options,
    conf: KeepalivedConf,
    clock: Clock,
    netlink: Arc<Netlink>,
    pkt_tx: mpsc::Sender<(usize, Received)>,
    ifaces: Vec<(String, Arc<VrrpSocket>)>,
    slots: Vec<Slot>,
    runner: CheckRunner,
    health: HashMap<CheckId, Health>,
    notify_tx: mpsc::Sender<notify::Job>,
    events: broadcast::Sender<EventRecord>,
    published: observe::Published,
    node: String,
    /// The crash guardian (removes our addresses if we die without releasing them).
    guard: Option<guardian::VrrpGuard>,
    /// The sync groups, by slot position (rebuilt on reload).
    groups: Groups,
    /// Tracked interfaces: up (and carrier) or not.
    links: HashMap<String, bool>,
}

/// Runs every instance of `conf` until SIGTERM/SIGINT. Call inside a current-thread runtime.
pub async fn run(conf: KeepalivedConf, opts: Options) -> anyhow::Result<()> {
    if conf.instances.is_empty() {
        bail!("no valid vrrp_instance in the configuration");
    }
    let netlink = Arc::new(Netlink::new().context("netlink")?);
    let (pkt_tx, mut pkt_rx) = mpsc::channel::<(usize, Received)>(PACKET_QUEUE);
    let (runner, mut check_rx) = CheckRunner::new(ScriptDirs::default(), base_env());
    let notify_as = match security::run_as(None, conf.global.script_user.as_ref()) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("notify scripts: {e}; they are disabled");
            None
        }
    };
    let notify_disabled = notify_as.is_none() && conf.global.script_user.is_some();
    let (notify_tx, notify_task) = notify::spawn_as(notify_as);
    let (events, _) = broadcast::channel(256);
    let node =
        nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_default();
    let mut d = Daemon {
        opts,
        conf: KeepalivedConf { instances: Vec::new(), ..conf.clone() },
        clock: Clock(std::time::Instant::now()),
        netlink,
        pkt_tx,
        ifaces: Vec::new(),
        slots: Vec::new(),
        runner,
        health: HashMap::new(),
        notify_tx,
        events,
        published: observe::Published::default(),
        node,
        guard: None,
        groups: Groups { sets: Vec::new(), notify: Vec::new(), last: Vec::new() },
        links: HashMap::new(),
    };
    for (n, inst) in conf.instances.iter().enumerate() {
        let slot = d.make_slot(n, inst, &conf).await?;
        d.slots.push(slot);
    }
    for s in &d.slots {
        exec::remove_leftovers(s, &d.netlink).await;
    }
    let guard = guardian::VrrpGuard::spawn().context("cannot start the crash guardian")?;
    tracing::debug!("crash guardian running as pid {}", guard.pid());
    d.guard = Some(guard);
    d.publish_guarded();
    d.conf = conf;
    if notify_disabled {
        for s in &mut d.slots {
            s.notify = hb_config::keepalived::Notify::default();
        }
    }
    d.track_links();
    d.groups = sync_groups(&d.conf, &d.slots);
    d.start_checks(&HashMap::new())?;
    let mut net_rx = hb_platform::ipaddr::watch().context("netlink link watch")?;

    let (calls_tx, mut calls_rx) = mpsc::channel(crate::admin::MAX_PENDING_CALLS);
    if let Some(path) = d.opts.api_socket.clone() {
        match crate::admin::bind(&path, &crate::admin::Access::default()) {
            Ok(l) => {
                tokio::spawn(crate::admin::serve(
                    l,
                    Default::default(),
                    calls_tx.clone(),
                    d.events.clone(),
                ));
            }
            // keepalived has no such socket: not worth refusing to start over.
            Err(e) => tracing::warn!(
                "admin socket {}: {e}; hbctl status will not see VRRP",
                path.display()
            ),
        }
    }
    drop(calls_tx);
    if let Some(addr) = d.opts.metrics_listen {
        let listener = std::net::TcpListener::bind(addr)
            .with_context(|| format!("metrics: cannot listen on {addr}"))?;
        let scrape = crate::metrics::Scrape::new(observe::registry(d.published.clone()));
        crate::metrics::http::spawn(listener, scrape, crate::metrics::http::Limits::new(16))
            .context("metrics: server thread")?;
        tracing::info!("metrics: serving http://{addr}/metrics");
    }

    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let mut usr2 = signal(SignalKind::user_defined2())?;
    let mut json = signal(SignalKind::from_raw(crate::keepalived_cli::JSON_SIGNAL))?;
    // Caught so that keepalived's `--signum=STATS_CLEAR` does not kill us (its default
    // action) without releasing anything.
    let mut stats_clear = signal(SignalKind::from_raw(crate::keepalived_cli::STATS_CLEAR_SIGNAL))?;
    let mut publish = tokio::time::interval(PUBLISH_EVERY);
    tracing::info!(
        "VRRP started: {} instance(s) on {} interface(s)",
        d.slots.len(),
        d.ifaces.len()
    );
    // Debian's keepalived.service is Type=notify: READY=1 once sockets and checks run.
    let sd = crate::notify::Notifier::from_env();
    sd.ready();
    loop {
        d.drain_all().await;
        let deadline = d.slots.iter().filter_map(|s| s.engine.poll_timeout()).min();
        let sleep_until = deadline.map(|t| d.clock.at(t));
        tokio::select! {
            pkt = pkt_rx.recv() => {
                let Some((iface, r)) = pkt else { bail!("every VRRP socket reader stopped") };
                let vrid = r.payload.get(1).copied();
                let now = d.clock.now();
                for s in d.slots.iter_mut().filter(|s| s.iface == iface) {
                    if Some(s.engine.config().vrid) == vrid {
                        s.engine.handle_packet(now, &r.payload, r.src, r.dst, r.ttl);
                    }
                }
            }
            _ = sleep_opt(sleep_until) => {
                let now = d.clock.now();
                for s in &mut d.slots {
                    if s.engine.poll_timeout().is_some_and(|t| t <= now) {
                        s.engine.handle_input(now, Input::Timeout);
                    }
                }
            }
            ev = check_rx.recv() => {
                if let Some(ev) = ev {
                    d.on_check(ev);
                }
            }
            ev = net_rx.recv() => {
                let Some(ev) = ev else { bail!("the netlink link watch stopped") };
                if on_link(&ev, &mut d.links) {
                    for s in &mut d.slots {
                        apply_tracking(s, &d.health, &d.links, &d.clock);
                    }
                }
            }
            call = calls_rx.recv(), if !calls_rx.is_closed() => {
                if let Some(call) = call {
                    let answer = match call.request {
                        Request::Status => Response::Status(Box::new(d.status())),
                        other => Response::Refused {
                            reason: format!("{other:?}: not available in the keepalived mode"),
                        },
                    };
                    let _ = call.reply.send(answer);
                }
            }
            _ = publish.tick(), if d.opts.metrics_listen.is_some() => {
                observe::publish(&d.published, d.statuses());
            }
            _ = hup.recv() => d.reload().await,
            _ = usr1.recv() => {
                let now = unix_now();
                dump::write(&dump::path(dump::DATA_FILE), &dump::data(&d.statuses(), &d.conf, now));
            }
            _ = usr2.recv() => dump::write(&dump::path(dump::STATS_FILE), &dump::stats(&d.statuses())),
            _ = json.recv() => {
                let now = unix_now();
                dump::write(&dump::path(dump::JSON_FILE), &dump::json(&d.statuses(), &d.conf, now));
            }
            _ = stats_clear.recv() => {
                dump::write(&dump::path(dump::STATS_FILE), &dump::stats(&d.statuses()));
                tracing::warn!("STATS_CLEAR: stats written; the counters are not cleared by this build");
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    tracing::info!("VRRP stopping");
    sd.stopping();
    d.runner.stop_all();
    let now = d.clock.now();
    let keep = !d.opts.release_on_stop;
    for s in &mut d.slots {
        s.keep_addresses = keep;
        s.engine.handle_input(now, Input::Shutdown);
    }
    d.drain_all().await;
    d.groups.notify(&d.slots, &d.notify_tx);
    for s in &d.slots {
        log_totals(s);
    }
    // Stopped properly (with -V the addresses stay on purpose): the guardian stands down.
    if let Some(g) = d.guard.take() {
        g.disarm();
    }
    drop(d);
    let _ = tokio::time::timeout(NOTIFY_DRAIN, notify_task).await;
    Ok(())
}

impl Daemon {
    /// Builds instance `n` of `conf`: its engine, its interface's socket (opened once per
    /// interface) and its tracked scripts.
    async fn make_slot(
        &mut self,
        n: usize,
        inst: &VrrpInstance,
        conf: &KeepalivedConf,
    ) -> anyhow::Result<Slot> {
        let v6 = build::is_ipv6(inst);
        let primary = primary_of(&self.netlink, &inst.interface, v6)
            .await
            .with_context(|| format!("{}: interface {}", inst.location, inst.interface))?;
        let built = build::build(inst, primary.addr)?;
        // One socket per interface and family.
        let key = if v6 { format!("{}%v6", inst.interface) } else { inst.interface.clone() };
        let iface = match self.ifaces.iter().position(|(name, _)| *name == key) {
            Some(i) => i,
            None => {
                let s = match primary.addr {
                    IpAddr::V4(local) => VrrpSocket::open(&inst.interface, local),
                    IpAddr::V6(_) => VrrpSocket::open6(&inst.interface, primary.index),
                }
                .with_context(|| format!("VRRP socket on {}", inst.interface))?;
                let s = Arc::new(s);
                spawn_reader(self.ifaces.len(), s.clone(), self.pkt_tx.clone());
                self.ifaces.push((key, s));
                self.ifaces.len() - 1
            }
        };
        let sender = match (inst.unicast_src_ip, built.engine.primary_address) {
            (Some(IpAddr::V4(src)), _) => Some(
                VrrpSocket::open_sender(&inst.interface, src)
                    .with_context(|| format!("{}: unicast_src_ip {src}", inst.location))?,
            ),
            (_, IpAddr::V6(src)) if !inst.unicast_peers.is_empty() => Some(
                VrrpSocket::open_sender6(&inst.interface, primary.index, src)
                    .with_context(|| format!("{}: IPv6 unicast source {src}", inst.location))?,
            ),
            _ => None,
        };
        let (tracked, unknown) = track::resolve(inst, &conf.scripts);
        for name in unknown {
            tracing::warn!("{}: track_script {name}: no such vrrp_script, ignored", inst.location);
        }
        let now = self.clock.now();
        let seed = std::process::id() as u64 ^ ((n as u64) << 32) ^ now.as_nanos();
        let engine = Instance::new(built.engine, seed, now)
            .with_context(|| format!("{}: vrrp_instance {}", inst.location, inst.name))?;
        Ok(Slot {
            engine,
            iface,
            sender,
            vips: built.vips,
            notify: inst.notify.clone(),
            tracked,
            ifs: track::resolve_interfaces(inst),
            fault: false,
            delta: 0,
            base_shift: 0,
            conf: inst.clone(),
            seen: State::Init,
            since: now,
            keep_addresses: false,
        })
    }

    /// Tells the guardian which addresses to remove should we die: every instance's, except
    /// a priority-255 owner's (its own, which it keeps, as at start).
    fn publish_guarded(&mut self) {
        let addrs: Vec<IpAddr> = self
            .slots
            .iter()
            .filter(|s| s.engine.config().priority != hb_vrrp::PRIORITY_OWNER)
            .flat_map(|s| s.vips.iter().map(|v| v.addr))
            .collect();
        // Only a master says goodbye: a priority-0 advert from a backup would make the other
        // backups think the master left.
        let mut byes = Vec::new();
        for s in self.slots.iter().filter(|s| s.engine.state() == State::Master) {
            let cfg = s.engine.config();
            let src = cfg.primary_address;
            let dsts: Vec<IpAddr> = if cfg.unicast_peers.is_empty() {
                vec![IpAddr::V4(hb_vrrp::MULTICAST_V4)]
            } else {
                cfg.unicast_peers.clone()
            };
            for dst in dsts {
                if let Ok(payload) = s.engine.advert(0).emit(src, dst) {
                    byes.push(guardian::Goodbye {
                        iface: s.conf.interface.clone(),
                        src,
                        dst,
                        payload,
                    });
                }
            }
        }
        if let Some(g) = self.guard.as_mut() {
            g.publish(&addrs, &byes);
        }
    }

    /// Watches the link state of every tracked interface (new ones after a reload).
    fn track_links(&mut self) {
        let names: Vec<String> =
            self.slots.iter().flat_map(|s| s.ifs.iter().map(|t| t.name.clone())).collect();
        for name in names {
            if self.links.contains_key(&name) {
                continue;
            }
            let up = track::link_up_now(&name);
            if !up {
                tracing::warn!("tracked interface {name} is down");
            }
            self.links.insert(name, up);
        }
    }

    /// (Re)starts the checks of the tracked scripts; a script named in `carried` starts
    /// from that health, so a reload does not move priorities by itself.
    fn start_checks(&mut self, carried: &HashMap<String, Health>) -> anyhow::Result<()> {
        self.runner.stop_all();
        self.health.clear();
        let used: std::collections::BTreeSet<usize> =
            self.slots.iter().flat_map(|s| s.tracked.iter().map(|t| t.script)).collect();
        let mut disabled = std::collections::BTreeSet::new();
        let mut as_root = 0usize;
        for i in used {
            let script = &self.conf.scripts[i];
            let Some(mut spec) = track::spec(script) else { continue };
            match security::vet(&self.conf.global, script.user.as_ref(), &script.command.argv) {
                Ok((run_as, warning)) => {
                    if let Some(w) = warning {
                        tracing::warn!("{}: vrrp_script {}: {w}", script.location, script.name);
                    }
                    as_root += usize::from(security::runs_as_root(run_as));
                    spec.run_as = run_as;
                }
                Err(why) => {
                    tracing::error!(
                        "{}: vrrp_script {}: {why}; disabled (not tracked)",
                        script.location,
                        script.name
                    );
                    disabled.insert(i);
                    continue;
                }
            }
            if let Some(h) = carried.get(&script.name) {
                spec.initial = *h;
            }
            self.health.insert(CheckId(i as u64), spec.initial);
            self.runner
                .start(CheckId(i as u64), spec)
                .with_context(|| format!("{}: vrrp_script {}", script.location, script.name))?;
        }
        for s in &mut self.slots {
            s.tracked.retain(|t| !disabled.contains(&t.script));
            let name = s.engine.config().name.clone();
            as_root += vet_notify(&mut s.notify, &self.conf.global, &name);
            apply_tracking(s, &self.health, &self.links, &self.clock);
        }
        for (n, g) in self.groups.notify.iter_mut().zip(&self.groups.sets) {
            as_root += vet_notify(n, &self.conf.global, &g.name);
        }
        if as_root > 0 && !self.conf.global.enable_script_security {
            tracing::warn!(
                "{as_root} script(s) run as root and global_defs has no enable_script_security: \
                 scripts anyone can modify are not refused (keepalived logs this as a SECURITY \
                 VIOLATION)"
            );
        }
        Ok(())
    }

    /// Executes every instance's pending outputs (sync groups moving together) and notes
    /// state changes.
    async fn drain_all(&mut self) {
        let garp_interval = self.conf.global.garp_interval;
        drain_all(
            &mut self.slots,
            &self.groups.sets,
            &self.clock,
            &self.ifaces,
            &self.netlink,
            &self.notify_tx,
            garp_interval,
        )
        .await;
        self.groups.notify(&self.slots, &self.notify_tx);
        let now = self.clock.now();
        let mut changed = false;
        for s in &mut self.slots {
            let state = s.engine.state();
            if state != s.seen {
                let _ = self.events.send(EventRecord {
                    unix_ms: (unix_now() * 1000.0) as u64,
                    event: "vrrp_state".into(),
                    detail: format!("{} {} -> {}", s.engine.config().name, s.seen, state),
                });
                s.seen = state;
                s.since = now;
                changed = true;
            }
        }
        if changed {
            self.publish_guarded();
        }
    }

    fn on_check(&mut self, ev: CheckEvent) {
        if !self.runner.is_current(&ev) || !ev.changed {
            return;
        }
        let name =
            usize::try_from(ev.id.0).ok().and_then(|i| self.conf.scripts.get(i)).map(|s| &s.name);
        tracing::info!(
            "VRRP_Script({}) now {:?} ({:?})",
            name.map_or("?", |n| n),
            ev.health,
            ev.outcome
        );
        self.health.insert(ev.id, ev.health);
        for s in &mut self.slots {
            apply_tracking(s, &self.health, &self.links, &self.clock);
        }
    }

    /// SIGHUP: read the file again; keep the running configuration if it has errors.
    async fn reload(&mut self) {
        let file = self.opts.conf_file.clone();
        tracing::info!("Reloading {}", file.display());
        let new = match hb_config::keepalived::load_keepalived(&file) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("reload refused, running configuration kept: {e}");
                return;
            }
        };
        let why = reload::refusal(&new);
        if !why.is_empty() {
            for w in &why {
                tracing::error!("reload refused, running configuration kept: {w}");
            }
            return;
        }
        for f in &new.findings {
            tracing::warn!("{f}");
        }
        let steps = reload::plan(&self.conf.instances, &new.instances);
        // Build what starts before stopping anything: an instance that cannot be built
        // (interface gone, bad address) refuses the whole reload.
        let mut fresh: HashMap<usize, Slot> = HashMap::new();
        for step in &steps {
            if let reload::Step::Start { new: n } | reload::Step::Replace { new: n, .. } = *step {
                match self.make_slot(n, &new.instances[n], &new).await {
                    Ok(s) => {
                        fresh.insert(n, s);
                    }
                    Err(e) => {
                        tracing::error!("reload refused, running configuration kept: {e:#}");
                        return;
                    }
                }
            }
        }
        // Health carried over by script name, for scripts whose settings are unchanged.
        let mut carried = HashMap::new();
        for (i, old) in self.conf.scripts.iter().enumerate() {
            let Some(h) = self.health.get(&CheckId(i as u64)) else { continue };
            if new.scripts.iter().any(|n| reload::same_script(old, n)) {
                carried.insert(old.name.clone(), *h);
            }
        }
        let now = self.clock.now();
        let mut old: Vec<Option<Slot>> =
            std::mem::take(&mut self.slots).into_iter().map(Some).collect();
        let mut stopping = Vec::new();
        for step in &steps {
            if let reload::Step::Stop { old: o } | reload::Step::Replace { old: o, .. } = *step {
                if let Some(mut s) = old[o].take() {
                    tracing::info!("VRRP_Instance({}) stopping for the reload", s.conf.name);
                    s.engine.handle_input(now, Input::Shutdown);
                    stopping.push(s);
                }
            }
        }
        let garp_interval = new.global.garp_interval;
        for s in &mut stopping {
            let _ =
                exec::drain(s, &self.ifaces, &self.netlink, &self.notify_tx, garp_interval).await;
            log_totals(s);
        }
        let (mut kept, mut started, mut replaced, mut reprioritized) =
            (0usize, 0usize, 0usize, 0usize);
        let mut slots = Vec::new();
        for step in steps {
            match step {
                reload::Step::Keep { old: o, new: n }
                | reload::Step::Reprioritize { old: o, new: n } => {
                    if let Some(mut s) = old[o].take() {
                        if matches!(step, reload::Step::Reprioritize { .. }) {
                            s.base_shift = i32::from(new.instances[n].priority)
                                - i32::from(s.engine.config().priority);
                            // Forces apply_tracking to hand the engine the new total.
                            s.delta = i32::MIN;
                            tracing::info!(
                                "VRRP_Instance({}) priority {} -> {} by the reload",
                                s.conf.name,
                                s.conf.priority,
                                new.instances[n].priority
                            );
                            reprioritized += 1;
                        } else {
                            kept += 1;
                        }
                        // Same settings; script weights may still differ: re-resolved.
                        s.tracked = track::resolve(&new.instances[n], &new.scripts).0;
                        s.conf = new.instances[n].clone();
                        slots.push(s);
                    }
                }
                reload::Step::Start { new: n } | reload::Step::Replace { new: n, .. } => {
                    if let Some(s) = fresh.remove(&n) {
                        if matches!(step, reload::Step::Start { .. }) {
                            exec::remove_leftovers(&s, &self.netlink).await;
                            started += 1;
                        } else {
                            replaced += 1;
                        }
                        tracing::info!("VRRP_Instance({}) started by the reload", s.conf.name);
                        slots.push(s);
                    }
                }
                reload::Step::Stop { .. } => {}
            }
        }
        let stopped = stopping.len().saturating_sub(replaced);
        self.slots = slots;
        self.conf = new;
        self.publish_guarded();
        self.track_links();
        // Sync groups are rebuilt on the new slot positions; a group that keeps its name keeps
        // its last notified state, so an unchanged group's notify does not run again.
        let notified: HashMap<String, Option<State>> = self
            .groups
            .sets
            .iter()
            .zip(&self.groups.last)
            .map(|(g, l)| (g.name.clone(), *l))
            .collect();
        self.groups = sync_groups(&self.conf, &self.slots);
        for (g, l) in self.groups.sets.iter().zip(self.groups.last.iter_mut()) {
            *l = notified.get(&g.name).copied().flatten();
        }
        if let Err(e) = self.start_checks(&carried) {
            tracing::error!("reload: {e:#}");
        }
        tracing::info!(
            "Reload done: {kept} instance(s) unchanged, {reprioritized} with a new priority, \
             {replaced} re-configured, {started} added, {stopped} removed"
        );
    }

    /// The instances as the tools and dumps show them.
    fn statuses(&self) -> Vec<VrrpStatus> {
        let now = self.clock.now();
        self.slots.iter().map(|s| slot_status(s, now, &self.conf)).collect()
    }

    fn status(&self) -> hb_api::Status {
        let mut checks = BTreeMap::new();
        for (id, h) in &self.health {
            if let Some(script) = usize::try_from(id.0).ok().and_then(|i| self.conf.scripts.get(i))
            {
                checks.insert(
                    format!("vrrp_script {}", script.name),
                    format!("{h:?}").to_lowercase(),
                );
            }
        }
        observe::status(&self.node, self.statuses(), checks)
    }
}

fn slot_status(s: &Slot, now: hb_vrrp::Instant, conf: &KeepalivedConf) -> VrrpStatus {
    let c = s.engine.counters();
    let cfg = s.engine.config();
    VrrpStatus {
        name: cfg.name.clone(),
        interface: s.conf.interface.clone(),
        vrid: cfg.vrid,
        version: cfg.version.number(),
        state: s.engine.state().as_str().to_owned(),
        since_ms: u64::try_from(now.saturating_duration_since(s.since).as_millis())
            .unwrap_or(u64::MAX),
        base_priority: u8::try_from((i32::from(cfg.priority) + s.base_shift).clamp(0, 255))
            .unwrap_or(cfg.priority),
        priority: s.engine.effective_priority(),
        master: s.engine.master().map(|(a, _)| a.to_string()),
        advert_int_ms: u64::from(cfg.advert_int_cs) * 10,
        vips: s.conf.vips.iter().map(|v| format!("{}/{}", v.addr, v.prefix)).collect(),
        track_scripts: s
            .tracked
            .iter()
            .filter_map(|t| {
                conf.scripts.get(t.script).map(|c| format!("{} weight {}", c.name, t.weight))
            })
            .collect(),
        adverts_sent: c.adverts_sent,
        adverts_received: c.adverts_received,
        became_master: c.became_master,
        released_master: c.released_master,
        priority_zero_sent: c.priority_zero_sent,
        priority_zero_received: c.priority_zero_received,
        address_list_errors: c.address_mismatch,
        rejects: c
            .rejects
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(r, n)| (r.as_str().to_owned(), n))
            .collect(),
    }
}

/// The engine's totals, rejections by reason included, logged when an instance stops.
fn log_totals(s: &Slot) {
    let c = s.engine.counters();
    let rejects: Vec<String> =
        c.rejects.iter().filter(|(_, n)| *n > 0).map(|(r, n)| format!("{r:?}={n}")).collect();
    tracing::info!(
        "VRRP_Instance({}) totals: {} adverts received, {} sent, {} times master, rejected [{}]",
        s.engine.config().name,
        c.adverts_received,
        c.adverts_sent,
        c.became_master,
        rejects.join(" ")
    );
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The environment of check scripts: a plain PATH, as keepalived gives them.
fn base_env() -> Vec<(String, String)> {
    vec![("PATH".into(), "/usr/sbin:/usr/bin:/sbin:/bin".into())]
}

async fn sleep_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

fn spawn_reader(iface: usize, s: Arc<VrrpSocket>, tx: mpsc::Sender<(usize, Received)>) {
    tokio::spawn(async move {
        let mut malformed = 0u64;
        loop {
            match s.recv().await {
                Ok(Some(r)) => {
                    // A full queue means we are behind: dropping is what the kernel does too.
                    if let Err(mpsc::error::TrySendError::Closed(_)) = tx.try_send((iface, r)) {
                        return;
                    }
                }
                Ok(None) => {
                    malformed += 1;
                    if malformed.is_power_of_two() {
                        tracing::warn!("VRRP socket: {malformed} malformed IP packet(s) ignored");
                    }
                }
                Err(e) => {
                    tracing::error!("VRRP socket receive failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
}

/// The source address of an instance on `iface`: its first IPv4 address, or for IPv6 its
/// link-local address (what keepalived advertises from, and what the kernel picks as the
/// source of ff02::12 adverts).
async fn primary_of(
    netlink: &Netlink,
    iface: &str,
    v6: bool,
) -> anyhow::Result<hb_platform::ipaddr::AddrInfo> {
    if !v6 {
        return Ok(netlink.ipv4_of(iface).await?);
    }
    let link = netlink.link(iface).await?;
    netlink
        .addresses()
        .await?
        .into_iter()
        .find(|a| {
            a.index == link.index
                && matches!(a.addr, IpAddr::V6(v) if v.segments()[0] & 0xffc0 == 0xfe80)
        })
        .with_context(|| format!("no IPv6 link-local address on {iface}"))
}

/// Vets an instance's notify scripts; the ones that may not run are removed. Returns how
/// many of the remaining run as root.
fn vet_notify(
    n: &mut hb_config::keepalived::Notify,
    global: &hb_config::keepalived::GlobalDefs,
    instance: &str,
) -> usize {
    let mut as_root = 0;
    for cmd in [&mut n.master, &mut n.backup, &mut n.fault, &mut n.stop, &mut n.any] {
        let Some(c) = cmd.as_ref() else { continue };
        match security::vet(global, None, &c.argv) {
            Ok((run_as, warning)) => {
                if let Some(w) = warning {
                    tracing::warn!("VRRP_Instance({instance}) notify script {c}: {w}");
                }
                as_root += usize::from(security::runs_as_root(run_as));
            }
            Err(why) => {
                tracing::error!("VRRP_Instance({instance}) notify script {c}: {why}; disabled");
                *cmd = None;
            }
        }
    }
    as_root
}

/// Records a link change of a tracked interface; true if one changed.
fn on_link(ev: &hb_platform::ipaddr::NetEvent, links: &mut HashMap<String, bool>) -> bool {
    let hb_platform::ipaddr::NetEvent::Link { name, up, carrier, .. } = ev else { return false };
    let Some(known) = links.get_mut(name) else { return false };
    let now_up = *up && *carrier;
    if *known == now_up {
        return false;
    }
    *known = now_up;
    tracing::info!("tracked interface {name} is {}", if now_up { "UP" } else { "DOWN" });
    true
}

/// The sync groups with their notify scripts and last notified state.
struct Groups {
    sets: Vec<hb_vrrp::SyncGroup>,
    notify: Vec<hb_config::keepalived::Notify>,
    last: Vec<Option<hb_vrrp::State>>,
}

impl Groups {
    /// Queues the group notify scripts of every group whose state changed.
    fn notify(&mut self, slots: &[Slot], tx: &mpsc::Sender<notify::Job>) {
        for (k, g) in self.sets.iter().enumerate() {
            let Some(state) = g.group_state(|i| slots[i].engine.state()) else { continue };
            if self.last[k] == Some(state) {
                continue;
            }
            self.last[k] = Some(state);
            tracing::info!("VRRP_Group({}) {state}", g.name);
            let job = notify::Job {
                instance: g.name.clone(),
                state,
                priority: 0,
                notify: self.notify[k].clone(),
                group: true,
            };
            if tx.try_send(job).is_err() {
                tracing::error!("VRRP_Group({}) notify queue full: {state} dropped", g.name);
            }
        }
    }
}

/// The configured sync groups by slot position; members naming no running instance are
/// warned about and left out.
fn sync_groups(conf: &KeepalivedConf, slots: &[Slot]) -> Groups {
    let mut out = Groups { sets: Vec::new(), notify: Vec::new(), last: Vec::new() };
    for g in &conf.sync_groups {
        let mut members = Vec::new();
        for name in &g.instances {
            match slots.iter().position(|s| s.engine.config().name == *name) {
                Some(i) => members.push(i),
                None => tracing::warn!(
                    "{}: vrrp_sync_group {}: no running vrrp_instance {name}; left out",
                    g.location,
                    g.name
                ),
            }
        }
        tracing::info!("VRRP_Group({}) {} member(s)", g.name, members.len());
        out.sets.push(hb_vrrp::SyncGroup::new(&g.name, &members));
        out.notify.push(g.notify.clone());
        out.last.push(None);
    }
    out
}

/// Drains every instance; a state change of a sync group member moves the other members,
/// whose outputs are drained in turn (bounded: each round only follows the previous one's
/// own moves, and group moves are not propagated again).
async fn drain_all(
    slots: &mut [Slot],
    groups: &[hb_vrrp::SyncGroup],
    clock: &Clock,
    ifaces: &[(String, Arc<sock::VrrpSocket>)],
    netlink: &Arc<Netlink>,
    notify_tx: &mpsc::Sender<notify::Job>,
    garp_interval: Duration,
) {
    for _round in 0..8 {
        sync_faults(slots, groups, clock.now());
        let mut changes = Vec::new();
        for (i, s) in slots.iter_mut().enumerate() {
            for c in exec::drain(s, ifaces, netlink, notify_tx, garp_interval).await {
                changes.push((i, c));
            }
        }
        if changes.is_empty() || groups.is_empty() {
            return;
        }
        let mut inputs = Vec::new();
        for (who, (from, to, reason)) in changes {
            for g in groups.iter().filter(|g| g.contains(who)) {
                inputs.extend(g.follow(who, from, to, reason, |i| slots[i].engine.state()));
            }
        }
        let now = clock.now();
        for (i, input) in inputs {
            slots[i].engine.handle_input(now, input);
        }
    }
}

/// Holds every member of a group in Fault while another member's own tracking fails.
fn sync_faults(slots: &mut [Slot], groups: &[hb_vrrp::SyncGroup], now: hb_vrrp::Instant) {
    for g in groups {
        let faults = g.group_faults(|i| slots[i].engine.tracking_fault());
        for (i, f) in faults {
            slots[i].engine.handle_input(now, Input::GroupFault(f));
        }
    }
}

fn apply_tracking(
    s: &mut Slot,
    health: &HashMap<CheckId, Health>,
    links: &HashMap<String, bool>,
    clock: &Clock,
) {
    let (script_delta, script_fault) = track::evaluate(&s.tracked, health);
    let (if_delta, if_fault) = track::evaluate_interfaces(&s.ifs, links);
    let (delta, fault) = (script_delta.saturating_add(if_delta), script_fault || if_fault);
    let delta = delta.saturating_add(s.base_shift);
    let now = clock.now();
    if delta != s.delta {
        s.delta = delta;
        s.engine.handle_input(now, Input::PriorityDelta(delta));
    }
    if fault != s.fault {
        s.fault = fault;
        s.engine.handle_input(now, Input::Fault(fault));
    }
}
