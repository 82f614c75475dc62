//! In-memory N-node harness: nodes joined by sealing/opening every message with a real
//! `hb_wire::Authenticator`, virtual time jumping to the earliest deadline, delivery or action
//! completion (quinn `Pair::step` style). Resource actions complete after a fixed delay.

use std::collections::BTreeSet;
use std::time::Duration;

use hb_wire::{AuthKey, AuthMethod, Authenticator, Message};

use crate::{
    Action, ActionResult, AutoFailback, EngineConfig, Event, GroupConfig, GroupId, Input, Instant,
    LinkId, Node, Output,
};

pub(crate) const WALL0: u64 = 0x6b03_d000;

/// One recorded output.
#[derive(Clone, Debug)]
pub(crate) struct Rec {
    pub(crate) at: Instant,
    pub(crate) node: usize,
    pub(crate) out: Output,
}

struct Packet {
    at: Instant,
    to: usize,
    link: LinkId,
    bytes: Vec<u8>,
}

struct PendingAction {
    at: Instant,
    node: usize,
    group: GroupId,
    action: Action,
    result: ActionResult,
}

pub(crate) struct Cluster {
    pub(crate) cfgs: Vec<EngineConfig>,
    pub(crate) nodes: Vec<Option<Node>>,
    auth: Authenticator,
    pub(crate) now: Instant,
    packets: Vec<Packet>,
    actions: Vec<PendingAction>,
    pub(crate) latency: Duration,
    pub(crate) action_delay: Duration,
    /// (from, to, link) pairs that lose every packet.
    pub(crate) cut: BTreeSet<(usize, usize, u16)>,
    /// (node, group) whose starts fail.
    pub(crate) failing_starts: BTreeSet<(usize, u16)>,
    /// Groups actually running on each node (the "real world").
    pub(crate) running: Vec<BTreeSet<u16>>,
    pub(crate) persisted: Vec<u32>,
    pub(crate) log: Vec<Rec>,
    seed: u64,
    /// (from, seq) whose first transmission is lost.
    pub(crate) drop_seq: BTreeSet<(usize, u32)>,
    /// Set when two nodes ran the same group at once.
    pub(crate) double_run: Vec<(Instant, u16)>,
    /// The lease arbiter's store, when the nodes use one (see `lease_store`).
    pub(crate) store: Option<super::lease_store::Store>,
}

pub(crate) fn auth() -> Authenticator {
    let key = AuthKey { index: 1, method: AuthMethod::Sha1, secret: b"la-lab-secret".to_vec() };
    match Authenticator::new(1, vec![key]) {
        Ok(a) => a,
        Err(e) => panic!("authenticator: {e}"),
    }
}

/// Config with the lab's timers: keepalive 1 s, deadtime 10 s, warntime 5 s, initdead 20 s.
pub(crate) fn config(me: &str, nodes: &[&str], links: usize, mode: AutoFailback) -> EngineConfig {
    let idx = nodes.iter().position(|n| *n == me).unwrap_or(0) as u8;
    let mut c = EngineConfig::with_defaults(me, nodes, [idx + 1; 16]);
    c.links = (0..links).map(|l| format!("eth{l}")).collect();
    c.deadtime = Duration::from_secs(10);
    c.warntime = Duration::from_secs(5);
    c.initdead = Duration::from_secs(20);
    c.auto_failback = mode;
    c.generation = 0x6b03_d210 + u32::from(idx) * 0x100;
    c.groups = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| GroupConfig {
            name: format!("IPaddr::10.99.0.{}/24/eth0", 50 + i),
            preferred_node: (*n).to_owned(),
            resources: vec![format!("IPaddr::10.99.0.{}/24/eth0", 50 + i)],
        })
        .collect();
    c
}

impl Cluster {
    /// A cluster whose nodes are created but not started (see [`Cluster::start`]).
    pub(crate) fn new(nodes: &[&str], links: usize, mode: AutoFailback) -> Cluster {
        let cfgs: Vec<EngineConfig> = nodes.iter().map(|n| config(n, nodes, links, mode)).collect();
        Cluster::with_configs(cfgs)
    }

