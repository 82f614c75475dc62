//! Logging in heartbeat's formats, as a `tracing` layer.
//!
//! heartbeat (cluster-glue `cl_log`) writes file lines in syslog style:
//! `Nov 23 09:12:01 n1 heartbeat: [1234]: info: text` (`syslogmsgfmt on`, the default).
//! Priority words are `debug`, `info`, `notice`, `WARN`, `ERROR`, `CRIT`. The `logfile` gets
//! everything but debug messages, the `debugfile` gets everything, syslog gets everything but
//! debug (tagged `heartbeat: [pid]: level: text`, sent to `/dev/log` with the configured
//! facility), and stderr (foreground mode) gets the file format. Files are opened for each line
//! (append), so logrotate needs no signal, as with heartbeat's periodic reopen.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::PlatformError;

/// Longest message we log (characters beyond are cut): heartbeat's MAXLINE is 512 bytes.
pub const MAX_MESSAGE: usize = 4096;
/// Default syslog socket.
pub const SYSLOG_SOCKET: &str = "/dev/log";

/// A syslog facility (`logfacility` in ha.cf).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facility(u8);

const FACILITIES: [(&str, u8); 20] = [
    ("kern", 0),
    ("user", 1),
    ("mail", 2),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("lpr", 6),
    ("news", 7),
    ("uucp", 8),
    ("cron", 9),
    ("authpriv", 10),
    ("ftp", 11),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

impl Facility {
    /// `daemon`, heartbeat's usual choice.
    pub const DAEMON: Facility = Facility(3);

    /// The facility's name (`local0`).
    pub fn name(self) -> &'static str {
        FACILITIES.iter().find(|(_, c)| *c == self.0).map(|(n, _)| *n).unwrap_or("daemon")
    }

    /// The facility number.
    pub fn code(self) -> u8 {
        self.0
    }
}

impl FromStr for Facility {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FACILITIES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, c)| Facility(*c))
            .ok_or_else(|| PlatformError::Invalid {
                what: "log facility",
                input: s.to_string(),
                reason: "not a syslog facility name".to_string(),
            })
    }
}

/// Where log lines go (from ha.cf `logfile`, `debugfile`, `logfacility`, `debug`).
#[derive(Debug, Clone, Default)]
pub struct LogTargets {
    /// `logfile`: non-debug messages.
    pub logfile: Option<PathBuf>,
    /// `debugfile`: all messages.
    pub debugfile: Option<PathBuf>,
    /// `logfacility`: syslog (None = `none`/unset).
    pub facility: Option<Facility>,
    /// Also write to stderr (foreground mode).
    pub stderr: bool,
    /// `debug` level; 0 drops debug messages everywhere.
    pub debug: u8,
    /// Syslog socket path (default `/dev/log`; tests point it elsewhere).
    pub syslog_socket: Option<PathBuf>,
}

/// The heartbeat priority word for a `tracing` level.
pub fn priority_word(level: Level) -> &'static str {
    match level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARN",
        Level::INFO => "info",
        Level::DEBUG | Level::TRACE => "debug",
    }
}

/// syslog severity for a level.
fn severity(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// One file line: `Mon dd hh:mm:ss HOST ENTITY: [PID]: prio: text`.
pub fn format_line(
    timestamp: &str,
    host: &str,
    entity: &str,
    pid: u32,
    level: Level,
    msg: &str,
) -> String {
    format!("{timestamp} {host} {entity}: [{pid}]: {}: {msg}", priority_word(level))
}

/// The layer; build with [`HeartbeatLog::new`], install with [`init`] or compose it yourself.
pub struct HeartbeatLog {
    targets: Arc<RwLock<LogTargets>>,
    host: String,
    entity: String,
    pid: u32,
    syslog: Mutex<Option<UnixDatagram>>,
}

impl HeartbeatLog {
    /// A layer writing as `entity` (e.g. `heartbeat`) on node `host`.
    pub fn new(targets: LogTargets, entity: &str, host: &str) -> Self {
        HeartbeatLog {
            targets: Arc::new(RwLock::new(targets)),
            host: host.to_string(),
            entity: entity.to_string(),
            pid: std::process::id(),
            syslog: Mutex::new(None),
        }
    }

    fn write_file(path: &PathBuf, line: &str) {
        if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(f, "{line}");
        }
    }

    fn send_syslog(&self, facility: Facility, level: Level, timestamp: &str, msg: &str) {
        let pri = u16::from(facility.code()) * 8 + u16::from(severity(level));
        let packet = format!(
            "<{pri}>{timestamp} {}: [{}]: {}: {msg}",
            self.entity,
            self.pid,
            priority_word(level)
        );
        let socket = self.targets.read().map(|t| t.syslog_socket.clone()).unwrap_or_default();
        let path = socket.unwrap_or_else(|| PathBuf::from(SYSLOG_SOCKET));
        let mut guard = self.syslog.lock().unwrap_or_else(|p| p.into_inner());
        // One reconnect attempt per message: syslogd may have restarted.
        for _ in 0..2 {
            if guard.is_none() {
                *guard = UnixDatagram::unbound().ok().filter(|s| s.connect(&path).is_ok());
            }
            match guard.as_ref().map(|s| s.send(packet.as_bytes())) {
                Some(Ok(_)) => return,
                _ => *guard = None,
            }
        }
    }
}

