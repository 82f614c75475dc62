//! Virtual time and per-node clocks. The simulator's global time is exact microseconds since the
//! start of a run; each node sees its own monotonic clock running at a slightly wrong rate
//! (drift) and its own wall clock, which can also jump (steps), as real machines do.

use std::fmt;

/// A point in the simulator's global (true) time, microseconds since the run started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    /// Time zero, when every run starts.
    pub const ZERO: SimTime = SimTime(0);

    /// `ms` milliseconds after the start.
    pub const fn from_millis(ms: u64) -> SimTime {
        SimTime(ms * 1000)
    }

    /// Microseconds since the start.
    pub const fn micros(self) -> u64 {
        self.0
    }

    /// Whole milliseconds since the start.
    pub const fn millis(self) -> u64 {
        self.0 / 1000
    }

    /// This time plus `us` microseconds (saturating).
    pub const fn plus_micros(self, us: u64) -> SimTime {
        SimTime(self.0.saturating_add(us))
    }

    /// This time plus `ms` milliseconds (saturating).
    pub const fn plus_millis(self, ms: u64) -> SimTime {
        SimTime(self.0.saturating_add(ms.saturating_mul(1000)))
    }

    /// Microseconds from `earlier` to this time (0 if `earlier` is later).
    pub const fn since(self, earlier: SimTime) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

/// One node's view of time. Its monotonic clock starts at an arbitrary origin and advances at
/// `1 + drift_ppm / 10^6` local microseconds per true microsecond; its wall clock is the monotonic
/// clock plus an offset that steps can change.
#[derive(Clone, Debug)]
pub struct NodeClock {
    drift_ppm: i64,
    /// Local monotonic microseconds at true time zero.
    mono_origin_us: u64,
    /// Wall clock in microseconds since the Unix epoch at local monotonic zero.
    wall_offset_us: i64,
}

/// Largest drift the simulator gives a clock; invariant checkers widen their windows by it.
pub const MAX_DRIFT_PPM: i64 = 2_000;

impl NodeClock {
    /// A clock with the given drift (clamped to ±[`MAX_DRIFT_PPM`]), monotonic origin and wall
    /// time (Unix seconds) at true time zero.
    pub fn new(drift_ppm: i64, mono_origin_us: u64, wall_unix_secs: i64) -> NodeClock {
        let drift_ppm = drift_ppm.clamp(-MAX_DRIFT_PPM, MAX_DRIFT_PPM);
        let wall_offset_us = wall_unix_secs * 1_000_000 - mono_origin_us as i64;
        NodeClock { drift_ppm, mono_origin_us, wall_offset_us }
    }

    /// The node's monotonic clock reading, in microseconds, at true time `t`.
    pub fn mono_at(&self, t: SimTime) -> u64 {
        let scaled = i128::from(t.0) * i128::from(1_000_000 + self.drift_ppm) / 1_000_000;
        self.mono_origin_us + scaled as u64
    }

    /// The earliest true time at which the monotonic clock reads at least `mono_us`.
    pub fn true_time_of(&self, mono_us: u64) -> SimTime {
        let local = mono_us.saturating_sub(self.mono_origin_us);
        let rate = i128::from(1_000_000 + self.drift_ppm);
        // Ceiling division, so the node is never woken before its own deadline.
        let t = (i128::from(local) * 1_000_000 + rate - 1) / rate;
        let mut st = SimTime(t as u64);
        while self.mono_at(st) < mono_us {
            st = st.plus_micros(1);
        }
        st
    }

    /// The node's wall clock (Unix time, microseconds) at true time `t`.
    pub fn wall_at(&self, t: SimTime) -> i64 {
        self.mono_at(t) as i64 + self.wall_offset_us
    }

    /// Steps the wall clock by `delta_secs` (negative = backwards), as an admin or NTP would.
    pub fn step_wall(&mut self, delta_secs: i64) {
        self.wall_offset_us += delta_secs * 1_000_000;
    }

    /// The drift of this clock in parts per million.
    pub fn drift_ppm(&self) -> i64 {
        self.drift_ppm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_makes_local_time_run_fast_or_slow() {
        let fast = NodeClock::new(1000, 0, 0);
        let slow = NodeClock::new(-1000, 0, 0);
        let t = SimTime::from_millis(10_000);
        assert_eq!(fast.mono_at(t), 10_010_000);
        assert_eq!(slow.mono_at(t), 9_990_000);
    }

    #[test]
    fn true_time_of_inverts_mono_at_without_waking_early() {
        for drift in [-2000, -7, 0, 13, 2000] {
            let c = NodeClock::new(drift, 5_000_000, 1_700_000_000);
            for mono in [5_000_000u64, 5_000_001, 6_234_567, 99_999_999] {
                let t = c.true_time_of(mono);
                assert!(c.mono_at(t) >= mono);
                if t.0 > 0 {
                    assert!(c.mono_at(SimTime(t.0 - 1)) < mono, "drift {drift} mono {mono}");
                }
            }
        }
    }

    #[test]
    fn wall_steps_move_wall_clock_only() {
        let mut c = NodeClock::new(0, 1_000, 1_700_000_000);
        let t = SimTime::from_millis(500);
        let (mono, wall) = (c.mono_at(t), c.wall_at(t));
        c.step_wall(-3600);
        assert_eq!(c.mono_at(t), mono);
        assert_eq!(c.wall_at(t), wall - 3_600_000_000);
    }
}
