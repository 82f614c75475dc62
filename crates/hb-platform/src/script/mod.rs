//! Resource scripts: heartbeat `resource.d`/`init.d` scripts and OCF agents.
//!
//! A run starts the script in its own process group with a clean environment (the runner's
//! variables plus, for OCF, `OCF_ROOT` and `OCF_RESKEY_*`), captures stdout and stderr (only the
//! last [`RunOptions::output_limit`] bytes are kept, and logged line by line through `tracing`),
//! and enforces a timeout: on expiry the **whole process group** gets `SIGKILL`, so helpers the
//! script forked die with it. A script that exits normally may leave daemons behind (that is
//! what `start` does); its output pipes are then drained in the background so those daemons
//! never block or get `SIGPIPE`.
//!
//! Status mapping, as heartbeat's `ResourceManager` does for `resource.d`/`init.d` scripts: the
//! output of `status` decides — text matching `not … running` is stopped, `running` or `OK` is
//! running. When the text says neither, heartbeat would report "stopped"; we fall back to the
//! LSB exit code instead (0 running, 1–3 stopped, anything else unknown). OCF agents are asked
//! `monitor` and mapped by OCF code (0 and 8 running, 7 stopped, others failed).

pub(crate) mod process;
mod resource;
mod status;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use resource::ResourceRef;
pub use status::{ocf_status, script_status};

use process::run_command;

use crate::{PlatformError, Result};

/// Where scripts live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptDirs {
    /// heartbeat's resource scripts (`/etc/ha.d/resource.d`).
    pub resource_d: PathBuf,
    /// LSB init scripts (`/etc/init.d`), searched after `resource_d`.
    pub init_d: PathBuf,
    /// OCF root (`/usr/lib/ocf`); agents are `<root>/resource.d/<provider>/<agent>`.
    pub ocf_root: PathBuf,
}

impl Default for ScriptDirs {
    fn default() -> Self {
        ScriptDirs {
            resource_d: PathBuf::from("/etc/ha.d/resource.d"),
            init_d: PathBuf::from("/etc/init.d"),
            ocf_root: PathBuf::from("/usr/lib/ocf"),
        }
    }
}

/// What to ask a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `start`.
    Start,
    /// `stop`.
    Stop,
    /// `status` (scripts) / `monitor` (OCF).
    Status,
}

/// Limits and environment of a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Kill the process group after this long.
    pub timeout: Duration,
    /// Bytes of combined output kept (the tail).
    pub output_limit: usize,
    /// Environment given to the script (nothing else is inherited).
    pub env: Vec<(String, String)>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            timeout: Duration::from_secs(60),
            output_limit: 4096,
            env: vec![("PATH".into(), DEFAULT_PATH.into())],
        }
    }
}

/// `PATH` for scripts.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptOutcome {
    /// Exit status 0.
    Ok {
        /// Tail of the output.
        output: String,
    },
    /// Non-zero exit or killed by a signal.
    Failed {
        /// Exit code, if it exited.
        code: Option<i32>,
        /// Signal, if a signal ended it.
        signal: Option<i32>,
        /// Tail of the output.
        output_tail: String,
    },
    /// Still running at the timeout; its process group was killed.
    TimedOut {
        /// Tail of the output.
        output_tail: String,
    },
}

/// Result of asking a resource whether it runs here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceStatus {
    /// Running (held by this node).
    Running,
    /// Not running.
    Stopped,
    /// The answer could not be interpreted or the check failed.
    Unknown(ScriptOutcome),
}

/// OCF exit code: success.
pub const OCF_SUCCESS: i32 = 0;
/// OCF exit code: not running.
pub const OCF_NOT_RUNNING: i32 = 7;
/// OCF exit code: running as master.
pub const OCF_RUNNING_MASTER: i32 = 8;

/// What exactly would be executed for a resource action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The script or agent.
    pub program: PathBuf,
    /// Its arguments (ending with the action word).
    pub args: Vec<String>,
    /// Environment added to the runner's (OCF variables).
    pub env: Vec<(String, String)>,
}

/// Runs resource scripts.
#[derive(Debug, Clone, Default)]
pub struct ScriptRunner {
    dirs: ScriptDirs,
    options: RunOptions,
}

impl ScriptRunner {
    /// A runner using `dirs` and `options` for every run.
    pub fn new(dirs: ScriptDirs, options: RunOptions) -> Self {
        ScriptRunner { dirs, options }
    }

