//! The only layer of heartbeat-rs that touches the operating system.
//!
//! Contract: every function here performs real I/O (sockets, netlink, processes, files) and
//! nothing here makes cluster decisions. The daemon owns one tokio current-thread runtime and
//! calls into this crate; the sans-IO core never sees it. Parameters are plain values (no
//! dependency on `hb-config` or `hb-core`), so the crate can be tested on its own in network
//! namespaces.
//!
//! - [`media`]: heartbeat's UDP media (`ucast`, `bcast`, `mcast`) as one async [`media::Media`] set.
//! - [`ipaddr`]: native `IPaddr`/`IPaddr2` resources over rtnetlink ([`ipaddr::Netlink`]:
//!   `take_over` = add + announce, `release`, `holds`; addresses we add carry the `IFA_PROTO`
//!   mark [`ipaddr::ADDRESS_PROTO`] so a restarted daemon can find what a crashed one left).
//! - [`garp`]: gratuitous ARP on an `AF_PACKET` socket and IPv6 unsolicited neighbour adverts.
//! - [`script`]: resource scripts (`resource.d`, `init.d`, OCF) with timeouts and group kill.
//! - [`state`]: persistent generation number and node UUID, written atomically.
//! - [`logging`]: heartbeat's log-line format to files, syslog and stderr via `tracing`.

mod error;
pub mod garp;
pub mod ipaddr;
pub mod logging;
pub mod media;
pub mod script;
pub mod state;

pub use error::{PlatformError, Result};
