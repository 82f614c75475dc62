//! keepalived mode's VRRP daemon: one tokio current-thread runtime whose main task owns
//! every [`hb_vrrp::Instance`] and executes their outputs; helper tasks only read sockets,
//! run checks and run notify scripts, and talk to it through queues.
//!
//! Per interface one raw socket ([`sock`]); advert timers come from `poll_timeout`;
//! addresses via hb-platform's netlink with gratuitous ARP; `track_script` via the shared
//! check runner ([`track`]); notify scripts in order with a timeout ([`notify`]). SIGTERM or
//! SIGINT: every instance gets `Shutdown` (a master sends priority 0 and removes its
//! addresses), then the process exits. IPv4 and IPv6 (VRRPv3, multicast to ff02::12 from the link-local address, unsolicited
//! neighbour advertisements).

pub mod build;
mod exec;
pub mod guardian;
pub mod notify;
pub mod security;
pub mod sock;
pub mod track;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use hb_config::keepalived::KeepalivedConf;
use hb_platform::check::{CheckEvent, CheckId, CheckRunner, Health};
use hb_platform::ipaddr::{Netlink, VipSpec};
use hb_platform::script::ScriptDirs;
use hb_vrrp::{Input, Instance};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

use sock::{Received, VrrpSocket};

/// Packets queued from the socket readers to the main task; beyond this they are dropped
/// (the kernel drops them anyway when we fall behind).
const PACKET_QUEUE: usize = 1024;
/// How long shutdown waits for queued notify scripts.
const NOTIFY_DRAIN: Duration = Duration::from_secs(5);

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

