//! `haresources`: resource groups, one per line, each with a preferred node.
//!
//! Syntax (heartbeat v1): `preferred-node resource…`; a resource is `Name::arg1::arg2`
//! (a script in `resource.d/` or `init.d/` called with the arguments then start/stop/status),
//! a bare IPv4 address meaning `IPaddr::ADDR`, or `ocf:PROVIDER:AGENT::name=value…`. `#` starts
//! a comment line; a trailing `\` continues the group on the next line. The first resource,
//! exactly as written, is the group's key on the wire.

mod parse;
mod reserved;
mod resolve;
mod types;

pub use parse::parse_haresources;
pub use resolve::{resolve_scripts, ScriptRoots};
pub use types::*;

/// Parses an `IP[/prefix[/interface[/broadcast]]]` spec (used by the fuzz invariants).
pub(crate) fn parse_ip_spec_for_fuzz(s: &str) -> Result<IpAddrSpec, String> {
    parse::parse_ip_spec(s)
}

#[cfg(test)]
mod haresources_test;
