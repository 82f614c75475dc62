//! Seeds of the fixed list that fail on hb-core because of bugs this simulator found. Each
//! entry is (seed, invariant it violates); the letter in the comment is the diagnosis below.
//! Regenerate with `cargo run --release -p hb-sim --bin vopr -- --seeds 1000 --emit-known`
//! (the letter it prints is a heuristic by invariant and mode; the diagnoses were made on the
//! seeds named in each paragraph). Minimal reproductions are in `tests/regression_core.rs`.
//!
//! Diagnosed against hb-core at commit f2f044d. Failing seeds of this list: 178 at df89e74,
//! 15 at 7b0b792, 8 at 6712432, 1 at f2f044d.
//!
//! C (on, three nodes): auto_failback gives up on a group: the group stays on a third node
//!   although its preferred node is back and stable (seed 587, minimised: `--seed 587 --nodes 3
//!   --media 2 --failback on --quiet --fault 13547:crash:0 --fault 15674:shutdown:1 --fault
//!   18469:restart:0`; beyond the list: `--seed 50227 --nodes 3 --media 1 --failback on --fault
//!   7184:link-down:2:0 --fault 8405:link-up:2:0`, and 50256, 50705, 51714, 51938, 52189, 52984
//!   with `--nodes 3`). The two-node variants (the preferred node refusing the request, seed 6
//!   scripted; the holder's own refused request not retried, seed 801) are fixed.
//!
//! Beyond the list (`vopr --seed S --minimize` gives these minimised commands):
//! B (legacy, three nodes): a node cut off by a partition and then shut down leaves two nodes
//!   holding one group for good: `--seed 51827 --nodes 3 --media 2 --failback legacy --quiet
//!   --fault 15195:partition:1:6:two-way --fault 19834:shutdown:1` (also 52771).
//! D (off, three nodes): a group ends up running nowhere: after split-brain resolution hands it
//!   to its preferred node whose start then fails (`--seed 50978 --nodes 3 --media 1
//!   --failback off --fault 7676:link-down:2:0 --fault 9903:link-up:2:0`), or after an
//!   `hb_takeover all` (`--seed 52156 --nodes 3 --media 1 --failback off --fault
//!   11189:takeover:1:all`); also 52996.
//! E (on, three nodes, seed 52889 `--nodes 3`): like B in nice_failback mode after
//!   crash/partition/takeover/shutdown churn (does not shrink below 12 faults).
//! H (legacy): a node told to shut down stops its groups, sends `shutdone`, then acts on an
//!   `ip-request-resp` answering its own earlier `ip-request` and starts a group, and exits
//!   with it running: the address is left behind (`--seed 51361 --nodes 3 --media 1 --failback
//!   legacy --fault 1841:crash:0 --fault 3262:restart:0 --fault 3410:shutdown:0`; seed 1858).
//! I (seeds 9500, 8786; 20945 with `--safety-secs 60 --heal-secs 40`): a node that booted
//!   while cut off from a peer hears that peer's first status more than deadtime (but less
//!   than initdead) after its own boot and declares the peer dead right then (0–3 ms after the
//!   heartbeat arrived), as if its boot were the peer's previous heartbeat.
//!
//! A sweep of 3,000 three-node seeds (`--nodes 3 --first 50000`) at f2f044d fails 14: C 7,
//! D 3, B 2, E 1, H 1.
//!
//! Found and since fixed in hb-core (kept as regression tests in `regression_core.rs`):
//! legacy `ip-request` sent before the peer was up never answered (61 of 1000 seeds at
//! df89e74); first node up took a starting peer's groups and refused to give them back;
//! one-way partition heal left both holding; a node restarted during a partition kept the
//! groups on both sides (legacy and nice_failback); a failed start left the group nowhere
//! (two and three nodes, legacy); legacy start retry racing the ip-request hand-over (seed
//! 982); a group given up after failed retries never started by the peer (seed 984);
//! three-node failover missed its deadline (seed 271) and three-node failback never happened;
//! `hb_takeover` and `hb_standby` without outcome (seeds 191, 4323); group started after
//! `shutdone` in a three-node cluster (seed 735); a restarted peer's first statuses not
//! refreshing its liveness (seed 1722); failback refused and never retried (seeds 6, 801).

/// (seed, violated invariant).
pub const KNOWN: &[(u64, &str)] = &[
    (587, "convergence"), // C
];
