//! systemd's readiness and watchdog protocol (`sd_notify`), spoken directly: a datagram to the
//! socket named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace). Without
//! that variable every call is a no-op.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// Sends notifications to systemd, if we run under it.
#[derive(Debug, Default)]
pub struct Notifier {
    target: Option<String>,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// Reads `$NOTIFY_SOCKET` and `$WATCHDOG_USEC` (checking `$WATCHDOG_PID` names us).
    pub fn from_env() -> Notifier {
        let target = std::env::var("NOTIFY_SOCKET").ok().filter(|s| !s.is_empty());
        let for_us = std::env::var("WATCHDOG_PID")
            .ok()
            .and_then(|p| p.parse::<u32>().ok())
            .is_none_or(|p| p == std::process::id());
        let watchdog = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|u| u.parse::<u64>().ok())
            .filter(|u| *u > 0 && for_us)
            .map(Duration::from_micros);
        Notifier { target, watchdog }
    }

    /// How often to pet the watchdog: half its timeout (an hour when there is none).
    pub fn watchdog_interval(&self) -> Duration {
        self.watchdog.map(|w| w / 2).unwrap_or(Duration::from_secs(3600))
    }

    /// `READY=1`.
    pub fn ready(&self) {
        self.send(&format!("READY=1\nMAINPID={}\nSTATUS=running", std::process::id()));
    }

    /// `STOPPING=1`.
    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=handing over resources");
    }

    /// `WATCHDOG=1`, if a watchdog is configured.
    pub fn watchdog(&self) {
        if self.watchdog.is_some() {
            self.send("WATCHDOG=1");
        }
    }

    fn send(&self, text: &str) {
        let Some(target) = &self.target else { return };
        if let Err(e) = send_to(target, text) {
            tracing::debug!("sd_notify to {target}: {e}");
        }
    }
}

fn send_to(target: &str, text: &str) -> std::io::Result<()> {
    let sock = UnixDatagram::unbound()?;
    if let Some(name) = target.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
        sock.send_to_addr(text.as_bytes(), &addr)?;
    } else {
        sock.send_to(text.as_bytes(), target)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_reaches_a_path_socket() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).expect("bind");
        let n = Notifier { target: Some(path.display().to_string()), watchdog: None };
        n.ready();
        let mut buf = [0u8; 256];
        let len = listener.recv(&mut buf).expect("recv");
        let text = std::str::from_utf8(&buf[..len]).expect("utf8");
        assert!(text.starts_with("READY=1\n"), "{text}");
        n.watchdog(); // no watchdog configured: nothing sent
        listener.set_nonblocking(true).expect("nonblocking");
        assert!(listener.recv(&mut buf).is_err());
        assert_eq!(n.watchdog_interval(), Duration::from_secs(3600));
    }
}
