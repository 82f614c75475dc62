//! Virtual addresses, gratuitous ARP and neighbour advertisements in network namespaces
//! (needs root; skipped otherwise).

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use hb_platform::garp::{self, GarpConfig};
use hb_platform::ipaddr::{Change, Netlink, VipSpec};
use hb_testnet::{skip_or, Testnet};
use socket2::{Domain, Protocol, Socket, Type};

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => panic!("runtime: {e}"),
    }
}

fn spec(s: &str) -> VipSpec {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn mac_text(m: [u8; 6]) -> String {
    m.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

#[test]
fn add_query_remove_are_idempotent_and_interface_comes_from_subnet() {
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    let node = net.node(0).clone();
    let vip = net.addr(50);
    let labelled = net.addr(51);
    let out = net.run_in(&node, || {
        runtime().block_on(async {
            let nl = Netlink::new()?;
            let r = nl.resolve(&spec(&vip.to_string())).await?;
            let first = nl.add(&r).await?;
            let second = nl.add(&r).await?;
            let found = nl.find(IpAddr::V4(vip)).await?;
            let l = nl.resolve(&spec(&format!("{labelled}/24/eth0:7"))).await?;
            let l_add = nl.add(&l).await?;
            let l_found = nl.find(IpAddr::V4(labelled)).await?;
            let owned: Vec<IpAddr> =
                nl.owned_addresses().await?.into_iter().map(|a| a.addr).collect();
            assert_eq!(
                owned,
                vec![IpAddr::V4(vip), IpAddr::V4(labelled)],
                "only our VIPs are marked"
            );
            Ok::<_, hb_platform::PlatformError>((r, first, second, found, l_add, l_found))
        })
    });
    let (r, first, second, found, l_add, l_found) = match out {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("platform: {e}"),
        Err(e) => panic!("netns: {e}"),
    };
    assert_eq!((r.link.name.as_str(), r.prefix), ("eth0", 24));
    assert_eq!(r.broadcast, Some(Ipv4Addr::new(10, 99, vip.octets()[2], 255)));
    assert_eq!((first, second), (Change::Done, Change::AlreadyInState));
    let found = found.unwrap_or_else(|| panic!("vip not found after add"));
    assert_eq!((found.index, found.prefix), (r.link.index, 24));
    assert_eq!(found.proto, Some(hb_platform::ipaddr::ADDRESS_PROTO));
    assert_eq!(l_add, Change::Done);
    assert_eq!(l_found.and_then(|a| a.label).as_deref(), Some("eth0:7"));
    // The kernel agrees, and the client can reach the address.
    let shown = net
        .exec(&node, &["ip", "addr", "show", "dev", "eth0"])
        .map(|o| o.stdout)
        .unwrap_or_default();
    let shown = String::from_utf8_lossy(&shown);
    assert!(shown.contains(&format!("{vip}/24 brd")), "{shown}");
    assert!(shown.contains("eth0:7"), "{shown}");
    assert!(net.ping_from_client(vip).unwrap_or(false));

    let out = net.run_in(&node, || {
        runtime().block_on(async {
            let nl = Netlink::new()?;
            let first = nl.remove(IpAddr::V4(vip)).await?;
            let second = nl.remove(IpAddr::V4(vip)).await?;
            let found = nl.find(IpAddr::V4(vip)).await?;
            let unmatched = nl.resolve(&spec("192.168.77.1")).await.is_err();
            Ok::<_, hb_platform::PlatformError>((first, second, found, unmatched))
        })
    });
    match out {
        Ok(Ok((first, second, found, unmatched))) => {
            assert_eq!((first, second), (Change::Done, Change::AlreadyInState));
            assert_eq!(found, None);
            assert!(unmatched, "an address in no local subnet needs an explicit interface");
        }
        Ok(Err(e)) => panic!("platform: {e}"),
        Err(e) => panic!("netns: {e}"),
    }
    assert!(!net.ping_from_client(vip).unwrap_or(true));
}

/// Moves the VIP from node 0 to node 1 and checks the client's ARP cache follows, via the
/// gratuitous ARP, and when the first frame reached the client after the add call began.
#[test]
fn gratuitous_arp_moves_the_clients_cache_entry() {
    let Some(net) = skip_or(Testnet::new(2)) else { return };
    let (n0, n1, client) = (net.node(0).clone(), net.node(1).clone(), net.client().clone());
    let vip = net.addr(60);
    let add = |host: &hb_testnet::Host| {
        net.run_in(host, || {
            runtime().block_on(async {
                let nl = Netlink::new()?;
                let r = nl.resolve(&spec(&vip.to_string())).await?;
                nl.add(&r).await?;
                Ok::<_, hb_platform::PlatformError>(r)
            })
        })
    };
    match add(&n0) {
        Ok(Ok(_)) => {}
        other => panic!("add on n0: {other:?}"),
    }
    assert!(net.ping_from_client(vip).unwrap_or(false));
    let mac0 = net.mac_of(&n0).unwrap_or_default();
    let mac1 = net.mac_of(&n1).unwrap_or_default();
    assert_eq!(net.client_neigh_mac(vip).ok().flatten(), Some(mac0));
    let removed = net.run_in(&n0, || {
        runtime().block_on(async { Netlink::new()?.remove(IpAddr::V4(vip)).await })
    });
    assert!(matches!(removed, Ok(Ok(Change::Done))));
    // Linux ignores a neighbour update within `locktime` (1 s) of the last one.
    std::thread::sleep(Duration::from_millis(1100));

    // Capture ARP in the client namespace while node 1 takes over.
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, [u8; 6], u16)>();
    std::thread::scope(|s| {
        let client = &client;
        let net = &net;
        s.spawn(move || {
            let _ = net.run_in(client, move || {
                let proto = Protocol::from(i32::from((libc::ETH_P_ARP as u16).to_be()));
                let Ok(sock) = Socket::new(Domain::PACKET, Type::DGRAM, Some(proto)) else {
                    return;
                };
                let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
                let deadline = Instant::now() + Duration::from_secs(3);
                let mut buf = [0u8; 256];
                while Instant::now() < deadline {
                    if let Ok(n) = (&sock).read(&mut buf) {
                        if let Some((op, sha, spa, tpa)) = garp::parse_arp(&buf[..n]) {
                            if spa == vip && tpa == vip {
                                let _ = tx.send((Instant::now(), sha, op));
                            }
                        }
                    }
                }
            });
        });
        std::thread::sleep(Duration::from_millis(300));
        let taken = net.run_in(&n1, || {
            runtime().block_on(async {
                let nl = Netlink::new()?;
                let spec = spec(&vip.to_string());
                let held_before = nl.holds(&spec).await?;
                let started = Instant::now();
                let t = nl.take_over(&spec, GarpConfig::default()).await?;
                let returned = started.elapsed();
                let held_after = nl.holds(&spec).await?;
                Ok::<_, hb_platform::PlatformError>((started, returned, t, held_before, held_after))
            })
        });
        let (started, returned, t, held_before, held_after) = match taken {
            Ok(Ok(v)) => v,
            other => panic!("{other:?}"),
        };
        assert_eq!((held_before, held_after), (false, true));
        assert_eq!((t.change, t.announced), (Change::Done, 6));
        let frames: Vec<_> = rx.iter().collect();
        let first = frames.first().map(|(t, _, _)| t.duration_since(started));
        let last = frames.last().map(|(t, _, _)| t.duration_since(started));
        eprintln!(
            "take_over returned after {returned:?}; {} ARP frames on the client, first {first:?}, last {last:?} after the call",
            frames.len()
        );
        assert_eq!(frames.len(), 6, "3 rounds of request + reply");
        assert!(frames.iter().all(|(_, sha, _)| mac_text(*sha) == mac1));
        let ops: Vec<u16> = frames.iter().map(|(_, _, op)| *op).collect();
        assert_eq!(ops, vec![1, 2, 1, 2, 1, 2]);
    });
    // The client's cache now points at node 1, without the client asking.
    assert_eq!(net.client_neigh_mac(vip).ok().flatten(), Some(mac1.clone()));
    assert_eq!(net.arping_from_client(vip).ok().flatten(), Some(mac1));
}

#[test]
fn ipv6_address_and_unsolicited_neighbour_advertisement() {
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    let (node, client) = (net.node(0).clone(), net.client().clone());
    let third = net.addr(0).octets()[2];
    let vip = Ipv6Addr::new(0xfd00, 0x99, u16::from(third), 0, 0, 0, 0, 0x50);
    let mac = net.mac_of(&node).unwrap_or_default();
    let (tx, rx) = std::sync::mpsc::channel::<(Ipv6Addr, [u8; 6], u8)>();
    std::thread::scope(|s| {
        let net = &net;
        let client = &client;
        s.spawn(move || {
            let _ = net.run_in(client, move || {
                let Ok(sock) = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6)) else {
                    return;
                };
                let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
                let deadline = Instant::now() + Duration::from_secs(3);
                let mut buf = [0u8; 256];
                while Instant::now() < deadline {
                    if let Ok(n) = (&sock).read(&mut buf) {
                        if n >= 32 && buf[0] == 136 {
                            let mut t = [0u8; 16];
                            t.copy_from_slice(&buf[8..24]);
                            let mut m = [0u8; 6];
                            m.copy_from_slice(&buf[26..32]);
                            let _ = tx.send((Ipv6Addr::from(t), m, buf[4]));
                        }
                    }
                }
            });
        });
        std::thread::sleep(Duration::from_millis(300));
        let r = net.run_in(&node, || {
            runtime().block_on(async {
                let nl = Netlink::new()?;
                let r = nl.resolve(&spec(&format!("{vip}/64/eth0"))).await?;
                let first = nl.add(&r).await?;
                let again = nl.add(&r).await?;
                let sent = garp::announce_ipv6(
                    &r.link.name,
                    r.link.index,
                    r.link.mac.unwrap_or_default(),
                    vip,
                    GarpConfig::default(),
                )
                .await?;
                let removed = nl.remove(IpAddr::V6(vip)).await?;
                Ok::<_, hb_platform::PlatformError>((first, again, sent, removed))
            })
        });
        match r {
            Ok(Ok(v)) => assert_eq!(v, (Change::Done, Change::AlreadyInState, 3, Change::Done)),
            other => panic!("{other:?}"),
        }
        let nas: Vec<_> = rx.iter().filter(|(t, _, _)| *t == vip).collect();
        assert_eq!(nas.len(), 3, "{nas:?}");
        assert!(nas.iter().all(|(_, m, flags)| mac_text(*m) == mac && *flags == 0x20));
    });
}

