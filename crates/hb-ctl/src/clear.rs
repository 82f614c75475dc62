//! `hbctl clear GROUP`: forget a group's health-check failures on this node (the `monitors`
//! policy otherwise avoids this node for the group until its window expires).

use hb_api::{Request, Response};

use crate::daemon;

/// Options of `hbctl clear`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The group: its first resource as written in haresources, or any resource of it.
    pub group: String,
}

/// Sends the request; returns the exit code (0 cleared, 1 refused, 3 daemon unreachable).
pub fn run(args: &Args) -> i32 {
    let request = Request::Clear { group: args.group.clone() };
    match daemon::connect(daemon::API_TIMEOUT).and_then(|mut c| c.request(&request)) {
        Ok(Response::Accepted { detail }) => {
            println!("{detail}");
            0
        }
        Ok(Response::Refused { reason }) => {
            eprintln!("hbctl: clear refused: {reason}");
            1
        }
        Ok(other) => {
            eprintln!("hbctl: {}", daemon::describe(&daemon::unexpected(&other)));
            daemon::EXIT_UNREACHABLE
        }
        Err(err) => {
            eprintln!("hbctl: {}", daemon::describe(&err));
            daemon::EXIT_UNREACHABLE
        }
    }
}
