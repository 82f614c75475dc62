//! `vrrp_script` + `track_script`: script health from the shared check runner turned into
//! each instance's priority delta and fault, as keepalived 2.2.7 weighs them.

use std::collections::HashMap;

use hb_config::keepalived::{VrrpInstance, VrrpScript};
use hb_platform::check::{CheckId, CheckKind, CheckSpec, Health};

/// Most tracked scripts per instance.
pub const MAX_TRACKED: usize = 64;

/// One tracked script of one instance with its effective weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// Index into the configuration's scripts (also the [`CheckId`]).
    pub script: usize,
    /// Weight (the `track_script` line's, else the script's).
    pub weight: i32,
    /// `weight N reverse`.
    pub reverse: bool,
}

/// The check spec for `script` (no shell: argv as configured, like keepalived).
pub fn spec(script: &VrrpScript) -> Option<CheckSpec> {
    let (program, args) = script.command.argv.split_first()?;
    let kind = CheckKind::Exec { program: program.into(), args: args.to_vec() };
    let mut s = CheckSpec::new(script.name.clone(), kind);
    s.interval = script.interval;
    s.timeout = script.timeout;
    s.fall = script.fall.max(1);
    s.rise = script.rise.max(1);
    s.initial = if script.init_fail { Health::Down } else { Health::Up };
    Some(s)
}

/// The scripts `inst` tracks, resolved by name; unknown names are returned as errors.
pub fn resolve(inst: &VrrpInstance, scripts: &[VrrpScript]) -> (Vec<Tracked>, Vec<String>) {
    let mut out = Vec::new();
    let mut unknown = Vec::new();
    for t in inst.track_scripts.iter().take(MAX_TRACKED) {
        match scripts.iter().position(|s| s.name == t.name) {
            Some(i) => out.push(Tracked {
                script: i,
                weight: t.weight.unwrap_or(scripts[i].weight),
                reverse: scripts[i].weight_reverse,
            }),
            None => unknown.push(t.name.clone()),
        }
    }
    (out, unknown)
}

/// Priority delta and fault of an instance given each script's health (`Unknown` counts
/// as up): a positive weight is added while the script succeeds, a negative one while it
/// fails (`reverse` applies it with the opposite sign); a failing weight-0 script puts the instance in Fault.
pub fn evaluate(tracked: &[Tracked], health: &HashMap<CheckId, Health>) -> (i32, bool) {
    let mut delta = 0i32;
    let mut fault = false;
    for t in tracked {
        let up = health.get(&CheckId(t.script as u64)) != Some(&Health::Down);
        if t.weight == 0 {
            fault |= !up;
            continue;
        }
        let w = t.weight;
        if (w > 0 && up) || (w < 0 && !up) {
            delta = delta.saturating_add(if t.reverse { -w } else { w });
        }
    }
    (delta, fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(script: usize, weight: i32) -> Tracked {
        Tracked { script, weight, reverse: false }
    }

    #[test]
    fn weights_follow_keepalived() {
        let tracked = [t(0, -20), t(1, 10), t(2, 0)];
        let mut h = HashMap::new();
        assert_eq!(evaluate(&tracked, &h), (10, false), "all up: only the positive weight");
        h.insert(CheckId(0), Health::Down);
        assert_eq!(evaluate(&tracked, &h), (-10, false));
        h.insert(CheckId(1), Health::Down);
        assert_eq!(evaluate(&tracked, &h), (-20, false));
        h.insert(CheckId(2), Health::Down);
        assert_eq!(evaluate(&tracked, &h), (-20, true), "weight 0 failing: fault");
        let rev = [Tracked { script: 0, weight: 5, reverse: true }];
        assert_eq!(evaluate(&rev, &h), (0, false), "reverse, failing: nothing");
        h.insert(CheckId(0), Health::Up);
        assert_eq!(evaluate(&rev, &h), (-5, false), "reverse, passing: subtracted");
    }
}
