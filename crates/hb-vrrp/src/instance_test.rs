//! One test per rule of the state machine.

use std::net::IpAddr;
use std::time::Duration;

use crate::api::{Event, Input, Output, Reason, State};
use crate::codec::{Advert, Password, Version};
use crate::config::InstanceConfig;
use crate::instance::Instance;
use crate::reject::Reject;
use crate::time::Instant;
use crate::timing;

const ME: &str = "10.99.0.2";
const PEER: &str = "10.99.0.1";
const HIGH_PEER: &str = "10.99.0.3";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn cfg(version: Version, priority: u8) -> InstanceConfig {
    let mut c = InstanceConfig::new("VI_1", 51, ip(ME));
    c.version = version;
    c.priority = priority;
    c.virtual_addresses = vec![ip("10.99.0.100")];
    c.garp_master_delay = Duration::ZERO;
    c
}

fn at(ms: u64) -> Instant {
    Instant::from_nanos(ms * 1_000_000)
}

/// Runs the first timeout and drains.
fn started(c: InstanceConfig) -> (Instance, Vec<Output>) {
    let mut i = Instance::new(c, 7, at(0)).unwrap();
    i.handle_input(at(0), Input::Timeout);
    let out = drain(&mut i);
    (i, out)
}

fn drain(i: &mut Instance) -> Vec<Output> {
    std::iter::from_fn(|| i.poll_output()).collect()
}

fn advert_from(i: &Instance, priority: u8) -> Advert {
    i.advert(priority)
}

fn feed(i: &mut Instance, now: Instant, priority: u8, src: &str) -> Vec<Output> {
    let a = advert_from(i, priority);
    i.handle_input(now, Input::Advert { advert: a, src: ip(src), ttl: 255 });
    drain(i)
}

fn changes(out: &[Output]) -> Vec<(State, State, Reason)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(Event::StateChange { from, to, reason }) => Some((*from, *to, *reason)),
            _ => None,
        })
        .collect()
}

fn sent_priorities(out: &[Output]) -> Vec<u8> {
    out.iter()
        .filter_map(|o| match o {
            Output::SendAdvert { advert, .. } => Some(advert.priority),
            _ => None,
        })
        .collect()
}

fn expire(i: &mut Instance) -> (Instant, Vec<Output>) {
    let t = i.poll_timeout().unwrap();
    i.handle_input(t, Input::Timeout);
    (t, drain(i))
}

#[test]
fn starts_in_backup_and_takes_over_after_master_down() {
    let (mut i, out) = started(cfg(Version::V2, 100));
    assert_eq!(changes(&out), vec![(State::Init, State::Backup, Reason::Startup)]);
    assert!(out.contains(&Output::Notify(State::Backup)));
    let down = timing::master_down(Version::V2, 100, 100);
    assert_eq!(i.poll_timeout(), Some(at(0) + down));
    let (_, out) = expire(&mut i);
    assert_eq!(i.state(), State::Master);
    // Advert first, then the addresses, the gratuitous burst, the event and the notify.
    assert!(matches!(out[0], Output::SendAdvert { .. }));
    assert_eq!(out[1], Output::AddAddresses);
    assert_eq!(out[2], Output::Announce { repeat: 5 });
    assert_eq!(changes(&out), vec![(State::Backup, State::Master, Reason::MasterDown)]);
    assert_eq!(out.last(), Some(&Output::Notify(State::Master)));
    // Then one advert per interval.
    let (t1, out) = expire(&mut i);
    assert_eq!(sent_priorities(&out), vec![100]);
    assert_eq!(expire(&mut i).0, t1 + Duration::from_secs(1));
}

#[test]
fn owner_is_master_at_once() {
    let (i, out) = started(cfg(Version::V3, 255));
    assert_eq!(i.state(), State::Master);
    assert_eq!(changes(&out), vec![(State::Init, State::Master, Reason::Owner)]);
}

