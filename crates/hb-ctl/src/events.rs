//! `hbctl events`: the daemon's engine events as JSON lines, as they happen.
//!
//! The daemon keeps no event history: it sends each event to the clients connected when it
//! happens. So `events` always streams; `--follow` says so explicitly and is the default, and
//! `--count N` stops after N events (for scripts and tests).

use std::io::Write;

use hb_api::{ClientError, Request, Response};

use crate::daemon;

/// Options of `hbctl events`.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Each event is printed as one JSON object per line: {\"unix_ms\":…,\"event\":\"…\",\"detail\":\"…\"}.
The daemon keeps no history, so only events from now on are shown.

Exit status: 0 after --count events or when stdout is closed, 1 when the daemon ends the \
stream or refuses it, 3 when the daemon cannot be reached.")]
pub struct Args {
    /// Keep streaming until interrupted (the default; the daemon keeps no history to dump).
    #[arg(short, long)]
    pub follow: bool,
    /// Stop after this many events.
    #[arg(short = 'n', long, value_name = "N")]
    pub count: Option<u64>,
}

/// Runs `hbctl events`; returns the exit code.
pub fn run(args: &Args) -> i32 {
    let mut client = match daemon::connect(daemon::API_TIMEOUT)
        .and_then(|mut c| c.send(&Request::Events).map(|()| c))
    {
        Ok(client) => client,
        Err(err) => {
            eprintln!("hbctl: {}", daemon::describe(&err));
            return daemon::EXIT_UNREACHABLE;
        }
    };
    if let Err(err) = client.set_read_timeout(None) {
        eprintln!("hbctl: {}", daemon::describe(&err));
        return daemon::EXIT_UNREACHABLE;
    }
    let mut out = std::io::stdout().lock();
    let mut seen = 0u64;
    loop {
        if args.count.is_some_and(|n| seen >= n) {
            return 0;
        }
        let event = match client.receive() {
            Ok(Response::Event(event)) => event,
            Ok(other) => {
                eprintln!("hbctl: {}", daemon::describe(&daemon::unexpected(&other)));
                return 1;
            }
            Err(ClientError::Closed) => {
                eprintln!("hbctl: heartbeat closed the event stream");
                return 1;
            }
            Err(err) => {
                eprintln!("hbctl: {}", daemon::describe(&err));
                return daemon::EXIT_UNREACHABLE;
            }
        };
        let line = match serde_json::to_string(&event) {
            Ok(line) => line,
            Err(err) => {
                eprintln!("hbctl: cannot print an event: {err}");
                return 1;
            }
        };
        // Flushed per event: a reader at the other end of a pipe wants each one as it comes.
        match writeln!(out, "{line}").and_then(|()| out.flush()) {
            Ok(()) => seen += 1,
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => return 0,
            Err(err) => {
                eprintln!("hbctl: {err}");
                return 1;
            }
        }
    }
}
