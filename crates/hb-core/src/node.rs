//! The [`Node`]: state, the input/output loop and message emission.

use std::collections::VecDeque;
use std::time::Duration;

use crate::api::{Event, Input, Output};
use crate::config::EngineConfig;
use crate::error::CoreError;
use crate::groups::GroupRt;
use crate::peers::Peer;
use crate::resources::RscState;
use crate::rng::Rng;
use crate::standby::Standby;
use crate::time::Instant;
use crate::timers::{Timer, TimerTable};
use crate::txhist::TxHistory;
use crate::wire_msg::{self, Body, HeaderOut};

/// Outputs queued beyond this are dropped if they are events (transmits and actions never are).
const MAX_QUEUED_EVENTS: usize = 4096;

/// Where our "comm up" procedure stands (spec §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Comm {
    /// Waiting to hear from (or bury) every configured node.
    WaitLinks,
    /// `reqnodes` sent to this node; waiting for `repnodes`.
    ReqNodes(usize),
    /// Communication up; we are `active`.
    Up,
}

/// Our graceful shutdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shutdown {
    None,
    /// Asked; waiting for a stable resource state.
    Pending,
    /// Stopping our groups.
    Releasing,
    /// `shutdone` sent; statuses continue for 2 s.
    Final,
    /// Inert.
    Done,
}

/// A `status` is sent twice per keepalive when deadtime is below this many keepalives (see
/// [`Node::send_status`]).
pub const ECHO_BELOW_KEEPALIVES: u32 = 8;

/// One cluster node's engine. See the crate documentation for the run loop.
pub struct Node {
    pub(crate) cfg: EngineConfig,
    /// Index of the local node in `cfg.nodes`.
    pub(crate) me: usize,
    pub(crate) generation: u32,
    pub(crate) rng: Rng,
    pub(crate) start: Instant,
    pub(crate) now: Instant,
    wall_secs: u64,
    wall_at: Instant,
    out: VecDeque<Output>,
    pub(crate) timers: TimerTable,
    next_seq: u32,
    pub(crate) history: TxHistory,
    /// One entry per configured node; the local entry is unused.
    pub(crate) peers: Vec<Peer>,
    pub(crate) started: bool,
    pub(crate) comm: Comm,
    /// Every node heard from or declared dead at least once (ends the `initdead` period).
    pub(crate) links_up: bool,
    pub(crate) groups: Vec<GroupRt>,
    pub(crate) rsc: RscState,
    pub(crate) standby: Standby,
    pub(crate) shutdown: Shutdown,
    /// Send `resource foreign info=mach_down` once our actions settle.
    pub(crate) pending_machdown: bool,
    /// After a peer's `shutdone`: confirm our acquisition once our actions settle.
    pub(crate) pending_shutdone_ack: bool,
    /// We sent `hb_takeover` and owe the operator an outcome event.
    pub(crate) takeover_pending: bool,
    /// Partners that answered `other` in the current exchange (we are one of them).
    pub(crate) other_answered: Vec<bool>,
    /// Groups we released as standby requester, checked by `Timer::StandbyVerify`.
    pub(crate) standby_released: Vec<usize>,
    /// The set in our last full `resource` message.
    pub(crate) announced: Option<crate::api::ResourceSet>,
    /// The groups that message listed (`rsc_groups`, clusters of more than two nodes).
    pub(crate) announced_groups: Vec<usize>,
    /// Requester side: the partners that answered our `me` with `other` (their `done`
    /// completes the exchange; if all of them die we stop waiting for it).
    pub(crate) standby_partners: Vec<usize>,
    /// Categories we took responsibility for, as heartbeat's `i_hold` flags; they only show
    /// in announcements for a category with no configured group.
    pub(crate) claim_flags: crate::api::ResourceSet,
    /// Legacy mode: groups we asked for with `ip-request`.
    pub(crate) ip_requested: Vec<bool>,
    /// Legacy mode: requester to answer once a group is stopped.
    pub(crate) ip_answer: Vec<Option<usize>>,
    /// Legacy mode, more than two nodes: per group, the peers that answered our pending
    /// `ip-request` with `weown=no`.
    pub(crate) ip_declined: Vec<Vec<bool>>,
    pub(crate) drops: [u64; 8],
    /// The last regular `status` and the `next_seq` after it, to be sent once more half a
    /// keepalive later if nothing sequenced went out meanwhile.
    status_echo: Option<(hb_wire::Message, u32)>,
    /// Some ping node answered recently (always true without ping nodes).
    pub(crate) ping_ok: bool,
    /// Health-check policy state, one per group.
    pub(crate) health: Vec<crate::health::HealthRt>,
    /// The lease arbiter, when on.
    pub(crate) lease: Option<crate::lease::LeaseRt>,
}

