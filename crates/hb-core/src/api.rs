//! The engine's inputs and outputs.

use std::fmt;
use std::time::Duration;

/// Index of a medium (a `ucast`/`bcast`/`mcast` line) in [`crate::EngineConfig::links`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u16);

/// Index of a resource group (a `haresources` line) in [`crate::EngineConfig::groups`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub u16);

/// Something that happened outside the engine.
#[derive(Debug)]
pub enum Input {
    /// An authenticated message arrived on `link`. Only `hb_wire::Authenticator::open` makes a
    /// [`hb_wire::Verified`], so unauthenticated data cannot reach the engine.
    Message {
        /// Medium it arrived on.
        link: LinkId,
        /// The verified message.
        msg: hb_wire::Verified,
    },
    /// The deadline returned by [`crate::Node::poll_timeout`] has passed.
    Timeout,
    /// The wall clock, in Unix seconds, used for the `ts` field. Feed it right after
    /// [`crate::Node::new`] and whenever the wall clock is stepped; in between the engine advances
    /// it with the monotonic clock.
    WallClock(u64),
    /// An operator command (`hb_standby`, `hb_takeover`, `heartbeat -k`).
    Admin(AdminCommand),
    /// A [`Output::RunAction`] finished.
    ActionDone {
        /// The group the action ran on.
        group: GroupId,
        /// What was run.
        action: Action,
        /// How it ended.
        result: ActionResult,
    },
    /// Whether any ping node answered within `deadping` (only with ping nodes configured;
    /// the engine assumes `true` until told otherwise). See the `arbitration` module.
    PingReach(bool),
    /// A [`Output::Fence`] finished.
    FenceDone {
        /// The node that was to be fenced.
        node: String,
        /// Fenced for sure.
        ok: bool,
        /// What the fencing command said (for the alert on failure).
        detail: String,
    },
    /// A health report: a check failed, an interface lost carrier, a policy, a clear
    /// (see [`crate::HealthInput`]).
    Health(crate::health::HealthInput),
    /// The lease arbiter's store client reports (only with the arbiter on).
    Lease(crate::lease::LeaseInput),
    /// The shell saw a medium fail or recover locally (e.g. send errors, interface down).
    LinkState {
        /// The medium.
        link: LinkId,
        /// `true` when it works again.
        up: bool,
    },
}

/// Operator commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminCommand {
    /// `hb_standby [all|foreign|local|failback]`: hand the set to the other node.
    Standby(ResourceSet),
    /// `hb_takeover [all|foreign|local|failback]`: ask the other node to hand us the set.
    Takeover(ResourceSet),
    /// Graceful stop (`heartbeat -k`, SIGTERM): release everything, tell the peers, go quiet.
    Shutdown,
}

/// A resource set as heartbeat names it, from one node's point of view: `local` = groups whose
/// `haresources` line names that node, `foreign` = all other groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceSet {
    /// No group.
    None,
    /// The node's own groups.
    Local,
    /// Everybody else's groups.
    Foreign,
    /// Every group.
    All,
}

impl ResourceSet {
    /// Wire spelling (`none`, `local`, `foreign`, `all`).
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceSet::None => "none",
            ResourceSet::Local => "local",
            ResourceSet::Foreign => "foreign",
            ResourceSet::All => "all",
        }
    }

    /// Parses the wire spelling; `failback` means `foreign` (as `hb_standby` treats it).
    pub fn parse(s: &str) -> Option<ResourceSet> {
        match s {
            "none" => Some(ResourceSet::None),
            "local" => Some(ResourceSet::Local),
            "foreign" | "failback" => Some(ResourceSet::Foreign),
            "all" => Some(ResourceSet::All),
            _ => None,
        }
    }

    /// Whether the set contains local groups.
    pub fn has_local(self) -> bool {
        matches!(self, ResourceSet::Local | ResourceSet::All)
    }

    /// Whether the set contains foreign groups.
    pub fn has_foreign(self) -> bool {
        matches!(self, ResourceSet::Foreign | ResourceSet::All)
    }

    /// Builds a set from its two bits.
    pub fn from_bits(local: bool, foreign: bool) -> ResourceSet {
        match (local, foreign) {
            (false, false) => ResourceSet::None,
            (true, false) => ResourceSet::Local,
            (false, true) => ResourceSet::Foreign,
            (true, true) => ResourceSet::All,
        }
    }

    /// Bitwise or.
    pub fn union(self, other: ResourceSet) -> ResourceSet {
        ResourceSet::from_bits(
            self.has_local() || other.has_local(),
            self.has_foreign() || other.has_foreign(),
        )
    }

    /// The same groups seen from the other node of a pair (`local` ↔ `foreign`).
    pub fn mirror(self) -> ResourceSet {
        ResourceSet::from_bits(self.has_foreign(), self.has_local())
    }
}

