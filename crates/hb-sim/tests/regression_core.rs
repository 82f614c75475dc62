//! Minimal reproductions of hb-core bugs this simulator found (diagnoses in
//! `known_core_failures/mod.rs`). Each asserts the correct behaviour and none is ignored: each
//! was found failing on an earlier hb-core and has since been fixed there.

use hb_sim::faults::ScheduledFault;
use hb_sim::scenario::FailbackMode;
use hb_sim::settled::ScheduleStyle;
use hb_sim::{run_seed, Knobs, RunOptions};

fn scripted(nodes: usize, failback: FailbackMode, faults: &[&str]) -> Knobs {
    let script =
        faults.iter().map(|f| ScheduledFault::parse_arg(f).expect("valid fault")).collect();
    Knobs {
        nodes: Some(nodes),
        failback: Some(failback),
        quiet: true,
        script: Some(script),
        ..Knobs::default()
    }
}

/// The default knobs with the schedule these seeds were found with (the settled style, drawn
/// for half the seeds since, would replace their faults).
fn classic() -> Knobs {
    Knobs { schedule: Some(ScheduleStyle::Classic), ..Knobs::default() }
}

fn check(seed: u64, knobs: &Knobs) {
    if let Err(f) = run_seed(seed, knobs, RunOptions { trace_lines: true, ..RunOptions::default() })
    {
        panic!("{f}");
    }
}

const RESTART_DURING_PARTITION: &[&str] =
    &["12000:crash:0", "13000:partition:1:2:two-way", "14000:restart:0", "19000:heal"];

#[test]
fn legacy_split_brain_after_restart_during_partition_is_resolved() {
    check(0, &scripted(2, FailbackMode::Legacy, RESTART_DURING_PARTITION));
}

#[test]
fn groups_fail_back_after_a_one_sided_death_decision_during_start_up() {
    check(0, &scripted(2, FailbackMode::On, &["8249:partition:2:1:one-way", "10323:heal"]));
}

#[test]
fn three_node_groups_fail_back_after_a_link_outage() {
    check(19, &scripted(3, FailbackMode::On, &["7576:link-down:2:0", "8848:link-up:2:0"]));
}

#[test]
fn legacy_failed_start_is_retried_somewhere() {
    check(72, &classic());
}

#[test]
fn three_node_failed_start_is_retried_somewhere() {
    check(44, &classic());
}

#[test]
fn split_brain_after_restart_during_partition_is_resolved() {
    check(0, &scripted(2, FailbackMode::On, RESTART_DURING_PARTITION));
}

/// Finding C, fixed: a group handed on by standby from a node that was not its owner is still
/// owed back to its owner.
#[test]
fn three_node_failback_after_shutdown_and_crash() {
    let k = scripted(3, FailbackMode::On, &["6319:shutdown:0", "14936:crash:1", "16949:restart:1"]);
    check(52189, &Knobs { media: Some(1), quiet: false, ..k });
}

/// Finding D, fixed: in legacy mode (no standby exchange to hand a group over) a group whose
/// start failed three times in a row is still retried with back-off, never abandoned.
#[test]
fn legacy_three_node_group_runs_somewhere_without_faults() {
    let k = scripted(3, FailbackMode::Legacy, &[]);
    check(52996, &Knobs { media: Some(2), quiet: false, ..k });
}

#[test]
fn legacy_two_node_group_given_up_after_failed_starts_runs_somewhere() {
    let k = scripted(2, FailbackMode::Legacy, &[]);
    check(4140, &Knobs { media: Some(1), quiet: false, ..k });
}

/// Finding D again, from a fresh sweep: the preferred node restarts after a crash, the peer's
/// starts failed meanwhile, and its own three failed starts left the group nowhere.
#[test]
fn legacy_group_failing_on_both_nodes_after_a_crash_is_retried() {
    let k = scripted(2, FailbackMode::Legacy, &["8761:crash:0", "10004:restart:0"]);
    check(7000021, &Knobs { media: Some(1), quiet: false, ..k });
}

/// Finding I, fixed: silence is measured from the first packet heard, not from our boot.
#[test]
fn peer_first_heard_late_after_boot_is_not_declared_dead_while_talking() {
    check(9500, &classic());
    check(8786, &classic());
    check(20945, &Knobs { safety_secs: Some(60), heal_secs: Some(40), ..classic() });
}

#[test]
fn standby_requester_always_gets_an_outcome() {
    check(4323, &classic());
}

#[test]
fn legacy_start_retry_does_not_race_the_ip_request_hand_over() {
    check(982, &classic());
}

