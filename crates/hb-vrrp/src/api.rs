//! What goes into and comes out of an [`crate::Instance`].

use std::fmt;
use std::net::IpAddr;

use crate::codec::Advert;
use crate::reject::{Reject, RejectCounts};

/// An instance's VRRP state (RFC 5798 §6.4, plus keepalived's Fault and Stop).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Created, not started: the first input decides where it goes.
    Init,
    /// Listening for the master; takes over when the master-down timer expires.
    Backup,
    /// Owns the virtual addresses and advertises.
    Master,
    /// A tracked interface is down or a tracked script with weight 0 fails: silent.
    Fault,
    /// Shut down; inert.
    Stop,
}

impl State {
    /// keepalived's upper-case name (as in its logs and notify arguments).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
            State::Stop => "STOP",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a state changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// Leaving Init.
    Startup,
    /// Priority 255 address owner, master at once.
    Owner,
    /// No advert from a master for the master-down interval.
    MasterDown,
    /// The master left with a priority-0 advert; we waited only the skew time.
    PriorityZero,
    /// We discarded a lower-priority master's adverts until the master-down timer expired.
    Preempt,
    /// A higher-priority advert arrived while master.
    HigherPriority,
    /// An equal-priority advert from a higher primary address arrived while master.
    EqualPriorityHigherAddress,
    /// A tracked interface or weight-0 script failed.
    Fault,
    /// The fault cleared.
    FaultCleared,
    /// Shutdown was asked.
    Shutdown,
    /// Another member of the instance's `vrrp_sync_group` moved ([`Input::SyncMaster`],
    /// [`Input::SyncBackup`]).
    Sync,
}

/// Something that happened, for logs, metrics and `hbctl status`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The instance changed state. Always followed by [`Output::Notify`] for the new state.
    StateChange {
        /// Previous state.
        from: State,
        /// New state.
        to: State,
        /// Why.
        reason: Reason,
    },
    /// As master we heard a lower-priority master (or an equal one with a lower address): two
    /// masters coexisted (a healed partition). We re-advertised at once, re-announced our
    /// addresses and re-ran the master notify (keepalived only re-advertises).
    DualMaster {
        /// The other master's source address.
        peer: IpAddr,
        /// Its priority.
        peer_priority: u8,
    },
    /// The effective priority changed (tracked script or interface weights).
    PriorityChanged {
        /// Before.
        from: u8,
        /// After.
        to: u8,
    },
    /// A received packet was refused. Emitted on the 1st, 2nd, 4th, 8th… occurrence of each
    /// reason only, so a flood cannot flood the log; [`Counters::rejects`] has every one.
    Rejected {
        /// Why.
        reason: Reject,
        /// The packet's source.
        src: IpAddr,
        /// How many of this reason so far.
        count: u64,
    },
    /// Both sides claim priority 255 for this VRID: a configuration error. Like keepalived we
    /// lower ours to 254 so that one master wins.
    OwnerConflict {
        /// The other owner.
        peer: IpAddr,
    },
}

/// An input to [`crate::Instance::handle_input`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// An advert for this instance, decoded by [`Advert::parse`] (the shell demultiplexes on
    /// VRID and family), with the IP source address and TTL/hop limit it arrived with.
    Advert {
        /// The decoded advert.
        advert: Advert,
        /// IP source address.
        src: IpAddr,
        /// IP TTL (IPv4) or hop limit (IPv6).
        ttl: u8,
    },
    /// The deadline from [`crate::Instance::poll_timeout`] has passed.
    Timeout,
    /// The sum of the weights of failing tracked scripts and interfaces changed: effective
    /// priority = base priority + `delta`, kept within 1..=254 (an owner's 255 never moves).
    PriorityDelta(i32),
    /// A tracked interface went down or a weight-0 tracked script failed (`true`), or every
    /// such fault cleared (`false`).
    Fault(bool),
    /// Another member of this instance's `vrrp_sync_group` is faulty (`true`) or none is
    /// any more (`false`): the instance is in Fault while this or its own [`Input::Fault`]
    /// holds. See [`crate::SyncGroup`].
    GroupFault(bool),
    /// Another member of the sync group became Master: a Backup follows at once.
    SyncMaster,
    /// Another member of the sync group left Master for Backup: a Master follows (no
    /// priority-0 advert; the other router's members take over by their own adverts).
    SyncBackup,
    /// Stop: a master sends a priority-0 advert (its backup takes over after the skew time)
    /// and releases its addresses. The instance is inert afterwards.
    Shutdown,
}

/// What the shell must do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// Send `bytes` as an IP protocol 112 packet with TTL/hop limit 255 from `src` to `dst`
    /// (the multicast group, or one unicast peer: there is one output per peer because the v3
    /// checksum covers the destination). `advert` is the same packet decoded.
    SendAdvert {
        /// Source address (the configured primary address).
        src: IpAddr,
        /// Destination.
        dst: IpAddr,
        /// The encoded VRRP payload.
        bytes: Vec<u8>,
        /// The same, decoded.
        advert: Advert,
    },
    /// Configure every virtual address of the instance.
    AddAddresses,
    /// Remove every virtual address of the instance.
    RemoveAddresses,
    /// Send `repeat` gratuitous ARPs (IPv4) or unsolicited neighbour advertisements (IPv6)
    /// for every virtual address.
    Announce {
        /// How many per address.
        repeat: u32,
    },
    /// Run the notify hooks for entering `state` (`notify_master` …, then `notify`), in order
    /// and one at a time. Also emitted again for Master after a dual-master episode.
    Notify(State),
    /// Something to log or count.
    Event(Event),
}

/// Running totals of one instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Adverts accepted (passed every check).
    pub adverts_received: u64,
    /// Advert packets handed to the shell (one per destination).
    pub adverts_sent: u64,
    /// Priority-0 adverts accepted.
    pub priority_zero_received: u64,
    /// Priority-0 adverts sent (shutdown or fault while master).
    pub priority_zero_sent: u64,
    /// Transitions to Master.
    pub became_master: u64,
    /// Transitions from Master to anything else.
    pub released_master: u64,
    /// Dual-master episodes seen as master (lower-priority adverts).
    pub dual_master: u64,
    /// Accepted adverts whose address list differs from ours (keepalived logs these too).
    pub address_mismatch: u64,
    /// Events dropped because the output queue was full.
    pub events_dropped: u64,
    /// Refused packets, by reason.
    pub rejects: RejectCounts,
}
