//! Heartbeat's UDP media: `ucast`, `bcast`, `mcast`, `ucast6` and `mcast6`, several at once,
//! as one async set (the IPv6 socket set-up is in `media6`).
//!
//! Behaviour follows heartbeat 3.0.6's HBcomm plugins (protocol notes §9):
//! - one message = one datagram; [`Media::send_all`] writes it to **every** medium;
//! - `ucast DEV PEER`: sent from an unbound socket (ephemeral source port, constant for the
//!   life of the [`Media`]) with `SO_BINDTODEVICE DEV`, `SO_REUSEPORT`, IP TOS 0x10 (low delay)
//!   to `PEER:udpport`; `PEER` may be a host name (resolved once, at open);
//! - `bcast DEV`: sent to DEV's IPv4 broadcast address with `SO_BROADCAST`, bound to DEV;
//! - `mcast DEV GROUP PORT TTL LOOP`: sent to GROUP:PORT with `IP_MULTICAST_IF` = DEV's
//!   address, the TTL and loop flag given; received on a socket bound to GROUP:PORT joined on DEV;
//! - receive sockets are bound to `0.0.0.0:udpport` with `SO_REUSEADDR`, `SO_REUSEPORT`,
//!   `SO_BINDTODEVICE DEV`. Media sharing (device, port) share one receive socket, so a datagram
//!   is read once; `IP_PKTINFO` gives its destination address, so a broadcast copy is
//!   attributed to the bcast medium and a unicast copy to the ucast medium whose peer sent it.
//!
//! What this layer does **not** do (belongs to the daemon/core): dropping our own messages.
//! A node receives its own broadcasts, its own multicasts when `loop` is 1, and its own
//! unicasts when a shared ha.cf lists its own address; heartbeat drops them by `src` = own
//! node name after authentication. The sender's address and port are reported but carry no
//! identity (heartbeat ignores them).

use std::collections::HashMap;
use std::future::poll_fn;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::task::Poll;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

use crate::ipaddr::{ipv4_broadcast, Netlink};
use crate::{media6, PlatformError, Result};

/// Heartbeat's default `udpport`.
pub const DEFAULT_UDP_PORT: u16 = 694;
/// Largest datagram we accept (heartbeat's MAXMSG is 256 KiB; UDP caps at 64 KiB).
pub const MAX_DATAGRAM: usize = 65_535;
/// IP TOS heartbeat sets on its packets.
const IPTOS_LOWDELAY: u32 = 0x10;
/// Limit on configured media.
pub const MAX_MEDIA: usize = 64;

/// One medium line of ha.cf (a `bcast` line with several devices is several media).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediumSpec {
    /// `ucast DEV PEER` (PEER is an IPv4 address or a host name).
    Ucast {
        /// Interface.
        dev: String,
        /// Peer address or host name.
        peer: String,
    },
    /// `bcast DEV`.
    Bcast {
        /// Interface.
        dev: String,
    },
    /// `mcast DEV GROUP PORT TTL LOOP`.
    Mcast {
        /// Interface.
        dev: String,
        /// Multicast group.
        group: Ipv4Addr,
        /// UDP port (udpport does not apply).
        port: u16,
        /// Multicast TTL (heartbeat: 0–4 typical, 1–255 allowed).
        ttl: u8,
        /// Whether our own multicasts loop back to us.
        multicast_loop: bool,
    },
    /// `ucast6 DEV PEER6` (a numeric IPv6 address, `%DEV` scope allowed).
    Ucast6 {
        /// Interface.
        dev: String,
        /// Peer address.
        peer: String,
    },
    /// `mcast6 DEV GROUP PORT HOPS LOOP`.
    Mcast6 {
        /// Interface.
        dev: String,
        /// IPv6 multicast group.
        group: Ipv6Addr,
        /// UDP port (udpport does not apply).
        port: u16,
        /// Multicast hop limit.
        hops: u8,
        /// Whether our own multicasts loop back to us.
        multicast_loop: bool,
    },
}

impl MediumSpec {
    /// The interface of this medium (heartbeat names links by it).
    pub fn dev(&self) -> &str {
        match self {
            MediumSpec::Ucast { dev, .. }
            | MediumSpec::Bcast { dev }
            | MediumSpec::Mcast { dev, .. }
            | MediumSpec::Ucast6 { dev, .. }
            | MediumSpec::Mcast6 { dev, .. } => dev,
        }
    }
}

