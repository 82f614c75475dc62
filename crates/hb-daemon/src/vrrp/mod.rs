//! keepalived mode's VRRP daemon: one tokio current-thread runtime whose main task owns
//! every [`hb_vrrp::Instance`] and executes their outputs; helper tasks only read sockets,
//! run checks and run notify scripts, and talk to it through queues.
//!
//! Per interface one raw socket ([`sock`]); advert timers come from `poll_timeout`;
//! addresses via hb-platform's netlink with gratuitous ARP; `track_script` via the shared
//! check runner ([`track`]); notify scripts in order with a timeout ([`notify`]). SIGTERM or
//! SIGINT: every instance gets `Shutdown` (a master sends priority 0 and removes its
//! addresses), then the process exits. IPv4 only in this build.

pub mod build;
mod exec;
pub mod notify;
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
        let primary = netlink
            .ipv4_of(&inst.interface)
            .await
            .with_context(|| format!("{}: interface {}", inst.location, inst.interface))?;
        let built = build::build(inst, primary.addr)?;
        let iface = match ifaces.iter().position(|(name, _)| *name == inst.interface) {
            Some(i) => i,
            None => {
                let IpAddr::V4(local) = primary.addr else { bail!("IPv4 only") };
                let s = VrrpSocket::open(&inst.interface, local)
                    .with_context(|| format!("VRRP socket on {}", inst.interface))?;
                let s = Arc::new(s);
                spawn_reader(ifaces.len(), s.clone(), pkt_tx.clone());
                ifaces.push((inst.interface.clone(), s));
                ifaces.len() - 1
            }
        };
        let sender = match inst.unicast_src_ip {
            Some(IpAddr::V4(src)) => Some(
                VrrpSocket::open_sender(&inst.interface, src)
                    .with_context(|| format!("{}: unicast_src_ip {src}", inst.location))?,
            ),
            _ => None,
        };
        let (tracked, unknown) = track::resolve(inst, &conf.scripts);
        if !inst.track_interfaces.is_empty() || !inst.vips_excluded.is_empty() {
            tracing::warn!(
                "{}: vrrp_instance {}: track_interface and virtual_ipaddress_excluded are not \
                 acted on by this build",
                inst.location,
                inst.name
            );
        }
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
            fault: false,
            delta: 0,
        });
    }
    drop(pkt_tx);
    for s in &slots {
        exec::remove_leftovers(s, &netlink).await;
    }
    for g in &conf.sync_groups {
        tracing::warn!("{}: vrrp_sync_group {}: not acted on by this build", g.location, g.name);
    }

    let (mut runner, mut check_rx) = CheckRunner::new(ScriptDirs::default(), base_env());
    let mut health: HashMap<CheckId, Health> = HashMap::new();
    let used: std::collections::BTreeSet<usize> =
        slots.iter().flat_map(|s| s.tracked.iter().map(|t| t.script)).collect();
    for i in used {
        let script = &conf.scripts[i];
        let Some(spec) = track::spec(script) else { continue };
        health.insert(CheckId(i as u64), spec.initial);
        runner
            .start(CheckId(i as u64), spec)
            .with_context(|| format!("{}: vrrp_script {}", script.location, script.name))?;
    }
    for s in &mut slots {
        apply_tracking(s, &health, &clock);
    }

    let (notify_tx, notify_task) = notify::spawn();
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
        for s in &mut slots {
            exec::drain(s, &ifaces, &netlink, &notify_tx, garp_interval).await;
        }
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
                    on_check(ev, &runner, &mut health, &mut slots, &clock, &conf);
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
    drop(notify_tx);
    let _ = tokio::time::timeout(NOTIFY_DRAIN, notify_task).await;
    Ok(())
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
        apply_tracking(s, health, clock);
    }
}

fn apply_tracking(s: &mut Slot, health: &HashMap<CheckId, Health>, clock: &Clock) {
    let (delta, fault) = track::evaluate(&s.tracked, health);
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
