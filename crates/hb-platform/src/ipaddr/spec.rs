//! Parsing of heartbeat's `IPaddr`/`IPaddr2` argument and subnet arithmetic (pure).

use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use crate::PlatformError;

/// A virtual address as written in `haresources`: `IP[/prefix[/iface[/broadcast]]]`.
///
/// The prefix may be a length (`24`) or a dotted netmask (`255.255.255.0`), as heartbeat's
/// IPaddr accepts both. Missing parts are found at start time from the interface that already
/// has an address in a subnet containing `addr` (see [`super::Netlink::resolve`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipSpec {
    /// The virtual address.
    pub addr: IpAddr,
    /// Prefix length, if given.
    pub prefix: Option<u8>,
    /// Interface name, if given.
    pub iface: Option<String>,
    /// IPv4 broadcast address, if given.
    pub broadcast: Option<Ipv4Addr>,
    /// Address label (`eth0:0` style), if wanted. Must be the interface name or start with it
    /// followed by `:`; at most 15 bytes (kernel limit).
    pub label: Option<String>,
}

impl FromStr for VipSpec {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| PlatformError::Invalid {
            what: "IPaddr argument",
            input: s.to_string(),
            reason: reason.to_string(),
        };
        let mut parts = s.split('/');
        let addr: IpAddr =
            parts.next().unwrap_or_default().parse().map_err(|_| bad("not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match parts.next().filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => Some(parse_prefix(p, max).ok_or_else(|| bad("bad prefix or netmask"))?),
        };
        let iface = match parts.next().filter(|p| !p.is_empty()) {
            None => None,
            Some(i) if valid_ifname(i) => Some(i.to_string()),
            Some(_) => return Err(bad("bad interface name")),
        };
        let broadcast = match parts.next().filter(|p| !p.is_empty()) {
            None => None,
            Some(b) => Some(b.parse().map_err(|_| bad("bad broadcast address"))?),
        };
        if parts.next().is_some() {
            return Err(bad("too many '/' fields"));
        }
        // heartbeat's IPaddr accepts "eth0:1" as the interface and uses it as the label.
        let (iface, label) = match iface {
            Some(i) => match i.split_once(':') {
                Some((dev, _)) => (Some(dev.to_string()), Some(i)),
                None => (Some(i), None),
            },
            None => (None, None),
        };
        Ok(VipSpec { addr, prefix, iface, broadcast, label })
    }
}

/// Whether `name` is a usable Linux interface name (1–15 bytes, no `/`, whitespace or NUL).
pub fn valid_ifname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && !name.bytes().any(|b| b == b'/' || b.is_ascii_whitespace() || b == 0)
}

/// Whether `a` and `b` are in the same subnet of length `prefix`.
pub fn same_subnet(a: IpAddr, b: IpAddr, prefix: u8) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let m = mask32(prefix);
            u32::from(a) & m == u32::from(b) & m
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let m = if prefix == 0 { 0 } else { u128::MAX << (128 - u32::from(prefix.min(128))) };
            u128::from(a) & m == u128::from(b) & m
        }
        _ => false,
    }
}

/// The IPv4 broadcast address of `addr/prefix`.
pub fn ipv4_broadcast(addr: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(addr) | !mask32(prefix))
}

fn mask32(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    }
}

fn parse_prefix(p: &str, max: u8) -> Option<u8> {
    if let Ok(n) = p.parse::<u8>() {
        return (n <= max).then_some(n);
    }
    let mask: Ipv4Addr = p.parse().ok()?;
    let bits = u32::from(mask);
    // A netmask must be contiguous ones.
    (bits.leading_ones() + bits.trailing_zeros() == 32 && max == 32)
        .then(|| u8::try_from(bits.leading_ones()).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> Result<VipSpec, PlatformError> {
        s.parse()
    }

    #[test]
    fn parses_all_heartbeat_forms() -> Result<(), PlatformError> {
        let v = spec("10.0.0.50")?;
        assert_eq!((v.prefix, v.iface.as_deref()), (None, None));
        let v = spec("10.0.0.50/24/eth0/10.0.0.255")?;
        assert_eq!(v.prefix, Some(24));
        assert_eq!(v.iface.as_deref(), Some("eth0"));
        assert_eq!(v.broadcast, Some(Ipv4Addr::new(10, 0, 0, 255)));
        let v = spec("10.0.0.50/255.255.0.0")?;
        assert_eq!(v.prefix, Some(16));
        let v = spec("10.0.0.50/24/eth0:3")?;
        assert_eq!(v.iface.as_deref(), Some("eth0"));
        assert_eq!(v.label.as_deref(), Some("eth0:3"));
        let v = spec("fd00::5/64/eth1")?;
        assert_eq!(v.prefix, Some(64));
        Ok(())
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "10.0.0",
            "10.0.0.1/33",
            "10.0.0.1/255.0.255.0",
            "10.0.0.1/24/averyveryverylongname",
            "10.0.0.1/24/eth0/x",
            "10.0.0.1/24/eth0/10.0.0.255/extra",
        ] {
            assert!(spec(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn subnet_math() {
        let a: IpAddr = [10, 99, 3, 7].into();
        let b: IpAddr = [10, 99, 3, 200].into();
        let c: IpAddr = [10, 99, 4, 1].into();
        assert!(same_subnet(a, b, 24));
        assert!(!same_subnet(a, c, 24));
        assert!(same_subnet(a, c, 16));
        assert!(same_subnet(a, c, 0));
        assert_eq!(ipv4_broadcast(Ipv4Addr::new(10, 99, 3, 7), 24), Ipv4Addr::new(10, 99, 3, 255));
        assert_eq!(ipv4_broadcast(Ipv4Addr::new(10, 99, 3, 7), 32), Ipv4Addr::new(10, 99, 3, 7));
        let x: IpAddr = "fd00::1".parse().unwrap_or(a);
        let y: IpAddr = "fd00::ffff".parse().unwrap_or(a);
        assert!(same_subnet(x, y, 64));
        assert!(!same_subnet(x, a, 0));
    }
}
