//! Seeds of the opted-in arbitration sweep (`Knobs::arbitration`, seeds 0..150) that fail on
//! hb-core; each entry is (seed, invariant it violates), the letter is the diagnosis below.
//! Regenerate with `cargo run --release -p hb-sim --bin vopr -- --arbitration --seeds 150
//! --emit-known`. Minimal reproductions are in `tests/regression_arbitration.rs`.
//!
//! Diagnosed against hb-core at commit 242dc0b. Status: J, K, M, N and O below are FIXED in
//! hb-core (no group is received while takeovers are blocked, orphans are claimed again on
//! unblock, a peer dying before our comm-up is fenced, a never-fenced peer stays "must fence"
//! after a stray return, hb_takeover is refused while blocked), and every unclean death is now
//! fenced (a peer's last statement may be stale). Seeds 0..150 all pass; their minimal
//! reproductions in `tests/regression_arbitration.rs` run un-ignored. A wider sweep
//! (`vopr --arbitration --first 1000 --seeds 3000`) went from 351 failures to 10, and then to
//! 7 with two more hb-core fixes (a group passed on by standby stays owed to its owner; a
//! legacy `ip-request` left unanswered while blocked is asked again, or the group taken, on
//! unblock). The status echo (`hb-core` `Node::send_status`) changes every seed's message
//! stream, so seed numbers moved. Those last 7 (issue 18, second session): the
//! `fence-failure-blocks` failures on seeds 2164, 2923, 3281, 3732, 3883 were the checker's (a
//! fence failure reported after the requester had already seen the peer alive again armed a
//! block nothing lifted; fixed in `invariants/fence_failure_blocks.rs`, test
//! `a_fence_failure_reported_after_the_peer_returned_blocks_nothing`); `no-isolated-takeover`
//! on 3888 was hb-core (a standby requester took back a released group nobody claimed after
//! its ping nodes were lost; fixed in `standby.rs` `verify_standby_handover`, test
//! `a_released_group_is_not_taken_back_without_ping_nodes`); `convergence` on 1335 passes
//! since the issue-18 hb-core fixes (not re-diagnosed).
//!
//! J (`no-isolated-takeover`): a node whose pinger reports its ping nodes lost still *receives*
//!   groups by every path but a dead peer's takeover: auto_failback's standby exchange when the
//!   partition heals (nice mode; the node asks for its own groups back with `ask_resources`),
//!   legacy `ip-request` hand-overs and legacy start-up acquisition (`legacy_on_comm_up`,
//!   `legacy_take_requested` do not look at `takeover_blocked`), and `hb_takeover` /
//!   `hb_standby` moves. Only `orphans_for_us` and `retry_failed_starts` check the ping state.
//!   Two nodes, one group, the primary isolated then rejoining before its uplink is back:
//!   `--seed 1 --nodes 2 --groups 1 --failback on --quiet --ping on --fault
//!   12000:uplink-down:0 --fault 12000:partition:1:2:two-way --fault 20000:heal`: node1 starts
//!   group 0 at about 20.05 s although its ping nodes are still unreachable (the group was
//!   running fine on node2, which reaches them). Seeds 173 (nice, failback at heal), 76
//!   (legacy start-up after a restart), 78 (`hb_takeover local` on the ping-less node).
//!   Worse in legacy mode: a node that boots cut off from everything starts its own groups at
//!   comm up (ping nodes already reported lost, every peer dead) and, since nothing checks
//!   isolation again, keeps them for good (`isolated-releases` once `no-isolated-takeover` is
//!   left out with `vopr --skip-checker`): `--seed 2728 --nodes 2 --media 1 --failback legacy
//!   --quiet --fault 14001:uplink-down:0 --fault 21900:crash:0 --fault
//!   24168:partition:2:1:two-way --fault 24215:restart:0 --arbitration` (also 1131, 3771).
//! N (`fence-before-takeover`): fencing is defeated by a peer that briefly reappears. node2
//!   fences node1 after a partition and the fence fails (no takeover, correct); then one stray
//!   heartbeat of node1 crosses the partition (a replayed datagram; a flickering link does the
//!   same): node2 logs `PeerReturned`, `clear_fence` drops the failed state and
//!   `on_peer_returned` sets node1's holdings to none; deadtime later node1 is dead again and
//!   `on_peer_dead` judges that death clean (`had_heard && holds == None` -> `stonith
//!   unneeded`), so node2 starts node1's group without fencing while node1 still runs it:
//!   `--seed 145 --nodes 2 --media 1 --failback on --fault 7823:partition:2:1:two-way --fault
//!   11683:heal --fault 19935:partition:2:1:two-way --arbitration` (node1 declared dead at
//!   27.14 s, group 0 started on node2 at once). Also seed 137.
//!
//! Found in wider sweeps (`vopr --arbitration --first 1000 --seeds 3000`: 351 of 3000 fail:
//! 293 J, 27 fence-before-takeover (13 N, 14 M: told apart by whether the starter saw the
//! peer return), 20 `convergence` "runs nowhere" with a fencing device that may fail (K by
//! vopr's heuristic; 1265 diagnosed), 3 O, and 8 of the classes B, C, I, D
//! described in `known_core_failures`):
//! K (`convergence`: a group runs nowhere after healing): a group left unowned while fencing
//!   was failing, or released by an isolated node, is never acquired again once the peers see
//!   each other: `clear_fence` does not retry the takeover (`retake_after_unblock` runs only
//!   after a successful fence or regained ping nodes), and in legacy mode `legacy_reclaim_own`
//!   only asks for groups still wanted. `--seed 1265 --nodes 2 --media 1 --failback legacy
//!   --quiet --fault 16424:uplink-down:0 --fault 19555:link-down:0:0 --fault
//!   20110:uplink-up:0 --arbitration` (fencing never works in this seed): node1 releases group
//!   0 as isolated at 20.66 s, both fences fail, the link is back at 30 s (heal phase), both
//!   log `PeerReturned`, and group 0 runs nowhere until the end at 65 s.
//! M (`fence-before-takeover`): a peer that dies while we are still starting up is never
//!   fenced: `on_peer_dead` returns before `request_fence` when comm is not up yet, and at comm
//!   up the node takes the dead peer's groups. `--seed 1564 --nodes 3 --media 2 --failback
//!   legacy --quiet --fault 11630:crash:1 --fault 14136:partition:4:3:two-way --fault
//!   15090:restart:1 --fault 17272:partition:1:6:two-way --arbitration`: node2 restarts at
//!   15.09 s, hears node1 (which holds node2's group 1), node1 is cut off at 17.27 s, node2
//!   declares it dead at 18.39 s (before its own `CommUp`), requests no fence, and starts group 1
//!   at comm up (18.49 s) while node1 still runs it.
//! O (`fence-failure-blocks`): `hb_takeover` bypasses a failed fence: after node2's fence of
//!   node1 failed, `hb_takeover all` on node2 makes it start node1's group (the standby path's
//!   `set_want` does not look at `takeover_blocked`), though node1 is alive and running it
//!   behind its failed link: `--seed 1763 --nodes 3 --media 1 --failback on --quiet --fault
//!   27972:link-down:0:0 --fault 29609:takeover:1:all --arbitration`.
//!
//! Found and since fixed in the simulator, not in hb-core (kept here to explain the checkers):
//! the dead interval is `deadtime` + 2 s while a peer's first 5 s advertise it; a replayed
//! heartbeat crossing a cut legitimately revives a peer for a deadtime; a fence requested in
//! the heal phase must not leave its target off for good.

/// (seed, violated invariant).
pub const KNOWN: &[(u64, &str)] = &[];
