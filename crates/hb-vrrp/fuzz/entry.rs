#![allow(dead_code)]
//! Fuzz entry point, shared by the cargo-fuzz target and the corpus replay test in
//! `crates/hb-vrrp/tests/fuzz_corpus.rs` (included there with `#[path]`).
//!
//! Input: one selector byte (which source/destination pair the packet came with: IPv4
//! multicast, IPv4 unicast, IPv6 multicast, or mismatched families), then the VRRP payload.
//! A payload that parses must re-emit to itself (byte for byte when the v3 reserved bits are
//! zero, which emit always writes) and parse back to the same advert; then two instances,
//! one Backup and one Master, receive it. Any panic is a bug.

use std::net::IpAddr;

use hb_vrrp::{Advert, Input, Instance, InstanceConfig, Password, Version};

/// The source of the IPv6 seeds in the corpus (keepalived's link-local in the capture).
pub const V6_SRC: &str = "fe80::68f0:26ff:fecf:6f84";

/// The (source, destination) pair for a selector byte.
pub fn addresses(selector: u8) -> (IpAddr, IpAddr) {
    let (s, d) = match selector & 3 {
        0 => ("10.99.70.1", "224.0.0.18"),
        1 => ("10.99.70.1", "10.99.70.2"),
        2 => (V6_SRC, "ff02::12"),
        _ => ("10.99.70.1", "ff02::12"),
    };
    (
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
        d.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
    )
}

/// Runs one input.
pub fn parse_advert(data: &[u8]) {
    let Some((&selector, payload)) = data.split_first() else { return };
    let (src, dst) = addresses(selector);
    if let Ok(advert) = Advert::parse(payload, src, dst) {
        let bytes = match advert.emit(src, dst) {
            Ok(b) => b,
            Err(e) => panic!("parsed advert does not re-emit: {e}"),
        };
        if advert.version == Version::V2 || payload[4] >> 4 == 0 {
            assert_eq!(bytes, payload, "re-emitted advert differs from the input");
        }
        assert_eq!(Advert::parse(&bytes, src, dst), Ok(advert.clone()), "emit/parse round trip");
        assert_eq!(bytes.len(), advert.emitted_len());
    }
    let ttl = if selector & 4 == 0 { 255 } else { 254 };
    for owner in [false, true] {
        for version in [Version::V2, Version::V3] {
            run_engine(payload, src, dst, ttl, version, owner);
        }
    }
}

fn run_engine(payload: &[u8], src: IpAddr, dst: IpAddr, ttl: u8, version: Version, owner: bool) {
    let ours: IpAddr =
        if src.is_ipv4() { [10, 99, 70, 9].into() } else { [0xfe80, 0, 0, 0, 0, 0, 0, 9].into() };
    let mut cfg = InstanceConfig::new("fuzz", payload.get(1).copied().unwrap_or(51).max(1), ours);
    cfg.version = if ours.is_ipv6() { Version::V3 } else { version };
    if cfg.version == Version::V2 {
        cfg.auth = Some(Password::from_config("1111").0);
    }
    cfg.priority = if owner { 255 } else { 100 };
    let now = hb_vrrp::Instant::ZERO;
    let Ok(mut i) = Instance::new(cfg, 1, now) else { return };
    i.handle_input(now, Input::Timeout);
    i.handle_packet(now, payload, src, dst, ttl);
    while i.poll_output().is_some() {}
    // The instance must still run its timers after any packet.
    if let Some(t) = i.poll_timeout() {
        i.handle_input(t, Input::Timeout);
    }
    while i.poll_output().is_some() {}
}
