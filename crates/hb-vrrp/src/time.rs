//! The engine's monotonic time: nanoseconds since an arbitrary origin chosen by the shell
//! (the same representation as `hb_core::Instant`, so one shell clock serves both engines).
//!
//! The engine never reads a clock. The daemon converts `std::time::Instant` readings into this
//! type (e.g. nanoseconds since process start); the simulator runs it as virtual time.

use std::ops::{Add, Sub};
use std::time::Duration;

/// A point on the shell's monotonic clock, in nanoseconds since an arbitrary origin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub u64);

impl Instant {
    /// The origin.
    pub const ZERO: Instant = Instant(0);

    /// Builds an instant from nanoseconds since the origin.
    pub const fn from_nanos(nanos: u64) -> Instant {
        Instant(nanos)
    }

    /// Nanoseconds since the origin.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    /// Saturates at the end of time instead of overflowing.
    fn add(self, rhs: Duration) -> Instant {
        let nanos = u64::try_from(rhs.as_nanos()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(nanos))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    /// Saturating: an earlier minus a later instant is zero.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let t = Instant::from_nanos(5);
        assert_eq!(t + Duration::from_nanos(3), Instant(8));
        assert_eq!(Instant(8) - t, Duration::from_nanos(3));
        assert_eq!(t - Instant(8), Duration::ZERO);
        assert_eq!(Instant(u64::MAX - 1) + Duration::from_secs(9), Instant(u64::MAX));
    }
}
