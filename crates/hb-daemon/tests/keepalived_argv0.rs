//! The `heartbeat` binary started through a `keepalived` link answers keepalived's command
//! line: `-t -f FILE` exits 0 or 5 as keepalived 2.2.7 does, `-v` prints a version.

#![allow(clippy::unwrap_used)] // test fixtures: a failed setup step should abort the test

use std::process::Command;

fn keepalived(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let link = dir.join("keepalived");
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_heartbeat"), &link).unwrap();
    }
    let out = Command::new(&link).args(args).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn config_test_through_the_keepalived_name() {
    let d = tempfile::tempdir().unwrap();
    let good = d.path().join("good.conf");
    // `lo` exists on every host, so the interface check passes.
    std::fs::write(
        &good,
        "vrrp_instance V {\n interface lo\n virtual_router_id 5\n virtual_ipaddress {\n \
         10.99.0.9/24\n }\n}\n",
    )
    .unwrap();
    let (code, text) = keepalived(d.path(), &["-t", "-f", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    let bad = d.path().join("bad.conf");
    std::fs::write(&bad, "vrrp_instance V {\n interface lo\n virtual_router_id 5\n oops 1\n}\n")
        .unwrap();
    let (code, text) =
        keepalived(d.path(), &["--config-test", "--use-file", bad.to_str().unwrap()]);
    assert_eq!(code, 5, "{text}");
    assert!(text.contains("bad.conf:4:2: error: unknown keyword 'oops'"), "{text}");
    let (code, text) = keepalived(d.path(), &["-v"]);
    assert_eq!(code, 0);
    assert!(text.contains("heartbeat-rs"), "{text}");
}

/// Files on which keepalived 2.2.7's `-t` passes, fails (5) or flags script security (6).
const SAME_AS_KEEPALIVED: &[&str] = &[
    // clean
    "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.99.0.9/24\n }\n}\n",
    // unknown keyword
    "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n bogus 1\n virtual_ipaddress {\n 10.99.0.9/24\n }\n}\n",
    // the one-line authentication block: no password in keepalived
    "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n authentication { auth_type PASS  auth_pass 1111 }\n virtual_ipaddress {\n 10.99.0.9/24\n }\n}\n",
    // auth_pass cut
    "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n authentication {\n auth_type PASS\n auth_pass 123456789abc\n }\n virtual_ipaddress {\n 10.99.0.9/24\n }\n}\n",
    // VRID out of range, missing interface, missing brace
    "vrrp_instance V {\n interface eth0\n virtual_router_id 300\n virtual_ipaddress {\n 10.99.0.9/24\n }\n}\n",
    "vrrp_instance V {\n interface nosuch0\n virtual_router_id 5\n virtual_ipaddress {\n 10.99.0.9/24\n }\n}\n",
    "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.99.0.9/24\n }\n",
    // scripts without / with enable_script_security
    "vrrp_instance V {\n interface eth0\n virtual_router_id 5\n notify_master /bin/true\n virtual_ipaddress {\n 10.99.0.9/24\n }\n}\n",
    "global_defs {\n enable_script_security\n script_user root\n}\nvrrp_instance V {\n interface eth0\n virtual_router_id 5\n notify_master /bin/true\n virtual_ipaddress {\n 10.99.0.9/24\n }\n}\n",
    // comments of both kinds, quoting, state and priority
    "! header\nvrrp_instance V { # trailing\n state MASTER\n interface eth0\n virtual_router_id 5\n priority 150 ! note\n virtual_ipaddress {\n \"10.99.0.9/24\"\n }\n}\n",
];

#[test]
fn config_test_exit_status_matches_real_keepalived() {
    let Some(net) = hb_testnet::skip_or(hb_testnet::Testnet::new(1)) else { return };
    let real = net.exec(net.node(0), &["keepalived", "-v"]);
    if !real.as_ref().is_ok_and(|o| o.status.success()) {
        if std::env::var_os("CI").is_some() {
            panic!("keepalived is not installed; .ci/run installs it");
        }
        eprintln!("skipped: keepalived not installed");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let link = d.path().join("keepalived");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_heartbeat"), &link).unwrap();
    let mut compared = 0;
    for (n, text) in SAME_AS_KEEPALIVED.iter().enumerate() {
        let file = d.path().join(format!("k{n}.conf"));
        std::fs::write(&file, text).unwrap();
        let f = file.to_str().unwrap();
        let theirs = net.exec(net.node(0), &["keepalived", "-t", "-f", f]).unwrap();
        let ours = net.exec(net.node(0), &[link.to_str().unwrap(), "-t", "-f", f]).unwrap();
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "file {n}:\n{text}\nkeepalived said: {}\nwe said: {}",
            String::from_utf8_lossy(&theirs.stderr),
            String::from_utf8_lossy(&ours.stderr)
        );
        compared += 1;
    }
    eprintln!("compared {compared} files with keepalived -t");
    assert_eq!(compared, SAME_AS_KEEPALIVED.len());
}
