//! The VRRP socket of one interface: a raw IPv4 socket for IP protocol 112, bound to the
//! device, member of 224.0.0.18 there, TTL 255 for unicast and multicast. Received packets
//! carry their IP header (raw IPv4 sockets always do), which gives the TTL and destination
//! the engine checks without ancillary data.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use hb_vrrp::{IPPROTO_VRRP, MULTICAST_V4, MULTICAST_V6, VRRP_TTL};

/// Largest packet read: an IP header with options (60) plus an advert with 255 addresses.
pub const MAX_PACKET: usize = 2048;

/// One received VRRP packet, its IP header already taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// IP source.
    pub src: IpAddr,
    /// IP destination.
    pub dst: IpAddr,
    /// IP TTL.
    pub ttl: u8,
    /// The VRRP payload.
    pub payload: Vec<u8>,
}

/// Splits an IPv4 packet as a raw socket returns it; `None` for anything that is not a
/// well-formed IPv4 protocol-112 packet (counted by the caller).
pub fn split_ipv4(pkt: &[u8]) -> Option<Received> {
    let first = *pkt.first()?;
    let ihl = usize::from(first & 0x0f) * 4;
    if first >> 4 != 4 || ihl < 20 || pkt.len() < ihl {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([pkt[2], pkt[3]]));
    if pkt[9] != IPPROTO_VRRP || total < ihl || total > pkt.len() {
        return None;
    }
    let ip = |at: usize| IpAddr::V4(Ipv4Addr::new(pkt[at], pkt[at + 1], pkt[at + 2], pkt[at + 3]));
    Some(Received { src: ip(12), dst: ip(16), ttl: pkt[8], payload: pkt[ihl..total].to_vec() })
}

/// The raw socket of one interface.
/// Held as a tokio `UdpSocket`: its datagram calls (`recv`, `send_to`) are exactly what a
/// raw socket needs, and it registers the descriptor without unsafe code.
pub struct VrrpSocket {
    fd: UdpSocket,
    /// IPv6: the interface index (scope of link-local destinations); `None` for IPv4.
    v6_scope: Option<u32>,
}

