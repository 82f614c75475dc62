//! Seeds of the fixed list that fail on hb-core because of bugs this simulator found. Each
//! entry is (seed, invariant it violates); the letter in the comment is the diagnosis below.
//! Regenerate with `cargo run --release -p hb-sim --bin vopr -- --seeds 1000 --emit-known`
//! (the letter it prints is a heuristic by invariant and mode; the diagnoses were made on the
//! seeds named in each paragraph). Minimal reproductions are in `tests/regression_core.rs`.
//!
//! Diagnosed against hb-core at commit 0568fad. Failing seeds of this list: 178 at df89e74,
//! 15 at 7b0b792, 8 at 6712432, 1 at f2f044d, none at 0568fad: the list is empty and the
//! 1000-seed test is strict. The findings below come from wider sweeps and still fail at
//! 0568fad; `vopr --seed S --minimize` produced the shorter commands.
//!
//! B (legacy, three nodes): a node cut off by a partition (or its only link) and then shut
//!   down leaves two nodes holding one group for good: `--seed 51827 --nodes 3 --media 2
//!   --failback legacy --quiet --fault 15195:partition:1:6:two-way --fault 19834:shutdown:1`;
//!   `--seed 52771 --nodes 3 --media 1 --failback legacy --quiet --fault 13699:link-down:0:0
//!   --fault 18792:shutdown:1`.
//! C (on, three nodes): auto_failback gives up on a group, which stays on a third node after
//!   its preferred node is back: `--seed 52189 --nodes 3 --media 1 --failback on --fault
//!   6319:shutdown:0 --fault 14936:crash:1 --fault 16949:restart:1`; seed 51009 `--nodes 3`.
//! D (legacy): a group whose start fails three times in a row (retried after about a second
//!   each) is then given up for good: no later retry, not even after the heal phase makes the
//!   scripts reliable, and the peer never takes it; it runs nowhere. Two nodes, no fault but
//!   the scripts' failures: `--seed 4140 --nodes 2 --media 1 --failback legacy --no-faults`;
//!   three nodes: `--seed 52996 --nodes 3 --media 2 --failback legacy --no-faults`; off mode
//!   after churn: `--seed 3791` (minimised to 10 faults).
//! E (on, three nodes, seed 52889 `--nodes 3`): like B in nice_failback mode after
//!   crash/partition/takeover/shutdown churn (does not shrink below 12 faults).
//! I (seeds 9500, 8786; 20945 with `--safety-secs 60 --heal-secs 40`; FIXED): a node that
//!   booted while cut off from a peer heard that peer's first packet more than deadtime (but
//!   less than initdead) after its own boot and declared the peer dead right then, as if its
//!   boot were the peer's previous heartbeat. hb-core now measures silence from the first
//!   packet heard (`Peer::liveness_ref`).
//!
//! Beyond the 1000-seed list at 0568fad: seeds 1000..4615 fail 2 (3791, 4140); 2,000 seeds
//! with `--first 100000 --safety-secs 60 --heal-secs 40` fail 6 (100012, 100240, 101667,
//! 101669: two holders, three-node legacy and on, B/E-like; 100445: C, minimised `--seed
//! 100445 --nodes 3 --media 2 --failback on --safety-secs 60 --heal-secs 40 --fault
//! 11111:shutdown:1 --fault 21687:crash:0 --fault 24759:restart:0`; 101766: D).
//! A sweep of 3,000 three-node seeds (`--nodes 3 --first 50000`) at 0568fad fails 6: 51827
//! and 52771 (B), 52189 and 51009 (C; 51009 first shows as "runs nowhere"), 52996 (D), 52889
//! (E). With the status echo and the standby fix (C: a group handed on by a node that was
//! not its owner now stays owed back to its owner; 52189 and 100445 pass) the same sweep
//! fails 4: 51009, 52169 ("runs nowhere", not diagnosed), 52771 (B), 52996 (D).
//!
//! Status after the settled schedule and liveness checker (issue 18), all seeds replayed with
//! `--schedule classic`, the style they were found with:
//! - B: FIXED (issue 18, second session). Diagnosis: node3 takes node2's group on node2's
//!   `shutdone` (node1 looked dead then); node1 boots afterwards, never hears that shutdone,
//!   keeps seeing node2 `active` until it exits, then treats the exit as a crash and takes the
//!   group too. Legacy peers state no holdings, so nothing resolved it. Of the two candidate
//!   fixes (a mark on statuses after `shutdone`; asking before a legacy takeover) only the
//!   second uses messages heartbeat 3.0.6 already answers: with more than two nodes a legacy
//!   node asks for a dead peer's group with `ip-request` and starts it on `weown=yes`, once
//!   every live peer said `weown=no`, or after half a keepalive (then it keeps asking, so a
//!   holder still lets go). Two-node clusters are unchanged. Seed 52771 passed on timing
//!   alone by then; the regression test `legacy_dead_peers_group_is_asked_for_first` builds
//!   the diagnosis as faults (two holders on seeds 1-3 before the fix). A request for a live
//!   node's group from another node (a late retransmission) is now ignored, found by the
//!   ask-first rule on seed 9301415 `--nodes 8`.
//! - C: fixed earlier (standby pass-along).
//! - D: fixed. Legacy mode had no hand-off and dropped the group after three failures
//!   (`groups.rs`: retries continue with back-off when no hand-off exists); in nice modes a
//!   failing group offered to peers that nobody took, or whose retry met a stale claim, was
//!   also dropped (`standby.rs` `retry_unclaimed_failed`, `groups.rs` retry re-check).
//!   Seeds 4140, 52996, 3791, 7000021, 8000517, 9200050 are regression tests.
//! - E: FIXED and diagnosed on its campaign reproduction 9300197 `--nodes 3` (52889 passes on
//!   timing): a node that let a group go to split-brain resolution while its own standby
//!   request waited for an `other` did not re-state its holdings (re-statements were
//!   suppressed during any exchange), and when it then went standby for `foreign` the partner
//!   took every group of that category, also one a third node held. Fixed by re-stating
//!   holdings while our request waits (and when only `rsc_groups` changed), and the partner
//!   leaves alone a group a third node states it holds. Regression test
//!   `standby_partner_does_not_take_a_group_a_third_node_holds`.
//! - 52169 (`--nodes 3 --schedule classic`): liveness, a group runs nowhere after 16 faults of
//!   churn; not diagnosed.
//! - 51009: fixed (a late `mach_down` retransmission undid newer claims).
//! - Campaign `vopr --nodes-cycle 2,3,5,8 --first 9300000` (3,156 seeds, 319 simulated
//!   node-hours) failed 3, all `single-owner`, none diagnosed: 9300382 (`--nodes 5`) and
//!   9301415 (`--nodes 8`) are legacy with shutdowns during partitions, B-like; 9300197
//!   (`--nodes 3`, auto_failback on: standby all right after a partition heal, then a later
//!   standby exchange) leaves node1 and node2 both holding group 0, E-like.
//! - Campaign after the issue-18 fixes (second session, at 5dd5cd8's hb-core):
//!   `vopr --nodes-cycle 2,3,5,8 --first 12000000 --time-budget 2640`, 3,164 seeds, 322.6
//!   simulated node-hours (2 nodes 32.7, 3 nodes 51.1, 5 nodes 90.9, 8 nodes 147.9), 2
//!   failures, both also failing before this session's changes, not diagnosed:
//!   12001974 `--nodes 5` (no-false-death: node4 declares restarted node5 dead 307 ms after
//!   its first new-generation status; the restart is first seen on a message addressed to
//!   another node, which returns before `on_peer_restart`; handling it there moved the
//!   failure to later in the run, so that is not the whole story) and 12002811 `--nodes 8`
//!   (liveness, auto_failback on, a group runs nowhere 13.9 s into a settled period).
//!
//! Found and since fixed in hb-core (kept as regression tests in `regression_core.rs`):
//! legacy `ip-request` sent before the peer was up never answered (61 of 1000 seeds at
//! df89e74); first node up took a starting peer's groups and refused to give them back;
//! one-way partition heal left both holding; a node restarted during a partition kept the
//! groups on both sides (legacy and nice_failback); a failed start left the group nowhere
//! (two and three nodes, legacy, after split-brain resolution); legacy start retry racing the
//! ip-request hand-over (seed 982); a group given up after failed retries never started by
//! the peer (seed 984); three-node failover missed its deadline (seed 271); three-node
//! failback never happened (seed 587 minimised); `hb_takeover` and `hb_standby` without
//! outcome (seeds 191, 4323); group started after `shutdone` and left running at exit (seeds
//! 735, 1858, 51361); a restarted peer's first statuses not refreshing its liveness (seed
//! 1722); failback refused and never retried (seeds 6, 801).

/// (seed, violated invariant).
pub const KNOWN: &[(u64, &str)] = &[];
