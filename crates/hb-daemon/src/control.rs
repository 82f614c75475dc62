//! `heartbeat -k`, `-s` and `-r`: acting on an already running daemon through its pid file,
//! with heartbeat 3.0.6's messages and LSB exit codes.

use std::path::Path;
use std::thread::sleep;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::pidfile::{self, PidState};

/// LSB exit code: success.
pub const LSB_EXIT_OK: i32 = 0;
/// LSB exit code: generic failure.
pub const LSB_EXIT_GENERIC: i32 = 1;
/// LSB exit code: insufficient privilege.
pub const LSB_EXIT_EPERM: i32 = 4;
/// LSB "program is not configured": `heartbeat -r` with a broken configuration.
pub const LSB_EXIT_NOT_CONFIGURED: i32 = 6;
/// LSB status code: dead, but a pid file exists.
pub const LSB_STATUS_VAR_PID: i32 = 1;
/// LSB status code: not running.
pub const LSB_STATUS_STOPPED: i32 = 3;

/// How often `-k` checks whether the daemon has gone. heartbeat polls once a second; a
/// shorter poll makes `heartbeat -k; heartbeat` restarts quicker and costs nothing.
const STOP_POLL: Duration = Duration::from_millis(50);

/// How long `-r` waits for the daemon's answer (a reload waits for running resource actions).
const RELOAD_WAIT: Duration = Duration::from_secs(150);

/// `heartbeat -k`: SIGTERM the running daemon (a graceful stop with hand-off) and wait until
/// it has exited. Returns the exit code.
pub fn stop(pid_file: &Path, cmdname: &str) -> i32 {
    let pid = match pidfile::read(pid_file) {
        PidState::Running(pid) => pid,
        PidState::Absent | PidState::Stale(_) => {
            eprintln!("INFO: Heartbeat already stopped.");
            return LSB_EXIT_OK;
        }
    };
    if let Err(err) = kill(Pid::from_raw(pid), Signal::SIGTERM) {
        eprintln!("ERROR: {cmdname}: could not kill pid {pid}: {err}");
        return if err == Errno::EPERM { LSB_EXIT_EPERM } else { LSB_EXIT_GENERIC };
    }
    while kill(Pid::from_raw(pid), None).is_ok() {
        sleep(STOP_POLL);
    }
    LSB_EXIT_OK
}

/// `heartbeat -s`: heartbeat's status line and LSB status code.
pub fn status(pid_file: &Path, cmdname: &str, node_name: &str, uname: &str) -> i32 {
    match pidfile::read(pid_file) {
        PidState::Running(pid) => {
            println!(
                "{cmdname} OK [pid {pid} et al] is running on {} [{node_name}]...",
                uname.to_lowercase()
            );
            LSB_EXIT_OK
        }
        PidState::Stale(_) => {
            println!("{cmdname} is stopped. No process");
            LSB_STATUS_VAR_PID
        }
        PidState::Absent => {
            println!("{cmdname} is stopped. No process");
            LSB_STATUS_STOPPED
        }
    }
}

/// `heartbeat -r` with a daemon running: check the configuration in `config_dir`, then ask the
/// daemon to reload over its admin socket in `run_dir` (printing the changes applied; a
/// refusal exits 6 like a broken file), or SIGHUP it when the socket does not answer. A
/// broken configuration is reported with its file:line and the daemon is not asked (exit 6,
/// LSB "not configured"). Returns `None` when no daemon runs (the caller then starts one, as
/// heartbeat does).
pub fn reload(pid_file: &Path, config_dir: &Path, run_dir: &Path, cmdname: &str) -> Option<i32> {
    let PidState::Running(pid) = pidfile::read(pid_file) else {
        return None;
    };
    if let Err(e) = crate::reload_check::check(config_dir) {
        eprintln!("ERROR: {cmdname}: configuration not reloaded, the running one stays: {e:#}");
        return Some(LSB_EXIT_NOT_CONFIGURED);
    }
    // Through the admin socket the daemon answers with what it applied or why it refused
    // (a change only a restart applies); SIGHUP only when the socket does not answer.
    let sock = crate::admin::socket_in(run_dir);
    let asked = hb_api::Client::connect(&sock, RELOAD_WAIT)
        .and_then(|mut c| c.request(&hb_api::Request::Reload));
    match asked {
        Ok(hb_api::Response::Accepted { detail }) => {
            for line in detail.lines() {
                println!("{cmdname}: reload: {line}");
            }
            return Some(LSB_EXIT_OK);
        }
        Ok(hb_api::Response::Refused { reason }) => {
            eprintln!(
                "ERROR: {cmdname}: configuration not reloaded, the running one stays: {reason}"
            );
            return Some(LSB_EXIT_NOT_CONFIGURED);
        }
        _ => {}
    }
    Some(match kill(Pid::from_raw(pid), Signal::SIGHUP) {
        Ok(()) => LSB_EXIT_OK,
        Err(err) => {
            eprintln!("ERROR: {cmdname}: unable to send SIGHUP to pid {pid}: {err}");
            if err == Errno::EPERM {
                LSB_EXIT_EPERM
            } else {
                LSB_EXIT_GENERIC
            }
        }
    })
}
