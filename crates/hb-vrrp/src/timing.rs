//! keepalived's timer arithmetic (keepalived/include/vrrp.h, 2.2.x), in microseconds.
//!
//! Skew time: v2 `(256 − priority) × 1 s / 256`; v3 `(256 − priority) × Master_Adver_Interval
//! / 256`, computed as keepalived does from the interval in centiseconds (`× 625 / 16`), so the
//! same rounding. Master-down interval: `3 × Master_Adver_Interval + skew`. Priority is the
//! effective priority; Master_Adver_Interval is our own in v2 and the master's in v3.

use std::time::Duration;

use crate::codec::Version;

/// Microseconds in a centisecond.
const US_PER_CS: u64 = 10_000;

/// The skew time for `priority`.
pub fn skew(version: Version, priority: u8, master_adv_cs: u32) -> Duration {
    let pri_val = 256 - u64::from(priority);
    let us = match version {
        Version::V3 => pri_val * u64::from(master_adv_cs) * 625 / 16,
        Version::V2 => pri_val * 1_000_000 / 256,
    };
    Duration::from_micros(us)
}

/// `3 × Master_Adver_Interval + skew`.
pub fn master_down(version: Version, priority: u8, master_adv_cs: u32) -> Duration {
    interval(master_adv_cs) * 3 + skew(version, priority, master_adv_cs)
}

/// An interval in centiseconds as a duration.
pub fn interval(cs: u32) -> Duration {
    Duration::from_micros(u64::from(cs) * US_PER_CS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_skew_follows_priority_only() {
        // 100: (156 × 1 000 000) / 256 = 609 375 µs, whatever the interval.
        assert_eq!(skew(Version::V2, 100, 100), Duration::from_micros(609_375));
        assert_eq!(skew(Version::V2, 100, 500), Duration::from_micros(609_375));
        assert_eq!(skew(Version::V2, 255, 100), Duration::from_micros(3_906));
        assert_eq!(master_down(Version::V2, 100, 100), Duration::from_micros(3_609_375));
    }

    #[test]
    fn v3_skew_scales_with_the_interval() {
        // advert_int 1 s = 100 cs, priority 100: 156 × 100 × 625 / 16 = 609 375 µs.
        assert_eq!(skew(Version::V3, 100, 100), Duration::from_micros(609_375));
        // advert_int 0.01 s: 156 × 1 × 625 / 16 = 6 093 µs (truncated like keepalived).
        assert_eq!(skew(Version::V3, 100, 1), Duration::from_micros(6_093));
        assert_eq!(master_down(Version::V3, 100, 1), Duration::from_micros(36_093));
        // Higher priority, shorter wait: the better backup always moves first.
        assert!(master_down(Version::V3, 200, 100) < master_down(Version::V3, 100, 100));
    }
}
