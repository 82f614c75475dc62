//! Golden adverts captured from a real keepalived 2.2.7 (`tests/data/capture-keepalived.sh`,
//! whose configuration is mirrored in `expected` below): each is parsed, checked field by
//! field against that configuration, re-emitted byte for byte, and fed to an instance
//! configured like keepalived's peer.
// Test helpers outside #[test] functions unwrap freely: a bad fixture should fail loudly.
#![allow(clippy::unwrap_used)]

use std::net::IpAddr;

use hb_vrrp::{Advert, Auth, Input, Instance, InstanceConfig, Password, State, Version};

const CAPTURE: &str = include_str!("data/keepalived-2.2.7.txt");

struct Golden {
    name: String,
    src: IpAddr,
    dst: IpAddr,
    ttl: u8,
    bytes: Vec<u8>,
}

fn goldens() -> Vec<Golden> {
    CAPTURE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 5, "bad line {l:?}");
            let bytes = (0..f[4].len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&f[4][i..i + 2], 16).unwrap())
                .collect();
            Golden {
                name: f[0].to_owned(),
                src: f[1].parse().unwrap(),
                dst: f[2].parse().unwrap(),
                ttl: f[3].parse().unwrap(),
                bytes,
            }
        })
        .collect()
}

/// (version, interval field, auth, addresses) per VRID, from the capture's keepalived.conf.
fn expected(vrid: u8) -> (Version, u16, Auth, Vec<&'static str>) {
    let pass = |p: &str| Auth::Pass(Password::from_config(p).0);
    match vrid {
        51 => (Version::V2, 1, pass("1111"), vec!["10.99.70.100"]),
        55 => (Version::V2, 1, pass("secretpassword"), vec!["10.99.70.105"]),
        56 => (Version::V2, 2, Auth::NONE, vec!["10.99.70.106"]),
        52 => (Version::V3, 50, Auth::NONE, vec!["10.99.70.101", "10.99.70.102"]),
        53 => (Version::V3, 100, Auth::NONE, vec!["10.99.70.103"]),
        54 => (Version::V3, 100, Auth::NONE, vec!["fd00:99:70::104"]),
        other => panic!("unexpected vrid {other}"),
    }
}

#[test]
fn keepalived_adverts_parse_field_by_field_and_re_emit_byte_exact() {
    let all = goldens();
    let mut checked = 0;
    for g in &all {
        let a = Advert::parse(&g.bytes, g.src, g.dst).unwrap_or_else(|e| panic!("{}: {e}", g.name));
        let (version, advert_int, auth, addrs) = expected(a.vrid);
        assert_eq!(a.version, version, "{}", g.name);
        assert_eq!(a.advert_int, advert_int, "{}", g.name);
        assert_eq!(a.auth, auth, "{}", g.name);
        let addrs: Vec<IpAddr> = addrs.iter().map(|s| s.parse().unwrap()).collect();
        assert_eq!(a.addresses, addrs, "{}", g.name);
        let prio: u8 =
            g.name.split("-prio").nth(1).unwrap().split('-').next().unwrap().parse().unwrap();
        assert_eq!(a.priority, prio, "{}", g.name);
        assert_eq!(g.ttl, 255, "{}", g.name);
        assert_eq!(a.emit(g.src, g.dst).unwrap(), g.bytes, "{}: re-emit", g.name);
        checked += 1;
    }
    println!("golden keepalived adverts checked: {checked}");
    // 6 instances, each seen as master and with its priority-0 goodbye.
    assert_eq!(checked, 12);
    for want in [(Version::V2, 51), (Version::V3, 52), (Version::V3, 53), (Version::V3, 54)] {
        assert!(all.iter().any(|g| g.bytes[0] >> 4 == want.0.number() && g.bytes[1] == want.1));
    }
}

#[test]
fn keepalived_adverts_drive_a_backup_configured_like_its_peer() {
    let mut fed = 0;
    for g in goldens().iter().filter(|g| g.bytes[2] != 0) {
        let a = Advert::parse(&g.bytes, g.src, g.dst).unwrap();
        let (version, advert_int, auth, _) = expected(a.vrid);
        let ours: IpAddr =
            if g.src.is_ipv4() { "10.99.70.2" } else { "fe80::70:2" }.parse().unwrap();
        let mut cfg = InstanceConfig::new("peer", a.vrid, ours);
        cfg.version = version;
        cfg.advert_int_cs = if version == Version::V2 { advert_int * 100 } else { advert_int };
        cfg.auth = match auth {
            Auth::Pass(p) => Some(p),
            _ => None,
        };
        cfg.virtual_addresses = a.addresses.clone();
        if g.dst.is_ipv4() && !g.dst.is_multicast() {
            cfg.unicast_peers = vec![g.src];
        }
        cfg.priority = 90;
        let t0 = hb_vrrp::Instant::ZERO;
        let mut i = Instance::new(cfg, 1, t0).unwrap();
        i.handle_input(t0, Input::Timeout);
        assert_eq!(i.state(), State::Backup);
        let down = i.poll_timeout().unwrap();
        let t1 = hb_vrrp::Instant::from_nanos(down.as_nanos() / 2);
        i.handle_packet(t1, &g.bytes, g.src, g.dst, g.ttl);
        assert_eq!(i.counters().rejects.total(), 0, "{}: {:?}", g.name, i.counters().rejects);
        assert_eq!(i.counters().adverts_received, 1, "{}", g.name);
        assert_eq!(i.master(), Some((g.src, a.priority)), "{}", g.name);
        assert!(i.poll_timeout().unwrap() > down, "{}: the advert re-armed master-down", g.name);
        fed += 1;
    }
    println!("golden adverts fed to a backup: {fed}");
    assert_eq!(fed, 6);
}
