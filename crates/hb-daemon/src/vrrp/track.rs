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

/// One tracked interface of one instance: `track_interface` lines, plus the instance's own
/// interface with weight 0 (keepalived puts an instance whose interface goes down in FAULT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedIf {
    /// Interface name.
    pub name: String,
    /// Weight; 0 = FAULT while down.
    pub weight: i32,
}

/// The interfaces `inst` tracks: its own first (unless `dont_track_primary`), then its
/// `track_interface` lines (a line naming its own interface replaces the implicit weight 0).
pub fn resolve_interfaces(inst: &VrrpInstance) -> Vec<TrackedIf> {
    let mut out = Vec::new();
    if !inst.dont_track_primary {
        out.push(TrackedIf { name: inst.interface.clone(), weight: 0 });
    }
    for t in inst.track_interfaces.iter().take(MAX_TRACKED) {
        let weight = t.weight.unwrap_or(0);
        match out.iter_mut().find(|x| x.name == t.name) {
            Some(x) => x.weight = weight,
            None => out.push(TrackedIf { name: t.name.clone(), weight }),
        }
    }
    out
}

/// Priority delta and fault from interface states (`up[name]`; an unknown interface counts
/// as up until the kernel says otherwise), with the same weight rules as scripts.
pub fn evaluate_interfaces(tracked: &[TrackedIf], up: &HashMap<String, bool>) -> (i32, bool) {
    let mut delta = 0i32;
    let mut fault = false;
    for t in tracked {
        let ok = up.get(&t.name).copied().unwrap_or(true);
        if t.weight == 0 {
            fault |= !ok;
        } else if (t.weight > 0 && ok) || (t.weight < 0 && !ok) {
            delta = delta.saturating_add(t.weight);
        }
    }
    (delta, fault)
}

/// Whether `name` is up with carrier now, from sysfs (the start state; changes come from
/// netlink). A missing interface is down.
pub fn link_up_now(name: &str) -> bool {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return false;
    }
    let dir = std::path::Path::new("/sys/class/net").join(name);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    // `flags` holds IFF_UP (0x1); `carrier` cannot be read while the link is admin down.
    let flags = u32::from_str_radix(read("flags").trim().trim_start_matches("0x"), 16).unwrap_or(0);
    flags & 1 == 1 && read("carrier").trim() == "1"
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

    #[test]
    fn interfaces_are_tracked_with_the_instance_own_one_first() {
        let text = "vrrp_instance V {\n interface e0\n virtual_router_id 1\n track_interface {\n \
                    e1 weight -20\n e2\n e3 weight 5\n }\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n";
        let conf = hb_config::keepalived::parse_keepalived_no_include(
            std::path::Path::new("k.conf"),
            text,
        )
        .unwrap();
        let t = resolve_interfaces(&conf.instances[0]);
        let names: Vec<(&str, i32)> = t.iter().map(|x| (x.name.as_str(), x.weight)).collect();
        assert_eq!(names, [("e0", 0), ("e1", -20), ("e2", 0), ("e3", 5)]);
        let mut up = HashMap::new();
        assert_eq!(evaluate_interfaces(&t, &up), (5, false), "unknown = up");
        up.insert("e1".to_owned(), false);
        assert_eq!(evaluate_interfaces(&t, &up), (-15, false), "weighted down: no fault");
        up.insert("e3".to_owned(), false);
        assert_eq!(evaluate_interfaces(&t, &up), (-20, false));
        up.insert("e2".to_owned(), false);
        assert!(evaluate_interfaces(&t, &up).1, "unweighted down: FAULT");
        up.insert("e2".to_owned(), true);
        up.insert("e0".to_owned(), false);
        assert!(evaluate_interfaces(&t, &up).1, "own interface down: FAULT");
        assert!(!link_up_now("no-such-if0"));
        let text = "vrrp_instance V {\n interface e0\n dont_track_primary\n virtual_router_id 1\n \
                    virtual_ipaddress {\n 10.0.0.1\n }\n}\n";
        let conf = hb_config::keepalived::parse_keepalived_no_include(
            std::path::Path::new("k.conf"),
            text,
        )
        .unwrap();
        assert!(conf.findings.is_empty(), "{:?}", conf.findings);
        assert!(resolve_interfaces(&conf.instances[0]).is_empty(), "dont_track_primary");
        assert!(!link_up_now("../etc"));
    }
}
