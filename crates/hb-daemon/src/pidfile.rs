//! The pid file, read and written the way heartbeat 3.0.6 does (`/run/heartbeat.pid`).

use std::fs;
use std::io;
use std::path::Path;

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

/// What the pid file says about a running daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PidState {
    /// No pid file, or one without a positive number in it.
    Absent,
    /// A pid file naming a process that no longer exists.
    Stale(i32),
    /// A pid file naming a live process.
    Running(i32),
}

/// Reads the pid file. Like heartbeat, a pid counts as running when `kill(pid, 0)` succeeds or
/// fails with anything but "no such process" (e.g. EPERM: it exists, we may not signal it).
pub fn read(path: &Path) -> PidState {
    let Ok(text) = fs::read_to_string(path) else {
        return PidState::Absent;
    };
    let Some(pid) = text.split_whitespace().next().and_then(|w| w.parse::<i32>().ok()) else {
        return PidState::Absent;
    };
    if pid <= 0 {
        return PidState::Absent;
    }
    match kill(Pid::from_raw(pid), None) {
        Ok(()) => PidState::Running(pid),
        Err(Errno::ESRCH) => PidState::Stale(pid),
        Err(_) => PidState::Running(pid),
    }
}

/// Writes our own pid, replacing the file atomically so a reader never sees it half-written.
pub fn write_own(path: &Path) -> io::Result<()> {
    let tmp = path.with_extension("pid.tmp");
    fs::write(&tmp, format!("{}\n", std::process::id()))?;
    fs::rename(&tmp, path)
}

/// Removes the pid file if it still names this process.
pub fn remove_own(path: &Path) {
    if let PidState::Running(pid) = read(path) {
        if pid == std::process::id() as i32 {
            let _ = fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_garbage_stale_and_running() {
        let dir = std::env::temp_dir().join(format!("hb-pidfile-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("heartbeat.pid");
        assert_eq!(read(&path), PidState::Absent);
        fs::write(&path, "not a pid\n").unwrap();
        assert_eq!(read(&path), PidState::Absent);
        fs::write(&path, "-5\n").unwrap();
        assert_eq!(read(&path), PidState::Absent);
        // A child that has exited and been reaped leaves a pid nobody uses (for a while).
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id() as i32;
        child.wait().unwrap();
        fs::write(&path, format!("{dead}\n")).unwrap();
        assert_eq!(read(&path), PidState::Stale(dead));
        write_own(&path).unwrap();
        assert_eq!(read(&path), PidState::Running(std::process::id() as i32));
        remove_own(&path);
        assert_eq!(read(&path), PidState::Absent);
        fs::remove_dir_all(&dir).unwrap();
    }
}