#[test]
fn failback_is_retried_after_a_refusal() {
    check(6, &scripted(2, FailbackMode::On, &["8744:partition:1:2:one-way", "11701:heal"]));
}

#[test]
fn a_group_given_up_after_failed_retries_is_started_by_the_peer() {
    check(984, &classic());
}

#[test]
fn failback_initiated_by_the_holder_is_retried() {
    check(801, &classic());
}

#[test]
fn three_node_failback_after_churn() {
    let mut k =
        scripted(3, FailbackMode::On, &["13547:crash:0", "15674:shutdown:1", "18469:restart:0"]);
    k.media = Some(2);
    check(587, &k);
}

#[test]
fn three_node_group_whose_start_failed_after_split_brain_is_started_again() {
    let k = scripted(3, FailbackMode::Off, &["7676:link-down:2:0", "9903:link-up:2:0"]);
    check(50978, &Knobs { media: Some(1), quiet: false, ..k });
}

/// Finding B's first reproduction (fixed with `legacy_dead_peers_group_is_asked_for_first`).
#[test]
fn legacy_three_node_partition_then_shutdown_leaves_one_holder() {
    let mut k =
        scripted(3, FailbackMode::Legacy, &["15195:partition:1:6:two-way", "19834:shutdown:1"]);
    k.media = Some(2);
    check(51827, &k);
}

#[test]
fn legacy_shutdown_never_leaves_a_group_running() {
    check(1858, &classic());
    let k =
        scripted(3, FailbackMode::Legacy, &["1841:crash:0", "3262:restart:0", "3410:shutdown:0"]);
    check(51361, &Knobs { media: Some(1), quiet: false, ..k });
}

#[test]
fn legacy_startup_ip_request_is_answered_or_retried() {
    check(2, &scripted(2, FailbackMode::Legacy, &[]));
}

#[test]
fn legacy_two_way_partition_heal_resolves_split_brain() {
    check(0, &scripted(2, FailbackMode::Legacy, &["12000:partition:1:2:two-way", "15000:heal"]));
}

#[test]
fn simultaneous_start_keeps_groups_on_their_preferred_nodes() {
    check(4, &scripted(2, FailbackMode::On, &[]));
}

#[test]
fn one_way_partition_heal_ends_double_ownership() {
    check(0, &scripted(2, FailbackMode::On, &["12000:partition:2:1:one-way", "15000:heal"]));
}

#[test]
fn a_failed_start_on_the_preferred_node_moves_the_group_to_the_peer() {
    check(66, &classic());
}

#[test]
fn three_node_failover_meets_its_deadline() {
    check(271, &classic());
}

#[test]
fn takeover_always_ends_with_an_outcome() {
    check(191, &classic());
}

#[test]
fn shutdown_never_leaves_a_group_running() {
    check(735, &classic());
}

#[test]
fn restarted_peer_is_not_declared_dead_while_talking() {
    check(1722, &classic());
}

/// Found by the settled schedule (seed 7100056): a split brain resolved in the owner's
/// favour while the other node's takeover was still running; that node then sent
/// `mach_down` claiming `foreign` although it had let the group go, so the owner, whose own
/// start had failed meanwhile, saw the group claimed and never retried it. It ran nowhere.
#[test]
fn a_released_takeover_is_not_claimed_by_mach_down() {
    let k = scripted(
        2,
        FailbackMode::Off,
        &[
            "9293:crash:1",
            "12678:restart:1",
            "21980:partition:2:1:one-way",
            "25027:heal",
            "34519:crash:0",
            "39001:restart:0",
            "47841:takeover:0:foreign",
            "65950:partition:2:1:two-way",
            "66925:heal",
        ],
    );
    check(7100056, &Knobs { media: Some(2), safety_secs: Some(76), quiet: false, ..k });
}

/// Found by the settled schedule (seed 8000517, three nodes): the preferred node restarts,
/// wins the split brain, and its start fails; its retry fell due before the loser's release
/// (a retransmission) arrived, saw the group still claimed, and was dropped for good. The
/// group ran nowhere. A retry that finds the group claimed now looks again a deadtime later.
#[test]
fn a_retry_that_meets_a_stale_claim_looks_again() {
    let k = scripted(3, FailbackMode::Off, &["6747:crash:2", "11966:restart:2"]);
    check(8000517, &Knobs { media: Some(1), safety_secs: Some(47), quiet: false, ..k });
}

/// Finding D's off-mode reproduction after churn (seed 3791): fixed by the same change.
#[test]
fn off_mode_group_runs_somewhere_after_churn() {
    check(3791, &classic());
}

