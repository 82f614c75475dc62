//! A socket filter that drops our own datagrams in the kernel.
//!
//! A `bcast` medium (and `mcast` with loop on) hands every datagram we send back to our own
//! receive socket. heartbeat reads, authenticates and parses each one, then drops it by `src`;
//! at a 10 ms keepalive that is half of everything a node reads, and every copy is a wake-up
//! and a system call. Once the daemon has recognised one such copy (byte for byte a datagram
//! it sent), it knows the exact IPv4 source address and port its sends carry, and
//! [`crate::media::Media::ignore_own_source`] attaches this classic BPF program to the receive
//! sockets: datagrams from exactly that (address, port) are dropped before they are queued.
//!
//! Only our own sending socket can emit that pair: the port is one our socket is bound to, and
//! another host with our address would be an address conflict. Everything else passes
//! untouched, peers' datagrams and forged ones alike (those still meet authentication).
//!
//! For a UDP socket the kernel runs the filter with the packet data starting at the UDP header
//! (offset 0 is the source port); the IPv4 header is reached through `SKF_NET_OFF`.

use std::net::SocketAddrV4;

/// Most (address, port) pairs one filter drops (each costs four instructions; the jumps of a
/// classic BPF program reach at most 255 instructions ahead).
pub const MAX_PAIRS: usize = 16;

/// One classic BPF instruction (`struct sock_filter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    /// Operation.
    pub code: u16,
    /// Jump offset if true.
    pub jt: u8,
    /// Jump offset if false.
    pub jf: u8,
    /// Operand.
    pub k: u32,
}

const LD_H_ABS: u16 = (libc::BPF_LD | libc::BPF_H | libc::BPF_ABS) as u16;
const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
/// Offset of the IPv4 source address, relative to the network header.
const IPV4_SRC: u32 = (libc::SKF_NET_OFF + 12) as u32;
/// Keep the whole datagram.
const ACCEPT: u32 = u32::MAX;

/// The program dropping datagrams whose source is one of `pairs` (at most [`MAX_PAIRS`];
/// extra pairs are ignored, so their datagrams take the normal path).
pub fn program(pairs: &[SocketAddrV4]) -> Vec<Insn> {
    let pairs = &pairs[..pairs.len().min(MAX_PAIRS)];
    let n = pairs.len();
    let drop_at = 4 * n + 1;
    let mut p = Vec::with_capacity(drop_at + 1);
    for (i, a) in pairs.iter().enumerate() {
        let base = 4 * i;
        p.push(Insn { code: LD_H_ABS, jt: 0, jf: 0, k: 0 });
        // Not this port: on to the next pair (two instructions further).
        p.push(Insn { code: JEQ_K, jt: 0, jf: 2, k: u32::from(a.port()) });
        p.push(Insn { code: LD_W_ABS, jt: 0, jf: 0, k: IPV4_SRC });
        let to_drop = u8::try_from(drop_at - (base + 3) - 1).unwrap_or(u8::MAX);
        p.push(Insn { code: JEQ_K, jt: to_drop, jf: 0, k: u32::from(*a.ip()) });
    }
    p.push(Insn { code: RET_K, jt: 0, jf: 0, k: ACCEPT });
    p.push(Insn { code: RET_K, jt: 0, jf: 0, k: 0 });
    p
}

