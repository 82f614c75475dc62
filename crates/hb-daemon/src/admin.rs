//! The admin API server: a Unix socket that takes one JSON request per line, checks who is
//! asking, and hands typed requests to the task that owns the engine. It never touches the
//! engine itself.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use hb_api::{EventRecord, Request, RequestEnvelope, Response, MAX_LINE, PROTOCOL_VERSION};
use hb_config::hacf::ApiAuth;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc, oneshot};

/// Most admin calls waiting for the engine's owner at once; more wait in the socket backlog.
pub const MAX_PENDING_CALLS: usize = 64;

/// How long a refused connection stays open for the client to send its request and read the
/// refusal.
const REFUSAL_LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// One request for the engine's owner, with where to send the answer.
#[derive(Debug)]
pub struct AdminCall {
    /// The parsed request.
    pub request: Request,
    /// Where the answer goes. For a waited standby/takeover it is answered on completion.
    pub reply: oneshot::Sender<Response>,
}

/// Who may use the API besides root (ha.cf `apiauth`).
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// User ids allowed.
    pub uids: Vec<u32>,
    /// Group ids allowed.
    pub gids: Vec<u32>,
}

impl Access {
    /// Who ha.cf's `apiauth` lines admit besides root. The admin API is one socket for every
    /// tool, so a user or group listed for any client name may use all of it. heartbeat's
    /// built-in defaults (`builtin`, e.g. `anon gid=haclient`) are not applied: without
    /// `apiauth` lines the API stays root-only. Names are looked up in the user and group
    /// databases, numbers taken as ids; a name that does not resolve is logged and skipped.
    pub fn from_apiauth(entries: &[ApiAuth]) -> Access {
        Access::from_apiauth_with(entries, lookup_user, lookup_group)
    }

    /// [`Access::from_apiauth`] with the name lookups given (for tests).
    fn from_apiauth_with(
        entries: &[ApiAuth],
        user: impl Fn(&str) -> Option<u32>,
        group: impl Fn(&str) -> Option<u32>,
    ) -> Access {
        let mut access = Access::default();
        for entry in entries.iter().filter(|e| !e.builtin) {
            for (names, ids, kind, lookup) in [
                (&entry.uids, &mut access.uids, "user", &user as &dyn Fn(&str) -> Option<u32>),
                (&entry.gids, &mut access.gids, "group", &group),
            ] {
                for name in names {
                    match name.parse::<u32>().ok().or_else(|| lookup(name)) {
                        Some(id) if !ids.contains(&id) => ids.push(id),
                        Some(_) => {}
                        None => tracing::warn!(
                            "apiauth {}: unknown {kind} {name:?}; ignored",
                            entry.client
                        ),
                    }
                }
            }
        }
        access
    }

    fn allows(&self, uid: u32, gid: u32) -> bool {
        uid == 0 || self.uids.contains(&uid) || self.gids.contains(&gid)
    }

    fn socket_mode(&self) -> u32 {
        if self.uids.is_empty() && self.gids.is_empty() {
            0o600
        } else {
            0o666
        }
    }
}

fn lookup_user(name: &str) -> Option<u32> {
    nix::unistd::User::from_name(name).ok().flatten().map(|u| u.uid.as_raw())
}

fn lookup_group(name: &str) -> Option<u32> {
    nix::unistd::Group::from_name(name).ok().flatten().map(|g| g.gid.as_raw())
}

/// Binds the socket (replacing a stale one) with the mode `access` calls for.
pub fn bind(path: &Path, access: &Access) -> io::Result<UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(access.socket_mode()))?;
    Ok(listener)
}

/// Accepts connections until the process ends, serving each on its own task.
pub async fn serve(
    listener: UnixListener,
    access: Access,
    calls: mpsc::Sender<AdminCall>,
    events: broadcast::Sender<EventRecord>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (access, calls, events) = (access.clone(), calls.clone(), events.clone());
        tokio::spawn(async move {
            if let Err(err) = connection(stream, &access, calls, events).await {
                tracing::debug!("admin connection ended: {err}");
            }
        });
    }
}

async fn connection(
    stream: UnixStream,
    access: &Access,
    calls: mpsc::Sender<AdminCall>,
    events: broadcast::Sender<EventRecord>,
) -> io::Result<()> {
    let cred = stream.peer_cred()?;
    let (read, mut write) = stream.into_split();
    if !access.allows(cred.uid(), cred.gid()) {
        let reason = format!("uid {} gid {} is not allowed by apiauth", cred.uid(), cred.gid());
        tracing::warn!("admin API: refused {reason}");
        send(&mut write, &Response::Refused { reason }).await?;
        // Wait for the request before hanging up (bounded): closing first would make the
        // client's write fail with EPIPE, and it would never read why it was refused.
        let mut line = Vec::new();
        let mut reader = BufReader::new(read).take(MAX_LINE as u64 + 1);
        let _ = tokio::time::timeout(REFUSAL_LINGER, reader.read_until(b'\n', &mut line)).await;
        return Ok(());
    }
    let mut reader = BufReader::new(read).take(MAX_LINE as u64 + 1);
    let mut line = Vec::new();
    loop {
        line.clear();
        reader.set_limit(MAX_LINE as u64 + 1);
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let request = match parse(&line) {
            Ok(request) => request,
            Err(message) => {
                send(&mut write, &Response::Error { message }).await?;
                continue;
            }
        };
        if request == Request::Events {
            let mut rx = events.subscribe();
            loop {
                match rx.recv().await {
                    Ok(event) => send(&mut write, &Response::Event(event)).await?,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        let event = EventRecord {
                            unix_ms: 0,
                            event: "events_dropped".into(),
                            detail: format!("{n} events dropped: the reader was too slow"),
                        };
                        send(&mut write, &Response::Event(event)).await?;
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                }
            }
        }
        let (reply, answer) = oneshot::channel();
        if calls.send(AdminCall { request, reply }).await.is_err() {
            return Ok(());
        }
        let response = answer
            .await
            .unwrap_or(Response::Error { message: "the daemon is shutting down".into() });
        send(&mut write, &response).await?;
    }
}

