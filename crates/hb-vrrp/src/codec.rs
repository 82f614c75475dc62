//! The VRRP advertisement codec: RFC 3768 (v2, IPv4, with the 8-byte authentication field) and
//! RFC 5798 (v3, IPv4 and IPv6, checksum over a pseudo-header). Parses and emits the VRRP
//! payload of an IP packet (IP protocol 112); the IP header is the shell's business, so the
//! source and destination addresses come in as arguments (v3 checksums cover them) and the
//! TTL is checked by the engine.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::reject::Reject;

/// IP protocol number of VRRP.
pub const IPPROTO_VRRP: u8 = 112;
/// TTL / hop limit every advertisement is sent with and, on multicast, must arrive with.
pub const VRRP_TTL: u8 = 255;
/// IPv4 multicast group of VRRP.
pub const MULTICAST_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// IPv6 multicast group of VRRP (`ff02::12`).
pub const MULTICAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
/// Length of the v2 authentication data field; a longer `auth_pass` is cut to this.
pub const AUTH_LEN: usize = 8;
/// The address count is one byte.
pub const MAX_ADDRESSES: usize = 255;
/// Largest v3 interval (12 bits, centiseconds).
pub const MAX_V3_INTERVAL_CS: u16 = 0x0fff;
/// The fixed VRRP header before the addresses.
pub const HEADER_LEN: usize = 8;

/// VRRP protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// RFC 3768: IPv4 only, interval in whole seconds, optional simple-text password.
    V2,
    /// RFC 5798: IPv4 and IPv6, interval in centiseconds, no authentication.
    V3,
}

impl Version {
    /// The number in the version nibble.
    pub fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// The 8-byte v2 `auth_type PASS` field: the password, zero-padded. Debug output hides it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Password(pub [u8; AUTH_LEN]);

impl Password {
    /// Builds the field from a configured `auth_pass`. The second value is true when the
    /// password was longer than 8 bytes and was cut (keepalived cuts silently; warn instead).
    pub fn from_config(pass: &str) -> (Password, bool) {
        let mut field = [0u8; AUTH_LEN];
        let bytes = pass.as_bytes();
        let n = bytes.len().min(AUTH_LEN);
        field[..n].copy_from_slice(&bytes[..n]);
        (Password(field), bytes.len() > AUTH_LEN)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// The v2 authentication field. v3 advertisements have none ([`Auth::None`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Auth {
    /// Type 0; the 8 data bytes as received (normally zero; kept for a byte-exact re-emit).
    None([u8; AUTH_LEN]),
    /// Type 1, simple text password.
    Pass(Password),
    /// Any other type with its data, kept so that the engine can count the mismatch.
    Other {
        /// The auth type byte.
        auth_type: u8,
        /// The 8 data bytes.
        data: [u8; AUTH_LEN],
    },
}

impl Auth {
    /// No authentication, zero data.
    pub const NONE: Auth = Auth::None([0; AUTH_LEN]);

    /// The auth type byte on the wire.
    pub fn auth_type(&self) -> u8 {
        match self {
            Auth::None(_) => 0,
            Auth::Pass(_) => 1,
            Auth::Other { auth_type, .. } => *auth_type,
        }
    }

