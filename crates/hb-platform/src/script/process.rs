//! Running one script: process group, timeout, bounded output capture.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use super::{RunOptions, ScriptOutcome};
use crate::{PlatformError, Result};

/// Keeps the last `limit` bytes written to it.
struct Tail {
    buf: Vec<u8>,
    limit: usize,
}

impl Tail {
    fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        if self.buf.len() > self.limit {
            let cut = self.buf.len() - self.limit;
            self.buf.drain(..cut);
        }
    }
}

/// Extra knobs of one run beyond [`RunOptions`] (used by health checks).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SpawnExtras {
    /// Log the captured output line by line (resource actions do; frequent checks do not).
    pub quiet: bool,
    /// Run as this `(uid, gid)` instead of the daemon's user.
    pub run_as: Option<(u32, u32)>,
}

/// Kills a process group if the run is abandoned (its future dropped, e.g. a check stopped
/// mid-run): `kill_on_drop` alone would kill only the leader and leave its helpers.
struct GroupGuard(Option<i32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0.take() {
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
        }
    }
}

pub(super) async fn run_command(
    program: &Path,
    args: &[String],
    opts: &RunOptions,
    extra_env: &[(String, String)],
    name: &str,
) -> Result<ScriptOutcome> {
    run_command_with(program, args, opts, extra_env, name, SpawnExtras::default()).await
}

/// [`run_command`] with [`SpawnExtras`].
pub(crate) async fn run_command_with(
    program: &Path,
    args: &[String],
    opts: &RunOptions,
    extra_env: &[(String, String)],
    name: &str,
    extras: SpawnExtras,
) -> Result<ScriptOutcome> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(opts.env.iter().cloned())
        .envs(extra_env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some((uid, gid)) = extras.run_as {
        cmd.uid(uid).gid(gid);
    }
    let mut child =
        cmd.spawn().map_err(|e| PlatformError::io(format!("spawn {}", program.display()), e))?;
    let pgid = child.id().and_then(|id| i32::try_from(id).ok());
    let mut guard = GroupGuard(pgid);
    let tail = Arc::new(Mutex::new(Tail { buf: Vec::new(), limit: opts.output_limit.max(1) }));
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(tokio::spawn(drain(out, Arc::clone(&tail))));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(tokio::spawn(drain(err, Arc::clone(&tail))));
    }
    let status = match tokio::time::timeout(opts.timeout, child.wait()).await {
        Ok(status) => {
            // Exited on its own: whatever it left running in its group (a started daemon)
            // is meant to stay.
            guard.0 = None;
            Some(status.map_err(|e| PlatformError::io(format!("wait {}", program.display()), e))?)
        }
        Err(_) => {
            drop(guard);
            let _ = child.wait().await;
            None
        }
    };
    // Give the readers a moment to see EOF; if a background child still holds the pipe, the
    // reader tasks keep draining it on their own (bounded memory) and we report what we have.
    let grace = tokio::time::sleep(Duration::from_millis(100));
    tokio::pin!(grace);
    for r in &mut readers {
        tokio::select! {
            _ = r => {}
            _ = &mut grace => break,
        }
    }
    let output = {
        let t = tail.lock().unwrap_or_else(|p| p.into_inner());
        String::from_utf8_lossy(&t.buf).into_owned()
    };
    if !extras.quiet {
        for line in output.lines().filter(|l| !l.trim().is_empty()) {
            tracing::info!("{name}: {line}");
        }
    }
    Ok(match status {
        None => ScriptOutcome::TimedOut { output_tail: output },
        Some(s) if s.success() => ScriptOutcome::Ok { output },
        Some(s) => {
            use std::os::unix::process::ExitStatusExt;
            ScriptOutcome::Failed { code: s.code(), signal: s.signal(), output_tail: output }
        }
    })
}

async fn drain(mut r: impl AsyncRead + Unpin, tail: Arc<Mutex<Tail>>) {
    let mut buf = [0u8; 4096];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                tail.lock().unwrap_or_else(|p| p.into_inner()).push(chunk);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_bytes() {
        let mut t = Tail { buf: Vec::new(), limit: 5 };
        t.push(b"abc");
        t.push(b"defgh");
        assert_eq!(t.buf, b"defgh");
    }
}