impl<S: Subscriber> Layer<S> for HeartbeatLog {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        let is_debug = matches!(level, Level::DEBUG | Level::TRACE);
        // A poisoned lock still holds usable targets: logging must never stop.
        let targets = self.targets.read().unwrap_or_else(|p| p.into_inner()).clone();
        if is_debug && targets.debug == 0 {
            return;
        }
        let mut v = MessageVisitor::default();
        event.record(&mut v);
        let mut msg = v.finish();
        if msg.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !msg.is_char_boundary(cut) {
                cut -= 1;
            }
            msg.truncate(cut);
        }
        // heartbeat's logs are one line per message.
        let msg = msg.replace(['\n', '\r'], " ");
        let timestamp = chrono::Local::now().format("%b %d %H:%M:%S").to_string();
        let line = format_line(&timestamp, &self.host, &self.entity, self.pid, level, &msg);
        if let Some(p) = &targets.debugfile {
            Self::write_file(p, &line);
        }
        if !is_debug {
            if let Some(p) = &targets.logfile {
                Self::write_file(p, &line);
            }
            if let Some(f) = targets.facility {
                self.send_syslog(f, level, &timestamp, &msg);
            }
        }
        if targets.stderr {
            // Not eprintln!, which panics when stderr is a closed pipe (a daemon whose
            // starter has exited): a log line is not worth the process.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
}

/// The layer [`init`] installed, so that a reload can change its targets.
static INSTALLED: OnceLock<Arc<RwLock<LogTargets>>> = OnceLock::new();

/// Installs a global subscriber with the heartbeat layer. Call once, early.
pub fn init(targets: LogTargets, entity: &str, host: &str) -> Result<(), PlatformError> {
    let layer = HeartbeatLog::new(targets, entity, host);
    let _ = INSTALLED.set(layer.targets.clone());
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::set_global_default(subscriber).map_err(|e| PlatformError::Invalid {
        what: "logging setup",
        input: String::new(),
        reason: e.to_string(),
    })
}

/// Changes the targets of the layer [`init`] installed (a configuration reload): new log and
/// debug files, facility and debug level apply from the next message. What the command line
/// decided stays: `stderr`, the syslog socket, and a debug level at least `debug_floor`.
/// Returns false when [`init`] was not called.
pub fn retarget(new: LogTargets, debug_floor: u8) -> bool {
    let Some(targets) = INSTALLED.get() else { return false };
    swap_targets(targets, new, debug_floor);
    true
}

impl HeartbeatLog {
    /// As [`retarget`], on this layer.
    pub fn retarget(&self, new: LogTargets, debug_floor: u8) {
        swap_targets(&self.targets, new, debug_floor);
    }
}

fn swap_targets(targets: &RwLock<LogTargets>, new: LogTargets, debug_floor: u8) {
    let mut t = targets.write().unwrap_or_else(|p| p.into_inner());
    *t = LogTargets {
        stderr: t.stderr,
        syslog_socket: t.syslog_socket.clone(),
        debug: new.debug.max(debug_floor),
        ..new
    };
}

#[derive(Default)]
struct MessageVisitor {
    message: String,
    fields: String,
}

