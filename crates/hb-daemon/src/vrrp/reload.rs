//! SIGHUP: what a new keepalived.conf changes. Instances are matched by name; one whose
//! settings are equal (its place in the file aside) keeps running untouched: no state
//! change, no advert gap, no gratuitous ARP, no notify. keepalived 2.2.7 re-creates every
//! instance on reload (#349, #2159, #754 in its tracker); here only what changed moves.

use hb_config::keepalived::{KeepalivedConf, VrrpInstance, VrrpScript};

/// What to do with one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Same settings: keep the running instance (old index) at its new place.
    Keep {
        /// Index in the running list.
        old: usize,
        /// Index in the new configuration.
        new: usize,
    },
    /// Only `priority` changed (neither side an address owner at 255): keep the running
    /// instance and move its priority, as a tracked script's weight would. No transition,
    /// no address flap; the next advert carries the new priority and the peers act on it.
    Reprioritize {
        /// Index in the running list.
        old: usize,
        /// Index in the new configuration.
        new: usize,
    },
    /// Same name, other settings: stop the running one (a master sends priority 0 and
    /// releases its addresses), then start the new one.
    Replace {
        /// Index in the running list.
        old: usize,
        /// Index in the new configuration.
        new: usize,
    },
    /// Only in the running list: stop it.
    Stop {
        /// Index in the running list.
        old: usize,
    },
    /// Only in the new configuration: start it.
    Start {
        /// Index in the new configuration.
        new: usize,
    },
}

/// The steps from `old` to `new`: stops first (so a replaced instance releases its VRID and
/// addresses before the new one takes them), then the new list in its order.
pub fn plan(old: &[VrrpInstance], new: &[VrrpInstance]) -> Vec<Step> {
    let mut steps: Vec<Step> = old
        .iter()
        .enumerate()
        .filter(|(_, o)| !new.iter().any(|n| n.name == o.name))
        .map(|(old, _)| Step::Stop { old })
        .collect();
    for (n, inst) in new.iter().enumerate() {
        steps.push(match old.iter().position(|o| o.name == inst.name) {
            Some(o) if same_instance(&old[o], inst) => Step::Keep { old: o, new: n },
            Some(o) if only_priority_differs(&old[o], inst) => {
                Step::Reprioritize { old: o, new: n }
            }
            Some(o) => Step::Replace { old: o, new: n },
            None => Step::Start { new: n },
        });
    }
    steps
}

/// Equal settings; the `file:line` where the block starts does not count.
pub fn same_instance(a: &VrrpInstance, b: &VrrpInstance) -> bool {
    let mut b = b.clone();
    b.location = a.location.clone();
    *a == b
}

/// Equal settings but for `priority`, and neither priority the owner's 255 (becoming or
/// ceasing to be the owner changes how the instance starts).
pub fn only_priority_differs(a: &VrrpInstance, b: &VrrpInstance) -> bool {
    let owner = hb_vrrp::PRIORITY_OWNER;
    if a.priority == b.priority || a.priority == owner || b.priority == owner {
        return false;
    }
    let mut b = b.clone();
    b.priority = a.priority;
    same_instance(a, &b)
}

/// Equal script settings, location aside.
pub fn same_script(a: &VrrpScript, b: &VrrpScript) -> bool {
    let mut b = b.clone();
    b.location = a.location.clone();
    *a == b
}

/// The errors that make a reload keep the running configuration, one line each with its
/// `file:line:column`.
pub fn refusal(conf: &KeepalivedConf) -> Vec<String> {
    let mut out: Vec<String> = conf
        .findings
        .iter()
        .filter(|f| f.severity == hb_config::keepalived::Severity::Error)
        .map(|f| f.to_string())
        .collect();
    if conf.instances.is_empty() && out.is_empty() {
        out.push("no valid vrrp_instance".to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hb_config::keepalived::parse_keepalived_no_include;
    use std::path::Path;

    fn conf(text: &str) -> KeepalivedConf {
        parse_keepalived_no_include(Path::new("k.conf"), text).unwrap()
    }

    fn inst(name: &str, vrid: u8, prio: u8) -> String {
        format!(
            "vrrp_instance {name} {{\n interface e0\n virtual_router_id {vrid}\n priority {prio}\n \
             virtual_ipaddress {{\n 10.99.0.{vrid}/24\n }}\n}}\n"
        )
    }

    #[test]
    fn unchanged_kept_changed_replaced_others_started_and_stopped() {
        let old = conf(&(inst("A", 1, 100) + &inst("B", 2, 100) + &inst("C", 3, 100)));
        // A moves down the file behind a comment (same settings), B changes its VRID, C
        // goes, D arrives.
        let new = conf(&format!(
            "# moved\n\n{}{}{}",
            inst("D", 4, 50),
            inst("B", 9, 100),
            inst("A", 1, 100)
        ));
        let steps = plan(&old.instances, &new.instances);
        assert_eq!(
            steps,
            [
                Step::Stop { old: 2 },
                Step::Start { new: 0 },
                Step::Replace { old: 1, new: 1 },
                Step::Keep { old: 0, new: 2 },
            ]
        );
        assert_ne!(old.instances[0].location, new.instances[2].location);
        let same = plan(&old.instances, &old.instances);
        assert!(
            same.iter().all(|s| matches!(s, Step::Keep { old, new } if old == new)),
            "{same:?}"
        );
        assert_eq!(same.len(), 3);
    }

    #[test]
    fn a_priority_change_alone_keeps_the_instance() {
        let old = conf(&(inst("A", 1, 100) + &inst("B", 2, 100)));
        let new = conf(&(inst("A", 1, 90) + &inst("B", 2, 255)));
        assert_eq!(
            plan(&old.instances, &new.instances),
            [Step::Reprioritize { old: 0, new: 0 }, Step::Replace { old: 1, new: 1 }],
            "to or from the owner's 255 is a re-configuration"
        );
    }

    #[test]
    fn errors_refuse_the_reload_with_their_location() {
        let broken = conf(&inst("A", 1, 100).replace(" priority 100\n", " priority 100\n bogus\n"));
        let why = refusal(&broken);
        assert_eq!(why.len(), 1, "{why:?}");
        assert!(why[0].starts_with("k.conf:5:2: error"), "{why:?}");
        assert!(refusal(&conf(&inst("A", 1, 100))).is_empty());
        assert_eq!(refusal(&conf("global_defs {\n}\n")), ["no valid vrrp_instance"]);
    }
}