/// A received datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Index of the medium (in the order given to [`Media::open`]): the link id.
    pub link: usize,
    /// Sender's address (informational only).
    pub from: SocketAddr,
    /// Payload.
    pub data: Vec<u8>,
}

/// Result of one [`Media::send_all`]: which media failed, and why.
#[derive(Debug, Default)]
pub struct SendReport {
    /// Number of media the datagram was written to.
    pub sent: usize,
    /// `(link, error)` for every medium that failed.
    pub failed: Vec<(usize, io::Error)>,
}

/// The set of open media.
pub struct Media {
    links: Vec<Link>,
    receivers: Vec<Receiver>,
    next_rx: usize,
    buf: Vec<u8>,
    /// Sources of our own datagrams dropped in the kernel ([`Media::ignore_own_source`]).
    own_sources: Vec<SocketAddrV4>,
}

struct Link {
    spec: MediumSpec,
    tx: UdpSocket,
    dest: SocketAddr,
}

struct Receiver {
    sock: UdpSocket,
    /// Media served by this socket.
    links: Vec<(usize, RxKind)>,
}

/// What kind of traffic a medium receives on a (possibly shared) socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RxKind {
    /// Unicast from this peer.
    Ucast(IpAddr),
    /// Broadcast to this address.
    Bcast(Ipv4Addr),
    /// Multicast (the socket is bound to the group).
    Mcast,
}

impl Media {
    /// Opens sockets for every medium. `udpport` applies to ucast, ucast6 and bcast. Must run inside a
    /// tokio runtime (it registers the sockets and asks netlink for interface addresses).
    pub async fn open(specs: &[MediumSpec], udpport: u16) -> Result<Media> {
        if specs.is_empty() || specs.len() > MAX_MEDIA {
            return Err(PlatformError::Invalid {
                what: "media list",
                input: format!("{} media", specs.len()),
                reason: format!("need 1 to {MAX_MEDIA}"),
            });
        }
        let nl = Netlink::new()?;
        let mut links = Vec::with_capacity(specs.len());
        let mut rx_keys: HashMap<(String, IpAddr, u16), usize> = HashMap::new();
        let mut receivers: Vec<Receiver> = Vec::new();
        for (index, spec) in specs.iter().enumerate() {
            let dev = spec.dev();
            let ifindex = nl.link(dev).await?.index;
            let (tx, dest, rx_bind, kind): (_, _, (IpAddr, u16), _) = match spec {
                MediumSpec::Ucast { peer, .. } => {
                    let ip = resolve_v4(peer, udpport).await?;
                    let tx = tx_socket(dev, |_| Ok(()))?;
                    let dest = SocketAddr::from((ip, udpport));
                    (
                        tx,
                        dest,
                        (Ipv4Addr::UNSPECIFIED.into(), udpport),
                        RxKind::Ucast(IpAddr::V4(ip)),
                    )
                }
                MediumSpec::Bcast { .. } => {
                    let a = nl.ipv4_of(dev).await?;
                    let bcast = match (a.broadcast, a.addr) {
                        (Some(b), _) => b,
                        (None, IpAddr::V4(v4)) => ipv4_broadcast(v4, a.prefix),
                        (None, IpAddr::V6(_)) => {
                            return Err(PlatformError::NoIpv4Address(dev.into()))
                        }
                    };
                    let tx = tx_socket(dev, |s| s.set_broadcast(true))?;
                    (
                        tx,
                        SocketAddr::from((bcast, udpport)),
                        (Ipv4Addr::UNSPECIFIED.into(), udpport),
                        RxKind::Bcast(bcast),
                    )
                }
                MediumSpec::Mcast { group, port, ttl, multicast_loop, .. } => {
                    let IpAddr::V4(local) = nl.ipv4_of(dev).await?.addr else {
                        return Err(PlatformError::NoIpv4Address(dev.into()));
                    };
                    let tx = tx_socket(dev, |s| {
                        s.set_multicast_if_v4(&local)?;
                        s.set_multicast_ttl_v4(u32::from(*ttl))?;
                        s.set_multicast_loop_v4(*multicast_loop)
                    })?;
                    (tx, SocketAddr::from((*group, *port)), ((*group).into(), *port), RxKind::Mcast)
                }
                MediumSpec::Ucast6 { peer, .. } => {
                    let dest = media6::ucast6_peer(peer, dev, ifindex, udpport)?;
                    let tx = media6::tx_socket6(dev, |_| Ok(()))?;
                    let kind = RxKind::Ucast(IpAddr::V6(*dest.ip()));
                    (tx, dest.into(), (Ipv6Addr::UNSPECIFIED.into(), udpport), kind)
                }
                MediumSpec::Mcast6 { group, port, hops, multicast_loop, .. } => {
                    let tx = media6::tx_socket6(dev, |s| {
                        s.set_multicast_if_v6(ifindex)?;
                        s.set_multicast_hops_v6(u32::from(*hops))?;
                        s.set_multicast_loop_v6(*multicast_loop)
                    })?;
                    let dest = SocketAddrV6::new(*group, *port, 0, ifindex);
                    (tx, dest.into(), ((*group).into(), *port), RxKind::Mcast)
                }
            };
            let key = (dev.to_string(), rx_bind.0, rx_bind.1);
            let rx_index = match rx_keys.get(&key) {
                Some(&i) => i,
                None => {
                    let sock = match rx_bind.0 {
                        IpAddr::V4(ip) => rx_socket(spec, ip, rx_bind.1, &nl).await?,
                        IpAddr::V6(ip) => media6::rx_socket6(dev, ifindex, ip, rx_bind.1)?,
                    };
                    receivers.push(Receiver { sock, links: Vec::new() });
                    rx_keys.insert(key, receivers.len() - 1);
                    receivers.len() - 1
                }
            };
            if let Some(r) = receivers.get_mut(rx_index) {
                r.links.push((index, kind));
            }
            links.push(Link { spec: spec.clone(), tx, dest });
        }
        Ok(Media {
            links,
            receivers,
            next_rx: 0,
            buf: vec![0; MAX_DATAGRAM],
            own_sources: Vec::new(),
        })
    }