/// Runs every instance of `conf` until SIGTERM/SIGINT. Call inside a current-thread runtime.
pub async fn run(conf: KeepalivedConf) -> anyhow::Result<()> {
    if conf.instances.is_empty() {
        bail!("no valid vrrp_instance in the configuration");
    }
    let clock = Clock(std::time::Instant::now());
    let netlink = Arc::new(Netlink::new().context("netlink")?);
    let (pkt_tx, mut pkt_rx) = mpsc::channel::<(usize, Received)>(PACKET_QUEUE);
    let mut ifaces: Vec<(String, Arc<VrrpSocket>)> = Vec::new();
    let mut slots = Vec::new();
    for (n, inst) in conf.instances.iter().enumerate() {
        let v6 = build::is_ipv6(inst);
        let primary = primary_of(&netlink, &inst.interface, v6)
            .await
            .with_context(|| format!("{}: interface {}", inst.location, inst.interface))?;
        let built = build::build(inst, primary.addr)?;
        // One socket per interface and family.
        let key = if v6 { format!("{}%v6", inst.interface) } else { inst.interface.clone() };
        let iface = match ifaces.iter().position(|(name, _)| *name == key) {
            Some(i) => i,
            None => {
                let s = match primary.addr {
                    IpAddr::V4(local) => VrrpSocket::open(&inst.interface, local),
                    IpAddr::V6(_) => VrrpSocket::open6(&inst.interface, primary.index),
                }
                .with_context(|| format!("VRRP socket on {}", inst.interface))?;
                let s = Arc::new(s);
                spawn_reader(ifaces.len(), s.clone(), pkt_tx.clone());
                ifaces.push((key, s));
                ifaces.len() - 1
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
        let seed = std::process::id() as u64 ^ ((n as u64) << 32) ^ clock.now().as_nanos();
        let engine = Instance::new(built.engine, seed, clock.now())
            .with_context(|| format!("{}: vrrp_instance {}", inst.location, inst.name))?;
        slots.push(Slot {
            engine,
            iface,
            sender,
            vips: built.vips,
            notify: inst.notify.clone(),
            tracked,
            ifs: track::resolve_interfaces(inst),
            fault: false,
            delta: 0,
        });
    }
    drop(pkt_tx);
    for s in &slots {
        exec::remove_leftovers(s, &netlink).await;
    }
    // The addresses a crash must not leave behind (not an address owner's: they are its own).
    let guarded: Vec<hb_platform::ipaddr::VipSpec> = slots
        .iter()
        .filter(|s| s.engine.config().priority != hb_vrrp::PRIORITY_OWNER)
        .flat_map(|s| s.vips.iter().cloned())
        .collect();
    let guard = guardian::Guard::spawn(&guarded).context("cannot start the crash guardian")?;
    tracing::debug!("crash guardian running as pid {}", guard.pid());
    let mut groups = sync_groups(&conf, &slots);
    let mut links: HashMap<String, bool> = HashMap::new();
    for name in slots.iter().flat_map(|s| s.ifs.iter().map(|t| t.name.clone())) {
        let up = track::link_up_now(&name);
        if !up {
            tracing::warn!("tracked interface {name} is down at start");
        }
        links.insert(name, up);
    }
    let mut net_rx = hb_platform::ipaddr::watch().context("netlink link watch")?;

    let (mut runner, mut check_rx) = CheckRunner::new(ScriptDirs::default(), base_env());
    let mut health: HashMap<CheckId, Health> = HashMap::new();
    let used: std::collections::BTreeSet<usize> =
        slots.iter().flat_map(|s| s.tracked.iter().map(|t| t.script)).collect();
    let mut disabled = std::collections::BTreeSet::new();
    let mut as_root = 0usize;
    for i in used {
        let script = &conf.scripts[i];
        let Some(mut spec) = track::spec(script) else { continue };
        match security::vet(&conf.global, script.user.as_ref(), &script.command.argv) {
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
        health.insert(CheckId(i as u64), spec.initial);
        runner
            .start(CheckId(i as u64), spec)
            .with_context(|| format!("{}: vrrp_script {}", script.location, script.name))?;
    }
    let notify_as = match security::run_as(None, conf.global.script_user.as_ref()) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("notify scripts: {e}; they are disabled");
            for s in &mut slots {
                s.notify = hb_config::keepalived::Notify::default();
            }
            None
        }
    };
    for s in &mut slots {
        s.tracked.retain(|t| !disabled.contains(&t.script));
        as_root += vet_notify(&mut s.notify, &conf.global, s.engine.config().name.as_str());
        apply_tracking(s, &health, &links, &clock);
    }
    for (n, g) in groups.notify.iter_mut().zip(&groups.sets) {
        as_root += vet_notify(n, &conf.global, &g.name);
    }
    if as_root > 0 && !conf.global.enable_script_security {
        tracing::warn!(
            "{as_root} script(s) run as root and global_defs has no enable_script_security: \
             scripts anyone can modify are not refused (keepalived logs this as a SECURITY \
             VIOLATION)"
        );
    }

    let (notify_tx, notify_task) = notify::spawn_as(notify_as);
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    // keepalived reloads on SIGHUP and dumps state on SIGUSR1/SIGUSR2; their default action
    // would kill us without releasing anything, so they are caught and logged instead.
    let mut hup = signal(SignalKind::hangup())?;
    let mut usr1 = signal(SignalKind::user_defined1())?;
    let mut usr2 = signal(SignalKind::user_defined2())?;
    let garp_interval = conf.global.garp_interval;
    tracing::info!("VRRP started: {} instance(s) on {} interface(s)", slots.len(), ifaces.len());
    // Debian's keepalived.service is Type=notify: READY=1 once sockets and checks run.
    let sd = crate::notify::Notifier::from_env();
    sd.ready();
    loop {
        drain_all(&mut slots, &groups.sets, &clock, &ifaces, &netlink, &notify_tx, garp_interval)
            .await;
        groups.notify(&slots, &notify_tx);
        let deadline = slots.iter().filter_map(|s| s.engine.poll_timeout()).min();
        let sleep_until = deadline.map(|d| clock.at(d));
        tokio::select! {
            pkt = pkt_rx.recv() => {
                let Some((iface, r)) = pkt else { bail!("every VRRP socket reader stopped") };
                let vrid = r.payload.get(1).copied();
                let now = clock.now();
                for s in slots.iter_mut().filter(|s| s.iface == iface) {
                    if Some(s.engine.config().vrid) == vrid {
                        s.engine.handle_packet(now, &r.payload, r.src, r.dst, r.ttl);
                    }
                }
            }
            _ = sleep_opt(sleep_until) => {
                let now = clock.now();
                for s in &mut slots {
                    if s.engine.poll_timeout().is_some_and(|t| t <= now) {
                        s.engine.handle_input(now, Input::Timeout);
                    }
                }
            }
            ev = check_rx.recv() => {
                if let Some(ev) = ev {
                    on_check(ev, &runner, &mut health, &links, &mut slots, &clock, &conf);
                }
            }
            ev = net_rx.recv() => {
                let Some(ev) = ev else { bail!("the netlink link watch stopped") };
                if on_link(&ev, &mut links) {
                    for s in &mut slots {
                        apply_tracking(s, &health, &links, &clock);
                    }
                }
            }
            _ = hup.recv() => {
                tracing::warn!("SIGHUP: reload is not supported by this build; restart to apply changes");
            }
            _ = usr1.recv() => tracing::warn!("SIGUSR1: data dump is not supported by this build"),
            _ = usr2.recv() => tracing::warn!("SIGUSR2: stats dump is not supported by this build"),
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    tracing::info!("VRRP stopping");
    sd.stopping();
    runner.stop_all();
    let now = clock.now();
    for s in &mut slots {
        s.engine.handle_input(now, Input::Shutdown);
        exec::drain(s, &ifaces, &netlink, &notify_tx, garp_interval).await;
    }
    groups.notify(&slots, &notify_tx);
    for s in &slots {
        // The only place the engine's totals (rejections by reason included) are shown.
        let c = s.engine.counters();
        let rejects: Vec<String> =
            c.rejects.iter().filter(|(_, n)| *n > 0).map(|(r, n)| format!("{r:?}={n}")).collect();
        tracing::info!(
            "VRRP_Instance({}) totals: {} adverts received, {} sent, {} times master, \
             rejected [{}]",
            s.engine.config().name,
            c.adverts_received,
            c.adverts_sent,
            c.became_master,
            rejects.join(" ")
        );
    }
    guard.disarm();
    drop(notify_tx);
    let _ = tokio::time::timeout(NOTIFY_DRAIN, notify_task).await;
    Ok(())
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

fn on_check(
    ev: CheckEvent,
    runner: &CheckRunner,
    health: &mut HashMap<CheckId, Health>,
    links: &HashMap<String, bool>,
    slots: &mut [Slot],
    clock: &Clock,
    conf: &KeepalivedConf,
) {
    if !runner.is_current(&ev) || !ev.changed {
        return;
    }
    let name = usize::try_from(ev.id.0).ok().and_then(|i| conf.scripts.get(i)).map(|s| &s.name);
    tracing::info!(
        "VRRP_Script({}) now {:?} ({:?})",
        name.map_or("?", |n| n),
        ev.health,
        ev.outcome
    );
    health.insert(ev.id, ev.health);
    for s in slots.iter_mut() {
        apply_tracking(s, health, links, clock);
    }
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
