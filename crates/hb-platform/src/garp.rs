//! Gratuitous ARP (IPv4) and unsolicited neighbour advertisements (IPv6) after an address move.
//!
//! What heartbeat does: its `IPaddr` runs `send_arp`. The libnet build sends, per repeat, an ARP
//! **request** and then an ARP **reply**, both to the Ethernet broadcast address, with
//! sender = target = the virtual IP; the Linux (iputils-based) build sends unsolicited requests
//! only, one per second. We send both forms, like the libnet tool, because some hosts only
//! update their cache from one of them:
//! - request: `op=1, sha=<mac>, spa=<vip>, tha=ff:ff:ff:ff:ff:ff, tpa=<vip>`
//! - reply:   `op=2, sha=<mac>, spa=<vip>, tha=<mac>,               tpa=<vip>`
//!
//! A "round" is one request plus one reply. [`GarpConfig::default`] is 3 rounds with no pause,
//! so all 6 frames leave at once on the takeover path; a non-zero interval spreads them.
//! Linux caches ignore updates within `locktime` (1 s by default) of the previous one, so a
//! second burst later (the daemon's job, e.g. `interval = 1 s`) helps such neighbours.
//!
//! IPv6: an unsolicited neighbour advertisement (ICMPv6 type 136, override flag set, target
//! link-layer address option) to ff02::1 from the address itself, hop limit 255.

use std::mem::size_of;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, SockAddrStorage, Socket, Type};

use crate::{PlatformError, Result};

/// How many announcements to send and how far apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GarpConfig {
    /// Number of rounds (each round = ARP request + ARP reply, or one NA for IPv6).
    pub rounds: u32,
    /// Pause between rounds; zero sends the whole burst at once.
    pub interval: Duration,
}

impl Default for GarpConfig {
    fn default() -> Self {
        GarpConfig { rounds: 3, interval: Duration::ZERO }
    }
}

/// Upper bound on rounds (limit on everything): a misconfiguration must not flood the LAN.
pub const MAX_ROUNDS: u32 = 100;

/// ARP operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArpOp {
    /// ARP request (op 1).
    Request,
    /// ARP reply (op 2).
    Reply,
}

/// The 28-byte ARP payload (Ethernet/IPv4) for a gratuitous announcement of `ip` at `mac`.
pub fn arp_payload(op: ArpOp, mac: [u8; 6], ip: Ipv4Addr) -> [u8; 28] {
    let mut p = [0u8; 28];
    p[0..2].copy_from_slice(&1u16.to_be_bytes()); // hardware: Ethernet
    p[2..4].copy_from_slice(&0x0800u16.to_be_bytes()); // protocol: IPv4
    p[4] = 6;
    p[5] = 4;
    let (code, tha) = match op {
        ArpOp::Request => (1u16, [0xff; 6]),
        ArpOp::Reply => (2u16, mac),
    };
    p[6..8].copy_from_slice(&code.to_be_bytes());
    p[8..14].copy_from_slice(&mac);
    p[14..18].copy_from_slice(&ip.octets());
    p[18..24].copy_from_slice(&tha);
    p[24..28].copy_from_slice(&ip.octets());
    p
}

/// Parses an Ethernet/IPv4 ARP payload: `(op, sender mac, sender ip, target ip)`.
pub fn parse_arp(p: &[u8]) -> Option<(u16, [u8; 6], Ipv4Addr, Ipv4Addr)> {
    if p.len() < 28 || p[0..6] != [0, 1, 8, 0, 6, 4] {
        return None;
    }
    let op = u16::from_be_bytes([p[6], p[7]]);
    let sha = <[u8; 6]>::try_from(&p[8..14]).ok()?;
    let spa = Ipv4Addr::new(p[14], p[15], p[16], p[17]);
    let tpa = Ipv4Addr::new(p[24], p[25], p[26], p[27]);
    Some((op, sha, spa, tpa))
}

/// Sends gratuitous ARP for `ip` on interface `ifindex` with source `mac`, per `cfg`, on a
/// fresh socket. Returns the number of frames sent. Prefer a long-lived [`ArpSocket`] on the
/// takeover path: closing an `AF_PACKET` socket waits for an RCU grace period (milliseconds).
pub async fn announce_ipv4(
    ifindex: u32,
    mac: [u8; 6],
    ip: Ipv4Addr,
    cfg: GarpConfig,
) -> Result<u32> {
    ArpSocket::open()?.announce(ifindex, mac, ip, cfg).await
}

/// A send-only `AF_PACKET` socket for gratuitous ARP, reusable for any interface.
#[derive(Debug)]
pub struct ArpSocket(Socket);

impl ArpSocket {
    /// Opens the socket (needs `CAP_NET_RAW`). It receives nothing (protocol 0).
    pub fn open() -> Result<Self> {
        Socket::new(Domain::PACKET, Type::DGRAM, None)
            .map(ArpSocket)
            .map_err(|e| PlatformError::io("open AF_PACKET socket", e))
    }