    pub(crate) fn with_configs(cfgs: Vec<EngineConfig>) -> Cluster {
        let n = cfgs.len();
        Cluster {
            persisted: cfgs.iter().map(|c| c.generation).collect(),
            cfgs,
            nodes: (0..n).map(|_| None).collect(),
            auth: auth(),
            now: Instant::from_nanos(1_000_000_000),
            packets: Vec::new(),
            actions: Vec::new(),
            latency: Duration::from_millis(1),
            action_delay: Duration::from_millis(100),
            cut: BTreeSet::new(),
            failing_starts: BTreeSet::new(),
            running: vec![BTreeSet::new(); n],
            log: Vec::new(),
            seed: 1,
            double_run: Vec::new(),
            drop_seq: BTreeSet::new(),
            store: None,
        }
    }

    /// (Re)starts node `k` with its persisted generation.
    pub(crate) fn start(&mut self, k: usize) {
        let mut cfg = self.cfgs[k].clone();
        cfg.generation = self.persisted[k];
        self.seed += 1;
        let mut node = match Node::new(cfg, self.seed, self.now) {
            Ok(n) => n,
            Err(e) => panic!("config: {e}"),
        };
        let wall = WALL0 + self.now.as_nanos() / 1_000_000_000;
        node.handle_input(self.now, Input::WallClock(wall));
        if let Some(s) = self.store.as_mut() {
            node.set_lease_policy(s.policy);
            s.restart(k, self.now);
        }
        self.nodes[k] = Some(node);
        self.drain(k);
    }

    pub(crate) fn start_all(&mut self) {
        for k in 0..self.nodes.len() {
            self.start(k);
        }
    }

    /// kill -9: the node vanishes; its groups keep "running" on the host until restart.
    pub(crate) fn crash(&mut self, k: usize) {
        self.nodes[k] = None;
        self.actions.retain(|a| a.node != k);
        self.packets.retain(|p| p.to != k);
    }

    pub(crate) fn node(&self, k: usize) -> &Node {
        match &self.nodes[k] {
            Some(n) => n,
            None => panic!("node {k} is not running"),
        }
    }

    pub(crate) fn input(&mut self, k: usize, input: Input) {
        if let Some(n) = self.nodes[k].as_mut() {
            n.handle_input(self.now, input);
        }
        self.drain(k);
    }

    fn drain(&mut self, k: usize) {
        while let Some(out) = self.nodes[k].as_mut().and_then(|n| n.poll_output()) {
            match &out {
                Output::Transmit { msg, link } => self.transmit(k, msg, *link),
                Output::RunAction { group, action, .. } => {
                    if let (Some(s), Action::Start) = (self.store.as_ref(), action) {
                        assert_eq!(
                            s.holder(group.0),
                            Some(k),
                            "node {k} starts group {} without holding its key",
                            group.0
                        );
                    }
                    let fail =
                        *action == Action::Start && self.failing_starts.contains(&(k, group.0));
                    let result =
                        if fail { ActionResult::Failed("exit 1".into()) } else { ActionResult::Ok };
                    let at = self.now + self.action_delay;
                    self.actions.push(PendingAction {
                        at,
                        node: k,
                        group: *group,
                        action: *action,
                        result,
                    });
                }
                Output::PersistGeneration(g) => self.persisted[k] = *g,
                Output::Lease(req) => {
                    if let Some(s) = self.store.as_mut() {
                        s.request(k, req, self.now);
                    }
                }
                Output::Event(_) | Output::Fence { .. } => {}
            }
            self.log.push(Rec { at: self.now, node: k, out });
        }
    }