    /// The media, in link-id order.
    pub fn specs(&self) -> impl Iterator<Item = &MediumSpec> {
        self.links.iter().map(|l| &l.spec)
    }

    /// Where medium `link` sends to.
    pub fn destination(&self, link: usize) -> Option<SocketAddr> {
        self.links.get(link).map(|l| l.dest)
    }

    /// Local address of the sending socket of medium `link` (its source port is what peers see).
    pub fn source(&self, link: usize) -> Option<SocketAddr> {
        self.links.get(link).and_then(|l| l.tx.local_addr().ok())
    }

    /// `from` sent one of our own datagrams back to us (the caller recognised it byte for
    /// byte): when it is an IPv4 address with the port of one of our sending sockets, datagrams
    /// from exactly there are dropped in the kernel from now on, on every IPv4 receive socket
    /// (see [`crate::own_filter`]). Returns whether a new filter was attached; `Ok(false)` when
    /// `from` is already filtered, not ours, IPv6, or the limit of pairs is reached.
    pub fn ignore_own_source(&mut self, from: SocketAddr) -> io::Result<bool> {
        let SocketAddr::V4(from) = from else { return Ok(false) };
        if self.own_sources.contains(&from)
            || self.own_sources.len() >= crate::own_filter::MAX_PAIRS
        {
            return Ok(false);
        }
        let ours =
            self.links.iter().any(|l| l.tx.local_addr().is_ok_and(|a| a.port() == from.port()));
        if !ours {
            return Ok(false);
        }
        self.own_sources.push(from);
        for r in &self.receivers {
            if r.sock.local_addr().is_ok_and(|a| a.is_ipv4()) {
                crate::own_filter::attach(socket2::SockRef::from(&r.sock), &self.own_sources)?;
            }
        }
        Ok(true)
    }

    /// Writes `datagram` once on every medium. A failing medium does not stop the others.
    pub async fn send_all(&self, datagram: &[u8]) -> SendReport {
        let mut report = SendReport::default();
        for (i, link) in self.links.iter().enumerate() {
            match link.tx.send_to(datagram, link.dest).await {
                Ok(_) => report.sent += 1,
                Err(e) => report.failed.push((i, e)),
            }
        }
        report
    }