/// Seed 51009 (three nodes, auto_failback on; "runs nowhere", undiagnosed until now): a late
/// retransmission of a peer's old `mach_down` overwrote its newer claims, so after a failback
/// standby the releasing node believed a third node had the group and did not take it back;
/// the preferred node, just starting, had not answered the request. Older partial statements
/// are now history, like older full ones.
#[test]
fn a_late_mach_down_retransmission_does_not_undo_newer_claims() {
    let k = scripted(
        3,
        FailbackMode::On,
        &[
            "3422:crash:0",
            "3960:crash:1",
            "4460:restart:1",
            "4822:restart:0",
            "9628:link-down:2:1",
            "11136:crash:2",
            "11750:crash:1",
            "11967:link-down:1:0",
            "12056:link-up:2:1",
            "13536:restart:2",
            "14129:link-up:1:0",
            "14632:restart:1",
            "16093:crash:1",
            "18361:partition:6:1:two-way",
            "19177:restart:1",
        ],
    );
    check(51009, &Knobs { media: Some(2), safety_secs: Some(20), quiet: false, ..k });
}

/// Found by a five-node campaign (seed 9000050): a late retransmission of a finished standby
/// request (`ask_resources info=me`) made its group's preferred node the partner of an
/// exchange nobody was running, for heartbeat's one-hour partner timeout; it refused every
/// failback meanwhile and the holder handed the group out and took it back twice a second.
/// A request older than the requester's last applied statement is now ignored.
#[test]
fn a_late_standby_request_retransmission_is_ignored() {
    let k = scripted(
        5,
        FailbackMode::On,
        &[
            "4339:partition:18:13:two-way",
            "5548:crash:1",
            "5556:crash:4",
            "6932:restart:1",
            "7093:heal",
            "7364:restart:4",
            "10337:crash:4",
            "11697:link-down:1:1",
            "11708:restart:4",
            "14661:shutdown:4",
            "14919:link-up:1:1",
            "14965:crash:3",
            "15192:takeover:0:foreign",
            "16853:restart:4",
        ],
    );
    check(9000050, &Knobs { media: Some(2), safety_secs: Some(20), quiet: false, ..k });
}

/// Found by a five-node campaign (seed 9200050, auto_failback on): a group failing on the
/// node that held it was offered to the peers by standby; the only node that would take it
/// (its preferred node, just restarted) was still in flux and ignored the request, and a
/// group that is not running is not among those the standby check gives back, so it ran
/// nowhere for good. The requester now retries it with back-off when nobody took it.
#[test]
fn a_failing_group_nobody_took_after_its_hand_off_is_retried() {
    let k = Knobs {
        nodes: Some(5),
        schedule: Some(hb_sim::settled::ScheduleStyle::Settled),
        ..Knobs::default()
    };
    check(9200050, &k);
}

/// Issue 18, seed 880075528 minimised: a second `hb_takeover` issued while the first was still
/// waiting for its reply (the partner had just crashed) shared the first one's pending flag and
/// reply timer, so the two requests got one outcome between them. A takeover issued while one
/// is outstanding is now refused at once.
#[test]
fn a_second_takeover_while_one_is_outstanding_gets_its_own_outcome() {
    let k = scripted(
        2,
        FailbackMode::Off,
        &["15172:takeover:1:failback", "15175:crash:0", "15847:takeover:1:all"],
    );
    check(880075528, &Knobs { media: Some(1), safety_secs: Some(20), quiet: false, ..k });
}

/// Issue 18, seed 904498045 minimised (three nodes): an `hb_standby` requester whose partner
/// (the node that answered `other`) died after the requester had released its groups waited
/// for that partner's `done` for the full minute, because a third node was still alive
/// (it had refused the request). The requester now ends the exchange with an outcome when
/// every partner that answered `other` is gone.
#[test]
fn standby_requester_whose_partner_dies_gets_an_outcome() {
    let k = scripted(
        3,
        FailbackMode::On,
        &[
            "2585:partition:3:4:one-way",
            "4960:heal",
            "8235:link-down:2:0",
            "9416:partition:2:5:one-way",
            "9730:link-up:2:0",
            "10445:link-down:2:0",
            "10617:partition:6:1:two-way",
            "11152:heal",
            "11304:link-up:2:0",
            "12382:takeover:0:foreign",
            "12802:takeover:2:local",
            "15485:standby:2:all",
            "15656:link-down:0:0",
        ],
    );
    check(904498045, &Knobs { media: Some(1), safety_secs: Some(20), quiet: false, ..k });
}

