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
