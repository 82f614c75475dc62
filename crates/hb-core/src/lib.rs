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
//! A new configuration is applied live with [`Node::reconfigure`], which returns the
//! [`ReloadPlan`] (what changed; unchanged groups keep their state) for the shell to execute.
//!
//! Peer messages enter only as `hb_wire::Verified`, which only the authenticator can make.
//! Everything that grows is bounded: nodes ([`config::MAX_NODES`]), retransmit history (500
//! messages), missing-seq tracking (250 per node), queued events.
//!
//! Semantics implemented: keepalive `status` messages (`init`/`up`/`up`, then `active`, with
//! the start-up `dt` bump), per-node and per-link liveness with warntime/deadtime/initdead
//! (a node dies only when silent on every medium), sequence and generation tracking with
//! replay/duplicate rejection, `NS_ackmsg` on heartbeat's residue pattern, `NS_rexmit` after a
//! 50–250 ms delay and answers from a 500-message history or `NS_nak_rexmit`,
//! `reqnodes`/`repnodes`, nice-failback negotiation (`starting`, `resource`, `ask_resources`,
//! `hb_takeover`), takeover on death or `shutdone` (with the `stonith` notice), graceful
//! shutdown, failback, legacy `ip-request`, and split-brain resolution after a partition heals.
//! The message sequences were checked message for message against the lab captures of real
//! heartbeat 3.0.6 nodes (see `tests/capture.rs`).
//!
//! Deliberate differences from heartbeat 3.0.6:
//! - Partition heal: heartbeat restarts itself (releasing everything); we keep running, tell
//!   the peer what we hold, and for each doubly held group the preferred node keeps it and the
//!   other releases it ([`Event::SplitBrainSuspected`]). Against a real peer we simply keep
//!   serving while it restarts. We do not re-declare the returning node dead.
//! - Legacy mode repeats an unanswered `ip-request` every second (heartbeat sends it once),
//!   and after a heal releases the returning peer's own groups and re-asks for ours.
//! - A group whose start fails is stopped, retried here twice after `deadtime`, then offered
//!   once to a peer through the standby exchange; after that (or when it cannot be offered)
//!   retries go on with exponential back-off up to 5 minutes (heartbeat leaves it stopped).
//! - Robustness against loss and reordering that heartbeat lacks: an unanswered automatic
//!   failback is asked again, a failback refused because someone was in flux is retried once
//!   things settle, `ask_resources … me` and `starting` are judged by the sender's state when
//!   it sent them, a requester keeps released groups nobody took, a peer that became active
//!   without us (started during a partition) is reconciled like a returning one, and a
//!   per-generation high-water seq stops replays of pre-partition messages.
//! - In clusters of more than two nodes, where heartbeat's `local`/`foreign` sets are
//!   ambiguous, `resource` messages carry an extra `rsc_groups` field (indices of the groups
//!   held) and partners' `ask_resources` answers an extra `rsc_for` (requester). Two-node
//!   clusters never send them, so their traffic matches the captures field for field.
//! - `ld` is always `n/a` (no `/proc/loadavg` in the engine); we do not ack our own messages.
//!
//! Not implemented: ping nodes, `NS_st`, STONITH devices (we always report `n_stnth` or
//! `unneeded`), `autojoin`, the peer's node-list edits from `repnodes`, flow-control pausing of
//! local clients, heartbeat's "no local heartbeat" self-restart.
mod api;
mod arbitration;
pub mod config;
mod error;
mod from_config;
mod groups;
mod health;
mod lease;
mod legacy;
mod membership;
mod node;
mod peers;
mod receive;
mod reload;
mod resources;
mod rexmit;
mod rng;
mod seqtrack;
mod shutdown;
mod snapshot;
mod standby;
mod takeover;
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
pub use health::{HealthEvent, HealthInput, HealthPolicy};
pub use lease::{KeyState, LeaseEvent, LeaseInput, LeaseRequest, UnreachablePolicy};
pub use node::Node;
pub use reload::{GroupChange, ReloadPlan};
pub use resources::RscState;
pub use snapshot::{GroupSnapshot, LinkSnapshot, NodeSnapshot, Snapshot};
pub use time::Instant;

#[cfg(test)]
mod tests;
