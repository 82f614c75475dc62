//! Socket set-up for heartbeat's IPv6 media, `ucast6 DEV PEER6` and
//! `mcast6 DEV GROUP PORT HOPS LOOP` (heartbeat 3.0.6's ucast6/mcast6 plugins).
//!
//! Kept apart from [`crate::media`] so the IPv4 paths stay as they were:
//! - `ucast6`: the peer is a numeric IPv6 address (heartbeat does no name lookup here); a
//!   link-local peer gets DEV's index as scope, and a `%scope` that names another interface is
//!   refused. Sent from an unbound socket tied to DEV, to `[PEER]:udpport`; received on
//!   `[::]:udpport` tied to DEV;
//! - `mcast6`: sent to `[GROUP]:PORT` with `IPV6_MULTICAST_IF` = DEV, the hop limit and loop
//!   flag given; received on a socket bound to `[GROUP]:PORT` that joined GROUP on DEV.

use std::io;
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use crate::{PlatformError, Result};

/// Parses a `ucast6` peer (`ADDR` or `ADDR%DEV`) into the destination on `dev` (index `ifindex`).
pub(crate) fn ucast6_peer(peer: &str, dev: &str, ifindex: u32, port: u16) -> Result<SocketAddrV6> {
    let bad = |reason: &str| PlatformError::Invalid {
        what: "ucast6 peer",
        input: peer.to_string(),
        reason: reason.to_string(),
    };
    let (addr, scope) = match peer.split_once('%') {
        Some((a, s)) => (a, Some(s)),
        None => (peer, None),
    };
    let ip: Ipv6Addr = addr.parse().map_err(|_| bad("not a numeric IPv6 address"))?;
    if ip.is_multicast() || ip.is_unspecified() || ip.is_loopback() {
        return Err(bad("multicast, unspecified and loopback addresses cannot be a peer"));
    }
    if let Some(s) = scope {
        if s != dev && s != ifindex.to_string() {
            return Err(bad("the %scope names another interface than the medium's"));
        }
    }
    // Only a link-local destination needs (and may carry) a scope.
    let scope_id = if ip.is_unicast_link_local() { ifindex } else { 0 };
    Ok(SocketAddrV6::new(ip, port, 0, scope_id))
}

/// A sending socket on `dev`, bound now so its ephemeral source port stays fixed.
pub(crate) fn tx_socket6(
    dev: &str,
    extra: impl FnOnce(&Socket) -> io::Result<()>,
) -> Result<UdpSocket> {
    let what = |e| PlatformError::io(format!("IPv6 send socket on {dev}"), e);
    let s = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP)).map_err(what)?;
    s.set_only_v6(true).map_err(what)?;
    s.set_reuse_port(true).map_err(what)?;
    s.bind_device(Some(dev.as_bytes())).map_err(what)?;
    extra(&s).map_err(what)?;
    s.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)).into()).map_err(what)?;
    into_tokio(s).map_err(what)
}

/// A receiving socket on `dev` bound to `[ip]:port`; joins `ip` on `ifindex` when it is a
/// multicast group. Destination addresses are reported (`IPV6_RECVPKTINFO`) so a shared
/// socket can attribute each datagram to its medium.
pub(crate) fn rx_socket6(dev: &str, ifindex: u32, ip: Ipv6Addr, port: u16) -> Result<UdpSocket> {
    let what = |e| PlatformError::io(format!("IPv6 receive socket [{ip}]:{port} on {dev}"), e);
    let s = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP)).map_err(what)?;
    s.set_only_v6(true).map_err(what)?;
    s.set_reuse_address(true).map_err(what)?;
    s.set_reuse_port(true).map_err(what)?;
    s.bind_device(Some(dev.as_bytes())).map_err(what)?;
    if ip.is_multicast() {
        s.join_multicast_v6(&ip, ifindex).map_err(what)?;
    }
    nix::sys::socket::setsockopt(&s, nix::sys::socket::sockopt::Ipv6RecvPacketInfo, &true)
        .map_err(|e| what(io::Error::from(e)))?;
    s.bind(&SocketAddrV6::new(ip, port, 0, 0).into()).map_err(what)?;
    into_tokio(s).map_err(what)
}

fn into_tokio(s: Socket) -> io::Result<UdpSocket> {
    s.set_nonblocking(true)?;
    UdpSocket::from_std(s.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_local_peers_get_the_device_scope_and_global_ones_none() {
        let ll = ucast6_peer("fe80::2", "eth1", 7, 694).unwrap();
        assert_eq!((ll.scope_id(), ll.port()), (7, 694));
        assert_eq!(ucast6_peer("fe80::2%eth1", "eth1", 7, 694).unwrap(), ll);
        assert_eq!(ucast6_peer("fe80::2%7", "eth1", 7, 694).unwrap(), ll);
        assert_eq!(ucast6_peer("fd99::2", "eth1", 7, 700).unwrap().scope_id(), 0);
    }

    #[test]
    fn bad_peers_are_refused_with_the_reason() {
        for (p, why) in [
            ("fe80::2%eth0", "another interface"),
            ("ff02::1", "multicast"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("peer-host", "numeric"),
            ("10.0.0.1", "numeric"),
        ] {
            let e = ucast6_peer(p, "eth1", 7, 694).unwrap_err().to_string();
            assert!(e.contains(why), "{p}: {e}");
        }
    }
}
