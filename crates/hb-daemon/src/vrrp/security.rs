//! `script_user` and `enable_script_security` as keepalived 2.2.7 applies them to
//! `vrrp_script` and notify scripts:
//!
//! - a script runs as its own `user`, else `global_defs { script_user }`, else the user
//!   `keepalived_script` if it exists, else root; a named user or group that does not exist
//!   disables the script;
//! - a script that runs as root is "insecure" when its file or any directory on its path is
//!   not owned by root, or is writable by a non-root group or by everybody (a directory with
//!   the sticky bit, like /tmp, is fine). With `enable_script_security` an insecure script is
//!   disabled; without it, it runs and a warning names the component;
//! - scripts running as root without `enable_script_security` get one warning at start
//!   (keepalived logs the same fact as a "SECURITY VIOLATION").

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::unistd::{Group, User};

/// keepalived's default script user.
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";
/// Where a bare program name is looked up (the PATH scripts get).
pub const SEARCH_PATH: &[&str] = &["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// `(uid, gid)` a script runs as; `None` = as the daemon (root).
pub type RunAs = Option<(u32, u32)>;

/// Resolves who runs a script: `own` (the script's `user USER [GROUP]`), else `global`
/// (`script_user`), else [`DEFAULT_SCRIPT_USER`] when it exists, else root.
pub fn run_as(
    own: Option<&(String, Option<String>)>,
    global: Option<&(String, Option<String>)>,
) -> Result<RunAs, String> {
    match own.or(global) {
        Some((user, group)) => lookup(user, group.as_deref()).map(Some),
        None => Ok(lookup(DEFAULT_SCRIPT_USER, None).ok()),
    }
}

fn lookup(user: &str, group: Option<&str>) -> Result<(u32, u32), String> {
    let u = match User::from_name(user) {
        Ok(Some(u)) => u,
        Ok(None) => return Err(format!("script user '{user}' does not exist")),
        Err(e) => return Err(format!("script user '{user}': {e}")),
    };
    let gid = match group {
        None => u.gid.as_raw(),
        Some(g) => match Group::from_name(g) {
            Ok(Some(g)) => g.gid.as_raw(),
            Ok(None) => return Err(format!("script group '{g}' does not exist")),
            Err(e) => return Err(format!("script group '{g}': {e}")),
        },
    };
    Ok((u.uid.as_raw(), gid))
}

/// Checks one script command (`argv`, its own `user` if any) against `global_defs`: who
/// runs it, and whether it may run. `Ok((run_as, warning))`, or `Err(why)` when it must be
/// disabled (unknown user, missing program, insecure path with `enable_script_security`).
pub fn vet(
    global: &hb_config::keepalived::GlobalDefs,
    own_user: Option<&(String, Option<String>)>,
    argv: &[String],
) -> Result<(RunAs, Option<String>), String> {
    let run_as = run_as(own_user, global.script_user.as_ref())?;
    let program = argv.first().ok_or("empty command")?;
    let file = resolve_program(program).ok_or_else(|| format!("{program}: not found"))?;
    if !runs_as_root(run_as) {
        return Ok((run_as, None));
    }
    match insecure_component(&file)? {
        None => Ok((run_as, None)),
        Some(c) if global.enable_script_security => {
            Err(format!("unsafe permissions on {} (enable_script_security)", c.display()))
        }
        Some(c) => Ok((
            run_as,
            Some(format!("runs as root although {} is writable by others", c.display())),
        )),
    }
}

/// Whether a script with `run_as` runs with root's rights.
pub fn runs_as_root(run_as: RunAs) -> bool {
    run_as.is_none_or(|(uid, gid)| uid == 0 || gid == 0)
}

/// The file a command's program resolves to: itself when it contains a `/`, else the first
/// match in [`SEARCH_PATH`].
pub fn resolve_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    SEARCH_PATH.iter().map(|d| Path::new(d).join(program)).find(|p| p.is_file())
}

/// Why a script's path is not safe to run as root: the first component (from `/` down to
/// the file) that is not owned by root or is writable by others, as keepalived judges it.
/// `Err` if a component cannot be read (missing file).
pub fn insecure_component(file: &Path) -> Result<Option<PathBuf>, String> {
    if !file.is_absolute() {
        return Err(format!("{}: not an absolute path", file.display()));
    }
    let mut path = PathBuf::new();
    for part in file.components() {
        path.push(part);
        let meta = std::fs::metadata(&path)
            .map_err(|e| format!("cannot access {}: {e}", path.display()))?;
        if unsafe_mode(meta.uid(), meta.gid(), meta.mode(), meta.is_file()) {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

/// keepalived's rule for one path component.
fn unsafe_mode(uid: u32, gid: u32, mode: u32, is_file: bool) -> bool {
    const STICKY: u32 = 0o1000;
    let group_writable = gid != 0 && mode & 0o020 != 0;
    let world_writable = mode & 0o002 != 0;
    uid != 0 || ((mode & STICKY == 0 || is_file) && (group_writable || world_writable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn mode_rule_follows_keepalived() {
        assert!(!unsafe_mode(0, 0, 0o755, true));
        assert!(unsafe_mode(1000, 0, 0o755, true), "owned by a user");
        assert!(unsafe_mode(0, 0, 0o757, true), "world-writable file");
        assert!(!unsafe_mode(0, 0, 0o775, true), "group root may write");
        assert!(unsafe_mode(0, 50, 0o775, false), "non-root group may write the directory");
        assert!(!unsafe_mode(0, 0, 0o1777, false), "sticky directory (/tmp)");
        assert!(unsafe_mode(0, 0, 0o0777, false), "world-writable directory without sticky");
        assert!(unsafe_mode(0, 0, 0o1777, true), "sticky does not save a file");
    }

    #[test]
    fn paths_are_checked_from_the_root_down() {
        let d = tempfile::tempdir().unwrap();
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let f = d.path().join("chk.sh");
        std::fs::write(&f, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
        let root = nix::unistd::geteuid().is_root();
        if root {
            assert_eq!(insecure_component(&f).unwrap(), None);
        }
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(insecure_component(&f).unwrap().as_deref(), Some(d.path()), "dir 0777");
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o777)).unwrap();
        if root {
            assert_eq!(insecure_component(&f).unwrap().as_deref(), Some(f.as_path()));
        }
        assert!(insecure_component(&d.path().join("missing")).is_err());
        assert!(insecure_component(Path::new("rel/x")).is_err());
        assert_eq!(resolve_program("sh").map(|p| p.is_file()), Some(true));
        assert_eq!(resolve_program("/x/y"), Some(PathBuf::from("/x/y")));
        assert_eq!(resolve_program("no-such-program-hb"), None);
    }

    #[test]
    fn users_resolve_or_disable() {
        assert_eq!(run_as(Some(&("root".into(), None)), None), Ok(Some((0, 0))));
        let nobody = ("nobody".to_owned(), Some("root".to_owned()));
        let got = run_as(None, Some(&nobody)).unwrap().unwrap();
        assert_eq!(got.1, 0, "group given explicitly");
        assert!(got.0 != 0);
        assert!(runs_as_root(Some(got)), "gid 0 counts as root");
        assert!(!runs_as_root(Some((65534, 65534))));
        assert!(runs_as_root(None));
        let e = run_as(Some(&("no-such-user-hb".into(), None)), None).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
        let e = run_as(Some(&("root".into(), Some("no-such-group-hb".into()))), None).unwrap_err();
        assert!(e.contains("group"), "{e}");
    }
}
