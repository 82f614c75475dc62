//! A stand-in for the cloud provider APIs that `ReservedIP` resources call: DigitalOcean's
//! reserved IPs and droplet metadata, Hetzner's floating IPs and server metadata, on plain
//! HTTP/1.1. It answers the documented endpoints with the documented bodies, tells each
//! caller its own droplet/server id by source address (as the link-local metadata service
//! does), records every assignment change with its time, and injects failures on demand:
//! any status (401, 404, 422, 429 with `Retry-After`, 500), slow answers, actions that stay
//! in progress for a number of polls or end in error, and a "down" switch.
//!
//! Bind it on loopback for unit tests ([`CloudApi::start`]) or inside a [`crate::Testnet`]
//! namespace of its own ([`CloudApi::start_in`]): the listening socket belongs to the
//! namespace it was created in. Dropping it stops its threads.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::{Host, Result, Testnet};

/// Largest request head or body accepted.
const MAX_REQUEST: usize = 64 * 1024;
/// Most requests and assignment changes recorded (later ones are served, not recorded).
const MAX_RECORDS: usize = 100_000;
/// Most connections served at once (more are closed unanswered).
const MAX_CONNECTIONS: usize = 64;

/// A one-shot failure applied to the next API request (metadata requests are never hit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status with the provider's error body carrying `message`.
    Status(u16, String),
    /// 429 with `Retry-After: secs`.
    TooMany(u64),
    /// Wait this long before answering normally.
    Slow(Duration),
    /// The next assign's action stays `in-progress` for this many polls, then completes.
    InProgressPolls(u32),
    /// The next assign's action ends `errored` (the IP does not move).
    ActionErrors,
    /// Answer bytes that are not HTTP at all (recorded with status 0).
    Garbage,
}

/// One change of who an IP points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Time since the stand-in started.
    pub at: Duration,
    /// The IP.
    pub ip: IpAddr,
    /// The new holder (`None`: unassigned).
    pub holder: Option<u64>,
}

/// One request as received (the token is not kept, only whether it matched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Method and path, `POST /v2/reserved_ips/1.2.3.4/actions`.
    pub line: String,
    /// The status answered.
    pub status: u16,
    /// Whether it carried `Authorization: Bearer TOKEN` with the expected token.
    pub authorized: bool,
}

#[derive(Debug, Default)]
struct State {
    token: String,
    /// IP → (Hetzner id, holder).
    ips: HashMap<IpAddr, (u64, Option<u64>)>,
    /// Caller address → instance id.
    instances: HashMap<IpAddr, u64>,
    /// Action id → (IP, target, polls left before it completes, errors at the end).
    actions: HashMap<u64, (IpAddr, Option<u64>, u32, bool)>,
    next_action: u64,
    faults: VecDeque<Fault>,
    down: bool,
    history: Vec<Assignment>,
    seen: Vec<Seen>,
}

/// The running stand-in.
pub struct CloudApi {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    started: Instant,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CloudApi {
    /// Listens on `127.0.0.1` (any port); API requests must carry `token`.
    pub fn start(token: &str) -> Result<CloudApi> {
        Self::serve(TcpListener::bind("127.0.0.1:0")?, token)
    }

    /// Listens on `host`'s address, port `port`, inside its namespace.
    pub fn start_in(net: &Testnet, host: &Host, port: u16, token: &str) -> Result<CloudApi> {
        let ip = host.ip;
        let listener = net.run_in(host, move || TcpListener::bind((ip, port)))??;
        Self::serve(listener, token)
    }

    fn serve(listener: TcpListener, token: &str) -> Result<CloudApi> {
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            token: token.to_owned(),
            next_action: 1000,
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let (st, sp) = (state.clone(), stop.clone());
        let thread = std::thread::spawn(move || accept_loop(&listener, &st, &sp, started));
        Ok(CloudApi { addr, state, started, stop, thread: Some(thread) })
    }

