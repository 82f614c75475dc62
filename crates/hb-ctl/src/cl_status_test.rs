//! Expected strings and exit codes come from `reference/CL_STATUS-OBSERVED.md` (the real tool on
//! a live 3.0.6 cluster) and the strings of `/usr/bin/cl_status`.

use super::*;
use hb_api::{LinkStatus, NodeStatus, Status};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

fn link(name: &str, status: &str) -> LinkStatus {
    LinkStatus {
        name: name.into(),
        status: status.into(),
        last_heard_ms: None,
        late_heartbeats: 0,
        max_late_ms: 0,
    }
}

fn node(name: &str, status: &str, link_status: &str) -> NodeStatus {
    NodeStatus {
        name: name.into(),
        node_type: "normal".into(),
        status: status.into(),
        weight: 100,
        site: String::new(),
        links: vec![link("la-e0", link_status)],
    }
}

/// n1's view in the lab's steady state: VIP on n1, both active.
fn steady_n1() -> Status {
    let mut parameters = BTreeMap::new();
    parameters.insert("keepalive".into(), "1".into());
    parameters.insert("warntime".into(), "5000ms".into());
    Status {
        version: "0.1.0".into(),
        node: "n1".into(),
        rsc_status: "local".into(),
        nodes: vec![node("n2", "active", "up"), node("n1", "active", "dead")],
        groups: vec![],
        parameters,
        checks: BTreeMap::new(),
        reserved_ips: BTreeMap::new(),
        vrrp: Vec::new(),
        arbiter: BTreeMap::new(),
    }
}

