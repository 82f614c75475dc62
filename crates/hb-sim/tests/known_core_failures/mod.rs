//! Seeds of the fixed list that fail on hb-core because of bugs this simulator found. Each
//! entry is (seed, invariant it violates); the letter in the comment is the diagnosis below.
//! Regenerate with `cargo run --release -p hb-sim --bin vopr -- --seeds 1000 --emit-known`
//! (the letter it prints is a heuristic by invariant and mode; the diagnoses were made on the
//! seeds named in each paragraph). Minimal reproductions are in `tests/regression_core.rs`.
//!
//! Diagnosed against hb-core at commit 4dfb40c.
//!
//! B (legacy): the start retry (a failed start is retried after deadtime) races with the
//!   `ip-request` hand-over: the holder whose start failed answers the returning node's
//!   `ip-request`, then its own retry starts the group again while the requester starts it
//!   too: both hold it for good (seed 982; also 589, 895 with three nodes).
//! C (on): auto_failback gives up: after a one-sided death decision (one-way partition or a
//!   single-medium link outage) the survivor holds the preferred node's group; on the peer's
//!   return it asks `ask_resources foreign info=me`, the preferred node refuses
//!   (StandbyRefused) and nobody ever tries again, so the group stays on the wrong node
//!   (repro: `--seed 6 --nodes 2 --failback on --quiet --fault 8744:partition:1:2:one-way
//!   --fault 11701:heal`; seeds 200, 771, 797, and three-node variants 384, 587, 634, 715).
//! D (off): a group whose start keeps failing on its node is retried twice and then "offered
//!   to a peer", but the peer never starts it: it runs nowhere after healing (seed 984).
//! G (beyond the list, seed 4323, fixed at 4dfb40c): standby requester without outcome when the
//!   partner's `done` is lost.
//! H (beyond the list, seed 1858, legacy): a node told to shut down stops its groups, sends
//!   `shutdone`, then acts on an `ip-request-resp` answering its own earlier `ip-request` and
//!   starts a group, and exits with it running: the address is left behind.
//! I (beyond the list, seeds 9500, 8786, 20945 with `--safety-secs 60 --heal-secs 40`): a node
//!   that booted while cut off from a peer hears that peer's first status more than deadtime
//!   (but less than initdead) after its own boot and declares the peer dead right then (0–3 ms
//!   after the heartbeat arrived), as if its boot were the peer's previous heartbeat.
//! E (beyond the list, rare: seed 52889 with `--nodes 3`): nice_failback, three nodes, after
//!   takeover/shutdown/partition churn two nodes keep one group for good (not diagnosed
//!   further).
//!
//! A sweep of 3,000 three-node seeds (`--nodes 3 --first 50000`) at this commit fails 52:
//! C 31, B 15, D 4, E 1, H 1 (seed 51361).
//!
//! Found and since fixed in hb-core (kept as regression tests): legacy `ip-request` sent
//! before the peer was up never answered (61 of 1000 seeds at df89e74); first node up took a
//! starting peer's groups and refused to give them back; one-way partition heal left both
//! holding; a node restarted during a partition kept the groups on both sides (legacy and
//! nice_failback); a failed start left the group nowhere (two and three nodes, legacy);
//! three-node failover missed its deadline (seed 271) and three-node failback never happened;
//! `hb_takeover` without outcome (seed 191); group started after `shutdone` in a three-node
//! cluster (seed 735); a restarted peer's first statuses not refreshing its liveness (seed
//! 1722). At df89e74, 178 of the 1000 seeds failed; at 4dfb40c, 15.

/// (seed, violated invariant).
pub const KNOWN: &[(u64, &str)] = &[
    (200, "convergence"),  // C
    (217, "convergence"),  // C
    (384, "convergence"),  // C
    (587, "convergence"),  // C
    (589, "single-owner"), // B
    (634, "convergence"),  // C
    (715, "convergence"),  // C
    (722, "convergence"),  // C
    (768, "convergence"),  // C
    (771, "convergence"),  // C
    (797, "convergence"),  // C
    (801, "convergence"),  // C
    (895, "single-owner"), // B
    (982, "single-owner"), // B
    (984, "convergence"),  // D
];