    /// Writes `datagram` on medium `link` only.
    pub async fn send_on(&self, link: usize, datagram: &[u8]) -> io::Result<()> {
        let l = self
            .links
            .get(link)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such medium"))?;
        l.tx.send_to(datagram, l.dest).await.map(|_| ())
    }

    /// Waits for the next datagram on any medium. Cancel-safe: no datagram is lost if the
    /// future is dropped before it completes.
    pub async fn recv(&mut self) -> io::Result<Datagram> {
        let Media { receivers, next_rx, buf, .. } = self;
        poll_fn(|cx| {
            let n = receivers.len();
            for k in 0..n {
                let i = (*next_rx + k) % n;
                let Some(r) = receivers.get(i) else { continue };
                // Re-poll after a spurious wake-up so the waker stays registered.
                loop {
                    match r.sock.poll_recv_ready(cx) {
                        Poll::Ready(Ok(())) => {}
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => break,
                    }
                    match r.sock.try_io(Interest::READABLE, || recv_with_dst(&r.sock, buf)) {
                        Ok((len, from, dst)) => {
                            // Fairness: start with the next socket next time.
                            *next_rx = (i + 1) % n;
                            let data = buf.get(..len).map(<[u8]>::to_vec).unwrap_or_default();
                            let link = attribute(&r.links, from.ip(), dst);
                            return Poll::Ready(Ok(Datagram { link, from, data }));
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
            }
            Poll::Pending
        })
        .await
    }
}

/// Reads one datagram with its source and the destination address from its IP header
/// (IPv4 or IPv6 socket alike).
fn recv_with_dst(
    sock: &UdpSocket,
    buf: &mut [u8],
) -> io::Result<(usize, SocketAddr, Option<IpAddr>)> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags, SockaddrStorage};
    use std::os::fd::AsRawFd;
    let mut cmsg = nix::cmsg_space!(libc::in_pktinfo, libc::in6_pktinfo);
    let mut iov = [io::IoSliceMut::new(buf)];
    let msg = recvmsg::<SockaddrStorage>(
        sock.as_raw_fd(),
        &mut iov,
        Some(cmsg.as_mut_slice()),
        MsgFlags::MSG_DONTWAIT,
    )
    .map_err(io::Error::from)?;
    let from = msg
        .address
        .and_then(|a| {
            a.as_sockaddr_in()
                .map(|v4| SocketAddr::V4(SocketAddrV4::from(*v4)))
                .or_else(|| a.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into())))
        })
        .unwrap_or_else(|| SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
    let mut dst = None;
    if let Ok(cmsgs) = msg.cmsgs() {
        for c in cmsgs {
            match c {
                ControlMessageOwned::Ipv4PacketInfo(info) => {
                    dst = Some(Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr)).into());
                }
                ControlMessageOwned::Ipv6PacketInfo(info) => {
                    dst = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr).into());
                }
                _ => {}
            }
        }
    }
    Ok((msg.bytes, from, dst))
}

/// Which medium a datagram read from a shared socket belongs to: by the destination address in
/// its IP header (multicast group, broadcast address, or unicast), then by the ucast peer.
fn attribute(links: &[(usize, RxKind)], from: IpAddr, dst: Option<IpAddr>) -> usize {
    let pick = |f: &dyn Fn(&RxKind) -> bool| links.iter().find(|(_, k)| f(k)).map(|(i, _)| *i);
    let found = match dst {
        Some(d) if d.is_multicast() => pick(&|k| matches!(k, RxKind::Mcast)),
        Some(IpAddr::V4(d)) if d.is_broadcast() => pick(&|k| matches!(k, RxKind::Bcast(_))),
        Some(d) => pick(&|k| matches!((k, d), (RxKind::Bcast(b), IpAddr::V4(d)) if *b == d))
            .or_else(|| pick(&|k| *k == RxKind::Ucast(from)))
            .or_else(|| pick(&|k| matches!(k, RxKind::Ucast(_)))),
        None => pick(&|k| *k == RxKind::Ucast(from)),
    };
    found.or_else(|| links.first().map(|(i, _)| *i)).unwrap_or(0)
}