impl VrrpSocket {
    /// Opens it on `iface`, whose IPv4 address `local` selects the multicast interface.
    pub fn open(iface: &str, local: Ipv4Addr) -> io::Result<VrrpSocket> {
        let s =
            Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(i32::from(IPPROTO_VRRP))))?;
        s.bind_device(Some(iface.as_bytes()))?;
        s.set_ttl_v4(u32::from(VRRP_TTL))?;
        s.set_multicast_ttl_v4(u32::from(VRRP_TTL))?;
        // Our own adverts must not come back to us as another router's.
        s.set_multicast_loop_v4(false)?;
        s.set_multicast_if_v4(&local)?;
        s.join_multicast_v4(&MULTICAST_V4, &local)?;
        s.set_nonblocking(true)?;
        Ok(VrrpSocket { fd: UdpSocket::from_std(s.into())?, v6_scope: None })
    }

    /// A send-only socket on `iface` whose adverts leave from `src` (`unicast_src_ip`, which
    /// need not be the interface's primary address; keepalived peers check the source
    /// against their `unicast_peer` list). Binding a raw socket to an address also queues
    /// packets sent to it; the receive buffer is kept minimal since nothing reads it.
    pub fn open_sender(iface: &str, src: Ipv4Addr) -> io::Result<VrrpSocket> {
        let s =
            Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(i32::from(IPPROTO_VRRP))))?;
        s.bind_device(Some(iface.as_bytes()))?;
        s.bind(&SocketAddr::V4(SocketAddrV4::new(src, 0)).into())?;
        s.set_recv_buffer_size(0)?;
        s.set_ttl_v4(u32::from(VRRP_TTL))?;
        s.set_multicast_ttl_v4(u32::from(VRRP_TTL))?;
        s.set_multicast_loop_v4(false)?;
        s.set_multicast_if_v4(&src)?;
        s.set_nonblocking(true)?;
        Ok(VrrpSocket { fd: UdpSocket::from_std(s.into())?, v6_scope: None })
    }

    /// The IPv6 socket of interface `iface` (index `ifindex`): raw IPv6 protocol 112, member
    /// of ff02::12 there, hop limit 255. IPv6 raw sockets deliver no IP header, so the
    /// destination and hop limit come as ancillary data. The kernel picks the interface's
    /// link-local address as the source of multicast adverts (keepalived's source too).
    pub fn open6(iface: &str, ifindex: u32) -> io::Result<VrrpSocket> {
        use nix::sys::socket::{setsockopt, sockopt};
        let s =
            Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::from(i32::from(IPPROTO_VRRP))))?;
        s.bind_device(Some(iface.as_bytes()))?;
        s.set_unicast_hops_v6(u32::from(VRRP_TTL))?;
        s.set_multicast_hops_v6(u32::from(VRRP_TTL))?;
        s.set_multicast_loop_v6(false)?;
        s.set_multicast_if_v6(ifindex)?;
        s.join_multicast_v6(&MULTICAST_V6, ifindex)?;
        setsockopt(&s, sockopt::Ipv6RecvPacketInfo, &true).map_err(io::Error::from)?;
        setsockopt(&s, sockopt::Ipv6RecvHopLimit, &true).map_err(io::Error::from)?;
        s.set_nonblocking(true)?;
        Ok(VrrpSocket { fd: UdpSocket::from_std(s.into())?, v6_scope: Some(ifindex) })
    }

    /// A send-only IPv6 socket on `iface` (index `ifindex`) whose adverts leave from `src`
    /// (`unicast_src_ip`, or the link-local address): for `unicast_peer`, where the kernel
    /// would otherwise pick a global source and break the checksum's pseudo-header.
    pub fn open_sender6(iface: &str, ifindex: u32, src: Ipv6Addr) -> io::Result<VrrpSocket> {
        let s =
            Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::from(i32::from(IPPROTO_VRRP))))?;
        s.bind_device(Some(iface.as_bytes()))?;
        let scope = if src.is_unicast_link_local() { ifindex } else { 0 };
        s.bind(&SocketAddr::V6(SocketAddrV6::new(src, 0, 0, scope)).into())?;
        s.set_recv_buffer_size(0)?;
        s.set_unicast_hops_v6(u32::from(VRRP_TTL))?;
        s.set_multicast_hops_v6(u32::from(VRRP_TTL))?;
        s.set_multicast_loop_v6(false)?;
        s.set_multicast_if_v6(ifindex)?;
        s.set_nonblocking(true)?;
        Ok(VrrpSocket { fd: UdpSocket::from_std(s.into())?, v6_scope: Some(ifindex) })
    }

    /// Waits for the next packet (undecodable IP headers are returned as `Ok(None)`).
    pub async fn recv(&self) -> io::Result<Option<Received>> {
        if self.v6_scope.is_some() {
            loop {
                self.fd.readable().await?;
                match self.fd.try_io(tokio::io::Interest::READABLE, || recv6(&self.fd)) {
                    Ok(r) => return Ok(r),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        let mut buf = [0u8; MAX_PACKET];
        let n = self.fd.recv(&mut buf).await?;
        Ok(split_ipv4(&buf[..n]))
    }

    /// Sends one advert payload to `dst` (the kernel adds the IP header).
    pub fn send(&self, dst: IpAddr, payload: &[u8]) -> io::Result<usize> {
        // Non-blocking: a full send buffer drops this advert (the next one follows soon)
        // rather than stalling every instance.
        let to = match (dst, self.v6_scope) {
            (IpAddr::V4(d), None) => SocketAddr::V4(SocketAddrV4::new(d, 0)),
            (IpAddr::V6(d), Some(scope)) => SocketAddr::V6(SocketAddrV6::new(d, 0, 0, scope)),
            _ => return Err(io::Error::new(io::ErrorKind::InvalidInput, "address family")),
        };
        self.fd.try_send_to(payload, to)
    }
}

impl VrrpSocket {
    /// Sends one advert payload to `dst`, waiting for the socket to be writable (a fresh
    /// socket's first send, as the crash guardian's is).
    pub async fn send_when_ready(&self, dst: IpAddr, payload: &[u8]) -> io::Result<usize> {
        let IpAddr::V4(d) = dst else {
            return Err(io::Error::new(io::ErrorKind::Unsupported, "IPv6 advert"));
        };
        self.fd.send_to(payload, SocketAddr::V4(SocketAddrV4::new(d, 0))).await
    }
}

/// Reads one IPv6 packet: the VRRP payload, its source, and the destination and hop limit
/// from ancillary data. A packet without them is returned as `None` (counted as malformed).
fn recv6(fd: &UdpSocket) -> io::Result<Option<Received>> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags, SockaddrIn6};
    use std::os::fd::AsRawFd;
    let mut buf = [0u8; MAX_PACKET];
    let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int);
    let mut iov = [io::IoSliceMut::new(&mut buf)];
    let msg =
        recvmsg::<SockaddrIn6>(fd.as_raw_fd(), &mut iov, Some(&mut cmsg), MsgFlags::MSG_DONTWAIT)
            .map_err(io::Error::from)?;
    let (mut dst, mut hops) = (None, None);
    for c in msg.cmsgs().map_err(io::Error::from)? {
        match c {
            ControlMessageOwned::Ipv6PacketInfo(info) => {
                dst = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr));
            }
            ControlMessageOwned::Ipv6HopLimit(h) => hops = u8::try_from(h).ok(),
            _ => {}
        }
    }
    let src = msg.address.map(|a| a.ip());
    let n = msg.bytes;
    Ok(match (src, dst, hops) {
        (Some(src), Some(dst), Some(ttl)) => Some(Received {
            src: IpAddr::V6(src),
            dst: IpAddr::V6(dst),
            ttl,
            payload: buf[..n.min(MAX_PACKET)].to_vec(),
        }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_ipv4_header_and_refuses_bad_ones() {
        let mut p = vec![0x45, 0, 0, 28, 0, 0, 0, 0, 255, 112, 0, 0, 10, 0, 0, 1, 224, 0, 0, 18];
        p.extend_from_slice(&[0x21, 51, 100, 1, 0, 1, 0, 0]);
        let r = split_ipv4(&p).expect("valid");
        assert_eq!((r.ttl, r.payload.len()), (255, 8));
        assert_eq!((r.src, r.dst), ("10.0.0.1".parse().unwrap(), "224.0.0.18".parse().unwrap()));
        let mut wrong_proto = p.clone();
        wrong_proto[9] = 17;
        assert!(split_ipv4(&wrong_proto).is_none());
        assert!(split_ipv4(&p[..10]).is_none());
        let mut long = p.clone();
        long[3] = 200;
        assert!(split_ipv4(&long).is_none(), "total length beyond the buffer");
        assert!(split_ipv4(&[]).is_none());
    }
}
