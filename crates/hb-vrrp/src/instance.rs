//! The [`Instance`]: state, timers, the input/output loop and the transitions.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::Duration;

use crate::api::{Counters, Event, Input, Output, Reason, State};
use crate::codec::{Advert, Auth, Version, MULTICAST_V4, MULTICAST_V6};
use crate::config::{ConfigError, InstanceConfig};
use crate::reject::Reject;
use crate::time::Instant;
use crate::timing;

/// Events beyond this many queued outputs are dropped (and counted); packets and address
/// actions never are, and each input queues only a handful of those.
const MAX_QUEUED: usize = 1024;
/// The address owner's priority.
pub const PRIORITY_OWNER: u8 = 255;

/// One VRRP instance's engine. See the crate documentation for the run loop.
#[derive(Debug)]
pub struct Instance {
    pub(crate) cfg: InstanceConfig,
    pub(crate) state: State,
    /// Configured priority, lowered to 254 after an owner conflict.
    pub(crate) base_priority: u8,
    pub(crate) priority_delta: i32,
    pub(crate) effective: u8,
    /// Effective fault: `tracking_fault || group_fault`.
    pub(crate) fault: bool,
    /// A tracked interface or weight-0 script of this instance fails ([`Input::Fault`]).
    pub(crate) tracking_fault: bool,
    /// Another member of this instance's sync group is faulty ([`Input::GroupFault`]).
    pub(crate) group_fault: bool,
    /// Master_Adver_Interval: ours, or in v3 as learnt from the master's adverts.
    pub(crate) master_adv_cs: u32,
    pub(crate) now: Instant,
    /// Init: when to start. Backup: master-down. Master: next advert.
    pub(crate) main_at: Option<Instant>,
    /// Master: the delayed second gratuitous burst.
    pub(crate) garp_at: Option<Instant>,
    /// Master: the next periodic gratuitous burst.
    pub(crate) refresh_at: Option<Instant>,
    /// Backup with `preempt_delay`: when a lower-priority master stops being tolerated.
    pub(crate) preempt_until: Option<Instant>,
    /// Reason recorded for the next Backup → Master transition.
    pub(crate) next_master_reason: Reason,
    /// The last master we accepted adverts from, and its priority.
    pub(crate) master: Option<(IpAddr, u8)>,
    /// Last dual-master re-announcement (rate limit: one per master-down interval).
    pub(crate) last_reassert: Option<Instant>,
    out: VecDeque<Output>,
    pub(crate) counters: Counters,
    /// Reserved for jitter; VRRP's own timers are deterministic, so nothing draws from it yet.
    _seed: u64,
}

impl Instance {
    /// Creates an instance in [`State::Init`] whose first deadline is `now`: on the first
    /// [`Input::Timeout`] it enters Backup (or Master if it owns the addresses, or Fault if a
    /// [`Input::Fault`] came first).
    pub fn new(cfg: InstanceConfig, seed: u64, now: Instant) -> Result<Instance, ConfigError> {
        cfg.validate()?;
        let base = cfg.priority;
        let adv = u32::from(cfg.advert_int_cs);
        Ok(Instance {
            cfg,
            state: State::Init,
            base_priority: base,
            priority_delta: 0,
            effective: base,
            fault: false,
            tracking_fault: false,
            group_fault: false,
            master_adv_cs: adv,
            now,
            main_at: Some(now),
            garp_at: None,
            refresh_at: None,
            preempt_until: None,
            next_master_reason: Reason::MasterDown,
            master: None,
            last_reassert: None,
            out: VecDeque::new(),
            counters: Counters::default(),
            _seed: seed,
        })
    }

    /// Feeds one input at time `now` (monotonic; an earlier `now` than before is taken as the
    /// previous one).
    pub fn handle_input(&mut self, now: Instant, input: Input) {
        self.now = self.now.max(now);
        match input {
            Input::Timeout => self.handle_timeout(),
            Input::Advert { advert, src, ttl } => self.handle_advert(&advert, src, ttl),
            Input::PriorityDelta(delta) => self.handle_priority_delta(delta),
            Input::Fault(on) => {
                self.tracking_fault = on;
                self.handle_fault(self.tracking_fault || self.group_fault);
            }
            Input::GroupFault(on) => {
                self.group_fault = on;
                self.handle_fault(self.tracking_fault || self.group_fault);
            }
            Input::SyncMaster => {
                if self.state == State::Backup {
                    self.become_master(Reason::Sync);
                }
            }
            Input::SyncBackup => {
                if self.state == State::Master {
                    self.leave_master_to_backup(Reason::Sync);
                }
            }
            Input::Shutdown => self.handle_shutdown(),
        }
    }