    /// `http://ADDR:PORT`, for `api_url` and `metadata_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds an IP owned by the account (Hetzner id `id`), pointing at `holder`.
    pub fn add_ip(&self, ip: IpAddr, id: u64, holder: Option<u64>) {
        self.lock().ips.insert(ip, (id, holder));
    }

    /// The metadata service tells `caller` that it is instance `id`.
    pub fn add_instance(&self, caller: IpAddr, id: u64) {
        self.lock().instances.insert(caller, id);
    }

    /// Who `ip` points at now.
    pub fn holder(&self, ip: IpAddr) -> Option<u64> {
        self.lock().ips.get(&ip).and_then(|e| e.1)
    }

    /// Points `ip` at `holder` behind the cluster's back (the console, another tool).
    pub fn move_ip(&self, ip: IpAddr, holder: Option<u64>) {
        let at = self.started.elapsed();
        let mut s = self.lock();
        if let Some(e) = s.ips.get_mut(&ip) {
            e.1 = holder;
            if s.history.len() < MAX_RECORDS {
                s.history.push(Assignment { at, ip, holder });
            }
        }
    }

    /// Queues a one-shot fault for the next API request(s).
    pub fn push_fault(&self, f: Fault) {
        self.lock().faults.push_back(f);
    }

    /// While down, every API request is answered 503 (metadata still answers).
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    /// Every assignment change so far.
    pub fn history(&self) -> Vec<Assignment> {
        self.lock().history.clone()
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    /// Time since the stand-in started (the clock of [`Assignment::at`]).
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for CloudApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, state: &Arc<Mutex<State>>, stop: &AtomicBool, t0: Instant) {
    let live = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((conn, peer)) => {
                if live.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                    live.fetch_sub(1, Ordering::SeqCst);
                    continue;
                }
                let (state, live) = (state.clone(), live.clone());
                std::thread::spawn(move || {
                    let _ = handle(conn, peer.ip(), &state, t0);
                    live.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// A parsed request.
struct Req {
    method: String,
    path: String,
    auth: Option<String>,
    body: String,
}

fn handle(conn: TcpStream, peer: IpAddr, state: &Mutex<State>, t0: Instant) -> std::io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let Some(req) = read_request(&mut reader)? else { return Ok(()) };
    let (status, body, retry_after, delay) = {
        let mut s = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let a = answer(&mut s, &req, peer, t0);
        let authorized = req.auth.as_deref() == Some(&format!("Bearer {}", s.token));
        if s.seen.len() < MAX_RECORDS {
            let line = format!("{} {}", req.method, req.path);
            s.seen.push(Seen { line, status: a.0, authorized });
        }
        a
    };
    if let Some(d) = delay {
        std::thread::sleep(d);
    }
    let mut w = conn;
    if status == 0 {
        w.write_all(b"\x00\x01 this is not HTTP \xff\r\n\r\n")?;
        return w.flush();
    }
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(secs) = retry_after {
        head.push_str(&format!("Retry-After: {secs}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.write_all(body.as_bytes())?;
    w.flush()
}

fn read_request(r: &mut impl BufRead) -> std::io::Result<Option<Req>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (method, path) = match (parts.next(), parts.next()) {
        (Some(m), Some(p)) => (m.to_owned(), p.to_owned()),
        _ => return Ok(None),
    };
    let (mut len, mut auth, mut total) = (0usize, None, line.len());
    loop {
        let mut h = String::new();
        let n = r.read_line(&mut h)?;
        total += n;
        if n == 0 || h == "\r\n" || h == "\n" || total > MAX_REQUEST {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let v = v.trim();
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => len = v.parse().unwrap_or(0).min(MAX_REQUEST),
                "authorization" => auth = Some(v.to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Some(Req { method, path, auth, body: String::from_utf8_lossy(&body).into_owned() }))
}

/// (status, body, Retry-After, delay before answering).
type Answer = (u16, String, Option<u64>, Option<Duration>);

fn answer(s: &mut State, req: &Req, peer: IpAddr, t0: Instant) -> Answer {
    let hetzner = req.path.starts_with("/v1/") || req.path.starts_with("/hetzner/");
    let err = |status: u16, code: &str, msg: &str| -> Answer {
        let body = if hetzner {
            serde_json::json!({"error": {"code": code, "message": msg}})
        } else {
            serde_json::json!({"id": code, "message": msg})
        };
        (status, body.to_string(), None, None)
    };
    if req.path == "/metadata/v1/id" || req.path == "/hetzner/v1/metadata/instance-id" {
        return match s.instances.get(&peer) {
            Some(id) => (200, id.to_string(), None, None),
            None => (404, "no such instance".into(), None, None),
        };
    }
    if s.down {
        return err(503, "service_unavailable", "The API is down for maintenance");
    }
    if req.auth.as_deref() != Some(&format!("Bearer {}", s.token)) {
        return err(401, "unauthorized", "Unable to authenticate you");
    }
    let mut delay = None;
    let mut action_fault = None;
    match s.faults.front().cloned() {
        Some(Fault::Status(code, msg)) => {
            s.faults.pop_front();
            let mut a = err(code, "injected", &msg);
            if code == 429 {
                a.2 = Some(1);
            }
            return a;
        }
        Some(Fault::TooMany(secs)) => {
            s.faults.pop_front();
            let mut a = err(429, "too_many_requests", "API rate limit exceeded");
            a.2 = Some(secs);
            return a;
        }
        Some(Fault::Slow(d)) => {
            s.faults.pop_front();
            delay = Some(d);
        }
        Some(Fault::Garbage) => {
            s.faults.pop_front();
            return (0, String::new(), None, None);
        }
        Some(f @ (Fault::InProgressPolls(_) | Fault::ActionErrors)) if req.method == "POST" => {
            s.faults.pop_front();
            action_fault = Some(f);
        }
        _ => {}
    }
    let mut a =
        route(s, req, action_fault, t0, hetzner).unwrap_or_else(|(st, code, m)| err(st, code, &m));
    a.3 = delay;
    a
}

type Routed = std::result::Result<Answer, (u16, &'static str, String)>;

fn route(s: &mut State, req: &Req, fault: Option<Fault>, t0: Instant, hetzner: bool) -> Routed {
    let not_found =
        || (404, "not_found", "The resource you were accessing could not be found.".to_owned());
    let path = req.path.split('?').next().unwrap_or("");
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let ok = |v: serde_json::Value| -> Answer { (200, v.to_string(), None, None) };
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["v2", "reserved_ips", ip]) => {
            let ip: IpAddr = ip.parse().map_err(|_| not_found())?;
            let (_, holder) = s.ips.get(&ip).ok_or_else(not_found)?;
            let droplet =
                holder.map(|id| serde_json::json!({"id": id, "name": format!("droplet-{id}")}));
            Ok(ok(
                serde_json::json!({"reserved_ip": {"ip": ip.to_string(), "droplet": droplet, "locked": false}}),
            ))
        }
        ("POST", ["v2", "reserved_ips", ip, "actions"]) => {
            let ip: IpAddr = ip.parse().map_err(|_| not_found())?;
            s.ips.get(&ip).ok_or_else(not_found)?;
            let v: serde_json::Value = serde_json::from_str(&req.body)
                .map_err(|_| (422, "unprocessable_entity", "body is not JSON".to_owned()))?;
            let target = match v.get("type").and_then(|t| t.as_str()) {
                Some("assign") => {
                    Some(v.get("droplet_id").and_then(serde_json::Value::as_u64).ok_or((
                        422,
                        "unprocessable_entity",
                        "droplet_id is required".to_owned(),
                    ))?)
                }
                Some("unassign") => None,
                _ => return Err((422, "unprocessable_entity", "unknown action type".to_owned())),
            };
            let id = new_action(s, ip, target, fault, t0);
            Ok((201, action_json(s, id, hetzner), None, None))
        }
        ("GET", ["v2", "reserved_ips", _, "actions", id])
        | ("GET", ["v1", "floating_ips", "actions", id]) => {
            let id: u64 = id.parse().map_err(|_| not_found())?;
            poll_action(s, id, t0);
            if !s.actions.contains_key(&id) {
                return Err(not_found());
            }
            Ok((200, action_json(s, id, hetzner), None, None))
        }
        ("GET", ["v1", "floating_ips"]) => {
            let mut list: Vec<_> =
                s.ips.iter().map(|(ip, (id, holder))| (*id, *ip, *holder)).collect();
            list.sort();
            let items: Vec<_> = list
                .iter()
                .map(|(id, ip, holder)| serde_json::json!({"id": id, "ip": ip.to_string(), "server": holder}))
                .collect();
            Ok(ok(
                serde_json::json!({"floating_ips": items, "meta": {"pagination": {"page": 1, "next_page": null}}}),
            ))
        }
        ("POST", ["v1", "floating_ips", fid, "actions", kind]) => {
            let fid: u64 = fid.parse().map_err(|_| not_found())?;
            let ip = s
                .ips
                .iter()
                .find(|(_, (id, _))| *id == fid)
                .map(|(ip, _)| *ip)
                .ok_or_else(not_found)?;
            let target = match *kind {
                "assign" => {
                    let v: serde_json::Value = serde_json::from_str(&req.body).unwrap_or_default();
                    Some(v.get("server").and_then(serde_json::Value::as_u64).ok_or((
                        422,
                        "invalid_input",
                        "server is required".to_owned(),
                    ))?)
                }
                "unassign" => None,
                _ => return Err(not_found()),
            };
            let id = new_action(s, ip, target, fault, t0);
            Ok((201, action_json(s, id, hetzner), None, None))
        }
        _ => Err(not_found()),
    }
}

/// Records an action; one without a fault completes at once (the IP moves now).
fn new_action(
    s: &mut State,
    ip: IpAddr,
    target: Option<u64>,
    fault: Option<Fault>,
    t0: Instant,
) -> u64 {
    s.next_action += 1;
    let id = s.next_action;
    let (polls, errors) = match fault {
        Some(Fault::InProgressPolls(n)) => (n, false),
        Some(Fault::ActionErrors) => (1, true),
        _ => (0, false),
    };
    s.actions.insert(id, (ip, target, polls, errors));
    if polls == 0 {
        finish(s, id, t0);
    }
    id
}

fn poll_action(s: &mut State, id: u64, t0: Instant) {
    if let Some(a) = s.actions.get_mut(&id) {
        if a.2 > 0 {
            a.2 -= 1;
            if a.2 == 0 {
                finish(s, id, t0);
            }
        }
    }
}

fn finish(s: &mut State, id: u64, t0: Instant) {
    let Some(&(ip, target, _, errors)) = s.actions.get(&id) else { return };
    if errors {
        return;
    }
    if let Some(e) = s.ips.get_mut(&ip) {
        if e.1 != target {
            e.1 = target;
            if s.history.len() < MAX_RECORDS {
                s.history.push(Assignment { at: t0.elapsed(), ip, holder: target });
            }
        }
    }
}

fn action_json(s: &State, id: u64, hetzner: bool) -> String {
    let (polls, errors) = s.actions.get(&id).map_or((0, false), |a| (a.2, a.3));
    let status = match (polls, errors, hetzner) {
        (0, true, false) => "errored",
        (0, false, false) => "completed",
        (_, _, false) => "in-progress",
        (0, true, true) => "error",
        (0, false, true) => "success",
        (_, _, true) => "running",
    };
    let error = (polls == 0 && errors)
        .then(|| serde_json::json!({"code": "action_failed", "message": "injected failure"}));
    serde_json::json!({"action": {"id": id, "status": status, "type": "assign_ip", "error": error}})
        .to_string()
}