    /// Sends `cfg.rounds` × (request + reply) for `ip` at `mac` on `ifindex`; returns the
    /// number of frames sent. Sleeps only between rounds, only if `cfg.interval` is non-zero.
    pub async fn announce(
        &self,
        ifindex: u32,
        mac: [u8; 6],
        ip: Ipv4Addr,
        cfg: GarpConfig,
    ) -> Result<u32> {
        let dest = broadcast_link_addr(ifindex)?;
        let request = arp_payload(ArpOp::Request, mac, ip);
        let reply = arp_payload(ArpOp::Reply, mac, ip);
        let mut sent = 0;
        for round in 0..cfg.rounds.min(MAX_ROUNDS) {
            if round > 0 && !cfg.interval.is_zero() {
                tokio::time::sleep(cfg.interval).await;
            }
            for frame in [&request, &reply] {
                self.0
                    .send_to(frame, &dest)
                    .map_err(|e| PlatformError::io(format!("send gratuitous ARP for {ip}"), e))?;
                sent += 1;
            }
        }
        Ok(sent)
    }
}

/// The ICMPv6 neighbour advertisement body (type 136) announcing `target` at `mac` with the
/// override flag; the checksum is left zero for the kernel to fill in (raw ICMPv6 socket).
pub fn na_payload(target: Ipv6Addr, mac: [u8; 6]) -> [u8; 32] {
    let mut p = [0u8; 32];
    p[0] = 136;
    p[4] = 0x20; // O (override); not R (router), not S (solicited)
    p[8..24].copy_from_slice(&target.octets());
    p[24] = 2; // option: target link-layer address
    p[25] = 1; // length in units of 8 bytes
    p[26..32].copy_from_slice(&mac);
    p
}

/// Sends unsolicited neighbour advertisements for `addr` (which must already be configured,
/// non-tentative, on `ifname`) to all nodes (ff02::1). Returns the number sent.
pub async fn announce_ipv6(
    ifname: &str,
    ifindex: u32,
    mac: [u8; 6],
    addr: Ipv6Addr,
    cfg: GarpConfig,
) -> Result<u32> {
    let what = |e| PlatformError::io(format!("neighbour advertisement for {addr} on {ifname}"), e);
    let sock = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6)).map_err(what)?;
    sock.bind_device(Some(ifname.as_bytes())).map_err(what)?;
    sock.set_multicast_hops_v6(255).map_err(what)?;
    sock.set_unicast_hops_v6(255).map_err(what)?;
    sock.set_multicast_if_v6(ifindex).map_err(what)?;
    sock.bind(&SockAddr::from(SocketAddrV6::new(addr, 0, 0, 0))).map_err(what)?;
    let dest = SockAddr::from(SocketAddrV6::new(
        Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1),
        0,
        0,
        ifindex,
    ));
    let body = na_payload(addr, mac);
    let mut sent = 0;
    for round in 0..cfg.rounds.min(MAX_ROUNDS) {
        if round > 0 && !cfg.interval.is_zero() {
            tokio::time::sleep(cfg.interval).await;
        }
        sock.send_to(&body, &dest).map_err(what)?;
        sent += 1;
    }
    Ok(sent)
}

/// `sockaddr_ll` for "Ethernet broadcast, ARP, on interface `ifindex`".
#[allow(unsafe_code)]
fn broadcast_link_addr(ifindex: u32) -> Result<SockAddr> {
    let index =
        i32::try_from(ifindex).map_err(|_| PlatformError::NoSuchInterface(ifindex.to_string()))?;
    let mut storage = SockAddrStorage::zeroed();
    // SAFETY: `sockaddr_ll` is one of this platform's `sockaddr_*` types and is smaller than
    // `sockaddr_storage` (`view_as` asserts the size). The storage starts zeroed, every field we
    // rely on is written below, and the length handed to `SockAddr::new` is exactly
    // `size_of::<sockaddr_ll>()` with family `AF_PACKET`, matching the written type.
    let addr = unsafe {
        let ll = storage.view_as::<libc::sockaddr_ll>();
        ll.sll_family = libc::AF_PACKET as libc::sa_family_t;
        ll.sll_protocol = (libc::ETH_P_ARP as u16).to_be();
        ll.sll_ifindex = index;
        ll.sll_halen = 6;
        ll.sll_addr[..6].copy_from_slice(&[0xff; 6]);
        SockAddr::new(storage, size_of::<libc::sockaddr_ll>() as libc::socklen_t)
    };
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];

    #[test]
    fn request_and_reply_layout() {
        let ip = Ipv4Addr::new(10, 99, 3, 50);
        let r = arp_payload(ArpOp::Request, MAC, ip);
        assert_eq!(&r[..8], &[0, 1, 8, 0, 6, 4, 0, 1]);
        assert_eq!(&r[8..14], &MAC);
        assert_eq!(&r[14..18], &[10, 99, 3, 50]);
        assert_eq!(&r[18..24], &[0xff; 6]);
        assert_eq!(&r[24..28], &[10, 99, 3, 50]);
        let p = arp_payload(ArpOp::Reply, MAC, ip);
        assert_eq!(&p[6..8], &[0, 2]);
        assert_eq!(&p[18..24], &MAC);
        assert_eq!(parse_arp(&p), Some((2, MAC, ip, ip)));
        assert_eq!(parse_arp(&p[..27]), None);
    }

    #[test]
    fn na_layout() {
        let t: Ipv6Addr = "fd00:99::50".parse().unwrap_or(Ipv6Addr::LOCALHOST);
        let p = na_payload(t, MAC);
        assert_eq!(p[0], 136);
        assert_eq!(p[4], 0x20);
        assert_eq!(&p[8..24], &t.octets());
        assert_eq!(&p[24..26], &[2, 1]);
        assert_eq!(&p[26..], &MAC);
    }
}
