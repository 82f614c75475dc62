//! UDP media between two network namespaces (needs root; skipped otherwise).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::mpsc;
use std::time::Duration;

use hb_platform::media::{Media, MediumSpec};
use hb_testnet::{skip_or, Host, Testnet};

const PORT: u16 = 694;

fn specs(peer: &Host, group: Ipv4Addr) -> Vec<MediumSpec> {
    vec![
        MediumSpec::Ucast { dev: "eth0".into(), peer: peer.ip.to_string() },
        MediumSpec::Bcast { dev: "eth0".into() },
        MediumSpec::Mcast { dev: "eth0".into(), group, port: 7694, ttl: 1, multicast_loop: false },
    ]
}

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => panic!("runtime: {e}"),
    }
}

/// Receives until `want` datagrams with `payload` arrived or `limit` passed.
async fn collect(
    media: &mut Media,
    payload: &[u8],
    want: usize,
    limit: Duration,
) -> Vec<(usize, SocketAddr)> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    while got.len() < want {
        match tokio::time::timeout_at(deadline, media.recv()).await {
            Ok(Ok(d)) if d.data == payload => got.push((d.link, d.from)),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("recv: {e}"),
            Err(_) => break,
        }
    }
    got
}

#[test]
fn every_medium_delivers_one_copy_attributed_to_its_link() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let (a, b) = (net.node(0).clone(), net.node(1).clone());
    let group = Ipv4Addr::new(239, 99, 0, 1);
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (src_tx, src_rx) = mpsc::channel::<SocketAddr>();

    let net = &net;
    let (a_in, b_in, a_peer, b_peer) = (a.clone(), b.clone(), a.clone(), b.clone());
    std::thread::scope(|s| {
        let receiver = s.spawn(move || {
            net.run_in(&b_in, move || {
                runtime().block_on(async {
                    let mut media = match Media::open(&specs(&a_peer, group), PORT).await {
                        Ok(m) => m,
                        Err(e) => panic!("open on b: {e}"),
                    };
                    let _ = ready_tx.send(());
                    collect(&mut media, b"hello-from-a", 3, Duration::from_secs(5)).await
                })
            })
        });
        let sender = s.spawn(move || {
            net.run_in(&a_in, move || {
                runtime().block_on(async {
                    let mut media = match Media::open(&specs(&b_peer, group), PORT).await {
                        Ok(m) => m,
                        Err(e) => panic!("open on a: {e}"),
                    };
                    let _ = ready_rx.recv_timeout(Duration::from_secs(5));
                    if let Some(src) = media.source(0) {
                        let _ = src_tx.send(src);
                    }
                    let report = media.send_all(b"hello-from-a").await;
                    assert_eq!(report.sent, 3, "failures: {:?}", report.failed);
                    // The sender hears its own broadcast (and nothing else: mcast loop is off,
                    // the ucast goes to the peer). Dropping it is the daemon's job.
                    collect(&mut media, b"hello-from-a", 2, Duration::from_millis(500)).await
                })
            })
        });
        let got = receiver.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        let own = sender.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        let got = got.unwrap_or_else(|e| panic!("netns: {e}"));
        let own = own.unwrap_or_else(|e| panic!("netns: {e}"));

        let mut per_link = BTreeMap::new();
        for (link, from) in &got {
            *per_link.entry(*link).or_insert(0) += 1;
            assert_eq!(from.ip(), IpAddr::V4(a.ip), "every copy comes from a's address");
        }
        assert_eq!(per_link, BTreeMap::from([(0, 1), (1, 1), (2, 1)]), "got {got:?}");
        // The ucast copy left from the ucast medium's own socket (ephemeral, fixed port).
        let ucast_from = got.iter().find(|(l, _)| *l == 0).map(|(_, f)| *f);
        let src = src_rx.recv_timeout(Duration::from_secs(1)).ok();
        assert_eq!(ucast_from.map(|f| f.port()), src.map(|s| s.port()));
        assert_ne!(src.map(|s| s.port()), Some(PORT));
        assert_eq!(own.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![1], "own copies: {own:?}");
    });
}