    fn data(&self) -> [u8; AUTH_LEN] {
        match self {
            Auth::None(d) | Auth::Other { data: d, .. } => *d,
            Auth::Pass(p) => p.0,
        }
    }
}

/// One VRRP advertisement, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advert {
    /// Protocol version.
    pub version: Version,
    /// Virtual router id, 1..=255.
    pub vrid: u8,
    /// Sender's priority: 0 = the master is leaving, 255 = address owner.
    pub priority: u8,
    /// Interval field as on the wire: whole seconds in v2 (8 bits), centiseconds in v3
    /// (12 bits). See [`Advert::interval_cs`].
    pub advert_int: u16,
    /// v2 authentication; [`Auth::NONE`] in v3.
    pub auth: Auth,
    /// Virtual addresses, all of the packet's family.
    pub addresses: Vec<IpAddr>,
}

/// Why [`Advert::emit`] refused to build a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// More than 255 addresses.
    #[error("more than {MAX_ADDRESSES} addresses in one advertisement")]
    TooManyAddresses,
    /// An address, the source or the destination is not of the advertisement's family.
    #[error("addresses of mixed families in one advertisement")]
    FamilyMismatch,
    /// VRRPv2 over IPv6.
    #[error("VRRPv2 cannot be sent over IPv6")]
    V2OverIpv6,
    /// Interval 0, above 255 s (v2) or above 4095 cs (v3).
    #[error("advertisement interval out of range for this version")]
    BadInterval,
    /// Virtual router id 0.
    #[error("virtual router id 0")]
    BadVrid,
}

impl Advert {
    /// The advertised interval in centiseconds, whatever the version.
    pub fn interval_cs(&self) -> u32 {
        match self.version {
            Version::V2 => u32::from(self.advert_int) * 100,
            Version::V3 => u32::from(self.advert_int),
        }
    }

    /// Decodes the VRRP payload of a packet sent from `src` to `dst`. Checks version, type,
    /// VRID, interval, length against the address count, family and checksum (v3 with the
    /// IPv4/IPv6 pseudo-header); the TTL and the instance-specific checks are the engine's.
    pub fn parse(bytes: &[u8], src: IpAddr, dst: IpAddr) -> Result<Advert, Reject> {
        if bytes.len() < HEADER_LEN {
            return Err(Reject::TooShort);
        }
        let version = match bytes[0] >> 4 {
            2 => Version::V2,
            3 => Version::V3,
            _ => return Err(Reject::BadVersion),
        };
        if bytes[0] & 0x0f != 1 {
            return Err(Reject::BadType);
        }
        if src.is_ipv4() != dst.is_ipv4() {
            return Err(Reject::FamilyMismatch);
        }
        if version == Version::V2 && src.is_ipv6() {
            return Err(Reject::V2OverIpv6);
        }
        let count = usize::from(bytes[3]);
        let addr_len = if src.is_ipv4() { 4 } else { 16 };
        let auth_len = if version == Version::V2 { AUTH_LEN } else { 0 };
        if bytes.len() != HEADER_LEN + count * addr_len + auth_len {
            return Err(Reject::BadLength);
        }
        let sum = match version {
            Version::V2 => checksum(&[bytes]),
            Version::V3 => checksum(&[&pseudo_header(src, dst, bytes.len()), bytes]),
        };
        if sum != 0 {
            return Err(Reject::BadChecksum);
        }
        let vrid = bytes[1];
        if vrid == 0 {
            return Err(Reject::BadVrid);
        }
        let (auth_type, advert_int) = match version {
            Version::V2 => (bytes[4], u16::from(bytes[5])),
            Version::V3 => (0, u16::from_be_bytes([bytes[4], bytes[5]]) & MAX_V3_INTERVAL_CS),
        };
        if advert_int == 0 {
            return Err(Reject::BadInterval);
        }
        let body = &bytes[HEADER_LEN..HEADER_LEN + count * addr_len];
        let addresses = body.chunks_exact(addr_len).map(ip_from_slice).collect();
        let auth = if version == Version::V2 {
            let mut data = [0u8; AUTH_LEN];
            data.copy_from_slice(&bytes[bytes.len() - AUTH_LEN..]);
            match auth_type {
                0 => Auth::None(data),
                1 => Auth::Pass(Password(data)),
                t => Auth::Other { auth_type: t, data },
            }
        } else {
            Auth::NONE
        };
        Ok(Advert { version, vrid, priority: bytes[2], advert_int, auth, addresses })
    }