/// Many addresses in one batch: all added and announced in order, a duplicate is "already
/// present", a failing spec stops the batch there, and status and release work on the batch.
#[test]
fn batch_take_over_status_and_release() {
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    let node = net.node(0).clone();
    let vips: Vec<Ipv4Addr> = (100..=249).map(|i| net.addr(i)).collect();
    let mut specs: Vec<VipSpec> = vips.iter().map(|v| spec(&v.to_string())).collect();
    specs.push(spec(&vips[0].to_string()));
    let no_garp = GarpConfig { rounds: 1, interval: Duration::ZERO };
    let out = net.run_in(&node, || {
        runtime().block_on(async {
            let nl = Netlink::new()?;
            let batch = nl.take_over_all(&specs, no_garp).await;
            let held = nl.holds_all(&specs).await?;
            // A spec that cannot resolve stops the batch: the ones before it are added.
            let broken = [
                spec(&net.addr(250).to_string()),
                spec("10.99.251.1/24/nosuchif"),
                spec(&net.addr(251).to_string()),
            ];
            let partial = nl.take_over_all(&broken, no_garp).await;
            let partial_held = nl.holds_all(&broken).await?;
            let released = nl.release_all(&specs).await?;
            let released_again = nl.release_all(&specs).await?;
            let held_after = nl.holds_all(&specs).await?;
            Ok::<_, hb_platform::PlatformError>((
                batch,
                held,
                partial,
                partial_held,
                released,
                released_again,
                held_after,
            ))
        })
    });
    let (batch, held, partial, partial_held, released, released_again, held_after) = match out {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("platform: {e}"),
        Err(e) => panic!("netns: {e}"),
    };
    assert!(batch.failed.is_none(), "{:?}", batch.failed);
    assert_eq!(batch.done.len(), specs.len());
    let changes: Vec<Change> = batch.done.iter().map(|t| t.change).collect();
    assert!(changes[..vips.len()].iter().all(|c| *c == Change::Done));
    assert_eq!(changes[vips.len()], Change::AlreadyInState, "the duplicate");
    assert!(batch.done.iter().all(|t| t.announced == 2 && t.vip.link.name == "eth0"));
    assert!(held.iter().all(|h| *h));
    match &partial.failed {
        Some((1, e)) => assert!(e.to_string().contains("nosuchif"), "{e}"),
        other => panic!("expected a failure at index 1, got {other:?}"),
    }
    assert_eq!(partial.done.len(), 1);
    assert_eq!(partial_held, vec![true, false, false], "nothing after the failure");
    // After the release the kernel has the node's own address and the partial batch's one.
    let shown = net
        .exec(&node, &["ip", "-4", "addr", "show", "dev", "eth0"])
        .map(|o| o.stdout)
        .unwrap_or_default();
    let shown = String::from_utf8_lossy(&shown);
    assert_eq!(shown.matches(" inet ").count(), 2, "{shown}");
    assert!(shown.contains(&format!("{}/24", net.addr(250))), "{shown}");
    assert!(!net.ping_from_client(vips[vips.len() - 1]).unwrap_or(true), "released");
    let first: Vec<Change> =
        released.into_iter().map(|r| r.unwrap_or_else(|e| panic!("{e}"))).collect();
    assert!(first[..vips.len()].iter().all(|c| *c == Change::Done));
    assert_eq!(first[vips.len()], Change::AlreadyInState, "the duplicate was already gone");
    assert!(released_again.iter().all(|r| matches!(r, Ok(Change::AlreadyInState))));
    assert!(held_after.iter().all(|h| !*h));
}