impl MessageVisitor {
    fn finish(self) -> String {
        if self.fields.is_empty() {
            self.message
        } else {
            format!("{}{}", self.message, self.fields)
        }
    }
}

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.fields.push_str(&format!(" {}={value}", field.name()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message.push_str(&format!("{value:?}"));
        } else {
            self.fields.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format_matches_heartbeat() {
        assert_eq!(
            format_line(
                "Nov 23 09:12:01",
                "n1",
                "heartbeat",
                1234,
                Level::INFO,
                "Link n2:eth0 up."
            ),
            "Nov 23 09:12:01 n1 heartbeat: [1234]: info: Link n2:eth0 up."
        );
        assert_eq!(priority_word(Level::WARN), "WARN");
        assert_eq!(priority_word(Level::ERROR), "ERROR");
    }

    #[test]
    fn facilities_parse_both_ways() -> Result<(), PlatformError> {
        let f: Facility = "local0".parse()?;
        assert_eq!((f.code(), f.name()), (16, "local0"));
        assert_eq!("DAEMON".parse::<Facility>()?, Facility::DAEMON);
        assert!("bogus".parse::<Facility>().is_err());
        Ok(())
    }

    #[test]
    fn files_and_syslog_get_the_right_levels() {
        let dir = std::env::temp_dir().join(format!("hb-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        let sock_path = dir.join("log.sock");
        let Ok(server) = UnixDatagram::bind(&sock_path) else { panic!("bind test syslog socket") };
        let _ = server.set_read_timeout(Some(std::time::Duration::from_secs(1)));
        let targets = LogTargets {
            logfile: Some(dir.join("ha-log")),
            debugfile: Some(dir.join("ha-debug")),
            facility: Some(Facility(16)),
            stderr: false,
            debug: 1,
            syslog_socket: Some(sock_path),
        };
        let subscriber =
            tracing_subscriber::registry().with(HeartbeatLog::new(targets, "heartbeat", "n1"));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("node n2 is up");
            tracing::debug!(seq = 7, "sent status");
            tracing::warn!("Late heartbeat:\nnext line");
        });
        let log = std::fs::read_to_string(dir.join("ha-log")).unwrap_or_default();
        let debug = std::fs::read_to_string(dir.join("ha-debug")).unwrap_or_default();
        let pid = std::process::id();
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 2, "{log}");
        assert!(
            lines[0].ends_with(&format!(" n1 heartbeat: [{pid}]: info: node n2 is up")),
            "{log}"
        );
        assert!(lines[1].ends_with("WARN: Late heartbeat: next line"), "{log}");
        // "Nov 23 09:12:01 " prefix: month, day, time.
        assert_eq!(lines[0].as_bytes().get(15), Some(&b' '));
        assert_eq!(debug.lines().count(), 3);
        assert!(debug.contains("debug: sent status seq=7"), "{debug}");
        let mut buf = [0u8; 512];
        let n = server.recv(&mut buf).unwrap_or(0);
        let got = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(got.starts_with("<134>"), "{got}"); // local0 * 8 + info
        assert!(got.ends_with(&format!("heartbeat: [{pid}]: info: node n2 is up")), "{got}");
        let n = server.recv(&mut buf).unwrap_or(0);
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("<132>")); // warn; debug not sent
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn retarget_moves_the_log_and_keeps_what_the_command_line_chose() {
        let dir = std::env::temp_dir().join(format!("hb-retarget-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::create_dir_all(&dir);
        let (a, b) = (dir.join("a"), dir.join("b"));
        let first = LogTargets {
            logfile: Some(a.clone()),
            debugfile: None,
            facility: None,
            stderr: false,
            debug: 0,
            syslog_socket: Some(dir.join("sock")),
        };
        let layer = HeartbeatLog::new(first, "heartbeat", "n1");
        let targets = layer.targets.clone();
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("before");
            let new = LogTargets {
                logfile: Some(b.clone()),
                debugfile: Some(b.clone()),
                facility: None,
                stderr: true,
                debug: 0,
                syslog_socket: None,
            };
            swap_targets(&targets, new, 1);
            tracing::info!("after");
            tracing::debug!("debug after");
        });
        let read = |p: &PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        assert!(read(&a).contains("before") && !read(&a).contains("after"), "{}", read(&a));
        // b is both log and debug file: "after" twice, the debug line once (floor 1).
        assert_eq!(read(&b).matches("info: after").count(), 2, "{}", read(&b));
        assert!(read(&b).contains("debug: debug after"), "{}", read(&b));
        let t = targets.read().unwrap_or_else(|p| p.into_inner()).clone();
        assert!(!t.stderr && t.syslog_socket.is_some() && t.debug == 1, "{t:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