    fn transmit(&mut self, from: usize, msg: &Message, link: Option<LinkId>) {
        let bytes = match self.auth.seal(msg) {
            Ok(b) => b,
            Err(e) => panic!("seal failed: {e} for {msg:?}"),
        };
        let seq = msg.get_str("seq").and_then(|s| u32::from_str_radix(s, 16).ok());
        if seq.is_some_and(|s| self.drop_seq.remove(&(from, s))) {
            return;
        }
        let links = self.cfgs[from].links.len() as u16;
        for to in 0..self.nodes.len() {
            if to == from {
                continue;
            }
            for l in 0..links {
                if link.is_some_and(|x| x.0 != l) || self.cut.contains(&(from, to, l)) {
                    continue;
                }
                let at = self.now + self.latency;
                self.packets.push(Packet { at, to, link: LinkId(l), bytes: bytes.clone() });
            }
        }
    }

    /// Delivers raw bytes to node `to` now (replay tests).
    pub(crate) fn deliver_bytes(&mut self, to: usize, link: LinkId, bytes: &[u8]) {
        let msg = match self.auth.open(bytes) {
            Ok(v) => v,
            Err(e) => panic!("open failed: {e}"),
        };
        self.input(to, Input::Message { link, msg });
    }

    /// Seals and delivers a message to node `to` now.
    pub(crate) fn deliver_msg(&mut self, to: usize, msg: &Message) {
        let bytes = match self.auth.seal(msg) {
            Ok(b) => b,
            Err(e) => panic!("seal: {e}"),
        };
        self.deliver_bytes(to, LinkId(0), &bytes);
    }

    /// Advances to the next event no later than `limit`. Returns false if nothing was due.
    fn step(&mut self, limit: Instant) -> bool {
        let mut next: Option<Instant> = None;
        for n in self.nodes.iter().flatten() {
            next = min_opt(next, n.poll_timeout());
        }
        for p in &self.packets {
            next = min_opt(next, Some(p.at));
        }
        for a in &self.actions {
            next = min_opt(next, Some(a.at));
        }
        if let Some(s) = self.store.as_mut() {
            s.advance(self.now);
            if let Some((k, input)) = s.due(self.now) {
                self.input(k, input);
                return true;
            }
            next = min_opt(next, s.next_expiry());
        }
        let Some(t) = next.filter(|t| *t <= limit) else { return false };
        self.now = self.now.max(t);
        if let Some(i) = self.packets.iter().position(|p| p.at <= self.now) {
            let p = self.packets.remove(i);
            if self.nodes[p.to].is_some() {
                self.deliver_bytes(p.to, p.link, &p.bytes);
            }
            return true;
        }
        if let Some(i) = self.actions.iter().position(|a| a.at <= self.now) {
            let a = self.actions.remove(i);
            self.apply_action(&a);
            self.input(
                a.node,
                Input::ActionDone { group: a.group, action: a.action, result: a.result },
            );
            return true;
        }
        for k in 0..self.nodes.len() {
            let due = self.nodes[k]
                .as_ref()
                .and_then(|n| n.poll_timeout())
                .is_some_and(|t| t <= self.now);
            if due {
                self.input(k, Input::Timeout);
                return true;
            }
        }
        true
    }

    fn apply_action(&mut self, a: &PendingAction) {
        let g = a.group.0;
        match (a.action, &a.result) {
            (Action::Start, ActionResult::Ok) => {
                self.running[a.node].insert(g);
                if self.running.iter().enumerate().any(|(k, r)| k != a.node && r.contains(&g)) {
                    self.double_run.push((self.now, g));
                }
            }
            (Action::Stop, _) => {
                self.running[a.node].remove(&g);
            }
            _ => {}
        }
    }

    pub(crate) fn run_for(&mut self, d: Duration) {
        let limit = self.now + d;
        let mut guard = 0u32;
        while self.step(limit) {
            guard += 1;
            assert!(guard < 2_000_000, "harness did not converge");
        }
        self.now = self.now.max(limit);
    }

    pub(crate) fn secs(&mut self, s: u64) {
        self.run_for(Duration::from_secs(s));
    }

    // ----- queries -------------------------------------------------------------------------

