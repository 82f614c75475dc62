//! The heartbeat-rs admin API: the requests the admin tools send to the daemon and the answers
//! they get, as versioned JSON, one object per line, over a Unix socket.
//!
//! The daemon parses a [`Request`] into a command for the engine's owner and answers from a
//! status snapshot; the tools (`hbctl`, `cl_status`, `hb_standby`, `hb_takeover`) only ever see
//! these types. Nothing here touches the engine, so the tools stay small.

mod client;
mod types;

pub use client::{Client, ClientError};
pub use types::*;

/// Version of the message format; bumped on any incompatible change.
pub const PROTOCOL_VERSION: u32 = 1;

/// Default path of the admin socket.
pub const DEFAULT_SOCKET: &str = "/run/heartbeat/api.sock";

/// Environment variable that overrides [`DEFAULT_SOCKET`] for every tool.
pub const SOCKET_ENV: &str = "HB_API_SOCKET";

/// Largest request or response line accepted, in bytes. A status of 100 nodes with a few links
/// each and a few hundred groups stays far below it.
pub const MAX_LINE: usize = 1 << 20;

/// Default path of the keepalived mode's admin socket (the VRRP daemon started as
/// `keepalived`), which answers [`Request::Status`] with [`Status::vrrp`] filled.
pub const DEFAULT_VRRP_SOCKET: &str = "/run/heartbeat/vrrp.sock";

/// Environment variable that overrides [`DEFAULT_VRRP_SOCKET`] for the daemon and the tools.
pub const VRRP_SOCKET_ENV: &str = "HB_VRRP_API_SOCKET";

/// The keepalived mode's socket path: `$HB_VRRP_API_SOCKET`, else [`DEFAULT_VRRP_SOCKET`].
pub fn vrrp_socket_path() -> std::path::PathBuf {
    std::env::var_os(VRRP_SOCKET_ENV)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| DEFAULT_VRRP_SOCKET.into())
}

/// The socket path the tools use: `$HB_API_SOCKET`, else [`DEFAULT_SOCKET`].
pub fn socket_path() -> std::path::PathBuf {
    std::env::var_os(SOCKET_ENV)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| DEFAULT_SOCKET.into())
}