#[test]
fn backup_rearms_on_equal_or_higher_and_preempts_a_lower_master() {
    let (mut i, _) = started(cfg(Version::V2, 100));
    let down = i.master_down_interval();
    feed(&mut i, at(1000), 100, PEER);
    assert_eq!(i.poll_timeout(), Some(at(1000) + down));
    assert_eq!(i.master(), Some((ip(PEER), 100)));
    feed(&mut i, at(2000), 150, PEER);
    assert_eq!(i.poll_timeout(), Some(at(2000) + down));
    // A lower master is discarded: the timer keeps its deadline and we preempt.
    feed(&mut i, at(3000), 50, PEER);
    assert_eq!(i.poll_timeout(), Some(at(2000) + down));
    let (_, out) = expire(&mut i);
    assert_eq!(changes(&out), vec![(State::Backup, State::Master, Reason::Preempt)]);
}

#[test]
fn nopreempt_backup_follows_a_lower_master() {
    let mut c = cfg(Version::V2, 100);
    c.nopreempt = true;
    let (mut i, _) = started(c);
    let down = i.master_down_interval();
    feed(&mut i, at(3000), 50, PEER);
    assert_eq!(i.poll_timeout(), Some(at(3000) + down));
}

#[test]
fn preempt_delay_tolerates_a_lower_master_for_that_long() {
    let mut c = cfg(Version::V2, 100);
    c.preempt_delay = Duration::from_secs(10);
    let (mut i, _) = started(c);
    let down = i.master_down_interval();
    for s in 1..=10 {
        feed(&mut i, at(s * 1000), 50, PEER);
        assert_eq!(i.poll_timeout(), Some(at(s * 1000) + down), "still tolerated at {s} s");
    }
    // 11 s: the delay (started at 1 s) is over; the advert is discarded.
    feed(&mut i, at(11_000), 50, PEER);
    assert_eq!(i.poll_timeout(), Some(at(10_000) + down));
    let (_, out) = expire(&mut i);
    assert_eq!(changes(&out)[0].2, Reason::Preempt);
}

#[test]
fn priority_zero_makes_the_backup_take_over_after_the_skew() {
    let (mut i, _) = started(cfg(Version::V3, 100));
    feed(&mut i, at(500), 150, PEER);
    feed(&mut i, at(700), 0, PEER);
    assert_eq!(i.poll_timeout(), Some(at(700) + timing::skew(Version::V3, 100, 100)));
    let (_, out) = expire(&mut i);
    assert_eq!(changes(&out), vec![(State::Backup, State::Master, Reason::PriorityZero)]);
    assert_eq!(i.counters().priority_zero_received, 1);
}

#[test]
fn master_yields_to_higher_priority_and_to_an_equal_higher_address() {
    for (prio, src, reason) in
        [(150, PEER, Reason::HigherPriority), (100, HIGH_PEER, Reason::EqualPriorityHigherAddress)]
    {
        let (mut i, _) = started(cfg(Version::V2, 100));
        expire(&mut i);
        let out = feed(&mut i, at(9000), prio, src);
        assert_eq!(out[0], Output::RemoveAddresses);
        assert_eq!(changes(&out), vec![(State::Master, State::Backup, reason)]);
        assert_eq!(i.poll_timeout(), Some(at(9000) + i.master_down_interval()));
    }
}

#[test]
fn master_reasserts_over_a_lower_master_and_renotifies_once_per_episode() {
    let (mut i, _) = started(cfg(Version::V2, 100));
    expire(&mut i);
    let out = feed(&mut i, at(9000), 100, PEER); // equal priority, lower address
    assert_eq!(i.state(), State::Master);
    assert_eq!(sent_priorities(&out), vec![100]);
    assert!(out.contains(&Output::Announce { repeat: 5 }));
    assert!(out.contains(&Output::Notify(State::Master)));
    assert!(out.contains(&Output::Event(Event::DualMaster { peer: ip(PEER), peer_priority: 100 })));
    // A second one in the same episode only re-advertises.
    let out = feed(&mut i, at(9100), 90, PEER);
    assert_eq!(sent_priorities(&out), vec![100]);
    assert!(!out.contains(&Output::Notify(State::Master)));
    // After a quiet master-down interval, a new episode re-notifies again.
    let out = feed(&mut i, at(20_000), 90, PEER);
    assert!(out.contains(&Output::Notify(State::Master)));
    assert_eq!(i.counters().dual_master, 3);
}