    pub(crate) fn events(&self, k: usize) -> Vec<Event> {
        self.log
            .iter()
            .filter(|r| r.node == k)
            .filter_map(|r| match &r.out {
                Output::Event(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn events_since(&self, k: usize, t: Instant) -> Vec<Event> {
        self.log
            .iter()
            .filter(|r| r.node == k && r.at >= t)
            .filter_map(|r| match &r.out {
                Output::Event(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    /// Messages node `k` sent since `t`.
    pub(crate) fn sent_since(&self, k: usize, t: Instant) -> Vec<Message> {
        self.log
            .iter()
            .filter(|r| r.node == k && r.at >= t)
            .filter_map(|r| match &r.out {
                Output::Transmit { msg, .. } => Some(msg.clone()),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn sent_types_since(&self, k: usize, t: Instant) -> Vec<String> {
        self.sent_since(k, t)
            .iter()
            .map(describe)
            .filter(|d| !d.starts_with("status") && !d.starts_with("NS_ackmsg"))
            .collect()
    }

    pub(crate) fn actions_since(&self, k: usize, t: Instant) -> Vec<(GroupId, Action)> {
        self.log
            .iter()
            .filter(|r| r.node == k && r.at >= t)
            .filter_map(|r| match &r.out {
                Output::RunAction { group, action, .. } => Some((*group, *action)),
                _ => None,
            })
            .collect()
    }

    /// Like [`Cluster::actions_since`], with each action's first resource.
    pub(crate) fn scoped_actions_since(&self, k: usize, t: Instant) -> Vec<(GroupId, Action, u16)> {
        self.log
            .iter()
            .filter(|r| r.node == k && r.at >= t)
            .filter_map(|r| match &r.out {
                Output::RunAction { group, action, from } => Some((*group, *action, *from)),
                _ => None,
            })
            .collect()
    }

    /// Reloads node `k` with `cfg`; on success its `running` set follows the new group
    /// indices (a removed group is stopped by the shell, so it leaves the set).
    pub(crate) fn reconfigure(
        &mut self,
        k: usize,
        cfg: EngineConfig,
    ) -> Result<crate::ReloadPlan, crate::CoreError> {
        let plan = match self.nodes[k].as_mut() {
            Some(n) => n.reconfigure(cfg.clone())?,
            None => panic!("node {k} is not running"),
        };
        self.cfgs[k] = cfg;
        let old = std::mem::take(&mut self.running[k]);
        self.running[k] = old
            .into_iter()
            .filter_map(|g| plan.group_map.get(usize::from(g)).copied().flatten())
            .map(|n| n.0)
            .collect();
        self.drain(k);
        Ok(plan)
    }

    pub(crate) fn running_on(&self, k: usize) -> Vec<u16> {
        self.running[k].iter().copied().collect()
    }
}

/// A message from node `src` (index `k` in a harness cluster config) with a proper header.
pub(crate) fn craft(
    t: &str,
    body: &[(&str, &str)],
    src: &str,
    k: u8,
    hg: u32,
    seq: Option<u32>,
) -> Message {
    let mut m = Message::new();
    m.push_str("t", t);
    for (n, v) in body {
        m.push_str(n, v);
    }
    m.push_str("src", src);
    m.push_bin("srcuuid", &[k + 1; 16]);
    if let Some(s) = seq {
        m.push_str("seq", &format!("{s:x}"));
    }
    m.push_str("hg", &format!("{hg:x}"));
    m.push_str("ts", &format!("{WALL0:x}"));
    m.push_str("ttl", "3");
    m
}

fn min_opt(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// `t` plus the interesting body fields, e.g. `resource rsc_hold=all isstable=1 info=…`.
pub(crate) fn describe(m: &Message) -> String {
    let mut s = m.msg_type().unwrap_or("?").to_owned();
    for f in ["st", "rsc_hold", "isstable", "info", "dest", "ackseq", "node", "result", "ipaddr"] {
        if let Some(v) = m.get_str(f) {
            s.push_str(&format!(" {f}={v}"));
        }
    }
    s
}
