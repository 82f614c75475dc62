//! A fast client-side ARP prober for measuring failover.
//!
//! Contract: [`Prober::start`] opens an `AF_PACKET` socket in the client namespace and, on two
//! background threads, broadcasts an ARP request for the target every `interval` (default
//! 1 ms) and records every ARP reply for it (time since start, sender MAC) and every
//! gratuitous ARP for it (sender IP = target IP = the target). [`Prober::stop`] ends both
//! threads and returns the [`ProbeLog`], whose methods find outages and owner changes. The
//! receive thread blocks in `recv` (100 ms timeout to notice the stop) on a 4 MiB buffer, so
//! 1000 probes/s cost two mostly sleeping threads. Sends follow an absolute schedule; if the
//! sender falls behind (a busy machine) it skips missed slots instead of bursting, and
//! [`ProbeLog::max_send_gap`] says how long the longest pause was.

mod log;

pub use log::{ArpSeen, Mac, Outage, OwnerChange, ProbeLog, Span};

use std::io::Read;
use std::mem::size_of;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, SockAddrStorage, Socket, Type};

use crate::{Result, Testnet, TestnetError, IFNAME};

/// Default probe interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(1);
/// Most replies (and, separately, GARPs) one run keeps: ~16 min at 1000 probes/s.
pub const MAX_EVENTS: usize = 1_000_000;

const ETH_P_ARP: u16 = 0x0806;

/// A running probe; see the module doc. Dropping it without [`stop`](Self::stop) stops the
/// threads and discards the log.
#[derive(Debug)]
pub struct Prober {
    target: Ipv4Addr,
    interval: Duration,
    start: Instant,
    stop: Arc<AtomicBool>,
    sender: Option<JoinHandle<(u64, Duration)>>,
    receiver: Option<JoinHandle<Received>>,
}

impl Prober {
    /// Starts probing `target` from the client namespace of `net` every 1 ms.
    pub fn start(net: &Testnet, target: Ipv4Addr) -> Result<Prober> {
        Prober::start_every(net, target, DEFAULT_INTERVAL)
    }

    /// Starts probing `target` from the client namespace every `interval` (at least 100 µs).
    pub fn start_every(net: &Testnet, target: Ipv4Addr, interval: Duration) -> Result<Prober> {
        let interval = interval.max(Duration::from_micros(100));
        let client = net.client();
        let mac: Mac = net.mac_of(client)?.parse().map_err(TestnetError::Peer)?;
        let (socket, ifindex) = net.run_in(client, open_socket)??;
        let socket = Arc::new(socket);
        let dest = broadcast_link_addr(ifindex)?;
        let request = arp_request(mac, client.ip, target);
        let stop = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let receiver = {
            let (socket, stop) = (Arc::clone(&socket), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("arp-probe-recv".into())
                .spawn(move || receive(&socket, target, start, &stop))?
        };
        let sender = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("arp-probe-send".into())
                .spawn(move || send(&socket, &dest, &request, interval, start, &stop))?
        };
        Ok(Prober { target, interval, start, stop, sender: Some(sender), receiver: Some(receiver) })
    }

    /// Time since the probe started, on the log's time axis (mark events with it).
    pub fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// Stops the probe and returns what it saw.
    pub fn stop(mut self) -> ProbeLog {
        self.stop.store(true, Ordering::Relaxed);
        let duration = self.start.elapsed();
        let (sent, max_send_gap) =
            self.sender.take().and_then(|h| h.join().ok()).unwrap_or_default();
        let received = self.receiver.take().and_then(|h| h.join().ok()).unwrap_or_default();
        ProbeLog {
            target: self.target,
            interval: self.interval,
            duration,
            sent,
            max_send_gap,
            replies: received.replies,
            garps: received.garps,
            truncated: received.truncated,
        }
    }
}

impl Drop for Prober {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.sender.take() {
            let _ = h.join();
        }
        if let Some(h) = self.receiver.take() {
            let _ = h.join();
        }
    }
}

#[derive(Debug, Default)]
struct Received {
    replies: Vec<ArpSeen>,
    garps: Vec<ArpSeen>,
    truncated: bool,
}

/// Opens the ARP socket; runs inside the client namespace.
fn open_socket() -> Result<(Socket, u32)> {
    let ifindex = nix::net::if_::if_nametoindex(IFNAME).map_err(std::io::Error::from)?;
    let protocol = Protocol::from(i32::from(ETH_P_ARP.to_be()));
    let socket = Socket::new(Domain::PACKET, Type::DGRAM, Some(protocol))?;
    socket.set_recv_buffer_size(4 << 20)?;
    socket.set_read_timeout(Some(Duration::from_millis(100)))?;
    Ok((socket, ifindex))
}