#[test]
fn master_answers_priority_zero_at_once() {
    let (mut i, _) = started(cfg(Version::V2, 100));
    expire(&mut i);
    let out = feed(&mut i, at(9000), 0, PEER);
    assert_eq!(sent_priorities(&out), vec![100]);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn v3_backup_learns_the_master_interval() {
    let (mut i, _) = started(cfg(Version::V3, 100));
    let mut a = advert_from(&i, 200);
    a.advert_int = 5;
    i.handle_input(at(100), Input::Advert { advert: a, src: ip(PEER), ttl: 255 });
    assert_eq!(i.master_advert_interval_cs(), 5);
    assert_eq!(i.poll_timeout(), Some(at(100) + timing::master_down(Version::V3, 100, 5)));
}

#[test]
fn every_refusal_is_counted_under_its_own_reason() {
    let mut c = cfg(Version::V2, 100);
    c.auth = Some(Password::from_config("1111").0);
    let (mut i, _) = started(c);
    let good = advert_from(&i, 150);
    let mut cases: Vec<(Advert, &str, u8, Reject)> =
        vec![(good.clone(), PEER, 254, Reject::BadTtl)];
    cases.push((Advert { vrid: 52, ..good.clone() }, PEER, 255, Reject::VridMismatch));
    cases.push((
        Advert { version: Version::V3, ..good.clone() },
        PEER,
        255,
        Reject::VersionMismatch,
    ));
    cases.push((Advert { advert_int: 2, ..good.clone() }, PEER, 255, Reject::IntervalMismatch));
    let wrong = crate::codec::Auth::Pass(Password::from_config("2222").0);
    cases.push((Advert { auth: wrong, ..good.clone() }, PEER, 255, Reject::AuthMismatch));
    cases.push((
        Advert { auth: crate::codec::Auth::NONE, ..good.clone() },
        PEER,
        255,
        Reject::AuthTypeMismatch,
    ));
    cases.push((good.clone(), ME, 255, Reject::OwnAddress));
    cases.push((good.clone(), "fe80::1", 255, Reject::FamilyMismatch));
    let deadline = i.poll_timeout();
    for (advert, src, ttl, reason) in cases {
        i.handle_input(at(10), Input::Advert { advert, src: ip(src), ttl });
        let out = drain(&mut i);
        assert_eq!(i.counters().rejects.get(reason), 1, "{reason:?}");
        assert!(out.iter().any(
            |o| matches!(o, Output::Event(Event::Rejected { reason: r, .. }) if *r == reason)
        ));
    }
    assert_eq!(i.poll_timeout(), deadline, "no refused advert touched the timer");
    assert_eq!(i.counters().adverts_received, 0);
    i.handle_packet(at(10), &[0x21, 1], ip(PEER), ip("224.0.0.18"), 255);
    assert_eq!(i.counters().rejects.get(Reject::TooShort), 1);
    i.handle_input(at(20), Input::Shutdown);
    i.handle_input(at(30), Input::Advert { advert: good, src: ip(PEER), ttl: 255 });
    assert_eq!(i.counters().rejects.get(Reject::NotListening), 1);
}

#[test]
fn shutdown_and_fault_as_master_send_priority_zero_and_release() {
    let (mut i, _) = started(cfg(Version::V2, 100));
    expire(&mut i);
    i.handle_input(at(9000), Input::Fault(true));
    let out = drain(&mut i);
    assert_eq!(sent_priorities(&out), vec![0]);
    assert!(out.contains(&Output::RemoveAddresses));
    assert_eq!(changes(&out), vec![(State::Master, State::Fault, Reason::Fault)]);
    assert_eq!(i.poll_timeout(), None);
    i.handle_input(at(9500), Input::Fault(false));
    assert_eq!(changes(&drain(&mut i)), vec![(State::Fault, State::Backup, Reason::FaultCleared)]);
    expire(&mut i);
    assert_eq!(i.state(), State::Master);
    i.handle_input(at(20_000), Input::Shutdown);
    let out = drain(&mut i);
    assert_eq!(sent_priorities(&out), vec![0]);
    assert_eq!(changes(&out), vec![(State::Master, State::Stop, Reason::Shutdown)]);
    assert_eq!(i.poll_timeout(), None);
    assert_eq!(i.counters().priority_zero_sent, 2);
}

#[test]
fn fault_before_start_starts_in_fault() {
    let mut i = Instance::new(cfg(Version::V2, 100), 1, at(0)).unwrap();
    i.handle_input(at(0), Input::Fault(true));
    i.handle_input(at(0), Input::Timeout);
    assert_eq!(i.state(), State::Fault);
}

#[test]
fn weights_move_the_effective_priority_within_bounds() {
    let (mut i, _) = started(cfg(Version::V2, 100));
    i.handle_input(at(1), Input::PriorityDelta(-30));
    assert_eq!(i.effective_priority(), 70);
    assert!(drain(&mut i).contains(&Output::Event(Event::PriorityChanged { from: 100, to: 70 })));
    i.handle_input(at(2), Input::PriorityDelta(-500));
    assert_eq!(i.effective_priority(), 1);
    i.handle_input(at(3), Input::PriorityDelta(500));
    assert_eq!(i.effective_priority(), 254);
    expire(&mut i);
    let (_, out) = expire(&mut i);
    assert_eq!(sent_priorities(&out), vec![254]);
    let (mut owner, _) = started(cfg(Version::V2, 255));
    owner.handle_input(at(1), Input::PriorityDelta(-50));
    assert_eq!(owner.effective_priority(), 255);
}

#[test]
fn two_owners_lower_ours_to_254() {
    let (mut i, _) = started(cfg(Version::V2, 255));
    let out = feed(&mut i, at(100), 255, HIGH_PEER);
    assert!(out.contains(&Output::Event(Event::OwnerConflict { peer: ip(HIGH_PEER) })));
    assert_eq!(i.effective_priority(), 254);
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn unicast_sends_one_copy_per_peer_and_skips_the_ttl_check() {
    let mut c = cfg(Version::V3, 255);
    c.unicast_peers = vec![ip(PEER), ip(HIGH_PEER)];
    let (mut i, out) = started(c);
    let dsts: Vec<IpAddr> = out
        .iter()
        .filter_map(|o| match o {
            Output::SendAdvert { dst, bytes, advert, src } => {
                assert_eq!(&Advert::parse(bytes, *src, *dst).unwrap(), advert);
                Some(*dst)
            }
            _ => None,
        })
        .collect();
    assert_eq!(dsts, vec![ip(PEER), ip(HIGH_PEER)]);
    feed(&mut i, at(10), 100, PEER);
    let a = advert_from(&i, 100);
    i.handle_input(at(20), Input::Advert { advert: a, src: ip(PEER), ttl: 60 });
    assert_eq!(i.counters().rejects.total(), 0);
    assert_eq!(i.counters().adverts_received, 2);
}

#[test]
fn gratuitous_bursts_follow_the_garp_settings() {
    let mut c = cfg(Version::V2, 255);
    c.garp_master_delay = Duration::from_secs(5);
    c.garp_master_refresh = Some(Duration::from_secs(60));
    c.garp_master_repeat = 3;
    let (mut i, out) = started(c);
    assert!(out.contains(&Output::Announce { repeat: 3 }));
    let mut bursts = vec![];
    while i.poll_timeout().unwrap() <= at(130_000) {
        let (t, out) = expire(&mut i);
        if out.contains(&Output::Announce { repeat: 3 }) {
            bursts.push(t);
        }
    }
    assert_eq!(bursts, vec![at(5000), at(60_000), at(120_000)]);
}
