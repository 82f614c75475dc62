//! `hbctl reload`: ask the running daemon to re-read its configuration and apply the
//! difference live, and print what it changed or why it refused.

use std::time::Duration;

use hb_api::Request;

use crate::daemon;

/// What a reload changes, for the manual page.
pub const HELP: &str = "\
A reload re-reads ha.cf, haresources, authkeys and monitors and applies only the difference: \
unchanged groups are not touched; a new group is acquired by the normal rules; a removed group \
is released; a group whose resources changed is restarted in place on its holder from the \
first changed resource. Timers, media, nodes, ping nodes, fencing, apiauth, log targets, \
health checks, metrics.cf and authkeys (all listed keys accepted, the active one used to \
send) change without a restart. A broken file is refused as a whole with its file:line and the \
running configuration stays. Changes of watchdog, tuning (realtime, rtprio, msgfmt, \
coredumps...), env, respawn, cloud.conf or arbiter.conf are refused: they need a restart. So is a new \
preferred node for an existing group (remove the group in one reload, add it back in the next). While resource actions or a hand-over are in progress the \
reload waits for them.";

/// How long to wait for the daemon: a reload waits for running resource actions.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(150);

/// Sends the request; returns the exit code (0 applied, 1 refused, 3 daemon unreachable).
pub fn run() -> i32 {
    let answer = daemon::connect(RELOAD_TIMEOUT).and_then(|mut c| c.request(&Request::Reload));
    daemon::exit_code(answer, "reload refused, the running configuration stays", |detail| {
        println!("{detail}")
    })
}