    /// Parses a received VRRP payload and feeds it as [`Input::Advert`]; a packet the codec
    /// refuses is counted in [`Counters::rejects`] like any other refusal.
    pub fn handle_packet(&mut self, now: Instant, bytes: &[u8], src: IpAddr, dst: IpAddr, ttl: u8) {
        self.now = self.now.max(now);
        match Advert::parse(bytes, src, dst) {
            Ok(advert) => self.handle_advert(&advert, src, ttl),
            Err(reason) => self.reject(reason, src),
        }
    }

    /// The next output to execute, in order; `None` when drained.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The next deadline: feed [`Input::Timeout`] once it has passed. `None` when stopped.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.main_at, self.garp_at, self.refresh_at].into_iter().flatten().min()
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether this instance's own tracked objects fail (what a sync group shares with its
    /// other members as [`Input::GroupFault`]).
    pub fn tracking_fault(&self) -> bool {
        self.tracking_fault
    }

    /// The priority we advertise and compete with.
    pub fn effective_priority(&self) -> u8 {
        self.effective
    }

    /// The configuration.
    pub fn config(&self) -> &InstanceConfig {
        &self.cfg
    }

    /// Running totals.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The master we last accepted an advert from (address, priority), while Backup.
    pub fn master(&self) -> Option<(IpAddr, u8)> {
        self.master
    }

    /// The current master-down interval (3 × Master_Adver_Interval + skew).
    pub fn master_down_interval(&self) -> Duration {
        timing::master_down(self.cfg.version, self.effective, self.master_adv_cs)
    }

    /// Master_Adver_Interval in centiseconds (ours, or the master's in v3).
    pub fn master_advert_interval_cs(&self) -> u32 {
        self.master_adv_cs
    }

    // ---- timers -------------------------------------------------------------------------

    fn handle_timeout(&mut self) {
        let now = self.now;
        if self.garp_at.is_some_and(|t| t <= now) {
            self.garp_at = None;
            self.push(Output::Announce { repeat: self.cfg.garp_master_repeat });
        }
        if let Some(t) = self.refresh_at.filter(|t| *t <= now) {
            let every = self.cfg.garp_master_refresh.unwrap_or(Duration::from_secs(1));
            self.refresh_at = Some(later(t, now, every));
            self.push(Output::Announce { repeat: self.cfg.garp_master_repeat });
        }
        let Some(at) = self.main_at.filter(|t| *t <= now) else { return };
        match self.state {
            State::Init => self.start(),
            State::Backup => {
                let reason = self.next_master_reason;
                self.become_master(reason);
            }
            State::Master => {
                self.send_advert(self.effective);
                let every = timing::interval(u32::from(self.cfg.advert_int_cs));
                self.main_at = Some(later(at, now, every));
            }
            State::Fault | State::Stop => self.main_at = None,
        }
    }

    fn start(&mut self) {
        self.main_at = None;
        if self.fault {
            self.transition(State::Fault, Reason::Startup);
        } else if self.base_priority == PRIORITY_OWNER {
            self.become_master(Reason::Owner);
        } else {
            // keepalived 2.2.7 waits the full master-down interval even with `state MASTER`
            // (its shorter first wait applies only inside sync groups): seen in the golden
            // capture's log, 3 s + skew with `advert_int 1`.
            self.next_master_reason = Reason::MasterDown;
            self.main_at = Some(self.now + self.master_down_interval());
            self.transition(State::Backup, Reason::Startup);
        }
    }

    // ---- transitions --------------------------------------------------------------------

    pub(crate) fn become_master(&mut self, reason: Reason) {
        // The advert first, so that the old master drops the addresses before our GARPs.
        self.master_adv_cs = u32::from(self.cfg.advert_int_cs);
        self.send_advert(self.effective);
        self.push(Output::AddAddresses);
        self.push(Output::Announce { repeat: self.cfg.garp_master_repeat });
        let now = self.now;
        self.main_at = Some(now + timing::interval(self.master_adv_cs));
        self.garp_at =
            (!self.cfg.garp_master_delay.is_zero()).then(|| now + self.cfg.garp_master_delay);
        self.refresh_at = self.cfg.garp_master_refresh.filter(|d| !d.is_zero()).map(|d| now + d);
        self.preempt_until = None;
        self.master = None;
        self.last_reassert = None;
        self.counters.became_master += 1;
        self.transition(State::Master, reason);
    }

    /// Master → Backup (a better master) with the down timer armed.
    pub(crate) fn leave_master_to_backup(&mut self, reason: Reason) {
        self.stop_master_timers();
        self.push(Output::RemoveAddresses);
        self.counters.released_master += 1;
        self.next_master_reason = Reason::MasterDown;
        self.main_at = Some(self.now + self.master_down_interval());
        self.transition(State::Backup, reason);
    }

