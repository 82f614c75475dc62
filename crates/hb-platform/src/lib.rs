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
//! - [`check`]: health checks (program, resource status, TCP, HTTP) with fall/rise, shared by
//!   the heartbeat and keepalived modes.
//! - [`state`]: persistent generation number and node UUID, written atomically.
//! - [`logging`]: heartbeat's log-line format to files, syslog and stderr via `tracing`.

//!
//! # Example: the daemon's use, in outline
//!
//! ```no_run
//! # async fn outline() -> Result<(), hb_platform::PlatformError> {
//! use hb_platform::{garp::GarpConfig, ipaddr::Netlink, media::{Media, MediumSpec}, state::StateDir};
//! let state = StateDir::open(hb_platform::state::DEFAULT_STATE_DIR)?;
//! let generation = state.increment_generation(0)?; // before the first packet
//! let uuid = state.node_uuid()?;
//! let mut media = Media::open(
//!     &[MediumSpec::Ucast { dev: "eth0".into(), peer: "n2".into() }],
//!     hb_platform::media::DEFAULT_UDP_PORT,
//! )
//! .await?;
//! let report = media.send_all(b"###\n...").await; // one datagram on every medium
//! let datagram = media.recv().await; // tagged with its link id; drop our own by `src`
//! let nl = Netlink::new()?;
//! let takeover = nl.take_over(&"10.0.0.50/24/eth0".parse()?, GarpConfig::default()).await?;
//! # let _ = (generation, uuid, report, datagram, takeover);
//! # Ok(())
//! # }
//! ```

pub mod check;
mod error;
pub mod garp;
pub mod ipaddr;
pub mod logging;
pub mod media;
mod media6;
pub mod own_filter;
pub mod script;
pub mod state;

pub use error::{PlatformError, Result};