async fn resolve_v4(host: &str, port: u16) -> Result<Ipv4Addr> {
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok(ip);
    }
    let addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| PlatformError::Resolve(host.to_string()))?;
    for a in addrs {
        if let SocketAddr::V4(v4) = a {
            return Ok(*v4.ip());
        }
    }
    Err(PlatformError::Resolve(host.to_string()))
}

fn tx_socket(dev: &str, extra: impl FnOnce(&Socket) -> io::Result<()>) -> Result<UdpSocket> {
    let what = |e| PlatformError::io(format!("send socket on {dev}"), e);
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).map_err(what)?;
    s.set_reuse_port(true).map_err(what)?;
    s.bind_device(Some(dev.as_bytes())).map_err(what)?;
    s.set_tos_v4(IPTOS_LOWDELAY).map_err(what)?;
    extra(&s).map_err(what)?;
    // Bind now so the ephemeral source port is fixed for the life of the medium.
    s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)).into()).map_err(what)?;
    into_tokio(s).map_err(what)
}

async fn rx_socket(spec: &MediumSpec, ip: Ipv4Addr, port: u16, nl: &Netlink) -> Result<UdpSocket> {
    let dev = spec.dev();
    let what = |e| PlatformError::io(format!("receive socket {ip}:{port} on {dev}"), e);
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).map_err(what)?;
    s.set_reuse_address(true).map_err(what)?;
    s.set_reuse_port(true).map_err(what)?;
    s.bind_device(Some(dev.as_bytes())).map_err(what)?;
    if let MediumSpec::Mcast { group, .. } = spec {
        let IpAddr::V4(local) = nl.ipv4_of(dev).await?.addr else {
            return Err(PlatformError::NoIpv4Address(dev.into()));
        };
        s.join_multicast_v4(group, &local).map_err(what)?;
        // Only this group, not every group some other socket on the host joined.
        s.set_multicast_all_v4(false).map_err(what)?;
    }
    // The destination address of each datagram tells broadcast from unicast copies.
    nix::sys::socket::setsockopt(&s, nix::sys::socket::sockopt::Ipv4PacketInfo, &true)
        .map_err(|e| what(io::Error::from(e)))?;
    s.bind(&SocketAddrV4::new(ip, port).into()).map_err(what)?;
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
    fn attribution_by_destination_then_peer() {
        let p1: IpAddr = [10, 0, 0, 1].into();
        let p2: IpAddr = [10, 0, 0, 2].into();
        let me = Some(IpAddr::from([10, 0, 0, 3]));
        let bc = Ipv4Addr::new(10, 0, 0, 255);
        let links = [(0, RxKind::Ucast(p1)), (3, RxKind::Ucast(p2)), (5, RxKind::Bcast(bc))];
        assert_eq!(attribute(&links, p2, me), 3);
        assert_eq!(attribute(&links, p1, me), 0);
        // A broadcast from a ucast peer is the bcast medium's copy.
        assert_eq!(attribute(&links, p1, Some(bc.into())), 5);
        assert_eq!(attribute(&links, p1, Some(Ipv4Addr::BROADCAST.into())), 5);
        // Unknown unicast sender: first ucast medium.
        assert_eq!(attribute(&links, [10, 0, 0, 9].into(), me), 0);
        assert_eq!(attribute(&[(7, RxKind::Mcast)], p1, Some([239, 1, 1, 1].into())), 7);
        // IPv6: a multicast copy goes to the mcast6 medium, a unicast one to its ucast6 peer.
        let q: IpAddr = "fd99::2".parse().unwrap_or(p1);
        let me6: IpAddr = "fd99::1".parse().unwrap_or(p1);
        let grp: IpAddr = "ff12::694".parse().unwrap_or(p1);
        let v6 = [(1, RxKind::Ucast(p1)), (2, RxKind::Ucast(q)), (4, RxKind::Mcast)];
        assert_eq!(attribute(&v6, q, Some(me6)), 2);
        assert_eq!(attribute(&v6, q, Some(grp)), 4);
    }

    #[test]
    fn dev_of_every_kind() {
        let m = MediumSpec::Mcast {
            dev: "eth2".into(),
            group: Ipv4Addr::new(239, 0, 0, 1),
            port: 694,
            ttl: 1,
            multicast_loop: false,
        };
        assert_eq!(m.dev(), "eth2");
        assert_eq!(MediumSpec::Bcast { dev: "eth1".into() }.dev(), "eth1");
    }
}
