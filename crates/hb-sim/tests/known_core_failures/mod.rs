//! Seeds of the fixed list that fail on hb-core because of bugs this simulator found. Each
//! entry is (seed, invariant it violates); the letter in the comment is the diagnosis below.
//! Regenerate with `cargo run -p hb-sim --bin vopr -- --seeds 1000 --emit-known` (the letter it
//! prints is a heuristic hint; the diagnoses were made on the seeds named in each paragraph).
//!
//! Diagnosed against hb-core at commit df89e74.
//!
//! A (legacy): a node that reaches comm-up sends `ip-request` for its group while the peer is
//!   not yet comm-up; nobody ever answers it and there is no retry or timeout, so the group is
//!   never started anywhere (quiet repro: `--seed 2 --nodes 2 --failback legacy --quiet`;
//!   3 nodes: `--seed 8 --quiet`).
//! B (legacy): healed split brain not resolved when a node rebooted during the partition: it
//!   boots alone, declares the other dead after initdead and takes its groups; on heal the peer
//!   sees a new generation (PeerRestarted), nothing is negotiated, both keep the groups (repro:
//!   `--seed 0 --nodes 2 --failback legacy --quiet --fault 12000:crash:0 --fault
//!   13000:partition:1:2:two-way --fault 14000:restart:0 --fault 19000:heal`; seed 40). The
//!   plain two-way partition case was fixed in hb-core 8ce5568.
//! C (on): after a one-sided death decision (one-way partition) the node that took the peer's
//!   groups keeps them when the peer returns (PeerReturned); with auto_failback on they never
//!   go back to their preferred node (seed 160). A start-up race variant (`--seed 4 --nodes 2
//!   --failback on --quiet`: first node up took the starting peer's groups) was fixed in the
//!   core meanwhile.
//! D (on/off): a group whose start failed (or timed out) is stopped and then left stopped
//!   everywhere: neither the node nor its peer (the preferred node, told `rsc_hold=none`) ever
//!   tries again, so the group runs nowhere after healing (seed 66).
//! E (on/off): healed split brain not resolved: (i) one-sided death decision (one-way
//!   partition, or a short cut where only one side timed out): that side takes the peer's
//!   groups; when the peer's heartbeats return with the same generation (PeerReturned) it keeps
//!   them and the preferred holder keeps them too (SplitBrainSuspected we_keep=true on one side
//!   only); heartbeat restarts itself here (spec §7.5) (repro: `--seed 0 --nodes 2 --failback on
//!   --quiet --fault 12000:partition:2:1:one-way --fault 15000:heal`; seeds 9, 15); (ii) a node
//!   rebooted during the partition, as in B (same repro with `--failback on` or `off`).
//! F (3 nodes): the holder of a group crashes; the survivors declare it dead in time but
//!   neither starts its group within deadtime + keepalive + script time (seed 271).
//! G: `hb_takeover` whose peer dies or ignores it produces no outcome event at all (neither
//!   StandbyCompleted nor StandbyRefused) (seed 191).
//! H (legacy, 3 nodes): a node told to shut down sends `shutdone` at once, then still acts on a
//!   (retransmitted) `ip-request-resp` and starts a group, and exits with it running: the
//!   address is left behind (seed 735).
//! I (found beyond the list, seed 1722, 3 nodes): node2 shuts down, reboots (new generation)
//!   and its first statuses reach node3 out of order (seq 5 before seq 1); node3 reports
//!   PeerRestarted but its dead timer is not refreshed by the new generation's statuses and it
//!   declares node2 dead exactly deadtime after node2's last *old-generation* status, 84 ms
//!   after a fresh heartbeat (invariant 4). A wall-clock step in that run is not involved
//!   (the failure stays without it).
//!
//! The letter per entry is the `vopr --emit-known` heuristic (by invariant and mode), so an
//! entry marked C or B may also be an E-like case; the paragraphs name the seeds examined.

