//! Running one probe of any kind, bounded by the check's timeout.

use std::time::Duration;

use tokio::net::TcpStream;

use super::{http, CheckKind, CheckSpec, ProbeOutcome, OUTPUT_LIMIT};
use crate::script::process::{run_command_with, SpawnExtras};
use crate::script::{
    ocf_status, script_status, Action, ResourceRef, ResourceStatus, RunOptions, ScriptDirs,
    ScriptOutcome, ScriptRunner,
};

/// What every program probe shares: where scripts live and the environment they get.
#[derive(Debug, Clone)]
pub(super) struct ProbeContext {
    pub dirs: ScriptDirs,
    pub env: Vec<(String, String)>,
}

/// Runs one probe of `spec`; never longer than `spec.timeout` (plus reaping).
pub(super) async fn run(spec: &CheckSpec, ctx: &ProbeContext) -> ProbeOutcome {
    let opts =
        RunOptions { timeout: spec.timeout, output_limit: OUTPUT_LIMIT, env: ctx.env.clone() };
    let extras = SpawnExtras { quiet: true, run_as: spec.run_as };
    match &spec.kind {
        CheckKind::Exec { program, args } => {
            match run_command_with(program, args, &opts, &[], &spec.name, extras).await {
                Ok(outcome) => from_exit(outcome),
                Err(e) => ProbeOutcome::Fail(e.to_string()),
            }
        }
        CheckKind::Resource(res) => {
            let runner = ScriptRunner::new(ctx.dirs.clone(), opts.clone());
            let inv = match runner.command_for(res, Action::Status) {
                Ok(inv) => inv,
                Err(e) => return ProbeOutcome::Fail(e.to_string()),
            };
            let outcome = match run_command_with(
                &inv.program,
                &inv.args,
                &opts,
                &inv.env,
                &spec.name,
                extras,
            )
            .await
            {
                Ok(o) => o,
                Err(e) => return ProbeOutcome::Fail(e.to_string()),
            };
            if matches!(outcome, ScriptOutcome::TimedOut { .. }) {
                return ProbeOutcome::TimedOut;
            }
            let status = match res {
                ResourceRef::Script { .. } => script_status(outcome),
                ResourceRef::Ocf { .. } => ocf_status(outcome),
            };
            match status {
                ResourceStatus::Running => ProbeOutcome::Pass,
                ResourceStatus::Stopped => ProbeOutcome::Fail("not running".into()),
                ResourceStatus::Unknown(o) => ProbeOutcome::Fail(describe(&o)),
            }
        }
        CheckKind::Tcp { host, port } => tcp(host, *port, spec.timeout).await,
        CheckKind::Http(target) => http::probe(target, spec.timeout).await,
    }
}

async fn tcp(host: &str, port: u16, timeout: Duration) -> ProbeOutcome {
    match tokio::time::timeout(timeout, TcpStream::connect((host, port))).await {
        Ok(Ok(_stream)) => ProbeOutcome::Pass,
        Ok(Err(e)) => ProbeOutcome::Fail(format!("connect {host}:{port}: {e}")),
        Err(_) => ProbeOutcome::TimedOut,
    }
}

fn from_exit(outcome: ScriptOutcome) -> ProbeOutcome {
    match outcome {
        ScriptOutcome::Ok { .. } => ProbeOutcome::Pass,
        ScriptOutcome::TimedOut { .. } => ProbeOutcome::TimedOut,
        failed @ ScriptOutcome::Failed { .. } => ProbeOutcome::Fail(describe(&failed)),
    }
}

fn describe(outcome: &ScriptOutcome) -> String {
    match outcome {
        ScriptOutcome::Ok { .. } => "exit 0 but unrecognised answer".into(),
        ScriptOutcome::TimedOut { .. } => "timed out".into(),
        ScriptOutcome::Failed { code, signal, output_tail } => {
            let how = match (code, signal) {
                (Some(c), _) => format!("exit {c}"),
                (None, Some(s)) => format!("signal {s}"),
                (None, None) => "failed".into(),
            };
            let last = output_tail.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            if last.is_empty() {
                how
            } else {
                format!("{how}: {}", last.chars().take(120).collect::<String>())
            }
        }
    }
}
