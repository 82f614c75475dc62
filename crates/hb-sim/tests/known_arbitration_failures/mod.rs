//! Seeds of the opted-in arbitration sweep (`Knobs::arbitration`, seeds 0..150) that fail on
//! hb-core; each entry is (seed, invariant it violates), the letter is the diagnosis below.
//! Regenerate with `cargo run --release -p hb-sim --bin vopr -- --arbitration --seeds 150
//! --emit-known`. Minimal reproductions are in `tests/regression_arbitration.rs`.
//!
//! Diagnosed against hb-core at commit 242dc0b.
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
//! N (`fence-before-takeover`): fencing is defeated by a peer that briefly reappears. node2
//!   fences node1 after a partition and the fence fails (no takeover, correct); then one stray
//!   heartbeat of node1 crosses the partition (a replayed datagram; a flickering link does the
//!   same): node2 logs `PeerReturned`, `clear_fence` drops the failed state and
//!   `on_peer_returned` sets node1's holdings to none; deadtime later node1 is dead again and
//!   `on_peer_dead` judges that death clean (`had_heard && holds == None` -> `stonith
//!   unneeded`), so node2 starts node1's group without fencing while node1 still runs it:
//!   `--seed 145 --nodes 2 --media 1 --failback on --fault 7823:partition:2:1:two-way --fault
//!   11683:heal --fault 19935:partition:2:1:two-way --arbitration` (node1 declared dead at
//!   27.14 s, group 0 started on node2 at once). Seed 137; also 156 (three nodes) and 197 beyond the list.
//!
//! Found in wider sweeps (`--arbitration --first 1000 --seeds 3000`, see the report):
//! M (`fence-before-takeover`): a peer that dies before the survivor learned what it holds is
//!   treated as holding nothing: a node that boots while its peer runs groups and loses it
//!   within a few hundred ms declares it dead with `stonith unneeded` and takes its groups
//!   unfenced (nice mode: unknown holdings count as `ResourceSet::None`).
//!
//! Found and since fixed in the simulator, not in hb-core (kept here to explain the checkers):
//! the dead interval is `deadtime` + 2 s while a peer's first 5 s advertise it; a replayed
//! heartbeat crossing a cut legitimately revives a peer for a deadtime; a fence requested in
//! the heal phase must not leave its target off for good.

/// (seed, violated invariant).
pub const KNOWN: &[(u64, &str)] = &[
    (16, "no-isolated-takeover"),   // J
    (21, "no-isolated-takeover"),   // J
    (28, "no-isolated-takeover"),   // J
    (30, "no-isolated-takeover"),   // J
    (37, "no-isolated-takeover"),   // J
    (42, "no-isolated-takeover"),   // J
    (55, "no-isolated-takeover"),   // J
    (61, "no-isolated-takeover"),   // J
    (75, "no-isolated-takeover"),   // J
    (83, "no-isolated-takeover"),   // J
    (100, "no-isolated-takeover"),  // J
    (117, "no-isolated-takeover"),  // J
    (125, "no-isolated-takeover"),  // J
    (137, "fence-before-takeover"), // M
    (145, "fence-before-takeover"), // M
    (149, "no-isolated-takeover"),  // J
];
