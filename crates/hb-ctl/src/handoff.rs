//! `hbctl standby` and `hbctl takeover`: the requests of `hb_standby` and `hb_takeover` with
//! modern output. The legacy names share [`send`] and differ only in what they print.

use hb_api::{ClientError, Request, Response, Scope};

use crate::daemon;

/// Options of `hbctl standby` and `hbctl takeover`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Which resource groups, by their preferred node (first word of their haresources line).
    #[arg(value_enum, default_value_t = ScopeArg::All)]
    pub scope: ScopeArg,
    /// Return only when the hand-off has completed or was refused (up to 10 minutes), instead
    /// of as soon as the daemon has accepted the request.
    #[arg(long)]
    pub wait: bool,
}

/// The scope words on the command line.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeArg {
    /// Every group.
    All,
    /// Groups whose preferred node is the peer.
    Foreign,
    /// Groups whose preferred node is this node.
    Local,
    /// The groups that would fail back (for standby the same as foreign, as in heartbeat).
    Failback,
}

impl From<ScopeArg> for Scope {
    fn from(arg: ScopeArg) -> Scope {
        match arg {
            ScopeArg::All => Scope::All,
            ScopeArg::Foreign => Scope::Foreign,
            ScopeArg::Local => Scope::Local,
            ScopeArg::Failback => Scope::Failback,
        }
    }
}

/// Builds the request as `hb_standby` / `hb_takeover` do: standby maps `failback` to
/// `foreign`, takeover passes it on.
pub fn request(standby: bool, scope: Scope, wait: bool) -> Request {
    if standby {
        let scope = if scope == Scope::Failback { Scope::Foreign } else { scope };
        Request::Standby { scope, wait }
    } else {
        Request::Takeover { scope, wait }
    }
}

/// Sends a standby or takeover request and reads the one answer.
pub fn send(request: &Request) -> Result<Response, ClientError> {
    let wait = matches!(
        request,
        Request::Standby { wait: true, .. } | Request::Takeover { wait: true, .. }
    );
    let timeout = if wait { daemon::WAIT_TIMEOUT } else { daemon::API_TIMEOUT };
    daemon::connect(timeout)?.request(request)
}

/// Runs `hbctl standby` (`standby` true) or `hbctl takeover`; returns the exit code.
pub fn run(standby: bool, args: &Args) -> i32 {
    let request = request(standby, args.scope.into(), args.wait);
    let (verb, scope) = match &request {
        Request::Standby { scope, .. } => ("standby", scope.as_str()),
        Request::Takeover { scope, .. } => ("takeover", scope.as_str()),
        _ => ("request", ""),
    };
    daemon::exit_code(send(&request), &format!("{verb} [{scope}] refused"), |detail| {
        let what = if args.wait { "complete" } else { "accepted" };
        if detail.is_empty() {
            println!("{verb} [{scope}] {what}");
        } else {
            println!("{verb} [{scope}] {what}: {detail}");
        }
    })
}
