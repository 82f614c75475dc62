//! ha.cf `watchdog DEVICE`: the Linux watchdog device, written to regularly while the daemon
//! is healthy, so a hung or dead daemon gets the machine reset by the kernel (heartbeat 3.0.6
//! did the same). A graceful exit writes the magic close character `V`, which disarms drivers
//! that honour it.
//!
//! Self-fencing: when this node finds itself isolated — no peer and no ping node answers, so
//! it released its groups — it stops writing (see the run loop). The kernel then resets the
//! machine when the device's timeout expires, which is the strongest guarantee that an
//! isolated node serves nothing. It is off unless `watchdog` is configured.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// An open watchdog device.
#[derive(Debug)]
pub struct Watchdog {
    file: File,
    path: PathBuf,
    stopped: bool,
}

impl Watchdog {
    /// Opens the device (write only; opening arms most drivers).
    pub fn open(path: &Path) -> std::io::Result<Watchdog> {
        let file = OpenOptions::new().write(true).open(path)?;
        Ok(Watchdog { file, path: path.to_path_buf(), stopped: false })
    }

    /// Writes a keep-alive byte, unless petting was stopped for self-fencing.
    pub fn pet(&mut self) {
        if self.stopped {
            return;
        }
        if let Err(e) = self.file.write_all(b"\0").and_then(|()| self.file.flush()) {
            tracing::error!("watchdog {}: {e}", self.path.display());
        }
    }

    /// Stops petting for good: the machine will be reset when the device times out.
    pub fn stop_petting(&mut self, why: &str) {
        if !self.stopped {
            self.stopped = true;
            tracing::error!(
                "self-fencing ({why}): no longer writing to watchdog {}; the kernel will reset \
                 this machine",
                self.path.display()
            );
        }
    }

    /// Whether petting was stopped.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Graceful exit: the magic close character, then close.
    pub fn close(mut self) {
        if !self.stopped {
            let _ = self.file.write_all(b"V");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pets_until_stopped_and_closes_with_v() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("wd");
        std::fs::write(&path, b"").expect("create");
        let mut w = Watchdog::open(&path).expect("open");
        w.pet();
        w.pet();
        assert_eq!(std::fs::read(&path).expect("read"), b"\0\0");
        w.close();
        assert_eq!(std::fs::read(&path).expect("read"), b"\0\0V");
        std::fs::write(&path, b"").expect("truncate");
        let mut w = Watchdog::open(&path).expect("open");
        w.pet();
        w.stop_petting("test");
        w.pet();
        assert!(w.is_stopped());
        w.close();
        assert_eq!(std::fs::read(&path).expect("read"), b"\0", "no V after self-fencing");
    }
}