fn parse(line: &[u8]) -> Result<Request, String> {
    if line.last() != Some(&b'\n') {
        return Err(format!("request longer than {MAX_LINE} bytes"));
    }
    let envelope: RequestEnvelope =
        serde_json::from_slice(line).map_err(|e| format!("malformed request: {e}"))?;
    if envelope.v != PROTOCOL_VERSION {
        return Err(format!(
            "protocol version {} not supported (this daemon speaks {PROTOCOL_VERSION})",
            envelope.v
        ));
    }
    Ok(envelope.request)
}

async fn send(write: &mut tokio::net::unix::OwnedWriteHalf, response: &Response) -> io::Result<()> {
    let mut bytes = serde_json::to_vec(response).map_err(io::Error::other)?;
    bytes.push(b'\n');
    write.write_all(&bytes).await
}

/// The socket path for a run directory.
pub fn socket_in(run_dir: &Path) -> PathBuf {
    run_dir.join("api.sock")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_bad_version_garbage_and_overlong() {
        assert_eq!(parse(b"{\"v\":1,\"cmd\":\"status\"}\n"), Ok(Request::Status));
        assert!(parse(b"{\"v\":2,\"cmd\":\"status\"}\n").unwrap_err().contains("version 2"));
        assert!(parse(b"{\"v\":1,\"cmd\":\"reboot\"}\n").unwrap_err().starts_with("malformed"));
        assert!(parse(b"{\"v\":1,").unwrap_err().contains("longer than"));
    }

    #[test]
    fn root_always_allowed_others_only_when_listed() {
        let none = Access::default();
        assert!(none.allows(0, 0));
        assert!(!none.allows(1000, 1000));
        assert_eq!(none.socket_mode(), 0o600);
        let some = Access { uids: vec![1000], gids: vec![50] };
        assert!(some.allows(1000, 7) && some.allows(7, 50) && !some.allows(7, 7));
        assert_eq!(some.socket_mode(), 0o666);
    }

    #[test]
    fn apiauth_maps_names_and_ids_and_skips_builtins_and_unknowns() {
        let entry = |client: &str, uids: &[&str], gids: &[&str], builtin| ApiAuth {
            client: client.into(),
            uids: uids.iter().map(|s| s.to_string()).collect(),
            gids: gids.iter().map(|s| s.to_string()).collect(),
            builtin,
        };
        let entries = [
            entry("cl_status", &["nobody", "1234", "ghost"], &["haclient"], false),
            entry("ipfail", &["hacluster", "nobody"], &["77"], false),
            entry("anon", &["root"], &["builtin-group"], true),
        ];
        let user = |n: &str| match n {
            "nobody" => Some(65534),
            "hacluster" => Some(110),
            _ => None,
        };
        let group = |n: &str| (n == "haclient").then_some(115);
        let a = Access::from_apiauth_with(&entries, user, group);
        assert_eq!(a.uids, [65534, 1234, 110]);
        assert_eq!(a.gids, [115, 77]);
        assert!(a.allows(65534, 65534) && a.allows(5000, 115) && !a.allows(5000, 5000));
        let only_builtin = Access::from_apiauth_with(&entries[2..], user, group);
        assert!(only_builtin.uids.is_empty() && only_builtin.gids.is_empty());
        assert_eq!(only_builtin.socket_mode(), 0o600);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn serves_a_status_call_through_the_owner() {
        let dir = std::env::temp_dir().join(format!("hb-admin-{}", std::process::id()));
        let path = socket_in(&dir);
        let listener = bind(&path, &Access::default()).unwrap();
        let (calls_tx, mut calls_rx) = mpsc::channel(MAX_PENDING_CALLS);
        let (events_tx, _) = broadcast::channel(16);
        tokio::spawn(serve(listener, Access::default(), calls_tx, events_tx));
        tokio::spawn(async move {
            while let Some(call) = calls_rx.recv().await {
                let _ =
                    call.reply.send(Response::Refused { reason: format!("{:?}", call.request) });
            }
        });
        let p = path.clone();
        let answer = tokio::task::spawn_blocking(move || {
            let mut client =
                hb_api::Client::connect(&p, std::time::Duration::from_secs(5)).unwrap();
            client.request(&Request::Status).unwrap()
        })
        .await
        .unwrap();
        assert_eq!(answer, Response::Refused { reason: "Status".into() });
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