/// The additions of a batch are pipelined: when the kernel refuses one (here an IPv6 address
/// on an interface with IPv6 turned off), the batch stops there as one-by-one calls would,
/// and the additions already sent behind it are taken back.
#[test]
fn batch_failure_in_the_kernel_takes_back_the_additions_behind_it() {
    let Some(net) = skip_or(Testnet::new(1)) else { return };
    let node = net.node(0).clone();
    let off = net.exec(&node, &["sysctl", "-q", "-w", "net.ipv6.conf.eth0.disable_ipv6=1"]);
    if !off.map(|o| o.status.success()).unwrap_or(false) {
        eprintln!("skipped: cannot turn IPv6 off on eth0");
        return;
    }
    let third = net.addr(0).octets()[2];
    let v6 = format!("fd00:99:{third:x}::60/64/eth0");
    let before: Vec<Ipv4Addr> = (100..=103).map(|i| net.addr(i)).collect();
    let after: Vec<Ipv4Addr> = (110..=179).map(|i| net.addr(i)).collect();
    let mut specs: Vec<VipSpec> = before.iter().map(|v| spec(&v.to_string())).collect();
    specs.push(spec(&v6));
    specs.extend(after.iter().map(|v| spec(&v.to_string())));
    let no_garp = GarpConfig { rounds: 1, interval: Duration::ZERO };
    let out = net.run_in(&node, || {
        runtime().block_on(async {
            let nl = Netlink::new()?;
            let batch = nl.take_over_all(&specs, no_garp).await;
            let held = nl.holds_all(&specs).await?;
            Ok::<_, hb_platform::PlatformError>((batch, held))
        })
    });
    let (batch, held) = match out {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("platform: {e}"),
        Err(e) => panic!("netns: {e}"),
    };
    match &batch.failed {
        Some((i, e)) => assert_eq!(*i, before.len(), "failed at the IPv6 address: {e}"),
        None => panic!("the IPv6 address was added with IPv6 off"),
    }
    assert_eq!(batch.done.len(), before.len());
    let expect: Vec<bool> = (0..specs.len()).map(|i| i < before.len()).collect();
    assert_eq!(held, expect, "exactly the addresses before the failure are held");
    let shown = net
        .exec(&node, &["ip", "-4", "addr", "show", "dev", "eth0"])
        .map(|o| o.stdout)
        .unwrap_or_default();
    // The node's own address and the four before the failure.
    assert_eq!(String::from_utf8_lossy(&shown).matches(" inet ").count(), 1 + before.len());
}
