//! Request and response types of the admin API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which resource groups a standby or takeover concerns, with heartbeat's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every group.
    All,
    /// Groups whose preferred node is another node.
    Foreign,
    /// Groups whose preferred node is this node.
    Local,
    /// The groups that would fail back (heartbeat treats it as `foreign`).
    Failback,
}

impl Scope {
    /// Parses heartbeat's argument word.
    pub fn parse(word: &str) -> Option<Scope> {
        match word {
            "all" => Some(Scope::All),
            "foreign" => Some(Scope::Foreign),
            "local" => Some(Scope::Local),
            "failback" => Some(Scope::Failback),
            _ => None,
        }
    }

    /// Heartbeat's word for the scope.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Foreign => "foreign",
            Scope::Local => "local",
            Scope::Failback => "failback",
        }
    }
}

/// A request from a tool to the daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    /// The full status snapshot.
    Status,
    /// Hand groups of `scope` to the peer (`hb_standby`). With `wait`, the answer comes when
    /// the hand-off has completed or was refused.
    Standby {
        /// Which groups.
        scope: Scope,
        /// Answer only when done.
        wait: bool,
    },
    /// Take groups of `scope` from the peer (`hb_takeover`).
    Takeover {
        /// Which groups.
        scope: Scope,
        /// Answer only when done.
        wait: bool,
    },
    /// Stream engine events as they happen, one [`Response::Event`] per line, until the
    /// client hangs up.
    Events,
    /// `hbctl clear GROUP`: forget the group's health-check failures on this node, so it may
    /// be chosen here again before its window expires.
    Clear {
        /// The group: its key (first resource in `haresources`) or any resource of it.
        group: String,
    },
    /// `hbctl reload`: re-read `/etc/ha.d` and apply the difference live. Answered with
    /// [`Response::Accepted`] (the changes applied, one per line) or [`Response::Refused`]
    /// (the error, with file:line for a broken file; the running configuration stays).
    /// Waits while resource actions or a hand-over are in progress.
    Reload,
}

/// A request as it travels: the protocol version and the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEnvelope {
    /// [`crate::PROTOCOL_VERSION`] of the sender.
    pub v: u32,
    /// The request.
    #[serde(flatten)]
    pub request: Request,
}

/// The daemon's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Response {
    /// Answer to [`Request::Status`].
    Status(Box<Status>),
    /// A standby or takeover was accepted (sent to the peer), or, when waited for, done.
    Accepted {
        /// What happened, for people.
        detail: String,
    },
    /// The request was refused; the reason says why.
    Refused {
        /// Why, for people.
        reason: String,
    },
    /// One engine event (answers to [`Request::Events`]).
    Event(EventRecord),
    /// The request could not be understood.
    Error {
        /// What was wrong with it.
        message: String,
    },
}

/// Everything the tools show, taken from one snapshot of the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// heartbeat-rs version of the daemon.
    pub version: String,
    /// This node's name.
    pub node: String,
    /// What `cl_status rscstatus` prints: `all`, `local`, `foreign`, `none` or `transition`.
    pub rsc_status: String,
    /// Nodes in heartbeat's walk order (as `cl_status listnodes` prints them).
    pub nodes: Vec<NodeStatus>,
    /// Resource groups in `haresources` order.
    pub groups: Vec<GroupStatus>,
    /// Configuration values as `cl_status hbparameter` prints them, by heartbeat's key name.
    pub parameters: BTreeMap<String, String>,
    /// Health checks of the `monitors` file by name: state and probe counters (empty
    /// without the file; absent in answers of older daemons).
    #[serde(default)]
    pub checks: BTreeMap<String, String>,
    /// Reserved IPs (`ReservedIP::` resources) as written in `haresources`: times this
    /// daemon found each pointing elsewhere and claimed it back (empty without any; absent in
    /// answers of older daemons).
    #[serde(default)]
    pub reserved_ips: BTreeMap<String, u64>,
    /// The etcd lease arbiter (`arbiter.conf`): `etcd`, `lease`, `policy`, counters, and one
    /// `key GROUP` entry per group naming the holder (empty with the arbiter off; absent in
    /// answers of older daemons).
    #[serde(default)]
    pub arbiter: BTreeMap<String, String>,
    /// VRRP instances of the keepalived mode, in keepalived.conf order (empty from the
    /// heartbeat daemon; absent in answers of older daemons).
    #[serde(default)]
    pub vrrp: Vec<VrrpStatus>,
}

