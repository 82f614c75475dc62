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

mod routes;
use routes::route;

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