    /// The program, its arguments and extra environment for `action` on `res`.
    pub fn command_for(&self, res: &ResourceRef, action: Action) -> Result<Invocation> {
        match res {
            ResourceRef::Script { name, args } => {
                let searched = vec![self.dirs.resource_d.clone(), self.dirs.init_d.clone()];
                let program =
                    searched.iter().map(|d| d.join(name)).find(|p| is_executable(p)).ok_or_else(
                        || PlatformError::ScriptNotFound {
                            name: name.clone(),
                            searched: searched.clone(),
                        },
                    )?;
                let mut argv = args.clone();
                argv.push(action_word(action, false).to_string());
                Ok(Invocation { program, args: argv, env: Vec::new() })
            }
            ResourceRef::Ocf { provider, agent, params } => {
                let program = self.dirs.ocf_root.join("resource.d").join(provider).join(agent);
                if !is_executable(&program) {
                    return Err(PlatformError::ScriptNotFound {
                        name: res.display_name(),
                        searched: vec![program],
                    });
                }
                let mut env = vec![
                    ("OCF_ROOT".to_string(), self.dirs.ocf_root.display().to_string()),
                    ("OCF_RA_VERSION_MAJOR".to_string(), "1".to_string()),
                    ("OCF_RA_VERSION_MINOR".to_string(), "0".to_string()),
                    ("OCF_RESOURCE_TYPE".to_string(), agent.clone()),
                    ("OCF_RESOURCE_PROVIDER".to_string(), provider.clone()),
                    ("OCF_RESOURCE_INSTANCE".to_string(), agent.clone()),
                    (
                        "OCF_RESKEY_CRM_meta_timeout".to_string(),
                        self.options.timeout.as_millis().to_string(),
                    ),
                ];
                env.extend(params.iter().map(|(k, v)| (format!("OCF_RESKEY_{k}"), v.clone())));
                Ok(Invocation { program, args: vec![action_word(action, true).to_string()], env })
            }
        }
    }

    /// Runs `action` on `res` and reports how it ended.
    pub async fn run(&self, res: &ResourceRef, action: Action) -> Result<ScriptOutcome> {
        let Invocation { program, args, env: extra_env } = self.command_for(res, action)?;
        let name = res.display_name();
        tracing::info!("Running {} {} ", program.display(), args.join(" "));
        let started = Instant::now();
        let outcome = run_command(&program, &args, &self.options, &extra_env, &name).await?;
        match &outcome {
            ScriptOutcome::Ok { .. } => {
                tracing::debug!("{name} {:?} done in {:?}", action, started.elapsed())
            }
            ScriptOutcome::Failed { code, signal, .. } => tracing::error!(
                "Return code {} from {}",
                code.map(|c| c.to_string())
                    .unwrap_or_else(|| format!("signal {}", signal.unwrap_or(0))),
                program.display()
            ),
            ScriptOutcome::TimedOut { .. } => tracing::error!(
                "{} {:?} timed out after {:?}; process group killed",
                program.display(),
                action,
                self.options.timeout
            ),
        }
        Ok(outcome)
    }

    /// Whether `res` is running here (see the module doc for the mapping).
    pub async fn status(&self, res: &ResourceRef) -> Result<ResourceStatus> {
        let outcome = self.run(res, Action::Status).await?;
        Ok(match res {
            ResourceRef::Script { .. } => script_status(outcome),
            ResourceRef::Ocf { .. } => ocf_status(outcome),
        })
    }
}

/// heartbeat 3.0.6's environment for resource scripts, from what its `main` and `harc` set:
/// `HA_DIR`, `HA_FUNCS` (`<HA_DIR>/shellfuncs`), `HA_DATEFMT`, `HA_LOGFILE`, `HA_DEBUGLOG`,
/// `HA_LOGFACILITY` (facility name), `HA_LOGD` (`no`), `HA_DEBUG` (only when > 0) and
/// `HA_CURHOST` (this node), plus `HA_RESOURCEDIR` (which `ResourceManager` reads from
/// `shellfuncs`) and `PATH`. heartbeat also passes on its own inherited environment; we do not
/// (scripts see only this list, plus `extra`, given verbatim).
pub fn heartbeat_env(
    node: &str,
    ha_dir: &Path,
    log: &crate::logging::LogTargets,
    extra: &[(String, String)],
) -> Vec<(String, String)> {
    let path_text =
        |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let mut env = vec![
        ("PATH".to_string(), DEFAULT_PATH.to_string()),
        ("HA_CURHOST".to_string(), node.to_string()),
        ("HA_DIR".to_string(), ha_dir.display().to_string()),
        ("HA_FUNCS".to_string(), ha_dir.join("shellfuncs").display().to_string()),
        ("HA_RESOURCEDIR".to_string(), ha_dir.join("resource.d").display().to_string()),
        ("HA_DATEFMT".to_string(), "%Y/%m/%d_%T\t".to_string()),
        ("HA_LOGFILE".to_string(), path_text(&log.logfile)),
        ("HA_DEBUGLOG".to_string(), path_text(&log.debugfile)),
        ("HA_LOGD".to_string(), "no".to_string()),
    ];
    if let Some(f) = &log.facility {
        env.push(("HA_LOGFACILITY".to_string(), f.name().to_string()));
    }
    if log.debug > 0 {
        env.push(("HA_DEBUG".to_string(), log.debug.to_string()));
    }
    env.extend(extra.iter().cloned());
    env
}

fn action_word(action: Action, ocf: bool) -> &'static str {
    match action {
        Action::Start => "start",
        Action::Stop => "stop",
        Action::Status if ocf => "monitor",
        Action::Status => "status",
    }
}

pub(crate) fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