/// One VRRP instance (keepalived mode), with keepalived's names for its counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VrrpStatus {
    /// `vrrp_instance` name.
    pub name: String,
    /// `interface`.
    pub interface: String,
    /// `virtual_router_id`.
    pub vrid: u8,
    /// VRRP version, 2 or 3.
    pub version: u8,
    /// `INIT`, `BACKUP`, `MASTER`, `FAULT` or `STOP`.
    pub state: String,
    /// Milliseconds since the last state change.
    pub since_ms: u64,
    /// Configured priority.
    pub base_priority: u8,
    /// Priority advertised now (tracked script weights applied).
    pub priority: u8,
    /// The master heard last (address) while backup.
    pub master: Option<String>,
    /// Advertisement interval in milliseconds.
    pub advert_int_ms: u64,
    /// Virtual addresses, as `addr/prefix`.
    pub vips: Vec<String>,
    /// Tracked scripts as keepalived lists them (`NAME weight W`); their health is in
    /// [`Status::checks`].
    pub track_scripts: Vec<String>,
    /// Adverts sent.
    pub adverts_sent: u64,
    /// Adverts received and accepted.
    pub adverts_received: u64,
    /// Transitions to MASTER.
    pub became_master: u64,
    /// Transitions out of MASTER.
    pub released_master: u64,
    /// Priority-0 adverts sent.
    pub priority_zero_sent: u64,
    /// Priority-0 adverts received.
    pub priority_zero_received: u64,
    /// Accepted adverts whose address list differs from ours.
    pub address_list_errors: u64,
    /// Refused packets by reason (only reasons seen at least once).
    pub rejects: BTreeMap<String, u64>,
}

/// One node as seen from here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// Node name (or address of a ping node).
    pub name: String,
    /// `normal` or `ping`.
    pub node_type: String,
    /// heartbeat's status word: `active`, `up`, `init`, `dead`, `ping`.
    pub status: String,
    /// heartbeat's node weight (always 100 in v1 clusters).
    pub weight: u32,
    /// heartbeat's node site (empty unless set).
    pub site: String,
    /// The node's heartbeat links.
    pub links: Vec<LinkStatus>,
}

/// One heartbeat link (medium) to a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkStatus {
    /// Interface name as heartbeat names links (e.g. `eth0`).
    pub name: String,
    /// `up` or `dead`.
    pub status: String,
    /// Milliseconds since a heartbeat last arrived on it, if one ever did.
    pub last_heard_ms: Option<u64>,
    /// Heartbeats that arrived later than `warntime`.
    pub late_heartbeats: u64,
    /// The latest of them, in milliseconds past its due time.
    pub max_late_ms: u64,
}

/// One resource group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStatus {
    /// The group's position in `haresources`, from 0.
    pub index: usize,
    /// The preferred node (first word of its `haresources` line).
    pub preferred: String,
    /// The resources, as written in `haresources`.
    pub resources: Vec<String>,
    /// The node holding it, if any.
    pub owner: Option<String>,
    /// `started`, `starting`, `stopping`, `stopped`, `failed`.
    pub state: String,
    /// Milliseconds since the last ownership change.
    pub since_ms: u64,
    /// Why it is where it is (e.g. "peer n1 dead", "failback", "standby requested").
    pub reason: String,
}

/// An engine event with its time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub unix_ms: u64,
    /// Event name, e.g. `node_dead`, `link_down`, `group_acquired`.
    pub event: String,
    /// Details for people.
    pub detail: String,
}