fn send(
    socket: &Socket,
    dest: &SockAddr,
    request: &[u8; 28],
    interval: Duration,
    start: Instant,
    stop: &AtomicBool,
) -> (u64, Duration) {
    let mut sent = 0u64;
    let mut max_gap = Duration::ZERO;
    let mut last: Option<Instant> = None;
    let mut next = start;
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        }
        let now = Instant::now();
        if socket.send_to(request, dest).is_ok() {
            sent += 1;
        }
        if let Some(prev) = last {
            max_gap = max_gap.max(now - prev);
        }
        last = Some(now);
        next += interval;
        if next < now {
            // Fell behind: skip the missed slots rather than burst.
            next = now + interval;
        }
    }
    (sent, max_gap)
}

fn receive(socket: &Socket, target: Ipv4Addr, start: Instant, stop: &AtomicBool) -> Received {
    let mut got = Received::default();
    let mut buf = [0u8; 2048];
    let mut reader: &Socket = socket;
    while !stop.load(Ordering::Relaxed) {
        let Ok(n) = reader.read(&mut buf) else { continue };
        let at = start.elapsed();
        let Some((op, sha, spa, tpa)) = parse_arp(&buf[..n]) else { continue };
        if spa != target {
            continue;
        }
        let seen = ArpSeen { at, mac: Mac(sha), op };
        // Our own requests come back to a packet socket too; they carry the client as sender.
        let list = if tpa == target {
            &mut got.garps
        } else if op == 2 {
            &mut got.replies
        } else {
            continue;
        };
        if list.len() >= MAX_EVENTS {
            got.truncated = true;
        } else {
            list.push(seen);
        }
    }
    got
}

/// ARP request "who has `target`? tell `ip`" from `mac`.
fn arp_request(mac: Mac, ip: Ipv4Addr, target: Ipv4Addr) -> [u8; 28] {
    let mut p = [0u8; 28];
    p[0..8].copy_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]); // Ethernet, IPv4, 6, 4, request
    p[8..14].copy_from_slice(&mac.0);
    p[14..18].copy_from_slice(&ip.octets());
    p[24..28].copy_from_slice(&target.octets());
    p
}

/// Parses an Ethernet/IPv4 ARP payload: `(op, sender mac, sender ip, target ip)`.
fn parse_arp(p: &[u8]) -> Option<(u16, [u8; 6], Ipv4Addr, Ipv4Addr)> {
    if p.len() < 28 || p[0..6] != [0, 1, 8, 0, 6, 4] {
        return None;
    }
    let op = u16::from_be_bytes([p[6], p[7]]);
    let sha = <[u8; 6]>::try_from(&p[8..14]).ok()?;
    let spa = Ipv4Addr::new(p[14], p[15], p[16], p[17]);
    let tpa = Ipv4Addr::new(p[24], p[25], p[26], p[27]);
    Some((op, sha, spa, tpa))
}

/// `sockaddr_ll` for "Ethernet broadcast, ARP, on interface `ifindex`".
#[allow(unsafe_code)]
fn broadcast_link_addr(ifindex: u32) -> Result<SockAddr> {
    let index = i32::try_from(ifindex)
        .map_err(|_| TestnetError::Peer(format!("interface index {ifindex} out of range")))?;
    let mut storage = SockAddrStorage::zeroed();
    // SAFETY: `sockaddr_ll` is one of this platform's `sockaddr_*` types and is smaller than
    // `sockaddr_storage` (`view_as` asserts the size). The storage starts zeroed, every field
    // the kernel reads is written below, and the length given to `SockAddr::new` is exactly
    // `size_of::<sockaddr_ll>()` with family `AF_PACKET`, matching the written type.
    let addr = unsafe {
        let ll = storage.view_as::<libc::sockaddr_ll>();
        ll.sll_family = libc::AF_PACKET as libc::sa_family_t;
        ll.sll_protocol = ETH_P_ARP.to_be();
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

    #[test]
    fn request_layout_round_trips() {
        let mac = Mac([2, 0, 0, 0, 0, 9]);
        let me = Ipv4Addr::new(10, 99, 1, 100);
        let vip = Ipv4Addr::new(10, 99, 1, 50);
        let r = arp_request(mac, me, vip);
        assert_eq!(parse_arp(&r), Some((1, mac.0, me, vip)));
        assert_eq!(&r[18..24], &[0; 6]);
        assert_eq!(parse_arp(&r[..20]), None);
    }
}