fn args(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn run_ok(words: &[&str], status: Status) -> Outcome {
    run(&args(words), || Ok(status))
}

fn stopped() -> Result<Status, ClientError> {
    Err(hb_api::Client::connect(Path::new("/nonexistent/api.sock"), Duration::from_secs(1))
        .err()
        .expect("connecting to a missing socket fails"))
}

#[test]
fn no_arguments_prints_usage_and_succeeds() {
    let out = run(&[], stopped);
    assert_eq!(out.code, OK);
    assert!(out.stdout.starts_with("Usage: cl_status <sub-command> [<options>] [<parameters>]\n"));
    assert!(out.stdout.contains("hbparameter -p <parameter-name>\n"));
}

#[test]
fn hbstatus_running_and_stopped() {
    let out = run_ok(&["hbstatus"], steady_n1());
    assert_eq!((out.stdout.as_str(), out.code), ("Heartbeat is running on this machine.\n", 0));
    let out = run(&args(&["hbstatus"]), stopped);
    assert_eq!((out.stdout.as_str(), out.code), ("Heartbeat is stopped on this machine.\n", 1));
    assert!(out.errors.is_empty(), "hbstatus logs no error when stopped");
}

#[test]
fn hbstatus_verbose_lists_nodes_and_links() {
    let out = run_ok(&["hbstatus", "-v"], steady_n1());
    assert_eq!(
        out.stdout,
        "version:\t0.1.0\nmanaged by:\t\"haresources\"\n\
         \nn2\tactive\t(nodetype: normal)\n\tla-e0\tup\n\
         \nn1\tactive\t(nodetype: normal)\n\tla-e0\tdead\n"
    );
    let mut status = steady_n1();
    status.parameters.insert("hbversion".into(), "3.0.6 (heartbeat-rs 0.1.0)".into());
    let out = run_ok(&["hbstatus", "-v"], status.clone());
    assert!(out.stdout.starts_with("version:\t3.0.6 (heartbeat-rs 0.1.0)\n"), "{}", out.stdout);
    let out = run_ok(&["hbstatus", "-v", "-m"], status);
    assert!(out.stdout.starts_with("Heartbeat version 3.0.6 (heartbeat-rs 0.1.0)\n"));
}

#[test]
fn listnodes_peer_first_and_filters() {
    let out = run_ok(&["listnodes"], steady_n1());
    assert_eq!((out.stdout.as_str(), out.code), ("n2\nn1\n", 0));
    let mut status = steady_n1();
    status.nodes.push(NodeStatus { node_type: "ping".into(), ..node("10.0.0.1", "ping", "up") });
    assert_eq!(run_ok(&["listnodes", "-p"], status.clone()).stdout, "10.0.0.1\n");
    assert_eq!(run_ok(&["listnodes", "-n"], status.clone()).stdout, "n2\nn1\n");
    assert_eq!(run_ok(&["listnodes", "-n", "-p"], status).stdout, "n2\nn1\n10.0.0.1\n");
}

#[test]
fn nodestatus_codes_follow_the_status_word() {
    let out = run_ok(&["nodestatus", "n2"], steady_n1());
    assert_eq!((out.stdout.as_str(), out.code), ("active\n", 0));
    let mut status = steady_n1();
    status.nodes[0].status = "dead".into();
    let out = run_ok(&["nodestatus", "n2"], status.clone());
    assert_eq!((out.stdout.as_str(), out.code), ("dead\n", 1));
    let out = run_ok(&["nodestatus", "-m", "n2"], status);
    assert_eq!(out.stdout, "The cluster node n2 is dead\n");
    let out = run_ok(&["nodestatus", "nx"], steady_n1());
    assert_eq!((out.stderr.as_str(), out.code), ("Error. May be due to incorrect node name\n", 11));
    let out = run_ok(&["nodestatus"], steady_n1());
    assert_eq!((out.stderr.as_str(), out.code), ("Not enough parameters.\n", 11));
}

#[test]
fn nodetype_weight_site() {
    assert_eq!(run_ok(&["nodetype", "n2"], steady_n1()).stdout, "normal\n");
    assert_eq!(run_ok(&["nodeweight", "n1"], steady_n1()).stdout, "100\n");
    assert_eq!(run_ok(&["nodesite", "n1"], steady_n1()).stdout, "\n");
    let out = run_ok(&["nodeweight", "nx"], steady_n1());
    assert_eq!(out.stderr, "Error. Maybe due to incorrect node name.\n");
}

#[test]
fn links_and_link_status() {
    let out = run_ok(&["listhblinks", "n2"], steady_n1());
    assert_eq!((out.stdout.as_str(), out.code), ("\tla-e0\n", 0));
    let out = run_ok(&["hblinkstatus", "n2", "la-e0"], steady_n1());
    assert_eq!((out.stdout.as_str(), out.code), ("up\n", 0));
    let out = run_ok(&["hblinkstatus", "n1", "la-e0"], steady_n1());
    assert_eq!((out.stdout.as_str(), out.code), ("dead\n", 1));
    let out = run_ok(&["hblinkstatus", "n2", "eth9"], steady_n1());
    assert_eq!(out.code, 13);
    assert_eq!(out.errors[0], "Cannot get heartbeat link status");
}

#[test]
fn rscstatus_plain_and_human() {
    let out = run_ok(&["rscstatus"], steady_n1());
    assert_eq!((out.stdout.as_str(), out.code), ("local\n", 0));
    let out = run_ok(&["rscstatus", "-m"], steady_n1());
    assert_eq!(out.stdout, "This node is holding local resources.\n");
}

#[test]
fn hbparameter_known_unknown_and_missing_name() {
    let out = run_ok(&["hbparameter", "-p", "warntime"], steady_n1());
    assert_eq!((out.stdout.as_str(), out.code), ("5000ms\n", 0));
    let out = run_ok(&["hbparameter", "-pkeepalive"], steady_n1());
    assert_eq!(out.stdout, "1\n");
    let out = run_ok(&["hbparameter", "-p", "nice_failback"], steady_n1());
    assert_eq!(out.code, 1);
    assert_eq!(out.errors[0], "Cannot get parameter nice_failback's value");
    let out = run_ok(&["hbparameter"], steady_n1());
    assert_eq!((out.errors[0].as_str(), out.code), ("parameter name required", 11));
}

#[test]
fn clientstatus_answers_like_an_absent_client() {
    let out = run_ok(&["clientstatus", "n2", "ipfail"], steady_n1());
    assert_eq!(out.code, 13);
    assert_eq!(
        out.errors,
        vec!["Cannot get heartbeat client ipfail's status", "REASON: No timely response."]
    );
}

#[test]
fn invalid_subcommand_and_stopped_daemon() {
    let out = run(&args(&["numnodes"]), stopped);
    assert_eq!((out.errors[0].as_str(), out.code), ("numnodes: invalid sub-command.", 11));
    for sub in ["rscstatus", "listnodes", "nodestatus"] {
        let out = run(&args(&[sub, "n2"]), stopped);
        assert_eq!(out.code, 1, "{sub}");
        assert!(out.stdout.is_empty());
        assert_eq!(
            out.errors,
            vec![
                "Cannot signon with heartbeat",
                "REASON: hb_api_signon: Can't initiate connection to heartbeat"
            ]
        );
    }
    let refused = || Err(ClientError::Malformed("refused: uid 7 gid 7 is not allowed".into()));
    let out = run(&args(&["rscstatus"]), refused);
    assert_eq!(out.code, 1);
    assert_eq!(out.errors[1], "REASON: heartbeat refused: uid 7 gid 7 is not allowed");
}

#[test]
fn unknown_option_is_a_parameter_error() {
    let out = run_ok(&["nodestatus", "-x", "n2"], steady_n1());
    assert_eq!(out.code, 11);
    assert_eq!(out.stderr, "cl_status: invalid option -- 'x'\n");
}