    fn handle_fault(&mut self, on: bool) {
        if on == self.fault {
            return;
        }
        self.fault = on;
        match (on, self.state) {
            (true, State::Master) => {
                self.resign();
                self.transition(State::Fault, Reason::Fault);
            }
            (true, State::Backup) => {
                self.main_at = None;
                self.transition(State::Fault, Reason::Fault);
            }
            (false, State::Fault) => {
                self.master_adv_cs = u32::from(self.cfg.advert_int_cs);
                let wait = if self.base_priority == PRIORITY_OWNER {
                    timing::interval(self.master_adv_cs)
                        + timing::skew(self.cfg.version, self.effective, self.master_adv_cs)
                } else {
                    self.master_down_interval()
                };
                self.next_master_reason = Reason::MasterDown;
                self.main_at = Some(self.now + wait);
                self.transition(State::Backup, Reason::FaultCleared);
            }
            // Init remembers the flag for `start`; Stop ignores it.
            _ => {}
        }
    }

    fn handle_shutdown(&mut self) {
        match self.state {
            State::Stop => return,
            State::Master => self.resign(),
            _ => {}
        }
        self.main_at = None;
        self.preempt_until = None;
        self.transition(State::Stop, Reason::Shutdown);
    }

    fn handle_priority_delta(&mut self, delta: i32) {
        self.priority_delta = delta;
        self.recompute_priority();
    }

    pub(crate) fn recompute_priority(&mut self) {
        let new = if self.base_priority == PRIORITY_OWNER {
            PRIORITY_OWNER
        } else {
            let p = i64::from(self.base_priority) + i64::from(self.priority_delta);
            u8::try_from(p.clamp(1, 254)).unwrap_or(1)
        };
        if new != self.effective {
            let from = self.effective;
            self.effective = new;
            self.event(Event::PriorityChanged { from, to: new });
        }
    }

    /// Leaving Master on purpose: priority-0 advert, addresses removed.
    fn resign(&mut self) {
        self.send_advert(0);
        self.counters.priority_zero_sent += 1;
        self.stop_master_timers();
        self.push(Output::RemoveAddresses);
        self.counters.released_master += 1;
    }

    fn stop_master_timers(&mut self) {
        self.main_at = None;
        self.garp_at = None;
        self.refresh_at = None;
    }

    fn transition(&mut self, to: State, reason: Reason) {
        let from = self.state;
        self.state = to;
        self.event(Event::StateChange { from, to, reason });
        self.push(Output::Notify(to));
    }

    // ---- output helpers -----------------------------------------------------------------

    /// Sends an advert with `priority` to the multicast group or to every unicast peer.
    pub(crate) fn send_advert(&mut self, priority: u8) {
        let advert = self.advert(priority);
        let src = self.cfg.primary_address;
        let group = match src {
            IpAddr::V4(_) => IpAddr::V4(MULTICAST_V4),
            IpAddr::V6(_) => IpAddr::V6(MULTICAST_V6),
        };
        let dsts: Vec<IpAddr> = if self.cfg.unicast_peers.is_empty() {
            vec![group]
        } else {
            self.cfg.unicast_peers.clone()
        };
        for dst in dsts {
            // `validate` guarantees an encodable advert, so this never fails in practice.
            if let Ok(bytes) = advert.emit(src, dst) {
                self.counters.adverts_sent += 1;
                self.push(Output::SendAdvert { src, dst, bytes, advert: advert.clone() });
            }
        }
    }

    /// Our advert with `priority`.
    pub fn advert(&self, priority: u8) -> Advert {
        let (advert_int, auth) = match self.cfg.version {
            Version::V2 => {
                (self.cfg.advert_int_cs / 100, self.cfg.auth.map_or(Auth::NONE, Auth::Pass))
            }
            Version::V3 => (self.cfg.advert_int_cs, Auth::NONE),
        };
        Advert {
            version: self.cfg.version,
            vrid: self.cfg.vrid,
            priority,
            advert_int,
            auth,
            addresses: self.cfg.virtual_addresses.clone(),
        }
    }

    pub(crate) fn reject(&mut self, reason: Reject, src: IpAddr) {
        let count = self.counters.rejects.add(reason);
        if count.is_power_of_two() {
            self.event(Event::Rejected { reason, src, count });
        }
    }

    pub(crate) fn event(&mut self, e: Event) {
        if self.out.len() >= MAX_QUEUED {
            self.counters.events_dropped += 1;
            return;
        }
        self.out.push_back(Output::Event(e));
    }

    pub(crate) fn push(&mut self, o: Output) {
        self.out.push_back(o);
    }
}

/// The next periodic deadline after `prev`, skipping missed ones rather than bursting.
fn later(prev: Instant, now: Instant, every: Duration) -> Instant {
    let next = prev + every;
    if next > now {
        next
    } else {
        now + every
    }
}

#[cfg(test)]
#[path = "instance_test.rs"]
mod tests;
