//! `heartbeat -r` checks the new configuration before it signals the running daemon.
//!
//! The daemon itself also refuses a broken configuration on SIGHUP, but it can only log
//! that; the operator who typed `heartbeat -r` (or `service heartbeat reload`, or a Puppet
//! run) would see success. Checking here first lets the command fail with the file:line of
//! the error and leaves the daemon, and its running configuration, untouched.

use std::path::Path;

use crate::setup;

/// Loads and checks the configuration in `config_dir` as a reload would: all three files
/// parsed, scripts found, each resource turned into what the daemon runs, the keys usable.
/// The error names the file and line (and column) of the first problem.
pub fn check(config_dir: &Path) -> anyhow::Result<()> {
    let config = setup::load(config_dir)?;
    setup::group_resources(&config)?;
    setup::authenticator(&config.authkeys)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(hacf: &str, haresources: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::write(d.path().join("ha.cf"), hacf).expect("ha.cf");
        std::fs::write(d.path().join("haresources"), haresources).expect("haresources");
        let keys = d.path().join("authkeys");
        std::fs::write(&keys, "auth 1\n1 sha1 secret\n").expect("authkeys");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        d
    }

    #[test]
    fn a_good_configuration_passes_and_a_broken_line_is_named() {
        let hacf = "bcast eth0\nnode a\nnode b\n";
        let good = dir_with(hacf, "a IPv6addr::fd99::10/64/eth0 10.0.0.5\n");
        check(good.path()).expect("good configuration");
        let bad = dir_with("bcast eth0\nkeepalive soon\nnode a\nnode b\n", "a 10.0.0.5\n");
        let e = format!("{:#}", check(bad.path()).expect_err("bad ha.cf"));
        assert!(e.contains("ha.cf:2:"), "{e}");
        let bad = dir_with(hacf, "a 10.0.0.5\nb IPaddr::fd99::1\n");
        let e = format!("{:#}", check(bad.path()).expect_err("bad haresources"));
        assert!(e.contains("haresources:2:"), "{e}");
    }
}
