//! The crate's error type.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = PlatformError> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to the operating system.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlatformError {
    /// A socket or file operation failed; `what` says which.
    #[error("{what}: {source}")]
    Io {
        /// The operation that failed, e.g. "bind ucast eth0".
        what: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A netlink request failed.
    #[error("netlink {what}: {message}")]
    Netlink {
        /// The request, e.g. "add address 10.0.0.1/24 on eth0".
        what: String,
        /// The error as reported by rtnetlink.
        message: String,
    },
    /// An interface name is unknown.
    #[error("no such interface: {0}")]
    NoSuchInterface(String),
    /// An interface has no IPv4 address (needed for bcast/mcast).
    #[error("interface {0} has no IPv4 address")]
    NoIpv4Address(String),
    /// No interface has an address in the same subnet as the virtual address.
    #[error("no interface has an address in a subnet containing {0}; give /prefix/iface")]
    NoMatchingSubnet(std::net::IpAddr),
    /// A host name did not resolve to an IPv4 address.
    #[error("cannot resolve {0} to an IPv4 address")]
    Resolve(String),
    /// A resource or address specification is malformed.
    #[error("invalid {what} {input:?}: {reason}")]
    Invalid {
        /// What was being parsed.
        what: &'static str,
        /// The offending text.
        input: String,
        /// Why it was rejected.
        reason: String,
    },
    /// No executable script was found for a resource.
    #[error("no resource script {name} in {searched:?}")]
    ScriptNotFound {
        /// The resource name.
        name: String,
        /// Directories searched.
        searched: Vec<PathBuf>,
    },
    /// A state file holds something other than what we write.
    #[error("corrupt state file {path}: {reason}")]
    CorruptState {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl PlatformError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        PlatformError::Io { what: what.into(), source }
    }

    pub(crate) fn netlink(what: impl Into<String>, err: impl std::fmt::Display) -> Self {
        PlatformError::Netlink { what: what.into(), message: err.to_string() }
    }
}
