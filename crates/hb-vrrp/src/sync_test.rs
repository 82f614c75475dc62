//! The group rules alone, then two routers with a two-member group each, wired together.

use std::net::IpAddr;
use std::time::Duration;

use super::*;
use crate::api::{Event, Output};
use crate::config::InstanceConfig;
use crate::instance::Instance;
use crate::time::Instant;

#[test]
fn follow_moves_the_others_and_ignores_its_own_moves() {
    let g = SyncGroup::new("G", &[0, 2, 2, 5]);
    assert_eq!(g.members, vec![0, 2, 5], "duplicates dropped");
    let states = |i: usize| match i {
        2 => State::Backup,
        5 => State::Fault,
        _ => State::Master,
    };
    let got = g.follow(0, State::Backup, State::Master, Reason::MasterDown, states);
    assert_eq!(got, vec![(2, Input::SyncMaster)], "only the Backup member follows to Master");
    let got = g.follow(2, State::Master, State::Backup, Reason::HigherPriority, |_| State::Master);
    assert_eq!(got, vec![(0, Input::SyncBackup), (5, Input::SyncBackup)]);
    assert!(g.follow(0, State::Backup, State::Master, Reason::Sync, states).is_empty());
    assert!(g.follow(9, State::Backup, State::Master, Reason::MasterDown, states).is_empty());
    assert!(g.follow(0, State::Init, State::Backup, Reason::Startup, states).is_empty());
    assert!(g.follow(0, State::Master, State::Fault, Reason::Fault, states).is_empty());
}

#[test]
fn group_state_is_fault_or_the_common_state() {
    let g = SyncGroup::new("G", &[0, 1]);
    assert_eq!(g.group_state(|_| State::Master), Some(State::Master));
    assert_eq!(g.group_state(|i| [State::Master, State::Backup][i]), None, "moving");
    assert_eq!(g.group_state(|i| [State::Master, State::Fault][i]), Some(State::Fault));
    assert_eq!(g.group_state(|_| State::Init), None);
    assert_eq!(g.group_state(|_| State::Stop), Some(State::Stop));
    assert_eq!(SyncGroup::new("E", &[]).group_state(|_| State::Master), None);
}

#[test]
fn group_faults_hold_every_other_member() {
    let g = SyncGroup::new("G", &[1, 3, 4]);
    assert_eq!(g.group_faults(|_| false), vec![(1, false), (3, false), (4, false)]);
    assert_eq!(g.group_faults(|i| i == 3), vec![(1, true), (3, false), (4, true)]);
    assert_eq!(g.group_faults(|i| i != 4), vec![(1, true), (3, true), (4, true)]);
}

/// Two routers, each with instances VI_1 (VRID 51) and VI_2 (VRID 52) in one sync group.
struct World {
    now: Instant,
    routers: [Vec<Instance>; 2],
    groups: [Option<SyncGroup>; 2],
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

impl World {
    fn new(prio: [u8; 2], grouped: bool) -> World {
        let now = Instant::from_nanos(0);
        let mk = |r: usize| -> Vec<Instance> {
            (0..2)
                .map(|k| {
                    let me = ip(&format!("10.99.{k}.{}", r + 1));
                    let mut c = InstanceConfig::new(&format!("VI_{}", k + 1), 51 + k as u8, me);
                    c.priority = prio[r];
                    c.virtual_addresses = vec![ip(&format!("10.99.{k}.100"))];
                    c.garp_master_delay = Duration::ZERO;
                    Instance::new(c, r as u64, now).unwrap()
                })
                .collect()
        };
        let g = || grouped.then(|| SyncGroup::new("G", &[0, 1]));
        World { now, routers: [mk(0), mk(1)], groups: [g(), g()] }
    }

    fn state(&self, r: usize) -> [State; 2] {
        [self.routers[r][0].state(), self.routers[r][1].state()]
    }

    /// Feeds `input` to one instance and settles every consequence at the current time.
    fn input(&mut self, r: usize, k: usize, input: Input) {
        self.routers[r][k].handle_input(self.now, input);
        self.settle();
    }