impl Node {
    /// Creates a node. Its first output is [`Output::PersistGeneration`]; its first deadline is
    /// `now` (the initial `status` messages go out on the first [`Input::Timeout`], so feed
    /// [`Input::WallClock`] before that).
    pub fn new(cfg: EngineConfig, seed: u64, now: Instant) -> Result<Node, CoreError> {
        cfg.validate()?;
        let me = cfg.nodes.iter().position(|n| *n == cfg.local_node).unwrap_or(0);
        let mut rng = Rng::new(seed);
        let links = cfg.links.len();
        let peers =
            cfg.nodes.iter().map(|n| Peer::new(n.clone(), links, rng.range(0, 9) as u32)).collect();
        let generation = cfg.generation.wrapping_add(1).max(1);
        let groups = cfg.groups.iter().map(|_| GroupRt::new(now)).collect();
        let ngroups = cfg.groups.len();
        let mut node = Node {
            cfg,
            me,
            generation,
            rng,
            start: now,
            now,
            wall_secs: 1,
            wall_at: now,
            out: VecDeque::new(),
            timers: TimerTable::default(),
            next_seq: 1,
            history: TxHistory::default(),
            peers,
            started: false,
            comm: Comm::WaitLinks,
            links_up: false,
            groups,
            rsc: RscState::Init,
            standby: Standby::Not,
            shutdown: Shutdown::None,
            pending_machdown: false,
            pending_shutdone_ack: false,
            takeover_pending: false,
            other_answered: Vec::new(),
            standby_released: Vec::new(),
            announced: None,
            announced_groups: Vec::new(),
            standby_partners: Vec::new(),
            claim_flags: crate::api::ResourceSet::None,
            ip_requested: vec![false; ngroups],
            ip_answer: vec![None; ngroups],
            ip_declined: vec![Vec::new(); ngroups],
            drops: [0; 8],
            status_echo: None,
            ping_ok: true,
            health: vec![crate::health::HealthRt::default(); ngroups],
            lease: None,
        };
        node.out.push_back(Output::PersistGeneration(generation));
        node.timers.set(Timer::Keepalive, now);
        node.rearm_derived();
        Ok(node)
    }

    /// Feeds one input. Afterwards drain [`Node::poll_output`] and ask [`Node::poll_timeout`].
    pub fn handle_input(&mut self, now: Instant, input: Input) {
        self.now = self.now.max(now);
        if self.shutdown == Shutdown::Done {
            return;
        }
        match input {
            Input::Message { link, msg } => self.handle_message(link, msg),
            Input::Timeout => self.handle_timeout(),
            Input::WallClock(secs) => {
                self.wall_secs = secs;
                self.wall_at = self.now;
            }
            Input::Admin(cmd) => self.handle_admin(cmd),
            Input::ActionDone { group, action, result } => {
                self.handle_action_done(group, action, result)
            }
            Input::LinkState { link, up } => self.handle_link_state(link, up),
            Input::PingReach(reachable) => self.on_ping_reach(reachable),
            Input::FenceDone { node, ok, detail } => self.on_fence_done(&node, ok, detail),
            Input::Health(h) => self.handle_health(h),
            Input::Lease(l) => self.handle_lease(l),
        }
        if self.shutdown != Shutdown::Done {
            self.check_comm();
            self.rearm_derived();
        }
    }

    /// Next output, `None` when drained.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When to deliver the next [`Input::Timeout`]; `None` once the node has shut down.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The generation this incarnation runs with.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Whether a graceful shutdown has completed (the shell may exit).
    pub fn is_shut_down(&self) -> bool {
        self.shutdown == Shutdown::Done
    }

    fn handle_timeout(&mut self) {
        while let Some(t) = self.timers.pop_expired(self.now) {
            match t {
                Timer::Keepalive => self.on_keepalive(),
                Timer::DtBumpEnd => self.send_status(),
                Timer::ReqNodes => self.on_reqnodes_timer(),
                Timer::RscDelay => self.on_rsc_delay(),
                Timer::StandbyReply => self.on_standby_timeout(),
                Timer::ShutdownWait => self.begin_shutdown(),
                Timer::ShutdownFinal => self.finish_shutdown(),
                Timer::IpRequest => self.on_ip_request_timer(),
                Timer::AskTakeover => self.on_ask_takeover_timer(),
                Timer::TakeoverReply => self.on_takeover_timeout(),
                Timer::StandbyVerify => self.verify_standby_handover(),
                Timer::StartRetry => self.retry_failed_starts(),
                Timer::Liveness => self.check_liveness(),
                Timer::LeaseGrace => self.on_lease_grace(),
                Timer::Rexmit => self.send_rexmit_requests(),
                Timer::StatusEcho => {
                    // Only while it is still our latest message: a copy arriving after a
                    // higher `seq` would be an old message to the receiver (dropped, or worse
                    // taken for a status older than what it has).
                    if let Some((msg, next)) = self.status_echo.take() {
                        if next == self.next_seq {
                            self.resend(msg);
                        }
                    }
                }
            }
            if self.shutdown == Shutdown::Done {
                return;
            }
        }
    }

