//! The alert hook: an executable `alert` in the configuration directory (`/etc/ha.d/alert`),
//! called as `alert EVENT DETAIL` for every engine event worth a human's attention, one call
//! at a time in event order, each awaited with a time limit. Its environment is heartbeat's
//! resource-script environment plus `HA_ALERT_EVENT`, `HA_ALERT_DETAIL` and
//! `HA_ALERT_UNIX_MS`. A hook that fails or hangs is logged and killed; it never delays the
//! cluster (calls run on their own task; when more than [`QUEUE`] are waiting, new ones are
//! dropped and counted).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use hb_api::EventRecord;
use tokio::sync::mpsc;

/// Time limit of one call.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Calls waiting at most.
pub const QUEUE: usize = 256;

/// Events that are not worth an alert (frequent and harmless).
const QUIET: &[&str] = &["dropped", "late_heartbeat", "other"];

/// Sender side of the hook.
#[derive(Debug)]
pub struct Alerts {
    tx: Option<mpsc::Sender<EventRecord>>,
    dropped: u64,
}

impl Alerts {
    /// Starts the hook task if `script` exists and is executable; otherwise a no-op sender.
    pub fn start(script: PathBuf, env: Vec<(String, String)>) -> Alerts {
        use std::os::unix::fs::PermissionsExt;
        let usable = std::fs::metadata(&script)
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
        if !usable {
            return Alerts { tx: None, dropped: 0 };
        }
        tracing::info!("alert hook: {}", script.display());
        let (tx, mut rx) = mpsc::channel::<EventRecord>(QUEUE);
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                call(&script, &env, &ev).await;
            }
        });
        Alerts { tx: Some(tx), dropped: 0 }
    }

    /// The hook's queue, for tasks that report events of their own (reserved-IP re-claims);
    /// `None` without a hook.
    pub fn sender(&self) -> Option<mpsc::Sender<EventRecord>> {
        self.tx.clone()
    }

    /// Queues an event for the hook (quiet events are skipped).
    pub fn send(&mut self, ev: &EventRecord) {
        let Some(tx) = &self.tx else { return };
        if QUIET.contains(&ev.event.as_str()) {
            return;
        }
        if tx.try_send(ev.clone()).is_err() {
            self.dropped += 1;
            tracing::warn!("alert hook too slow: {} alerts dropped so far", self.dropped);
        }
    }
}

async fn call(script: &PathBuf, env: &[(String, String)], ev: &EventRecord) {
    let mut cmd = tokio::process::Command::new(script);
    cmd.arg(&ev.event)
        .arg(&ev.detail)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("HA_ALERT_EVENT", &ev.event)
        .env("HA_ALERT_DETAIL", &ev.detail)
        .env("HA_ALERT_UNIX_MS", ev.unix_ms.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("alert hook {}: cannot run: {e}", script.display());
            return;
        }
    };
    match tokio::time::timeout(TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(out)) if out.status.success() => {}
        Ok(Ok(out)) => tracing::error!(
            "alert hook {} {}: {} {}",
            script.display(),
            ev.event,
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Ok(Err(e)) => tracing::error!("alert hook {}: {e}", script.display()),
        Err(_) => {
            tracing::error!("alert hook {} timed out after {TIMEOUT:?}; killed", script.display())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn calls_the_hook_in_order_and_skips_quiet_events() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("calls");
        let script = dir.path().join("alert");
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho \"$1|$2|$HA_ALERT_EVENT|$HA_CURHOST\" >> {}\n", log.display()),
        )
        .expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let env = vec![("HA_CURHOST".to_owned(), "n1".to_owned())];
        let mut a = Alerts::start(script, env);
        let rec = |e: &str, d: &str| EventRecord { unix_ms: 1, event: e.into(), detail: d.into() };
        a.send(&rec("node_status", "n2 dead"));
        a.send(&rec("dropped", "noise"));
        a.send(&rec("split_brain", "n2 10.0.0.1 keep=true"));
        for _ in 0..200 {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.lines().count() >= 2 {
                assert_eq!(
                    text,
                    "node_status|n2 dead|node_status|n1\nsplit_brain|n2 10.0.0.1 keep=true|split_brain|n1\n"
                );
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("hook not called: {:?}", std::fs::read_to_string(&log));
    }

    #[test]
    fn missing_hook_is_a_no_op() {
        let mut a = Alerts { tx: None, dropped: 0 };
        a.send(&EventRecord { unix_ms: 0, event: "x".into(), detail: String::new() });
        assert_eq!(a.dropped, 0);
    }
}
