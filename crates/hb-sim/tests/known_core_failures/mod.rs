//! Seeds of the fixed list that fail on hb-core because of bugs this simulator found. Each
//! entry is (seed, invariant it violates); the letter in the comment is the diagnosis below.
//! Regenerate with `cargo run -p hb-sim --bin vopr -- --seeds 1000 --emit-known` (the letter it
//! prints is a heuristic hint; the diagnoses were made on the seeds named in each paragraph).
//!
//! Diagnosed against hb-core at commit d2aa6e6.
//!
//! A (legacy): a node that reaches comm-up sends `ip-request` for its group while the peer is
//!   not yet comm-up; nobody ever answers it and there is no retry or timeout, so the group is
//!   never started anywhere (quiet repro: `--seed 8 --quiet`, `--seed 2 --nodes 2 --failback
//!   legacy --quiet`).
//! B (legacy): after a partition (or a node booting alone and declaring the other dead) both
//!   sides hold the group; in legacy mode nothing resolves it, the double ownership persists
//!   (repro: `--seed 0 --nodes 2 --failback legacy --quiet --fault 12000:partition:1:2:two-way
//!   --fault 15000:heal`; seed 40).
//! C (on/off): start-up race: the node that reaches comm-up first (its `repnodes` answered)
//!   immediately takes the peer's groups with reason NodeDead although the peer is alive and
//!   starting; with auto_failback on the give-back is refused (StandbyRefused) and never
//!   retried, so the group stays on the wrong node (quiet repro: `--seed 4 --nodes 2
//!   --failback on --quiet`; seed 130).
//! D (on/off): a group whose start failed is stopped and then left stopped everywhere: neither
//!   the node nor its peer (the preferred node, told `rsc_hold=none`) ever tries again, so the
//!   group runs nowhere after healing (seed 66; often combined with C).
//! E (on/off): one-sided death decision (one-way partition, or a short cut where only one side
//!   timed out): that side takes the peer's groups; when the peer's heartbeats return with the
//!   same generation (PeerReturned) it keeps them, and the preferred holder keeps them too
//!   (SplitBrainSuspected we_keep=true on one side only): permanent double ownership; heartbeat
//!   would restart itself here (spec §7.5) (repro: `--seed 0 --nodes 2 --failback on --quiet
//!   --fault 12000:partition:2:1:one-way --fault 15000:heal`; seeds 9, 15).
//! F (3 nodes): the holder of a group crashes; the survivors declare it dead in time but
//!   neither starts its group within deadtime + keepalive + script time (seed 271).
//! G: `hb_takeover` whose peer dies or ignores it produces no outcome event at all (neither
//!   StandbyCompleted nor StandbyRefused) (seed 191).

