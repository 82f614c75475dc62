//! Entry points for the legacy names (`cl_status`, …) that `hbctl` answers to through argv[0].

use std::io::Write;
use std::time::Duration;

use hb_api::{Client, ClientError, Request, Response, Status};

use crate::cl_status;
use crate::standby::{self, Parsed, Tool};

/// How long the legacy tools wait for the daemon; `cl_status` gives up after 5 s too.
const API_TIMEOUT: Duration = Duration::from_secs(5);

/// Asks the daemon for its status snapshot.
pub fn fetch_status() -> Result<Status, ClientError> {
    let mut client = Client::connect(&hb_api::socket_path(), API_TIMEOUT)?;
    match client.request(&Request::Status)? {
        Response::Status(status) => Ok(*status),
        other => Err(ClientError::Malformed(format!("expected a status, got {other:?}"))),
    }
}

/// Runs `cl_status` and returns its exit code.
pub fn cl_status_main(args: &[String]) -> i32 {
    let outcome = cl_status::run(args, fetch_status);
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

/// Runs `hb_standby` or `hb_takeover` and returns its exit code.
pub fn standby_main(tool: Tool, program: &str, args: &[String]) -> i32 {
    let request = match standby::parse(tool, program, args) {
        Parsed::Send(request) => request,
        Parsed::Usage { stdout, stderr, code } => {
            print!("{stdout}");
            eprint!("{stderr}");
            return code;
        }
    };
    if let Request::Standby { scope, .. } = &request {
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
    // Waiting for a hand-off may take up to deadtime plus the resource scripts' run time.
    let timeout = if wait { Duration::from_secs(600) } else { API_TIMEOUT };
    let answer =
        Client::connect(&hb_api::socket_path(), timeout).and_then(|mut c| c.request(&request));
    match answer {
        Ok(Response::Accepted { detail }) => {
            if wait {
                println!("{detail}");
            }
            0
        }
        Ok(Response::Refused { reason }) => {
            eprintln!("{program}: refused: {reason}");
            1
        }
        Ok(other) => {
            eprintln!("{program}: unexpected answer from heartbeat: {other:?}");
            1
        }
        Err(err) => {
            eprintln!("{program}: heartbeat is not running or not reachable: {err}");
            1
        }
    }
}
