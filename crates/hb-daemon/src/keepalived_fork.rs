//! keepalived without `-n`: the daemon goes to the background. Forking a process that may
//! already hold threads is unsafe, so, as `heartbeat` does, the starting process runs a
//! copy of itself (argv[0] `keepalived`, the same arguments, [`DETACHED_ENV`] set) with its
//! standard streams detached, and returns once that copy has written its pid file, or
//! reports why it ended.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::keepalived_cli::DETACHED_ENV;
use crate::pidfile::{self, PidState};

/// How long the starting process waits for the background daemon's pid file.
const START_WAIT: Duration = Duration::from_secs(30);

/// Starts the background copy; returns 0 once `pid_file` names it, else its exit status
/// (`fallback` if it has none) after printing what it wrote on stderr.
pub fn start_background(pid_file: &Path, fallback: i32) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("keepalived: cannot find my own executable: {e}");
            return 1;
        }
    };
    let mut child = match Command::new(exe)
        .arg0("keepalived")
        .args(std::env::args_os().skip(1))
        .env(DETACHED_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("keepalived: cannot start the daemon: {e}");
            return 1;
        }
    };
    let started = Instant::now();
    loop {
        if let PidState::Running(pid) = pidfile::read(pid_file) {
            if pid == child.id() as i32 {
                // From here on the daemon logs to syslog only; its stderr pipe is dropped.
                return 0;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut err);
            }
            eprint!("{err}");
            eprintln!("keepalived: the daemon exited during start-up ({status})");
            return status.code().filter(|c| *c != 0).unwrap_or(fallback);
        }
        if started.elapsed() > START_WAIT {
            eprintln!("keepalived: the daemon wrote no pid file within {START_WAIT:?}");
            return 1;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