    /// Encodes the advertisement for a packet from `src` to `dst`, checksum included.
    pub fn emit(&self, src: IpAddr, dst: IpAddr) -> Result<Vec<u8>, EmitError> {
        if self.vrid == 0 {
            return Err(EmitError::BadVrid);
        }
        if self.addresses.len() > MAX_ADDRESSES {
            return Err(EmitError::TooManyAddresses);
        }
        let v4 = src.is_ipv4();
        if dst.is_ipv4() != v4 || self.addresses.iter().any(|a| a.is_ipv4() != v4) {
            return Err(EmitError::FamilyMismatch);
        }
        let max = match self.version {
            Version::V2 if !v4 => return Err(EmitError::V2OverIpv6),
            Version::V2 => 255,
            Version::V3 => MAX_V3_INTERVAL_CS,
        };
        if self.advert_int == 0 || self.advert_int > max {
            return Err(EmitError::BadInterval);
        }
        let mut out = Vec::with_capacity(self.emitted_len());
        out.push((self.version.number() << 4) | 1);
        out.push(self.vrid);
        out.push(self.priority);
        // Checked above: at most 255 addresses.
        out.push(u8::try_from(self.addresses.len()).unwrap_or(u8::MAX));
        match self.version {
            Version::V2 => {
                out.push(self.auth.auth_type());
                out.push(u8::try_from(self.advert_int).unwrap_or(u8::MAX));
            }
            Version::V3 => out.extend_from_slice(&self.advert_int.to_be_bytes()),
        }
        out.extend_from_slice(&[0, 0]);
        for a in &self.addresses {
            match a {
                IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
                IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
            }
        }
        let sum = match self.version {
            Version::V2 => {
                out.extend_from_slice(&self.auth.data());
                checksum(&[&out])
            }
            Version::V3 => checksum(&[&pseudo_header(src, dst, out.len()), &out]),
        };
        out[6..8].copy_from_slice(&sum.to_be_bytes());
        Ok(out)
    }

    /// Length of the encoded advertisement.
    pub fn emitted_len(&self) -> usize {
        let per = if self.addresses.first().is_some_and(IpAddr::is_ipv6) { 16 } else { 4 };
        let auth = if self.version == Version::V2 { AUTH_LEN } else { 0 };
        HEADER_LEN + per * self.addresses.len() + auth
    }
}

/// The internet checksum (RFC 1071) over the concatenation of `parts`; each part but the last
/// must have even length (true of the pseudo-headers).
pub fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for part in parts {
        let mut chunks = part.chunks_exact(2);
        for c in &mut chunks {
            sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
        }
        if let [last] = chunks.remainder() {
            sum += u32::from(*last) << 8;
        }
        // Fold as we go so that long inputs never overflow.
        sum = (sum & 0xffff) + (sum >> 16);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The v3 pseudo-header: RFC 768 style for IPv4 (12 bytes), RFC 8200 §8.1 for IPv6 (40 bytes).
fn pseudo_header(src: IpAddr, dst: IpAddr, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(40);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            p.extend_from_slice(&s.octets());
            p.extend_from_slice(&d.octets());
            p.extend_from_slice(&[0, IPPROTO_VRRP]);
            p.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
        }
        (s, d) => {
            p.extend_from_slice(&ip6_octets(s));
            p.extend_from_slice(&ip6_octets(d));
            p.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, IPPROTO_VRRP]);
        }
    }
    p
}

fn ip6_octets(a: IpAddr) -> [u8; 16] {
    match a {
        IpAddr::V6(a) => a.octets(),
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
    }
}

/// `s` is a 4- or 16-byte chunk (from `chunks_exact`).
fn ip_from_slice(s: &[u8]) -> IpAddr {
    if let Ok(o) = <[u8; 4]>::try_from(s) {
        return IpAddr::V4(Ipv4Addr::from(o));
    }
    let mut o = [0u8; 16];
    let n = s.len().min(16);
    o[..n].copy_from_slice(&s[..n]);
    IpAddr::V6(Ipv6Addr::from(o))
}

#[cfg(test)]
#[path = "codec_test.rs"]
mod tests;