    fn settle(&mut self) {
        for _ in 0..100 {
            let mut work = Vec::new();
            for r in 0..2 {
                for k in 0..2 {
                    while let Some(o) = self.routers[r][k].poll_output() {
                        work.push((r, k, o));
                    }
                }
            }
            if work.is_empty() {
                return;
            }
            for (r, k, o) in work {
                match o {
                    Output::SendAdvert { src, dst, bytes, .. } => {
                        self.routers[1 - r][k].handle_packet(self.now, &bytes, src, dst, 255);
                    }
                    Output::Event(Event::StateChange { from, to, reason }) => {
                        self.sync(r, k, from, to, reason);
                    }
                    _ => {}
                }
            }
        }
        panic!("outputs never settled");
    }

    fn sync(&mut self, r: usize, k: usize, from: State, to: State, reason: Reason) {
        let Some(g) = self.groups[r].clone() else { return };
        let states = [self.routers[r][0].state(), self.routers[r][1].state()];
        for (i, input) in g.follow(k, from, to, reason, |i| states[i]) {
            self.routers[r][i].handle_input(self.now, input);
        }
        let faults = [self.routers[r][0].tracking_fault(), self.routers[r][1].tracking_fault()];
        for (i, f) in g.group_faults(|i| faults[i]) {
            self.routers[r][i].handle_input(self.now, Input::GroupFault(f));
        }
    }

    /// Runs every timer up to `now + d`.
    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            let next = self.routers.iter().flatten().filter_map(|i| i.poll_timeout()).min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    for r in 0..2 {
                        for k in 0..2 {
                            if self.routers[r][k].poll_timeout().is_some_and(|t| t <= self.now) {
                                self.routers[r][k].handle_input(self.now, Input::Timeout);
                            }
                        }
                    }
                    self.settle();
                }
                _ => break,
            }
        }
        self.now = end;
    }
}

const M: State = State::Master;
const B: State = State::Backup;
const F: State = State::Fault;

#[test]
fn a_fault_in_one_member_moves_the_whole_group_and_back() {
    let mut w = World::new([100, 99], true);
    w.run(Duration::from_secs(10));
    assert_eq!((w.state(0), w.state(1)), ([M, M], [B, B]));
    // VI_1's tracked interface fails on router 0: both its instances go to Fault and router 1
    // takes both addresses within the skew time (priority-0 adverts).
    w.input(0, 0, Input::Fault(true));
    assert_eq!(w.state(0), [F, F], "the healthy member follows to Fault");
    w.run(Duration::from_secs(1));
    assert_eq!(w.state(1), [M, M]);
    // Stays so: the healthy member is held in Fault by the group.
    w.run(Duration::from_secs(20));
    assert_eq!((w.state(0), w.state(1)), ([F, F], [M, M]));
    // The fault clears: both leave Fault and preempt back together.
    w.input(0, 0, Input::Fault(false));
    assert_eq!(w.state(0), [B, B]);
    w.run(Duration::from_secs(10));
    assert_eq!((w.state(0), w.state(1)), ([M, M], [B, B]));
}

#[test]
fn overlapping_faults_keep_the_group_down_until_the_last_clears() {
    let mut w = World::new([100, 99], true);
    w.run(Duration::from_secs(10));
    w.input(0, 0, Input::Fault(true));
    w.input(0, 1, Input::Fault(true));
    w.input(0, 0, Input::Fault(false));
    w.run(Duration::from_secs(10));
    assert_eq!(w.state(0), [F, F], "VI_2 still faulty: VI_1 held in Fault");
    w.input(0, 1, Input::Fault(false));
    w.run(Duration::from_secs(10));
    assert_eq!((w.state(0), w.state(1)), ([M, M], [B, B]));
}

#[test]
fn without_a_group_members_move_alone() {
    let mut w = World::new([100, 99], false);
    w.run(Duration::from_secs(10));
    w.input(0, 0, Input::Fault(true));
    w.run(Duration::from_secs(5));
    assert_eq!((w.state(0), w.state(1)), ([F, M], [M, B]));
}