/// Issue 18, seed 906499237 minimised (three nodes, settled schedule): node3 released a group
/// to split-brain resolution while its own standby request (answering node1's `hb_takeover`)
/// waited for an `other` that never came; re-announcing was suppressed during any standby
/// exchange, so its peers kept seeing the group claimed by node3, and when node1, the real
/// holder, crashed, nobody took it. A node now re-states its holdings while its request
/// waits, and also when only its exact group list (`rsc_groups`) changed.
#[test]
fn a_group_released_during_a_pending_standby_request_is_not_left_claimed() {
    let k = scripted(
        3,
        FailbackMode::Off,
        &[
            "6049:crash:1",
            "9314:restart:1",
            "15055:shutdown:2",
            "17443:restart:2",
            "23606:takeover:2:local",
            "29423:takeover:0:foreign",
            "35319:takeover:0:failback",
            "41058:crash:0",
        ],
    );
    let k = Knobs {
        media: Some(1),
        safety_secs: Some(51),
        quiet: false,
        schedule: Some(ScheduleStyle::Settled),
        ..k
    };
    check(906499237, &k);
}

/// Finding B (legacy, three nodes), built from its diagnosis: node1 crashes and node2 takes
/// node1's group; node2 shuts down and node3, seeing node1 dead, takes both groups on node2's
/// `shutdone`; node1 boots during node2's final status phase, never hears that `shutdone`, and
/// when node2's statuses stop it took node2's group too. Legacy peers state no holdings, so
/// both kept it (single-owner failed on seeds 1-3 before the fix). With more than two nodes a
/// legacy node now asks for a dead peer's group with `ip-request` (which heartbeat 3.0.6
/// answers) before starting it, and the holder lets it go.
#[test]
fn legacy_dead_peers_group_is_asked_for_first() {
    let k =
        scripted(3, FailbackMode::Legacy, &["8000:crash:0", "11000:shutdown:1", "11500:restart:0"]);
    let k = Knobs { media: Some(1), safety_secs: Some(40), groups: Some(3), ..k };
    for seed in 1..=3 {
        check(seed, &k);
    }
    // The seed B was first diagnosed on (passes on timing alone since the status echo).
    let k = scripted(
        3,
        FailbackMode::Legacy,
        &["13699:link-down:0:0", "18413:crash:0", "18792:shutdown:1"],
    );
    let k = Knobs {
        media: Some(1),
        safety_secs: Some(20),
        quiet: false,
        schedule: Some(ScheduleStyle::Classic),
        ..k
    };
    check(52771, &k);
}

/// Found while fixing B (eight nodes, legacy, seed 9301415 minimised; it failed with the
/// ask-first rule alone): a retransmitted `ip-request` for node1's group, made by node2 while
/// node1 was dead, reached node1 after it rebooted and had taken the group back; node1
/// stopped it for a requester that no longer asked, and it ran nowhere. A request for a group
/// whose preferred node is alive, from another node, is now ignored.
#[test]
fn legacy_stale_ip_request_for_a_live_nodes_group_is_ignored() {
    let k = scripted(
        8,
        FailbackMode::Legacy,
        &[
            "6918:link-down:5:0",
            "8053:link-down:7:0",
            "9178:partition:181:74:one-way",
            "9552:shutdown:5",
            "10797:link-up:5:0",
            "10847:link-down:4:0",
            "12011:heal",
            "12390:link-up:7:0",
            "12459:restart:5",
            "13800:link-up:4:0",
            "18145:shutdown:5",
            "18260:crash:0",
        ],
    );
    check(9301415, &Knobs { media: Some(2), safety_secs: Some(20), quiet: false, ..k });
}

/// Finding E (auto_failback on, three nodes; campaign seed 9300197 minimised; failed
/// single-owner before the issue-18 fixes): node3 let group 0 go to split-brain resolution
/// while its own failback request waited for an `other` nobody sent, so it did not re-state
/// its holdings for ten seconds; when it then went standby for `foreign`, node1 took every
/// group of that category, group 0 too, which node2 held, and two nodes ran it. Fixed by the
/// re-statement during a pending request, and the partner of a standby now also leaves alone
/// a group a third node states it holds (either change alone makes this pass).
#[test]
fn standby_partner_does_not_take_a_group_a_third_node_holds() {
    let k = scripted(
        3,
        FailbackMode::On,
        &[
            "8042:partition:4:3:one-way",
            "10689:heal",
            "12096:standby:0:failback",
            "14990:partition:4:3:two-way",
            "18079:heal",
            "18119:standby:0:all",
        ],
    );
    check(9300197, &Knobs { media: Some(1), safety_secs: Some(20), quiet: false, ..k });
}
