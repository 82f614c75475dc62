//! The sans-IO cluster engine of heartbeat-rs: membership, failure detection and resource-group
//! ownership of Linux-HA Heartbeat 3.0.6 in v1 mode (`crm no`), as a pure state machine.
//!
//! Contract: the engine reads no clock, opens no socket or file, spawns no thread and has no
//! randomness but its seed. The shell owns a [`Node`] and runs this loop:
//!
//! 1. `Node::new(config, seed, now)`, then `handle_input(now, Input::WallClock(unix_secs))`.
//! 2. Drain [`Node::poll_output`] until `None`, executing each [`Output`] in order
//!    ([`Output::PersistGeneration`] durably before the rest; [`Output::Transmit`] sealed with the
//!    `hb_wire::Authenticator` and sent on every medium; [`Output::RunAction`] run in the
//!    background and reported back as [`Input::ActionDone`]).
//! 3. Sleep until [`Node::poll_timeout`] (the next deadline) or until a datagram, admin command,
//!    action completion or link change arrives; feed it with [`Node::handle_input`]
//!    ([`Input::Timeout`] when the deadline passed); go to 2.
//!
//! Peer messages enter only as `hb_wire::Verified`, which only the authenticator can make.
//! Everything that grows is bounded: nodes ([`config::MAX_NODES`]), retransmit history (500
//! messages), missing-seq tracking (250 per node), queued events.
//!
//! Semantics implemented: keepalive `status` messages, per-node and per-link liveness with
//! warntime/deadtime/initdead, sequence and generation tracking with replay/duplicate
//! rejection, `NS_ackmsg`, `NS_rexmit`/`NS_nak_rexmit`, `reqnodes`/`repnodes`, nice-failback
//! resource negotiation (`starting`, `resource`, `ask_resources`, `hb_takeover`), takeover on
//! death or `shutdone`, graceful shutdown, failback, legacy `ip-request`, and split-brain
//! resolution after a partition heals (the preferred node keeps a doubly held group).

mod api;
pub mod config;
mod error;
mod groups;
mod legacy;
mod membership;
mod node;
mod peers;
mod receive;
mod resources;
mod rexmit;
mod rng;
mod seqtrack;
mod shutdown;
mod snapshot;
mod standby;
mod time;
mod timers;
mod txhist;
mod wire_msg;

pub use api::{
    Action, ActionResult, AdminCommand, DropReason, Event, GroupId, Input, LinkId, NodeStatus,
    Output, OwnershipReason, ResourceSet,
};
pub use config::{AutoFailback, EngineConfig, GroupConfig};
pub use error::CoreError;
pub use groups::GroupState;
pub use node::Node;
pub use resources::RscState;
pub use snapshot::{GroupSnapshot, LinkSnapshot, NodeSnapshot, Snapshot};
pub use time::Instant;

#[cfg(test)]
mod tests;
