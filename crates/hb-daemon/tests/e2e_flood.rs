//! End-to-end test: a flood of garbage, forged, corrupted and replayed packets at the
//! daemons' UDP port, sent from the client namespace, neither moves the VIP nor stops a daemon;
//! the daemons count and log them as bad packets. Root only.

mod common;

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

use common::{assert_running, assert_stays, cluster, count, fail, hacf, wait_owner, FAST};

const PORT: u16 = 694;
const FLOOD: Duration = Duration::from_secs(5);

/// Captures genuine heartbeat datagrams from the broadcast medium, then sends for `FLOOD`:
/// random bytes, a well-formed message with a wrong digest, captured packets with one byte
/// flipped, and captured packets verbatim (replays). Returns packets sent and captured.
fn flood(targets: &[Ipv4Addr]) -> std::io::Result<(u64, usize)> {
    let sock = UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, PORT))?;
    sock.set_broadcast(true)?;
    sock.set_read_timeout(Some(Duration::from_millis(200)))?;
    let mut captured: Vec<Vec<u8>> = Vec::new();
    let mut buf = vec![0u8; 65536];
    let t0 = Instant::now();
    while captured.len() < 20 && t0.elapsed() < Duration::from_secs(3) {
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            captured.push(buf[..n].to_vec());
        }
    }
    let forged = b">>>\nt=status\nst=active\ndt=3e8\nprotocol=1\nsrc=n2\n(1)srcuuid=AAAAAAAAAAAAAAAAAAAAAA==\nseq=99999\nhg=7fffffff\nts=7fffffff\nttl=3\nauth=1 0123456789abcdef0123456789abcdef01234567\n<<<\n".to_vec();
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut sent = 0u64;
    let t0 = Instant::now();
    while t0.elapsed() < FLOOD {
        for _ in 0..20 {
            let pkt: Vec<u8> = match next() % 4 {
                0 => (0..(next() % 1400) as usize).map(|_| next() as u8).collect(),
                1 => forged.clone(),
                k if captured.is_empty() => vec![k as u8; 64],
                2 => {
                    let mut p = captured[(next() as usize) % captured.len()].clone();
                    let i = (next() as usize) % p.len();
                    p[i] ^= 0x20;
                    p
                }
                _ => captured[(next() as usize) % captured.len()].clone(),
            };
            let to = targets[(next() as usize) % targets.len()];
            if sock.send_to(&pkt, SocketAddrV4::new(to, PORT)).is_ok() {
                sent += 1;
            }
        }
        // About 2,000 packets a second: enough to matter, not enough to starve the machine.
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok((sent, captured.len()))
}

#[test]
fn packet_flood_does_not_disturb_ownership() {
    let Some(mut c) =
        cluster(hacf(&FAST, "on"), |n| format!("n1 {}/24/eth0\n", n.addr(50)), vec![])
    else {
        return;
    };
    let vip = c.net.addr(50);
    c.start(0).expect("start n1");
    c.start(1).expect("start n2");
    wait_owner(&c, vip, 0, Duration::from_secs(15));
    let before: Vec<usize> = (0..2).map(|i| count(&c.stderr_log(i), "is dead")).collect();
    let targets = [c.host(0).ip, c.host(1).ip, c.net.addr(255)];
    let (sent, captured) = std::thread::scope(|s| {
        let sender = s.spawn(|| c.net.run_in(c.net.client(), || flood(&targets)));
        // Ownership is watched from the client while the flood runs.
        assert_stays(&c, vip, 0, FLOOD);
        sender.join().expect("flood thread").expect("client namespace").expect("flood")
    });
    eprintln!("flood: {sent} packets sent ({captured} genuine ones captured for replay)");
    assert_stays(&c, vip, 0, Duration::from_secs(2));
    assert_running(&c, &[0, 1]);
    for (i, dead_before) in before.into_iter().enumerate() {
        let log = c.stderr_log(i);
        if !log.contains("bad packet") {
            fail(&c, &format!("n{} logged no bad packet", i + 1));
        }
        if count(&log, "is dead") != dead_before {
            fail(&c, &format!("n{} declared its peer dead during the flood", i + 1));
        }
        eprintln!(
            "n{}: {} bad-packet lines logged (rate-limited)",
            i + 1,
            count(&log, "bad packet")
        );
    }
    if sent < 1000 {
        fail(&c, &format!("only {sent} packets sent"));
    }
}
