//! Why an advertisement was refused: one reason per check, each counted separately.

use std::fmt;

/// Why a received VRRP packet was refused. The codec ([`crate::Advert::parse`]) returns the
/// first group; the engine adds the checks that need the instance's configuration. Every
/// variant is counted on its own in [`RejectCounts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reject {
    /// Shorter than the 8-byte VRRP header.
    TooShort,
    /// Version nibble is neither 2 nor 3.
    BadVersion,
    /// Type nibble is not 1 (ADVERTISEMENT).
    BadType,
    /// Length does not match the address count (and, in v2, the 8-byte auth field).
    BadLength,
    /// Checksum does not verify (v3: over the pseudo-header too).
    BadChecksum,
    /// Virtual router id 0.
    BadVrid,
    /// Advertisement interval 0.
    BadInterval,
    /// VRRPv2 from an IPv6 source (v2 is IPv4 only).
    V2OverIpv6,
    /// Source and destination addresses are of different families.
    FamilyMismatch,
    /// IP TTL (IPv6 hop limit) is not 255 on a multicast advertisement.
    BadTtl,
    /// Another virtual router id than the instance's.
    VridMismatch,
    /// Another VRRP version than the instance's.
    VersionMismatch,
    /// v2 authentication type differs from the configured one.
    AuthTypeMismatch,
    /// v2 `auth_type PASS` password differs from the configured one.
    AuthMismatch,
    /// v2 advertisement interval differs from ours (RFC 3768 §7.1 says discard).
    IntervalMismatch,
    /// The advertisement carries our own primary address as source (a loop or a clone).
    OwnAddress,
    /// Received while the instance is in Fault, Init or Stop and ignores adverts.
    NotListening,
}

impl Reject {
    /// Number of reasons (the length of [`Reject::ALL`]).
    pub const COUNT: usize = 17;

    /// Every reason, in counter order.
    pub const ALL: [Reject; Reject::COUNT] = [
        Reject::TooShort,
        Reject::BadVersion,
        Reject::BadType,
        Reject::BadLength,
        Reject::BadChecksum,
        Reject::BadVrid,
        Reject::BadInterval,
        Reject::V2OverIpv6,
        Reject::FamilyMismatch,
        Reject::BadTtl,
        Reject::VridMismatch,
        Reject::VersionMismatch,
        Reject::AuthTypeMismatch,
        Reject::AuthMismatch,
        Reject::IntervalMismatch,
        Reject::OwnAddress,
        Reject::NotListening,
    ];

    /// A stable snake_case name, for metrics labels and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Reject::TooShort => "too_short",
            Reject::BadVersion => "bad_version",
            Reject::BadType => "bad_type",
            Reject::BadLength => "bad_length",
            Reject::BadChecksum => "bad_checksum",
            Reject::BadVrid => "bad_vrid",
            Reject::BadInterval => "bad_interval",
            Reject::V2OverIpv6 => "v2_over_ipv6",
            Reject::FamilyMismatch => "family_mismatch",
            Reject::BadTtl => "bad_ttl",
            Reject::VridMismatch => "vrid_mismatch",
            Reject::VersionMismatch => "version_mismatch",
            Reject::AuthTypeMismatch => "auth_type_mismatch",
            Reject::AuthMismatch => "auth_mismatch",
            Reject::IntervalMismatch => "interval_mismatch",
            Reject::OwnAddress => "own_address",
            Reject::NotListening => "not_listening",
        }
    }

    fn index(self) -> usize {
        // ALL is short and fixed: a scan keeps the order in one place.
        Reject::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Reject::TooShort => "packet shorter than the VRRP header",
            Reject::BadVersion => "VRRP version is not 2 or 3",
            Reject::BadType => "VRRP type is not ADVERTISEMENT (1)",
            Reject::BadLength => "length does not match the address count",
            Reject::BadChecksum => "bad checksum",
            Reject::BadVrid => "virtual router id 0",
            Reject::BadInterval => "advertisement interval 0",
            Reject::V2OverIpv6 => "VRRPv2 over IPv6",
            Reject::FamilyMismatch => "address family mismatch",
            Reject::BadTtl => "TTL/hop limit is not 255",
            Reject::VridMismatch => "virtual router id mismatch",
            Reject::VersionMismatch => "VRRP version mismatch",
            Reject::AuthTypeMismatch => "authentication type mismatch",
            Reject::AuthMismatch => "authentication password mismatch",
            Reject::IntervalMismatch => "advertisement interval mismatch (VRRPv2)",
            Reject::OwnAddress => "advertisement from our own primary address",
            Reject::NotListening => "instance not listening (init, fault or stopped)",
        };
        f.write_str(text)
    }
}

impl std::error::Error for Reject {}

/// One counter per [`Reject`] reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RejectCounts {
    counts: [u64; Reject::COUNT],
}

impl RejectCounts {
    /// Counts one more `reason` and returns the new count.
    pub fn add(&mut self, reason: Reject) -> u64 {
        let c = &mut self.counts[reason.index()];
        *c = c.saturating_add(1);
        *c
    }

    /// How many times `reason` was counted.
    pub fn get(&self, reason: Reject) -> u64 {
        self.counts[reason.index()]
    }

    /// Sum over every reason.
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, b| a.saturating_add(*b))
    }

    /// `(reason, count)` for every reason, zeros included.
    pub fn iter(&self) -> impl Iterator<Item = (Reject, u64)> + '_ {
        Reject::ALL.iter().map(|r| (*r, self.get(*r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_its_own_counter_and_name() {
        let mut c = RejectCounts::default();
        for (i, r) in Reject::ALL.iter().enumerate() {
            for _ in 0..=i {
                c.add(*r);
            }
        }
        for (i, r) in Reject::ALL.iter().enumerate() {
            assert_eq!(c.get(*r), i as u64 + 1, "{r:?}");
        }
        let mut names: Vec<_> = Reject::ALL.iter().map(|r| r.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Reject::COUNT);
        assert_eq!(c.total(), (1..=Reject::COUNT as u64).sum::<u64>());
    }
}
