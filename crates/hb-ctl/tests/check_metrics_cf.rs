//! `hbctl check-config` also checks the optional `metrics.cf` (heartbeat-rs's metrics settings
//! beside ha.cf): its settings are printed, a broken line fails with `file:line:column`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

fn staged() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect(name);
    write("ha.cf", "keepalive 1\ndeadtime 10\nbcast eth0\nnode a b\n");
    write("haresources", "a 10.0.0.1\n");
    write("authkeys", "auth 1\n1 sha1 secret\n");
    let keys = dir.path().join("authkeys");
    std::fs::set_permissions(keys, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    dir
}

fn check(dir: &Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_hbctl"))
        .args(["check-config", "--syntax-only", "--dir"])
        .arg(dir)
        .output()
        .expect("hbctl")
}

#[test]
fn metrics_cf_is_checked_and_printed() {
    let dir = staged();
    let o = check(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(!out.contains("metrics.cf"), "no file, nothing printed: {out}");

    std::fs::write(dir.path().join("metrics.cf"), "listen 127.0.0.1:9694\n").expect("write");
    let o = check(dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(out.contains("metrics.cf: listen 127.0.0.1:9694\n"), "{out}");
    assert!(out.contains("metrics.cf: max_connections 8\n"), "{out}");

    std::fs::write(dir.path().join("metrics.cf"), "# x\nlisten 127.0.0.1\n").expect("write");
    let o = check(dir.path());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let want = format!(
        "{}:2:8: \"127.0.0.1\" is not ADDRESS:PORT",
        dir.path().join("metrics.cf").display()
    );
    assert!(err.contains(&want), "{err}");
}
