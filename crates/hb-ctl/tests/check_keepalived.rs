//! `hbctl check-config --keepalived FILE`: effective instances on stdout, findings on stderr,
//! exit status 1 where keepalived 2.2.7's `-t` fails.

#![allow(clippy::unwrap_used)] // test fixtures: a failed setup step should abort the test

use std::process::{Command, Output};

fn check(text: &str) -> (Output, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keepalived.conf");
    std::fs::write(&file, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hbctl"))
        .args(["check-config", "--keepalived"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

#[test]
fn clean_file_prints_effective_instances_and_passes() {
    let (out, stdout, stderr) = check(
        "vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 51\n \
         priority 99\n authentication {\n auth_type PASS\n auth_pass secret\n }\n \
         virtual_ipaddress {\n 10.99.0.100/24\n }\n}\n",
    );
    assert!(out.status.success(), "{stderr}");
    for want in [
        "vrrp_instance VI_1",
        "  state BACKUP",
        "  virtual_router_id 51",
        "  priority 99",
        "  advert_int 1",
        "  authentication PASS (6 characters)",
        "  virtual_ipaddress 10.99.0.100/24",
        "  multicast 224.0.0.18",
        "  garp_master_repeat 5",
    ] {
        assert!(stdout.lines().any(|l| l == want), "missing {want:?} in\n{stdout}");
    }
    assert!(!stdout.contains("secret"), "the password must not be printed");
    assert_eq!(stderr, "");
}

#[test]
fn unknown_keyword_is_located_and_fails_like_keepalived_t() {
    let (out, stdout, stderr) = check(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n bogus_kw 3\n \
         virtual_ipaddress {\n 10.99.0.100/24\n }\n}\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("vrrp_instance VI_1"), "the parse goes on: {stdout}");
    assert!(stderr.contains("keepalived.conf:4:2: error: unknown keyword 'bogus_kw'"), "{stderr}");
}

#[test]
fn lvs_is_a_warning_and_no_vip_is_allowed() {
    let (out, stdout, stderr) = check(
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n}\n\
         virtual_server 10.99.0.1 80 {\n real_server 10.99.0.2 80 {\n weight 1\n }\n}\n",
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("  virtual_ipaddress (none)"), "{stdout}");
    assert!(stderr.contains("warning: virtual_server: LVS is not supported"), "{stderr}");
    assert!(stderr.contains("warning: (VI_1) no virtual_ipaddress"), "{stderr}");
}

#[test]
fn nothing_runnable_fails() {
    let (out, _, stderr) = check("vrrp_instance VI_1 {\n interface eth0\n}\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("no valid vrrp_instance"), "{stderr}");
}
