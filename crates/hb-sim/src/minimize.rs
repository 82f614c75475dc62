//! Shrinking a failing seed: keep the seed (so the network's and scripts' random choices stay
//! put), pin the drawn cluster shape, then drop scheduled faults one at a time, and finally
//! try a clean network, as long as the same invariant still fails. The result is a shorter
//! `vopr` command that shows the same bug.

use crate::report::Failure;
use crate::scenario::{Knobs, Scenario};
use crate::{run_seed, RunOptions};

/// Upper bound on the runs one minimisation may spend.
pub const MAX_RUNS: usize = 300;

/// The smallest knobs found that still fail `seed` with the original invariant, and that
/// failure; `None` if the seed passes.
pub fn minimize(seed: u64, knobs: &Knobs) -> Option<(Knobs, Failure)> {
    let opts = RunOptions::default();
    let first = run_seed(seed, knobs, opts).err()?;
    let sc = Scenario::generate(seed, knobs);
    let mut best = Knobs {
        nodes: Some(sc.nodes),
        media: Some(sc.media),
        failback: Some(sc.failback),
        script: Some(sc.faults.clone()),
        // A settled schedule lengthens the safety phase to fit its episodes; an explicit
        // script does not, so pin the length too.
        safety_secs: Some(sc.safety_ms.div_ceil(1000)),
        ..knobs.clone()
    };
    let mut runs = 1;
    let still_fails = |k: &Knobs, runs: &mut usize| -> Option<Failure> {
        *runs += 1;
        run_seed(seed, k, opts).err().filter(|f| f.invariant == first.invariant)
    };
    // The pinned scenario must fail the same way before anything is dropped.
    let Some(mut failure) = still_fails(&best, &mut runs) else {
        return Some((knobs.clone(), first));
    };
    let mut progress = true;
    while progress && runs < MAX_RUNS {
        progress = false;
        let faults = best.script.clone().unwrap_or_default();
        for i in 0..faults.len() {
            if runs >= MAX_RUNS {
                break;
            }
            let mut fewer = faults.clone();
            fewer.remove(i);
            let candidate = Knobs { script: Some(fewer), ..best.clone() };
            if let Some(f) = still_fails(&candidate, &mut runs) {
                best = candidate;
                failure = f;
                progress = true;
                break;
            }
        }
    }
    if !best.quiet && runs < MAX_RUNS {
        let candidate = Knobs { quiet: true, ..best.clone() };
        if let Some(f) = still_fails(&candidate, &mut runs) {
            best = candidate;
            failure = f;
        }
    }
    Some((best, failure))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::ScheduledFault;
    use crate::mutants::Mutation;

    #[test]
    fn minimisation_keeps_the_failure_and_drops_irrelevant_faults() {
        // A mutant that declares death at warntime only needs the crash; the other faults are
        // noise the minimiser must remove.
        let arg = |s: &str| ScheduledFault::parse_arg(s).expect("valid");
        let knobs = Knobs {
            nodes: Some(2),
            model: true,
            mutant: Some((Mutation::DeadAtWarntime, 0)),
            script: Some(vec![
                arg("9000:clock-step:0:100"),
                arg("12000:crash:1"),
                arg("13000:clock-step:1:-5"),
                arg("16000:restart:1"),
            ]),
            ..Knobs::default()
        };
        let (small, failure) = minimize(7, &knobs).expect("the mutant fails");
        assert_eq!(failure.invariant, "no-false-death");
        let left = small.script.clone().expect("pinned script");
        assert!(left.len() < 4, "{left:?}");
        assert!(
            left.iter().all(|f| f.to_arg().contains("crash") || f.to_arg().contains("restart")),
            "{left:?}"
        );
        assert!(run_seed(7, &small, RunOptions::default()).is_err());
    }
}