/// (seed, violated invariant).
pub const KNOWN: &[(u64, &str)] = &[
    (9, "single-owner"),        // E
    (11, "convergence"),        // D
    (12, "convergence"),        // A
    (14, "single-owner"),       // B
    (15, "single-owner"),       // E
    (21, "single-owner"),       // E
    (29, "convergence"),        // D
    (35, "single-owner"),       // E
    (36, "single-owner"),       // B
    (38, "convergence"),        // A
    (40, "single-owner"),       // B
    (44, "convergence"),        // D
    (45, "convergence"),        // A
    (49, "convergence"),        // C
    (56, "convergence"),        // A
    (59, "single-owner"),       // E
    (66, "convergence"),        // D
    (67, "convergence"),        // D
    (72, "convergence"),        // A
    (74, "convergence"),        // A
    (75, "convergence"),        // A
    (77, "convergence"),        // A
    (79, "single-owner"),       // B
    (80, "convergence"),        // A
    (86, "single-owner"),       // B
    (90, "single-owner"),       // B
    (112, "convergence"),       // A
    (115, "single-owner"),      // B
    (120, "single-owner"),      // B
    (124, "convergence"),       // A
    (127, "single-owner"),      // E
    (129, "convergence"),       // D
    (130, "single-owner"),      // E
    (142, "convergence"),       // A
    (147, "convergence"),       // A
    (160, "convergence"),       // C
    (161, "single-owner"),      // B
    (163, "single-owner"),      // B
    (174, "convergence"),       // A
    (175, "convergence"),       // D
    (176, "convergence"),       // A
    (178, "convergence"),       // A
    (184, "single-owner"),      // E
    (186, "convergence"),       // D
    (189, "convergence"),       // A
    (191, "admin-completes"),   // G
    (192, "convergence"),       // C
    (194, "convergence"),       // D
    (195, "convergence"),       // D
    (198, "single-owner"),      // E
    (200, "convergence"),       // C
    (201, "single-owner"),      // E
    (211, "convergence"),       // A
    (217, "convergence"),       // C
    (223, "convergence"),       // D
    (224, "convergence"),       // A
    (229, "convergence"),       // A
    (235, "single-owner"),      // E
    (238, "single-owner"),      // E
    (242, "single-owner"),      // E
    (250, "convergence"),       // A
    (263, "single-owner"),      // E
    (271, "failover-deadline"), // F
    (279, "convergence"),       // A
    (285, "convergence"),       // A
    (288, "convergence"),       // A
    (289, "convergence"),       // A
    (297, "convergence"),       // D
    (299, "single-owner"),      // E
    (303, "single-owner"),      // E
    (307, "single-owner"),      // B
    (311, "convergence"),       // A
    (313, "convergence"),       // D
    (319, "convergence"),       // A
    (325, "convergence"),       // A
    (331, "single-owner"),      // B
    (335, "single-owner"),      // E
    (339, "convergence"),       // A
    (345, "single-owner"),      // B
    (346, "convergence"),       // D
    (347, "convergence"),       // A
    (356, "convergence"),       // A
    (360, "convergence"),       // A
    (383, "admin-completes"),   // G
    (384, "convergence"),       // D
    (389, "convergence"),       // A
    (390, "convergence"),       // A
    (391, "single-owner"),      // B
    (396, "convergence"),       // D
    (408, "convergence"),       // A
    (417, "single-owner"),      // E
    (422, "convergence"),       // A
    (428, "convergence"),       // D
    (444, "single-owner"),      // B
    (445, "convergence"),       // D
    (448, "convergence"),       // A
    (452, "convergence"),       // A
    (455, "convergence"),       // D
    (466, "convergence"),       // D
    (476, "convergence"),       // A
    (488, "single-owner"),      // E
    (530, "single-owner"),      // E
    (533, "convergence"),       // A
    (537, "convergence"),       // D
    (539, "convergence"),       // D
    (554, "single-owner"),      // E
    (561, "convergence"),       // A
    (568, "convergence"),       // D
    (587, "convergence"),       // C
    (588, "convergence"),       // D
    (597, "convergence"),       // A
    (599, "single-owner"),      // E
    (606, "convergence"),       // D
    (609, "single-owner"),      // E
    (626, "convergence"),       // A
    (628, "single-owner"),      // B
    (634, "convergence"),       // C
    (645, "convergence"),       // A
    (657, "single-owner"),      // E
    (659, "convergence"),       // A
    (667, "single-owner"),      // E
    (671, "single-owner"),      // B
    (680, "admin-completes"),   // G
    (686, "convergence"),       // A
    (700, "single-owner"),      // E
    (705, "single-owner"),      // E
    (712, "single-owner"),      // E
    (714, "admin-completes"),   // G
    (715, "single-owner"),      // E
    (719, "convergence"),       // A
    (723, "single-owner"),      // B
    (726, "convergence"),       // A
    (730, "convergence"),       // C
    (735, "clean-exit"),        // H
    (736, "single-owner"),      // B
    (737, "single-owner"),      // E
    (746, "single-owner"),      // E
    (752, "single-owner"),      // B
    (758, "convergence"),       // C
    (762, "convergence"),       // D
    (772, "single-owner"),      // B
    (783, "convergence"),       // D
    (796, "convergence"),       // A
    (797, "convergence"),       // C
    (798, "convergence"),       // A
    (801, "convergence"),       // C
    (802, "convergence"),       // A
    (805, "single-owner"),      // B
    (813, "single-owner"),      // E
    (816, "convergence"),       // A
    (817, "single-owner"),      // E
    (819, "convergence"),       // C
    (826, "convergence"),       // D
    (829, "convergence"),       // D
    (831, "single-owner"),      // E
    (833, "convergence"),       // A
    (845, "single-owner"),      // E
    (849, "single-owner"),      // E
    (852, "convergence"),       // A
    (860, "single-owner"),      // E
    (884, "single-owner"),      // E
    (898, "convergence"),       // A
    (901, "single-owner"),      // B
    (929, "convergence"),       // A
    (935, "single-owner"),      // B
    (958, "convergence"),       // D
    (962, "convergence"),       // A
    (964, "single-owner"),      // E
    (965, "convergence"),       // A
    (967, "convergence"),       // A
    (968, "single-owner"),      // B
    (969, "convergence"),       // C
    (972, "convergence"),       // D
    (982, "convergence"),       // A
    (984, "convergence"),       // D
    (985, "convergence"),       // D
    (995, "convergence"),       // A
    (997, "convergence"),       // D
];
