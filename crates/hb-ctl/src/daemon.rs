//! Talking to the daemon: one connection per command, and one wording for "it is not there"
//! shared by every tool.

use std::path::PathBuf;
use std::time::Duration;

use hb_api::{Client, ClientError, Request, Response, Status};

/// How long a plain request waits for its answer; `cl_status` gives up after 5 s too.
pub const API_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a waited standby or takeover may take: deadtime plus the resource scripts' run
/// time, which heartbeat does not bound either.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(600);

/// `hbctl` exit code when the daemon could not be reached or answered badly.
pub const EXIT_UNREACHABLE: i32 = 3;

/// Connects to the admin socket (`$HB_API_SOCKET` or the default path).
pub fn connect(timeout: Duration) -> Result<Client, ClientError> {
    Client::connect(&socket(), timeout)
}

/// The admin socket path the tools use.
pub fn socket() -> PathBuf {
    hb_api::socket_path()
}

/// Asks the daemon for its status snapshot.
pub fn fetch_status() -> Result<Status, ClientError> {
    match connect(API_TIMEOUT)?.request(&Request::Status)? {
        Response::Status(status) => Ok(*status),
        other => Err(unexpected(&other)),
    }
}

/// Asks the keepalived mode's daemon (`$HB_VRRP_API_SOCKET` or
/// [`hb_api::DEFAULT_VRRP_SOCKET`]) for its status; `Ok(None)` when it is not running. When
/// `$HB_API_SOCKET` names one heartbeat daemon (a test, a second instance) and
/// `$HB_VRRP_API_SOCKET` is unset, the default VRRP socket is not asked: it belongs to the
/// host's daemon, not to the one chosen.
pub fn fetch_vrrp_status() -> Result<Option<Status>, ClientError> {
    if std::env::var_os(hb_api::SOCKET_ENV).is_some()
        && std::env::var_os(hb_api::VRRP_SOCKET_ENV).is_none()
    {
        return Ok(None);
    }
    let client = match Client::connect(&hb_api::vrrp_socket_path(), API_TIMEOUT) {
        Ok(c) => c,
        Err(ClientError::Connect { source, .. })
            if matches!(
                source.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e),
    };
    let mut client = client;
    match client.request(&Request::Status)? {
        Response::Status(status) => Ok(Some(*status)),
        other => Err(unexpected(&other)),
    }
}

/// hbctl's exit code for the answer to a command's request: `Accepted` is handed to `accepted`
/// (which prints it) and gives 0; `Refused` prints `hbctl: REFUSED: reason` and gives 1; any
/// other answer or a failed call is described and gives [`EXIT_UNREACHABLE`].
pub fn exit_code(
    answer: Result<Response, ClientError>,
    refused: &str,
    accepted: impl FnOnce(String),
) -> i32 {
    match answer {
        Ok(Response::Accepted { detail }) => {
            accepted(detail);
            0
        }
        Ok(Response::Refused { reason }) => {
            eprintln!("hbctl: {refused}: {reason}");
            1
        }
        Ok(other) => {
            eprintln!("hbctl: {}", describe(&unexpected(&other)));
            EXIT_UNREACHABLE
        }
        Err(err) => {
            eprintln!("hbctl: {}", describe(&err));
            EXIT_UNREACHABLE
        }
    }
}

/// Turns an answer that does not fit the request into an error that says what came.
pub fn unexpected(answer: &Response) -> ClientError {
    match answer {
        Response::Refused { reason } => ClientError::Malformed(format!("refused: {reason}")),
        Response::Error { message } => ClientError::Malformed(format!("error: {message}")),
        other => ClientError::Malformed(format!("unexpected answer {other:?}")),
    }
}

/// One line for people about a failed call. A missing socket or one nobody listens on means
/// the daemon is not running; anything else (permissions, timeouts) is said as it is.
pub fn describe(err: &ClientError) -> String {
    match err {
        ClientError::Connect { source, .. }
            if matches!(
                source.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            format!("heartbeat is not running ({err})")
        }
        ClientError::Connect { .. } => format!("cannot reach heartbeat ({err})"),
        ClientError::Malformed(what) if what.starts_with("refused: ") => {
            format!("heartbeat {what}")
        }
        ClientError::Malformed(what) if what.starts_with("error: ") => {
            format!("heartbeat reported an {what}")
        }
        other => format!("heartbeat did not answer properly ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_socket_reads_as_not_running() {
        let err = ClientError::Connect {
            path: "/run/heartbeat/api.sock".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        let text = describe(&err);
        assert!(
            text.starts_with(
                "heartbeat is not running (cannot connect to /run/heartbeat/api.sock:"
            ),
            "{text}"
        );
        let denied = ClientError::Connect {
            path: "/s".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert!(describe(&denied).starts_with("cannot reach heartbeat (cannot connect to /s:"));
        let refused = unexpected(&Response::Refused { reason: "uid 5 not allowed".into() });
        assert_eq!(describe(&refused), "heartbeat refused: uid 5 not allowed");
    }
}
