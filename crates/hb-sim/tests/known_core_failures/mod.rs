//! Seeds of the fixed list that fail on hb-core because of bugs this simulator found. Each
//! entry is (seed, invariant it violates); the letter in the comment is the diagnosis below.
//! Regenerate with `cargo run --release -p hb-sim --bin vopr -- --seeds 1000 --emit-known`
//! (the letter it prints is a heuristic by invariant and mode; the diagnoses were made on the
//! seeds named in each paragraph). Minimal reproductions are in `tests/regression_core.rs`.
//!
//! Diagnosed against hb-core at commit fb984ff.
//!
//! B (legacy): healed split brain not resolved when a node rebooted during the partition: it
//!   boots alone, declares the other dead after initdead and takes its groups; on heal the peer
//!   sees a new generation (PeerRestarted), nothing is negotiated, both keep the groups (repro:
//!   `--seed 0 --nodes 2 --failback legacy --quiet --fault 12000:crash:0 --fault
//!   13000:partition:1:2:two-way --fault 14000:restart:0 --fault 19000:heal`; seeds 40, 163).
//! C (on): auto_failback never returns a group taken from a live peer by a one-sided death
//!   decision made during start-up (before the RQSTDELAY acquisition) or, with three nodes, by
//!   the third node after a link outage; the preferred node is back and stable but the holder
//!   keeps it (repros: `--seed 0 --nodes 2 --failback on --quiet --fault
//!   8249:partition:2:1:one-way --fault 10323:heal`, `--seed 19 --nodes 3 --failback on
//!   --quiet --fault 7576:link-down:2:0 --fault 8848:link-up:2:0`; seeds 160, 192).
//! D: a group whose start failed or timed out is stopped and then runs nowhere for good, in
//!   legacy mode (node takes its group back with ip-request, the holder stops it, the start
//!   fails: seed 72) and with three nodes (seed 44). In a two-node nice_failback cluster the
//!   core now hands it to the peer (seed 66, fixed).
//! E (on/off): the split brain of B also stays in nice_failback modes (same repro with
//!   `--failback on`; seeds 184, 554).
//! I (beyond the list, seeds 9500, 8786; 3 nodes): a node that booted while cut off from a
//!   peer hears that peer's first status more than deadtime (but less than initdead) after its
//!   own boot and declares the peer dead right then (0–3 ms after the heartbeat arrived), as
//!   if its boot were the peer's previous heartbeat ("late heartbeat > deadtime" applied to a
//!   first heartbeat). An earlier variant (a restarted peer's first statuses not refreshing
//!   its liveness, seed 1722) is fixed.
//! G (beyond the list, seed 4323): `hb_standby` requester released its groups and sent
//!   `ask_resources info=done`; a one-way partition then loses the partner's `done`; the
//!   requester never reports an outcome (no timeout in its DONE state). (A takeover variant,
//!   seed 191, is fixed.)
//! H (beyond the list, seed 1858, legacy): a node told to shut down stops its groups, sends
//!   `shutdone`, then acts on an `ip-request-resp` answering its own earlier `ip-request` and
//!   starts a group, and exits with it running: the address is left behind. (A 3-node
//!   variant, seed 735, is fixed.)
//!
//! Fixed in hb-core since first found (kept as regression tests): legacy ip-request sent before
//! the peer was up never answered (was A, 61 seeds); first node up took a starting peer's
//! groups and refused to give them back; one-way partition heal left both holding (E with the
//! same generation, 39 seeds); three-node failover missed its deadline (F, seed 271);
//! `hb_takeover` without outcome (seed 191); group started after `shutdone` and left
//! running at exit (seed 735); a restarted peer's first statuses not refreshing its
//! liveness, so it was declared dead while talking (seed 1722).

/// (seed, violated invariant).
pub const KNOWN: &[(u64, &str)] = &[
    (40, "single-owner"),  // B
    (44, "convergence"),   // D
    (72, "convergence"),   // D
    (86, "single-owner"),  // B
    (124, "convergence"),  // D
    (160, "convergence"),  // C
    (163, "single-owner"), // B
    (184, "single-owner"), // E
    (186, "convergence"),  // D
    (189, "convergence"),  // D
    (192, "convergence"),  // C
    (195, "convergence"),  // D
    (200, "convergence"),  // C
    (217, "convergence"),  // C
    (223, "convergence"),  // D
    (279, "convergence"),  // D
    (311, "convergence"),  // D
    (319, "convergence"),  // D
    (325, "convergence"),  // D
    (346, "convergence"),  // D
    (384, "convergence"),  // D
    (440, "convergence"),  // C
    (452, "convergence"),  // D
    (455, "convergence"),  // D
    (537, "convergence"),  // D
    (554, "single-owner"), // E
    (587, "convergence"),  // C
    (606, "convergence"),  // D
    (619, "convergence"),  // C
    (634, "convergence"),  // C
    (722, "convergence"),  // C
    (783, "convergence"),  // D
    (797, "convergence"),  // C
    (801, "convergence"),  // C
    (802, "convergence"),  // D
    (819, "convergence"),  // C
    (862, "convergence"),  // D
    (935, "convergence"),  // D
    (962, "convergence"),  // D
    (965, "convergence"),  // D
    (969, "convergence"),  // C
    (982, "convergence"),  // D
    (984, "convergence"),  // D
    (995, "convergence"),  // D
    (997, "convergence"),  // D
];
