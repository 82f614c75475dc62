//! How a `status`/`monitor` run maps to "running here or not" (pure).

use super::{ResourceStatus, ScriptOutcome, OCF_NOT_RUNNING, OCF_RUNNING_MASTER};

/// Maps a heartbeat/LSB `status` run (see the module doc).
pub fn script_status(outcome: ScriptOutcome) -> ResourceStatus {
    let (text, code) = match &outcome {
        ScriptOutcome::Ok { output } => (output.as_str(), Some(0)),
        ScriptOutcome::Failed { code, output_tail, .. } => (output_tail.as_str(), *code),
        ScriptOutcome::TimedOut { .. } => return ResourceStatus::Unknown(outcome),
    };
    let lower = text.to_lowercase();
    let not_running = lower
        .find("not ")
        .is_some_and(|i| lower.get(i..).is_some_and(|rest| rest.contains("running")));
    if not_running {
        return ResourceStatus::Stopped;
    }
    if lower.contains("running") || text.contains("OK") {
        return ResourceStatus::Running;
    }
    match code {
        Some(0) => ResourceStatus::Running,
        Some(1..=3) => ResourceStatus::Stopped,
        _ => ResourceStatus::Unknown(outcome),
    }
}

/// Maps an OCF `monitor` run.
pub fn ocf_status(outcome: ScriptOutcome) -> ResourceStatus {
    match &outcome {
        ScriptOutcome::Ok { .. } => ResourceStatus::Running,
        ScriptOutcome::Failed { code: Some(OCF_RUNNING_MASTER), .. } => ResourceStatus::Running,
        ScriptOutcome::Failed { code: Some(OCF_NOT_RUNNING), .. } => ResourceStatus::Stopped,
        _ => ResourceStatus::Unknown(outcome),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> ScriptOutcome {
        ScriptOutcome::Ok { output: s.into() }
    }

    fn failed(code: i32, s: &str) -> ScriptOutcome {
        ScriptOutcome::Failed { code: Some(code), signal: None, output_tail: s.into() }
    }

    #[test]
    fn heartbeat_text_rules_then_lsb_codes() {
        assert_eq!(script_status(ok("httpd (pid 42) is running...")), ResourceStatus::Running);
        assert_eq!(script_status(ok("OK")), ResourceStatus::Running);
        // The text wins over the exit code, as in heartbeat.
        assert_eq!(script_status(ok("httpd is not running")), ResourceStatus::Stopped);
        assert_eq!(script_status(failed(3, "running")), ResourceStatus::Running);
        assert_eq!(script_status(failed(3, "")), ResourceStatus::Stopped);
        assert_eq!(script_status(ok("")), ResourceStatus::Running);
        assert!(matches!(script_status(failed(4, "")), ResourceStatus::Unknown(_)));
        assert!(matches!(
            script_status(ScriptOutcome::TimedOut { output_tail: "running".into() }),
            ResourceStatus::Unknown(_)
        ));
    }

    #[test]
    fn ocf_codes() {
        assert_eq!(ocf_status(ok("")), ResourceStatus::Running);
        assert_eq!(ocf_status(failed(7, "")), ResourceStatus::Stopped);
        assert_eq!(ocf_status(failed(8, "")), ResourceStatus::Running);
        assert!(matches!(ocf_status(failed(1, "")), ResourceStatus::Unknown(_)));
    }
}
