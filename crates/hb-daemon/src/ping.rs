//! Ping nodes (`ping ADDR…`, `ping_group NAME ADDR…`): ICMP echo to each address and a verdict
//! for the engine — does any ping node answer within `deadping`? See hb-core's arbitration
//! rules for what the verdict does.

use std::collections::HashMap;
use std::io;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::sync::mpsc;

/// What the pinger tells the run loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingReport {
    /// Some address answered within `deadping`.
    pub reachable: bool,
    /// Per configured address: answered within `deadping`.
    pub per_address: Vec<(Ipv4Addr, bool)>,
}

/// Builds an ICMP echo request (type 8) with checksum.
pub fn echo_request(ident: u16, seq: u16) -> [u8; 16] {
    let mut p = [0u8; 16];
    p[0] = 8;
    p[4..6].copy_from_slice(&ident.to_be_bytes());
    p[6..8].copy_from_slice(&seq.to_be_bytes());
    p[8..16].copy_from_slice(b"hb-ping\0");
    let sum = checksum(&p);
    p[2..4].copy_from_slice(&sum.to_be_bytes());
    p
}

/// The Internet checksum.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in data.chunks(2) {
        let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
        sum = sum.wrapping_add(u32::from(word));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Parses a raw IPv4 datagram holding an ICMP echo reply: (source, identifier).
pub fn parse_echo_reply(packet: &[u8]) -> Option<(Ipv4Addr, u16)> {
    let ihl = usize::from(packet.first()? & 0x0f) * 4;
    if ihl < 20 || packet.len() < ihl || packet.get(9) != Some(&1) {
        return None;
    }
    let src = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
    let icmp = packet.get(ihl..)?;
    if icmp.len() < 8 || icmp[0] != 0 {
        return None;
    }
    Some((src, u16::from_be_bytes([icmp[4], icmp[5]])))
}

/// Resolves the configured ping addresses (IPv4 literals or host names).
pub fn resolve(addresses: &[String]) -> Vec<Ipv4Addr> {
    let mut out = Vec::new();
    for a in addresses {
        match a.parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => out.push(v4),
            Ok(IpAddr::V6(_)) => tracing::warn!("ping node {a}: IPv6 ping nodes are not supported"),
            Err(_) => match std::net::ToSocketAddrs::to_socket_addrs(&(a.as_str(), 0)) {
                Ok(mut addrs) => match addrs.find_map(|s| match s.ip() {
                    IpAddr::V4(v4) => Some(v4),
                    IpAddr::V6(_) => None,
                }) {
                    Some(v4) => out.push(v4),
                    None => tracing::warn!("ping node {a}: no IPv4 address"),
                },
                Err(e) => tracing::warn!("ping node {a}: cannot resolve: {e}"),
            },
        }
    }
    out
}

/// Pings `targets` every `interval` and sends a report whenever an address changes state (the
/// first one after `deadping`, or at the first answer). Blocking: run it on its own thread. It
/// returns when the receiver is gone.
pub fn run(
    targets: Vec<Ipv4Addr>,
    interval: Duration,
    deadping: Duration,
    reports: mpsc::Sender<PingReport>,
) -> io::Result<()> {
    let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))?;
    let ident = (std::process::id() & 0xffff) as u16;
    let started = Instant::now();
    let mut last_reply: HashMap<Ipv4Addr, Instant> = HashMap::new();
    let mut last_sent: Option<Vec<(Ipv4Addr, bool)>> = None;
    let mut seq: u16 = 0;
    let mut next_send = Instant::now();
    let mut buf = [0u8; 1500];
    loop {
        let now = Instant::now();
        if now >= next_send {
            seq = seq.wrapping_add(1);
            let pkt = echo_request(ident, seq);
            for t in &targets {
                let addr = SocketAddr::V4(SocketAddrV4::new(*t, 0));
                // A send error (no route: our uplink is down) is just a missing answer.
                let _ = sock.send_to(&pkt, &addr.into());
            }
            next_send = now + interval;
        }
        let wait =
            next_send.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        sock.set_read_timeout(Some(wait))?;
        let mut reader: &Socket = &sock;
        match reader.read(&mut buf) {
            Ok(n) => {
                if let Some((src, id)) = parse_echo_reply(&buf[..n]) {
                    if id == ident && targets.contains(&src) {
                        last_reply.insert(src, Instant::now());
                    }
                }
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(e) => tracing::debug!("ping receive: {e}"),
        }
        let now = Instant::now();
        let per_address: Vec<(Ipv4Addr, bool)> = targets
            .iter()
            .map(|t| (*t, last_reply.get(t).is_some_and(|at| now.duration_since(*at) <= deadping)))
            .collect();
        let reachable = per_address.iter().any(|(_, ok)| *ok);
        let decided = reachable || now.duration_since(started) >= deadping;
        if decided && last_sent.as_ref() != Some(&per_address) {
            last_sent = Some(per_address.clone());
            if reports.blocking_send(PingReport { reachable, per_address }).is_err() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request_checksums_to_zero_and_reply_parses() {
        let req = echo_request(0x1234, 7);
        assert_eq!(checksum(&req), 0, "a correct checksum sums to zero");
        let mut reply =
            vec![0x45, 0, 0, 36, 0, 0, 0, 0, 64, 1, 0, 0, 10, 99, 0, 100, 10, 99, 0, 11];
        let mut icmp = req.to_vec();
        icmp[0] = 0;
        reply.extend_from_slice(&icmp);
        assert_eq!(parse_echo_reply(&reply), Some((Ipv4Addr::new(10, 99, 0, 100), 0x1234)));
        reply[20] = 8; // a request, not a reply
        assert_eq!(parse_echo_reply(&reply), None);
        assert_eq!(parse_echo_reply(&reply[..10]), None);
    }

    #[test]
    fn resolves_literals_and_skips_ipv6() {
        let v = resolve(&["10.0.0.1".into(), "::1".into()]);
        assert_eq!(v, vec![Ipv4Addr::new(10, 0, 0, 1)]);
    }
}