#[test]
fn ucast_peer_may_be_a_host_name_and_bad_names_fail() {
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    let a = net.node(0).clone();
    let result = net.run_in(&a, || {
        runtime().block_on(async {
            let ok = Media::open(
                &[MediumSpec::Ucast { dev: "eth0".into(), peer: "localhost".into() }],
                PORT,
            )
            .await
            .map(|m| m.destination(0));
            let bad = Media::open(
                &[MediumSpec::Ucast { dev: "eth0".into(), peer: "no-such-host.invalid".into() }],
                PORT,
            )
            .await;
            let no_dev = Media::open(&[MediumSpec::Bcast { dev: "eth9".into() }], PORT).await;
            (ok.ok().flatten(), bad.is_err(), no_dev.is_err())
        })
    });
    let (dest, bad_failed, no_dev_failed) = result.unwrap_or_else(|e| panic!("netns: {e}"));
    assert_eq!(dest, Some(SocketAddr::from(([127, 0, 0, 1], PORT))));
    assert!(bad_failed);
    assert!(no_dev_failed);
}

/// nftables loss and a cut link act on what the media carry.
#[test]
fn injected_loss_and_link_cut_reach_the_media() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let (a, b) = (net.node(0).clone(), net.node(1).clone());
    let ucast =
        |peer: &Host| vec![MediumSpec::Ucast { dev: "eth0".into(), peer: peer.ip.to_string() }];
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<(u8, usize)>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let restored = std::sync::atomic::AtomicBool::new(false);
    let restored = &restored;
    let net = &net;
    let (a_in, b_in, a_peer, b_peer) = (a.clone(), b.clone(), a.clone(), b.clone());
    let got = std::thread::scope(|s| {
        let receiver = s.spawn(move || {
            net.run_in(&b_in, move || {
                runtime().block_on(async {
                    let mut media =
                        Media::open(&ucast(&a_peer), PORT).await.unwrap_or_else(|e| panic!("{e}"));
                    let _ = ready_tx.send(());
                    let mut got = Vec::new();
                    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
                    while let Ok(Ok(d)) = tokio::time::timeout_at(deadline, media.recv()).await {
                        let text = String::from_utf8_lossy(&d.data).to_string();
                        let last = text == "p3-19";
                        got.push((text, restored.load(std::sync::atomic::Ordering::SeqCst)));
                        if last {
                            break;
                        }
                    }
                    got
                })
            })
        });
        s.spawn(move || {
            let _ = net.run_in(&a_in, move || {
                runtime().block_on(async {
                    let media =
                        Media::open(&ucast(&b_peer), PORT).await.unwrap_or_else(|e| panic!("{e}"));
                    while let Ok((phase, count)) = go_rx.recv() {
                        for i in 0..count {
                            let _ = media.send_all(format!("p{phase}-{i}").as_bytes()).await;
                            tokio::time::sleep(Duration::from_micros(200)).await;
                        }
                        let _ = done_tx.send(());
                    }
                })
            });
        });
        let _ = ready_rx.recv_timeout(Duration::from_secs(5));
        let phase = |n: u8, count: usize| {
            let _ = go_tx.send((n, count));
            let _ = done_rx.recv_timeout(Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(200));
        };
        assert!(net.set_loss(&b, 30).is_ok());
        phase(1, 400);
        assert!(net.set_loss(&b, 0).is_ok());
        assert!(net.link_down(&a).is_ok());
        phase(2, 20);
        restored.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(net.link_up(&a).is_ok());
        std::thread::sleep(Duration::from_millis(300));
        phase(3, 20);
        drop(go_tx);
        receiver.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
    });
    let got = got.unwrap_or_else(|e| panic!("netns: {e}"));
    let count = |p: &str| got.iter().filter(|(t, _)| t.starts_with(p)).count();
    // 400 datagrams at 30 % loss (each crosses B's input hook once): mean 280, sd ≈ 9.
    let p1 = count("p1-");
    assert!((230..=330).contains(&p1), "phase 1 delivered {p1} of 400");
    let during_cut = got.iter().filter(|(t, restored)| t.starts_with("p2-") && !restored).count();
    assert_eq!(during_cut, 0, "nothing crosses a cut link");
    // Datagrams sent during a short cut wait in the kernel's neighbour queue (the cut flushed
    // the ARP entry) and are delivered once the link is back: the core sees them late and
    // must de-duplicate by seq, as heartbeat does.
    assert_eq!(count("p3-"), 20, "all arrive after the link is restored");
}