impl fmt::Display for ResourceSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A group-level resource action. Start runs the group's resources left to right, stop right to
/// left; the shell does that and reports one [`Input::ActionDone`] for the whole action.
/// [`Output::RunAction::from`] narrows it to the resources from one index rightwards (a
/// restart in place after a resource failed its check).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Start every resource of the group, left to right.
    Start,
    /// Stop every resource of the group, right to left.
    Stop,
}

/// Outcome of an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionResult {
    /// Every resource succeeded.
    Ok,
    /// A resource failed; the text says which and why.
    Failed(String),
    /// The shell killed the action after its time limit.
    TimedOut,
}

/// Something the shell must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// Seal the message with the authenticator and send it on every medium (`link: None`, the
    /// normal case, as heartbeat does) or on one medium only.
    Transmit {
        /// Complete message including header fields, without `auth`.
        msg: hb_wire::Message,
        /// `None` = all media.
        link: Option<LinkId>,
    },
    /// Run a group action and report it back with [`Input::ActionDone`]. At most one action per
    /// group is outstanding at any time.
    RunAction {
        /// The group.
        group: GroupId,
        /// Start or stop.
        action: Action,
        /// Index of the first resource (in [`crate::GroupConfig::resources`]) the action
        /// covers: it starts the resources `from..` left to right, or stops them right to left
        /// down to `from`. 0, the usual case, is the whole group; more only during a restart
        /// in place, whose resources left of the failed one keep running untouched.
        from: u16,
    },
    /// Write this generation number durably before executing any later output (it is always the
    /// first output of a new node).
    PersistGeneration(u32),
    /// Something to log, count or show.
    Event(Event),
    /// Fence (power off or reset) this node, then report with [`Input::FenceDone`]. No
    /// takeover happens until then.
    Fence {
        /// The node to fence.
        node: String,
    },
    /// Lease arbiter: acquire or release a group's key (only with the arbiter on).
    Lease(crate::lease::LeaseRequest),
}

/// Why a group changed hands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnershipReason {
    /// Initial acquisition after start-up.
    Startup,
    /// Its holder died (deadtime expired).
    NodeDead,
    /// Its holder shut down gracefully.
    PeerShutdown,
    /// Given back to (or taken back by) its preferred node with `auto_failback on`.
    Failback,
    /// `hb_standby` / `hb_takeover`.
    Standby,
    /// We shut down.
    LocalShutdown,
    /// Both sides held it after a partition; the non-preferred side let go.
    SplitBrain,
    /// Its start failed and it was stopped again.
    StartFailed,
    /// Legacy mode `ip-request` exchange.
    IpRequest,
    /// We could reach neither a peer nor a ping node, so we let go (see `arbitration`).
    Isolated,
    /// Lease arbiter, `release` policy: the store stayed unreachable for the grace time.
    ArbiterUnreachable,
}

