//! `hbctl clear GROUP`: forget a group's health-check failures on this node (the `monitors`
//! policy otherwise avoids this node for the group until its window expires).

use hb_api::Request;

use crate::daemon;

/// The `monitors` file and the failure policy, for the manual pages of `hbctl clear` and
/// `hbctl check-config`.
pub const MONITORS_HELP: &str = "\
THE MONITORS FILE

/etc/ha.d/monitors is optional; without it nothing is checked and the node behaves and talks \
exactly like heartbeat 3.0.6. One line per check: RESOURCE CHECK OPTIONS, or one line per \
group policy: group RESOURCE restarts=N window=TIME. RESOURCE is a resource as written in \
haresources (or its unique script name). CHECK is status (the resource's status, or monitor \
for OCF agents), exec:PATH [ARGS] (exit 0 is healthy), tcp:HOST:PORT or \
http://HOST[:PORT]/PATH (expect=STATUS, default 200). Options: interval (2s, milliseconds \
allowed), timeout (5s; the probe's process group is killed and the probe counts as failed), \
fall (1), rise (1), delay (0). Times: 2, 1.5, 500ms, 2s, 10min, 1h. # starts a comment.

POLICY

A group's checks run while it is started on this node. When a check fails fall times in a row \
the failed resource is restarted in place: the group is stopped right to left from its last \
resource down to the failed one, then started left to right from it; resources left of it \
(such as the virtual address before the service) are not touched. At most restarts times \
(default 2) within window (default 10min). One failure more hands the group to the peer \
as hb_standby does; this node then refuses the group until the window has passed or \
hbctl clear GROUP is run. A group that moved to a node less than a window ago stays there \
(restarted again) and an alert says so, as does a failure with no live peer: at most one move \
per window. Events: health_restart, health_handover, health_stays, health_cleared (log, \
event stream, alert hook).

ADDRESS WATCH

A virtual address of a group this node runs that disappears is added back and announced at \
once; one that appears while its group is not held here is removed; carrier loss on the \
interface a virtual address names hands its group over.
";

/// Options of `hbctl clear`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The group: its first resource as written in haresources, or any resource of it.
    pub group: String,
}

/// Sends the request; returns the exit code (0 cleared, 1 refused, 3 daemon unreachable).
pub fn run(args: &Args) -> i32 {
    let request = Request::Clear { group: args.group.clone() };
    let answer = daemon::connect(daemon::API_TIMEOUT).and_then(|mut c| c.request(&request));
    daemon::exit_code(answer, "clear refused", |detail| println!("{detail}"))
}
