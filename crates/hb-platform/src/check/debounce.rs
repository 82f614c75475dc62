//! fall/rise: consecutive results that flip a check's health (pure, no I/O).

use super::{CheckCounters, Health, ProbeOutcome};

/// The fall/rise state of one check, plus its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debounce {
    fall: u32,
    rise: u32,
    health: Health,
    /// Consecutive results of the same kind as the last one (passes if positive streak).
    streak_passes: u32,
    streak_failures: u32,
    counters: CheckCounters,
}

impl Debounce {
    /// Starts at `initial`; `fall`/`rise` of 0 are treated as 1.
    pub fn new(fall: u32, rise: u32, initial: Health) -> Self {
        Debounce {
            fall: fall.max(1),
            rise: rise.max(1),
            health: initial,
            streak_passes: 0,
            streak_failures: 0,
            counters: CheckCounters::default(),
        }
    }

    /// Records one probe; returns the new health if this probe changed it.
    pub fn record(&mut self, outcome: &ProbeOutcome) -> Option<Health> {
        self.counters.runs = self.counters.runs.saturating_add(1);
        match outcome {
            ProbeOutcome::Pass => self.counters.passes = self.counters.passes.saturating_add(1),
            ProbeOutcome::Fail(_) => {
                self.counters.failures = self.counters.failures.saturating_add(1)
            }
            ProbeOutcome::TimedOut => {
                self.counters.timeouts = self.counters.timeouts.saturating_add(1)
            }
        }
        let next = if outcome.passed() {
            self.streak_failures = 0;
            self.streak_passes = self.streak_passes.saturating_add(1);
            (self.health != Health::Up && self.streak_passes >= self.rise).then_some(Health::Up)
        } else {
            self.streak_passes = 0;
            self.streak_failures = self.streak_failures.saturating_add(1);
            (self.health != Health::Down && self.streak_failures >= self.fall)
                .then_some(Health::Down)
        };
        if let Some(h) = next {
            self.health = h;
            match h {
                Health::Up => self.counters.ups = self.counters.ups.saturating_add(1),
                Health::Down => self.counters.downs = self.counters.downs.saturating_add(1),
                Health::Unknown => {}
            }
        }
        next
    }

    /// Counts a probe that started later than its interval allowed.
    pub fn record_overrun(&mut self) {
        self.counters.overruns = self.counters.overruns.saturating_add(1);
    }

    /// The current health.
    pub fn health(&self) -> Health {
        self.health
    }

    /// The totals so far.
    pub fn counters(&self) -> CheckCounters {
        self.counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail() -> ProbeOutcome {
        ProbeOutcome::Fail("x".into())
    }

    #[test]
    fn fall_needs_consecutive_failures() {
        let mut d = Debounce::new(3, 2, Health::Up);
        assert_eq!(d.record(&fail()), None);
        assert_eq!(d.record(&fail()), None);
        // A pass in between resets the failure streak.
        assert_eq!(d.record(&ProbeOutcome::Pass), None);
        assert_eq!(d.record(&fail()), None);
        assert_eq!(d.record(&ProbeOutcome::TimedOut), None);
        assert_eq!(d.record(&fail()), Some(Health::Down));
        assert_eq!(d.record(&fail()), None, "already down: no second transition");
        assert_eq!(d.health(), Health::Down);
        let c = d.counters();
        assert_eq!((c.runs, c.passes, c.failures, c.timeouts, c.downs), (7, 1, 5, 1, 1));
    }

    #[test]
    fn rise_needs_consecutive_passes() {
        let mut d = Debounce::new(1, 2, Health::Down);
        assert_eq!(d.record(&ProbeOutcome::Pass), None);
        assert_eq!(d.record(&fail()), None);
        assert_eq!(d.record(&ProbeOutcome::Pass), None);
        assert_eq!(d.record(&ProbeOutcome::Pass), Some(Health::Up));
        assert_eq!(d.counters().ups, 1);
        assert_eq!(d.counters().downs, 0, "starting down is not a transition");
    }

    #[test]
    fn unknown_resolves_either_way() {
        let mut up = Debounce::new(2, 1, Health::Unknown);
        assert_eq!(up.record(&ProbeOutcome::Pass), Some(Health::Up));
        let mut down = Debounce::new(2, 1, Health::Unknown);
        assert_eq!(down.record(&fail()), None);
        assert_eq!(down.record(&fail()), Some(Health::Down));
    }

    #[test]
    fn zero_fall_rise_mean_one() {
        let mut d = Debounce::new(0, 0, Health::Up);
        assert_eq!(d.record(&fail()), Some(Health::Down));
        assert_eq!(d.record(&ProbeOutcome::Pass), Some(Health::Up));
    }
}
