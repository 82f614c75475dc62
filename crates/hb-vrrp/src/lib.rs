//! The sans-IO VRRP engine of heartbeat-rs: RFC 3768 (VRRPv2) and RFC 5798 (VRRPv3) as
//! keepalived 2.2.7 runs them, so that a heartbeat-rs node and a keepalived node form one
//! virtual router, plus the advertisement codec.
//!
//! Contract: the engine reads no clock, opens no socket or file, spawns no thread and has no
//! randomness but its seed (the crate's `clippy.toml` bans clock reads). One [`Instance`] per
//! `vrrp_instance`; the shell owns them and runs this loop:
//!
//! 1. `Instance::new(config, seed, now)`; optionally [`Input::Fault`] and
//!    [`Input::PriorityDelta`] for the tracked objects' initial state.
//! 2. Drain [`Instance::poll_output`] until `None`, executing each [`Output`] in order:
//!    [`Output::SendAdvert`] as an IP protocol 112 packet with TTL 255, address changes,
//!    gratuitous ARP/NA bursts, notify hooks (in order, one at a time), events to log.
//! 3. Sleep until [`Instance::poll_timeout`] or until a packet or a tracking change arrives;
//!    feed it with [`Instance::handle_input`] ([`Input::Timeout`] when the deadline passed) or
//!    [`Instance::handle_packet`] (raw payload: parsed, checked, counted); go to 2.
//!
//! # API
//! - Codec: [`Advert::parse`]`(bytes, src, dst) -> Result<Advert, Reject>` and
//!   [`Advert::emit`]`(src, dst) -> Result<Vec<u8>, EmitError>`; v2 (IPv4, 8-byte auth field,
//!   [`Password::from_config`] reports a cut password) and v3 (IPv4/IPv6, pseudo-header
//!   checksum). [`Reject`] names each refusal; [`RejectCounts`] counts them.
//! - Engine: [`InstanceConfig`] (vrid, priority, `advert_int` in centiseconds, version,
//!   `state`, `nopreempt`, `preempt_delay`, PASS auth, primary address, virtual addresses,
//!   unicast peers or multicast, GARP settings; family from the primary address),
//!   [`Instance::new`], [`Instance::handle_input`] with [`Input`] (advert + source + TTL,
//!   timeout, priority delta from tracked scripts/interfaces, fault, shutdown),
//!   [`Instance::poll_output`] with [`Output`] (send advert, add/remove addresses, announce,
//!   notify, [`Event`] with state changes from/to/[`Reason`]), [`Instance::counters`].
//! - Sync groups: [`SyncGroup`] (`vrrp_sync_group`) is pure logic over the shell's instances:
//!   [`SyncGroup::follow`] gives the [`Input::SyncMaster`]/[`Input::SyncBackup`] inputs for the
//!   other members after one changed state, [`SyncGroup::group_faults`] the
//!   [`Input::GroupFault`] of each member, [`SyncGroup::group_state`] the group's own state
//!   for its notify scripts.
//! - Time: [`Instant`], nanoseconds on the shell's monotonic clock.
//!
//! # Semantics
//! - Start: Backup with the master-down timer (3 × interval + skew), also with
//!   `state MASTER` as keepalived 2.2.7 does; priority 255 becomes Master at once.
//! - Skew as keepalived computes it (see [`timing`]); v3 learns the master's interval.
//! - Backup: a priority-0 advert cuts the wait to the skew time; adverts from an equal or
//!   higher priority (any priority with `nopreempt`, a lower one during `preempt_delay`)
//!   re-arm the timer; lower ones are discarded so the timer runs out (preemption).
//! - Master: a higher priority, or an equal one from a higher primary address, makes it
//!   Backup; a priority-0 advert is answered at once; a lower one is a dual master: we
//!   re-advertise at once and (beyond keepalived) re-announce and re-notify, rate-limited.
//! - Fault and shutdown while Master send a priority-0 advert and remove the addresses.
//! - Every check that refuses a packet has its own [`Reject`] reason and counter.
//!
//! Limits: 255 virtual addresses (the count byte), 64 unicast peers, 1024 queued events.
mod api;
mod codec;
mod config;
mod instance;
mod receive;
mod reject;
mod sync;
mod time;
pub mod timing;

pub use api::{Counters, Event, Input, Output, Reason, State};
pub use codec::{
    checksum, Advert, Auth, EmitError, Password, Version, AUTH_LEN, HEADER_LEN, IPPROTO_VRRP,
    MAX_ADDRESSES, MAX_V3_INTERVAL_CS, MULTICAST_V4, MULTICAST_V6, VRRP_TTL,
};
pub use config::{ConfigError, InitialState, InstanceConfig, MAX_PREEMPT_DELAY, MAX_UNICAST_PEERS};
pub use instance::{Instance, PRIORITY_OWNER};
pub use reject::{Reject, RejectCounts};
pub use sync::{SyncGroup, MAX_SYNC_MEMBERS};
pub use time::Instant;
