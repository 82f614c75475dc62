//! Entry points for the legacy names (`cl_status`, …) that `hbctl` answers to through argv[0].

use std::io::Write;

use hb_api::{Request, Response};

use crate::standby::{self, Parsed, Tool};
use crate::{cl_status, daemon, handoff};

/// Runs `cl_status` and returns its exit code.
pub fn cl_status_main(args: &[String]) -> i32 {
    let outcome = cl_status::run(args, daemon::fetch_status);
    print!("{}", outcome.stdout);
    let _ = std::io::stdout().flush();
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(outcome.stderr.as_bytes());
    for line in &outcome.errors {
        let _ = writeln!(stderr, "{}ERROR: {line}", log_prefix("cl_status"));
    }
    outcome.code
}

/// cl_log's line prefix: `Nov 23 09:38:38 host entity: [pid]: `.
pub fn log_prefix(entity: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    format!(
        "{} {host} {entity}: [{}]: ",
        chrono::Local::now().format("%b %d %H:%M:%S"),
        std::process::id()
    )
}

/// Runs `hb_standby` or `hb_takeover` and returns its exit code. `program` is the name as
/// started (the scripts' `$0`).
///
/// Like the scripts, they print nothing on success unless `--wait` was given. Where the scripts
/// differ on purpose: when heartbeat is not running, the scripts still exit 0 (their message
/// goes to a FIFO nobody reads, or they block on it for ever); these say so on stderr and
/// exit 1.
pub fn standby_main(tool: Tool, program: &str, args: &[String]) -> i32 {
    let request = match standby::parse(tool, program, args) {
        Parsed::Send(request) => request,
        Parsed::Usage { stdout, stderr, code } => {
            print!("{stdout}");
            let _ = std::io::stdout().flush();
            eprint!("{stderr}");
            return code;
        }
    };
    if let Request::Standby { scope, .. } = &request {
        // ha_log without a log facility: `hadate` and the message on stderr.
        eprintln!(
            "{}Going standby [{}].",
            chrono::Local::now().format("%b %d %H:%M:%S "),
            scope.as_str()
        );
    }
    let wait = matches!(
        request,
        Request::Standby { wait: true, .. } | Request::Takeover { wait: true, .. }
    );
    match handoff::send(&request) {
        Ok(Response::Accepted { detail }) => {
            if wait && !detail.is_empty() {
                println!("{detail}");
            }
            0
        }
        Ok(Response::Refused { reason }) => {
            eprintln!("{program}: refused: {reason}");
            1
        }
        Ok(other) => {
            eprintln!("{program}: {}", daemon::describe(&daemon::unexpected(&other)));
            1
        }
        Err(err) => {
            eprintln!("{program}: {}", daemon::describe(&err));
            1
        }
    }
}