/// Attaches `program(pairs)` to `sock`, replacing any filter it had.
pub fn attach(sock: socket2::SockRef<'_>, pairs: &[SocketAddrV4]) -> std::io::Result<()> {
    let code: Vec<socket2::SockFilter> = program(pairs)
        .into_iter()
        .map(|i| socket2::SockFilter::new(i.code, i.jt, i.jf, i.k))
        .collect();
    sock.attach_filter(&code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// Runs a program the way the kernel does for a UDP socket: `udp` is the data from the
    /// UDP header on, `src` the IPv4 source. Returns the number of bytes kept (0 = dropped).
    fn run(p: &[Insn], src: Ipv4Addr, udp: &[u8]) -> u32 {
        let mut a: u32 = 0;
        let mut pc = 0usize;
        for _ in 0..1000 {
            let i = p[pc];
            pc += 1;
            match i.code {
                LD_H_ABS => {
                    a = u32::from(u16::from_be_bytes([udp[i.k as usize], udp[i.k as usize + 1]]))
                }
                LD_W_ABS => {
                    assert_eq!(i.k, IPV4_SRC, "only the source address is read");
                    a = u32::from(src);
                }
                JEQ_K => pc += usize::from(if a == i.k { i.jt } else { i.jf }),
                RET_K => return i.k,
                other => panic!("unexpected instruction {other:#x}"),
            }
        }
        panic!("the program does not end");
    }

    fn udp_from(port: u16) -> Vec<u8> {
        let mut h = port.to_be_bytes().to_vec();
        h.extend_from_slice(&[0x02, 0xb6, 0, 20, 0, 0]);
        h.extend_from_slice(b"###\n");
        h
    }

    #[test]
    fn drops_exactly_the_listed_pairs() {
        let me = Ipv4Addr::new(10, 99, 7, 1);
        let other = Ipv4Addr::new(10, 99, 7, 2);
        let pairs = [SocketAddrV4::new(me, 40001), SocketAddrV4::new(other, 40002)];
        let p = program(&pairs);
        assert_eq!(p.len(), 4 * 2 + 2);
        assert_eq!(run(&p, me, &udp_from(40001)), 0);
        assert_eq!(run(&p, other, &udp_from(40002)), 0);
        // Same address, other port; same port, other address: kept.
        assert_eq!(run(&p, me, &udp_from(40002)), ACCEPT);
        assert_eq!(run(&p, other, &udp_from(40001)), ACCEPT);
        assert_eq!(run(&p, Ipv4Addr::new(10, 99, 7, 3), &udp_from(694)), ACCEPT);
    }

    /// The kernel agrees with [`run`]: on loopback, of two senders only the listed one is
    /// dropped (this fails if offset 0 were not the UDP source port).
    #[test]
    fn the_kernel_drops_the_listed_sender_only() {
        use std::net::UdpSocket;
        let bind = || UdpSocket::bind((Ipv4Addr::LOCALHOST, 0));
        let (Ok(rx), Ok(a), Ok(b)) = (bind(), bind(), bind()) else {
            eprintln!("skipped: no loopback UDP");
            return;
        };
        let addr_of = |s: &UdpSocket| match s.local_addr() {
            Ok(std::net::SocketAddr::V4(v4)) => v4,
            other => panic!("unexpected local address {other:?}"),
        };
        let to = addr_of(&rx);
        attach(socket2::SockRef::from(&rx), &[addr_of(&a)]).expect("attach the filter");
        rx.set_read_timeout(Some(std::time::Duration::from_millis(500))).expect("timeout");
        let mut got = Vec::new();
        for round in 0..3u8 {
            a.send_to(&[b'a', round], to).expect("send a");
            b.send_to(&[b'b', round], to).expect("send b");
        }
        let mut buf = [0u8; 16];
        while let Ok((n, _)) = rx.recv_from(&mut buf) {
            got.push(buf[..n].to_vec());
        }
        assert_eq!(got, vec![vec![b'b', 0], vec![b'b', 1], vec![b'b', 2]]);
    }

    #[test]
    fn every_jump_lands_inside_the_program_at_the_limit() {
        let pairs: Vec<SocketAddrV4> = (0..MAX_PAIRS as u16 + 3)
            .map(|i| SocketAddrV4::new(Ipv4Addr::new(10, 99, 0, i as u8), 30000 + i))
            .collect();
        let p = program(&pairs);
        assert_eq!(p.len(), 4 * MAX_PAIRS + 2);
        for (at, i) in p.iter().enumerate().filter(|(_, i)| i.code == JEQ_K) {
            assert!(at + 1 + usize::from(i.jt.max(i.jf)) < p.len(), "jump out at {at}");
        }
        assert_eq!(p.last().map(|i| i.code), Some(RET_K));
        // The last kept pair is dropped, the ones beyond the limit pass.
        let last = pairs[MAX_PAIRS - 1];
        assert_eq!(run(&p, *last.ip(), &udp_from(last.port())), 0);
        let beyond = pairs[MAX_PAIRS];
        assert_eq!(run(&p, *beyond.ip(), &udp_from(beyond.port())), ACCEPT);
        // No pair: everything passes.
        assert_eq!(run(&program(&[]), *last.ip(), &udp_from(last.port())), ACCEPT);
    }
}