/// With `loop 1` the sender hears its own multicast; also measures the one-way latency of a
/// datagram between two namespaces (printed, for the record).
#[test]
fn multicast_loop_and_round_trip_latency() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let (a, b) = (net.node(0).clone(), net.node(1).clone());
    let group = Ipv4Addr::new(239, 99, 0, 2);
    let mcast = |multicast_loop| {
        vec![MediumSpec::Mcast { dev: "eth0".into(), group, port: 7695, ttl: 1, multicast_loop }]
    };
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let net = &net;
    let (a_in, b_in) = (a.clone(), b.clone());
    std::thread::scope(|s| {
        // B echoes every datagram back on the same medium.
        s.spawn(move || {
            let _ = net.run_in(&b_in, move || {
                runtime().block_on(async {
                    let mut media =
                        Media::open(&mcast(false), 694).await.unwrap_or_else(|e| panic!("{e}"));
                    let _ = ready_tx.send(());
                    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
                    while let Ok(Ok(d)) = tokio::time::timeout_at(deadline, media.recv()).await {
                        if d.data.starts_with(b"ping") {
                            let mut reply = b"pong".to_vec();
                            reply.extend_from_slice(&d.data[4..]);
                            let _ = media.send_all(&reply).await;
                        }
                        if d.data == b"stop" {
                            break;
                        }
                    }
                })
            });
        });
        let rtts = net.run_in(&a_in, move || {
            runtime().block_on(async {
                let mut media =
                    Media::open(&mcast(true), 694).await.unwrap_or_else(|e| panic!("{e}"));
                let _ = ready_rx.recv_timeout(Duration::from_secs(5));
                let mut rtts = Vec::new();
                let mut own = 0;
                for i in 0..50u32 {
                    let msg = format!("ping{i}");
                    let t = std::time::Instant::now();
                    let _ = media.send_all(msg.as_bytes()).await;
                    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
                    while let Ok(Ok(d)) = tokio::time::timeout_at(deadline, media.recv()).await {
                        if d.data.starts_with(b"ping") {
                            own += 1; // our own copy, looped back
                        } else if d.data == format!("pong{i}").as_bytes() {
                            rtts.push(t.elapsed());
                            break;
                        }
                    }
                }
                // An own copy may still be queued behind the last answer.
                let drain = tokio::time::Instant::now() + Duration::from_millis(100);
                while let Ok(Ok(d)) = tokio::time::timeout_at(drain, media.recv()).await {
                    own += usize::from(d.data.starts_with(b"ping"));
                }
                let _ = media.send_all(b"stop").await;
                (rtts, own)
            })
        });
        let (mut rtts, own) = rtts.unwrap_or_else(|e| panic!("netns: {e}"));
        assert_eq!(own, 50, "loop 1: every own multicast comes back");
        assert_eq!(rtts.len(), 50, "every ping answered");
        rtts.sort();
        eprintln!(
            "multicast round trip over the test bridge: median {:?}, max {:?}",
            rtts[25], rtts[49]
        );
    });
}