/// (seed, violated invariant).
pub const KNOWN: &[(u64, &str)] = &[
    (8, "single-owner"),        // B
    (9, "single-owner"),        // E
    (11, "convergence"),        // D
    (12, "convergence"),        // A
    (14, "single-owner"),       // B
    (15, "single-owner"),       // E
    (18, "convergence"),        // A
    (21, "single-owner"),       // E
    (35, "single-owner"),       // E
    (36, "single-owner"),       // B
    (38, "convergence"),        // A
    (40, "single-owner"),       // B
    (43, "single-owner"),       // E
    (44, "convergence"),        // D
    (45, "convergence"),        // A
    (49, "convergence"),        // C
    (56, "convergence"),        // A
    (57, "single-owner"),       // E
    (59, "single-owner"),       // E
    (62, "single-owner"),       // E
    (66, "convergence"),        // D
    (67, "convergence"),        // D
    (74, "convergence"),        // A
    (75, "convergence"),        // A
    (79, "single-owner"),       // B
    (80, "convergence"),        // A
    (86, "single-owner"),       // B
    (88, "single-owner"),       // B
    (90, "single-owner"),       // B
    (100, "single-owner"),      // B
    (106, "single-owner"),      // B
    (111, "convergence"),       // D
    (112, "convergence"),       // A
    (115, "single-owner"),      // B
    (120, "single-owner"),      // B
    (124, "convergence"),       // A
    (126, "convergence"),       // D
    (127, "single-owner"),      // E
    (129, "convergence"),       // D
    (130, "convergence"),       // C
    (147, "convergence"),       // A
    (153, "single-owner"),      // B
    (160, "convergence"),       // C
    (161, "single-owner"),      // B
    (163, "single-owner"),      // B
    (169, "single-owner"),      // E
    (171, "single-owner"),      // B
    (174, "convergence"),       // A
    (175, "convergence"),       // D
    (176, "convergence"),       // A
    (184, "single-owner"),      // E
    (186, "convergence"),       // D
    (189, "convergence"),       // A
    (191, "admin-completes"),   // G
    (192, "convergence"),       // C
    (193, "single-owner"),      // E
    (194, "convergence"),       // D
    (195, "convergence"),       // D
    (198, "single-owner"),      // E
    (200, "convergence"),       // C
    (201, "single-owner"),      // E
    (207, "single-owner"),      // E
    (211, "convergence"),       // A
    (217, "convergence"),       // C
    (223, "convergence"),       // D
    (224, "convergence"),       // A
    (229, "convergence"),       // A
    (230, "convergence"),       // C
    (235, "single-owner"),      // E
    (238, "single-owner"),      // E
    (242, "single-owner"),      // E
    (244, "single-owner"),      // B
    (250, "convergence"),       // A
    (263, "single-owner"),      // E
    (267, "single-owner"),      // B
    (271, "failover-deadline"), // F
    (275, "single-owner"),      // E
    (279, "convergence"),       // A
    (281, "single-owner"),      // B
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
    (321, "single-owner"),      // E
    (324, "single-owner"),      // B
    (325, "convergence"),       // A
    (331, "single-owner"),      // B
    (335, "single-owner"),      // E
    (337, "single-owner"),      // B
    (341, "convergence"),       // C
    (343, "single-owner"),      // B
    (345, "single-owner"),      // B
    (346, "convergence"),       // D
    (347, "convergence"),       // A
    (356, "convergence"),       // A
    (359, "single-owner"),      // E
    (360, "convergence"),       // A
    (362, "single-owner"),      // B
    (364, "single-owner"),      // E
    (365, "single-owner"),      // B
    (368, "single-owner"),      // B
    (382, "single-owner"),      // B
    (383, "admin-completes"),   // G
    (384, "convergence"),       // D
    (388, "convergence"),       // C
    (389, "convergence"),       // A
    (390, "convergence"),       // A
    (391, "single-owner"),      // B
    (396, "convergence"),       // D
    (408, "convergence"),       // A
    (415, "single-owner"),      // B
    (417, "single-owner"),      // E
    (428, "convergence"),       // D
    (438, "single-owner"),      // B
    (439, "convergence"),       // C
    (444, "single-owner"),      // B
    (445, "convergence"),       // D
    (447, "single-owner"),      // E
    (448, "convergence"),       // A
    (452, "convergence"),       // A
    (454, "single-owner"),      // B
    (455, "convergence"),       // D
    (466, "convergence"),       // D
    (471, "convergence"),       // C
    (475, "single-owner"),      // B
    (476, "convergence"),       // A
    (487, "convergence"),       // A
    (488, "single-owner"),      // E
    (491, "single-owner"),      // E
    (492, "single-owner"),      // E
    (497, "single-owner"),      // B
    (503, "convergence"),       // C
    (512, "single-owner"),      // B
    (526, "single-owner"),      // B
    (529, "single-owner"),      // B
    (530, "single-owner"),      // E
    (533, "convergence"),       // A
    (535, "single-owner"),      // B
    (537, "convergence"),       // D
    (539, "convergence"),       // D
    (546, "single-owner"),      // B
    (553, "single-owner"),      // B
    (554, "single-owner"),      // E
    (555, "single-owner"),      // E
    (557, "single-owner"),      // B
    (561, "convergence"),       // A
    (564, "single-owner"),      // B
    (568, "convergence"),       // D
    (581, "single-owner"),      // E
    (597, "convergence"),       // A
    (599, "single-owner"),      // E
    (606, "convergence"),       // D
    (609, "single-owner"),      // E
    (611, "single-owner"),      // E
    (614, "single-owner"),      // B
    (626, "convergence"),       // A
    (627, "single-owner"),      // B
    (628, "single-owner"),      // B
    (634, "single-owner"),      // E
    (645, "convergence"),       // A
    (657, "single-owner"),      // E
    (659, "convergence"),       // A
    (661, "single-owner"),      // E
    (667, "single-owner"),      // E
    (671, "single-owner"),      // B
    (679, "convergence"),       // C
    (680, "admin-completes"),   // G
    (686, "convergence"),       // A
    (698, "single-owner"),      // E
    (699, "single-owner"),      // B
    (700, "single-owner"),      // E
    (705, "single-owner"),      // E
    (712, "single-owner"),      // E
    (713, "convergence"),       // C
    (714, "admin-completes"),   // G
    (715, "single-owner"),      // E
    (719, "convergence"),       // A
    (722, "convergence"),       // C
    (726, "single-owner"),      // B
    (730, "convergence"),       // C
    (734, "single-owner"),      // E
    (736, "single-owner"),      // B
    (737, "single-owner"),      // E
    (743, "single-owner"),      // B
    (746, "single-owner"),      // E
    (752, "single-owner"),      // B
    (756, "single-owner"),      // B
    (758, "convergence"),       // C
    (761, "convergence"),       // C
    (762, "convergence"),       // D
    (770, "convergence"),       // D
    (772, "single-owner"),      // B
    (780, "single-owner"),      // B
    (783, "convergence"),       // D
    (785, "single-owner"),      // B
    (789, "single-owner"),      // E
    (796, "convergence"),       // A
    (797, "convergence"),       // C
    (801, "convergence"),       // C
    (802, "convergence"),       // A
    (805, "single-owner"),      // B
    (813, "single-owner"),      // E
    (817, "single-owner"),      // E
    (819, "single-owner"),      // E
    (824, "single-owner"),      // B
    (826, "convergence"),       // D
    (831, "single-owner"),      // E
    (843, "single-owner"),      // B
    (845, "single-owner"),      // E
    (849, "single-owner"),      // E
    (852, "convergence"),       // A
    (854, "convergence"),       // C
    (859, "single-owner"),      // B
    (860, "single-owner"),      // E
    (864, "single-owner"),      // B
    (876, "single-owner"),      // B
    (884, "single-owner"),      // E
    (895, "single-owner"),      // B
    (897, "single-owner"),      // B
    (898, "convergence"),       // A
    (901, "single-owner"),      // B
    (922, "single-owner"),      // B
    (929, "convergence"),       // A
    (935, "single-owner"),      // B
    (937, "single-owner"),      // E
    (951, "single-owner"),      // B
    (962, "convergence"),       // A
    (964, "single-owner"),      // E
    (965, "convergence"),       // A
    (969, "convergence"),       // C
    (972, "convergence"),       // D
    (982, "convergence"),       // A
    (984, "convergence"),       // D
    (985, "convergence"),       // D
    (995, "convergence"),       // A
    (997, "convergence"),       // D
];