    fn on_keepalive(&mut self) {
        if !self.started {
            self.started = true;
            // Heartbeat announces its start-up deadtime bump with `init`, then `up` twice.
            let dt = self.advertised_dt();
            self.send(wire_msg::status("init", dt));
            self.send(wire_msg::status("up", dt));
            self.send(wire_msg::status("up", dt));
            self.timers.set(Timer::DtBumpEnd, self.start + Duration::from_secs(5));
        } else {
            self.send_status();
        }
        self.timers.set(Timer::Keepalive, self.now + self.cfg.keepalive);
    }

    /// Our `dt` in ms: deadtime, plus 2 s during the first 5 s.
    pub(crate) fn advertised_dt(&self) -> u64 {
        let dt = self.cfg.deadtime.as_millis() as u64;
        if self.now < self.start + Duration::from_secs(5) {
            dt + 2000
        } else {
            dt
        }
    }

    /// Sends a regular `status`. When deadtime is short against keepalive (fewer than
    /// [`ECHO_BELOW_KEEPALIVES`] of them), the same datagram goes out once more half a
    /// keepalive later: a peer declares us dead when it misses every status for a deadtime,
    /// and at 10 ms / 30 ms two lost statuses and a late third are enough (5 % loss made that
    /// happen every few seconds). A copy with the same `seq` is what heartbeat sees with two
    /// media: the first that arrives is accepted, the other is a duplicate that only refreshes
    /// the link. With the echo, five copies in a row must be lost. The copy is skipped when
    /// another sequenced message went out in between, so it never arrives after a higher
    /// `seq` (sim seed 50126 `--nodes 3`: a peer that had just restarted dropped it as old).
    pub(crate) fn send_status(&mut self) {
        let st = if self.comm == Comm::Up { "active" } else { "up" };
        let dt = self.advertised_dt();
        self.send(wire_msg::status(st, dt));
        if self.cfg.deadtime < self.cfg.keepalive * ECHO_BELOW_KEEPALIVES {
            if let Some(Output::Transmit { msg, .. }) = self.out.back() {
                self.status_echo = Some((msg.clone(), self.next_seq));
                self.timers.set(Timer::StatusEcho, self.now + self.cfg.keepalive / 2);
            }
        }
    }

    /// Current wall-clock seconds for `ts`.
    fn wall(&self) -> u64 {
        self.wall_secs.saturating_add(self.now.saturating_duration_since(self.wall_at).as_secs())
    }

    /// Adds the header, records sequenced messages for retransmission, queues the transmit.
    pub(crate) fn send(&mut self, body: Body) {
        let seq = if body.is_sequenced() {
            let s = self.next_seq;
            self.next_seq = self.next_seq.wrapping_add(1).max(1);
            Some(s)
        } else {
            None
        };
        let destuuid = match body.dest {
            Some(d) if d == self.me => Some(self.cfg.uuid),
            Some(d) => self.peers.get(d).and_then(|p| p.uuid),
            None => None,
        };
        let h = HeaderOut {
            destuuid,
            src: &self.cfg.local_node,
            srcuuid: self.cfg.uuid,
            seq,
            hg: self.generation,
            ts: self.wall(),
            ttl: self.cfg.nodes.len() + 1,
        };
        let msg = wire_msg::finish(body, &h);
        if let Some(s) = seq {
            self.history.push(s, msg.clone(), self.now);
        }
        self.out.push_back(Output::Transmit { msg, link: None });
    }

    /// Re-sends a message from history unchanged.
    pub(crate) fn resend(&mut self, msg: hb_wire::Message) {
        self.out.push_back(Output::Transmit { msg, link: None });
    }

    pub(crate) fn emit(&mut self, ev: Event) {
        if self.out.len() < MAX_QUEUED_EVENTS {
            self.out.push_back(Output::Event(ev));
        }
    }

    pub(crate) fn push_output(&mut self, o: Output) {
        self.out.push_back(o);
    }

    pub(crate) fn name(&self, idx: usize) -> String {
        self.cfg.nodes.get(idx).cloned().unwrap_or_default()
    }

    /// Highest seq we have sent.
    pub(crate) fn highest_seq(&self) -> u32 {
        self.next_seq.saturating_sub(1)
    }

    /// Recomputes the folded per-peer deadlines.
    pub(crate) fn rearm_derived(&mut self) {
        let l = self.liveness_deadline();
        self.timers.set_opt(Timer::Liveness, l);
        let r = self.rexmit_deadline();
        self.timers.set_opt(Timer::Rexmit, r);
        let s = self.retry_deadline();
        self.timers.set_opt(Timer::StartRetry, s);
    }

    pub(crate) fn stop_all_timers(&mut self) {
        self.timers.stop_all();
    }
}