/// What happened, for logs, metrics and the admin API.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A node's status changed (`init`/`up`/`active`/`dead`).
    NodeStatus {
        /// Node name.
        node: String,
        /// New status.
        status: NodeStatus,
    },
    /// A heartbeat arrived later than `warntime` after the previous one.
    LateHeartbeat {
        /// Node name.
        node: String,
        /// Time since its previous heartbeat.
        gap: Duration,
        /// How much later than `keepalive` it came.
        late_by: Duration,
    },
    /// A (node, medium) path came up or went down. A single dead path is not a failover.
    LinkStatus {
        /// Node name.
        node: String,
        /// Medium.
        link: LinkId,
        /// `true` = up.
        up: bool,
    },
    /// Our communication with the cluster is up (heartbeat's "comm up"); we are `active`.
    CommUp,
    /// A group's owner changed as far as this node knows.
    Ownership {
        /// The group.
        group: GroupId,
        /// New owner (`None` = nobody).
        owner: Option<String>,
        /// Why.
        reason: OwnershipReason,
    },
    /// A standby/takeover request was refused or gave up.
    StandbyRefused {
        /// Human-readable reason.
        reason: String,
    },
    /// A standby/takeover exchange finished.
    StandbyCompleted {
        /// The set that moved, from the requester's point of view.
        set: ResourceSet,
    },
    /// A peer claims a group we hold.
    SplitBrainSuspected {
        /// The peer.
        node: String,
        /// Groups both claim.
        groups: Vec<GroupId>,
        /// Whether we keep them (we are their preferred node) or release them.
        we_keep: bool,
    },
    /// A group failed to start; it is being stopped again.
    StartFailed {
        /// The group.
        group: GroupId,
        /// The failure.
        reason: String,
    },
    /// A group failed to stop; it may still be partly running.
    StopFailed {
        /// The group.
        group: GroupId,
        /// The failure.
        reason: String,
    },
    /// A peer restarted (higher generation).
    PeerRestarted {
        /// Node name.
        node: String,
        /// Its new generation.
        generation: u32,
    },
    /// A peer declared dead talks again with the same generation (a healed partition).
    PeerReturned {
        /// Node name.
        node: String,
    },
    /// A message was dropped (replay, duplicate, unknown node, malformed…).
    Dropped {
        /// Sender as claimed (may be empty).
        node: String,
        /// Why.
        reason: DropReason,
    },
    /// A peer told us it cannot retransmit a message; it is lost for good.
    PacketLost {
        /// Node name.
        node: String,
        /// The sequence number.
        seq: u32,
    },
    /// A peer sent `stonith` for a node (informational).
    StonithNotice {
        /// Sender.
        from: String,
        /// Node concerned.
        node: String,
        /// `result` field.
        result: String,
    },
    /// Ping-node reachability changed.
    PingReach {
        /// Some ping node answers.
        reachable: bool,
    },
    /// A dead peer was fenced; takeover proceeds.
    Fenced {
        /// The node.
        node: String,
    },
    /// Fencing a dead peer failed: its groups are not taken over. An alert.
    FenceFailed {
        /// The node.
        node: String,
        /// What the fencing command said.
        reason: String,
    },
    /// Our graceful shutdown finished; the engine is inert from now on.
    ShutdownComplete,
    /// The health-check policy acted (restart, hand-over, an alert that a group stays).
    Health(crate::health::HealthEvent),
    /// Lease arbiter.
    Lease(crate::lease::LeaseEvent),
}

/// Why a message was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Missing or unparsable `t`, `src`, `ts`, `seq` or `hg`.
    Malformed,
    /// `src` is not a configured node.
    UnknownNode,
    /// `src` is ourselves (our own packet looped back by a medium).
    OwnMessage,
    /// Generation lower than one already seen from that node.
    Replay,
    /// Sequence number already processed.
    Duplicate,
    /// Addressed to another node (sequence state was still advanced).
    NotForUs,
    /// A type this engine ignores on purpose in v1 mode.
    Ignored,
    /// The engine has shut down.
    ShutDown,
}

/// A node's status as `cl_status nodestatus` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeStatus {
    /// Never heard from.
    Init,
    /// Running, communication not yet up.
    Up,
    /// Running and communicating.
    Active,
    /// Declared dead.
    Dead,
}

impl NodeStatus {
    /// The `cl_status` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeStatus::Init => "init",
            NodeStatus::Up => "up",
            NodeStatus::Active => "active",
            NodeStatus::Dead => "dead",
        }
    }
}

impl fmt::Display for NodeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
