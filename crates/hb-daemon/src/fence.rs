//! Fencing (STONITH) of a dead peer before its groups are taken over, from ha.cf's `stonith`
//! and `stonith_host` lines.
//!
//! Which command runs for `stonith_host FROM TYPE PARAMS…` (lines whose FROM is this node or
//! `*`) and `stonith TYPE FILE`:
//! - TYPE is an absolute path: that program runs as `TYPE PARAMS… reset NODE` (our own simple
//!   interface: any script can fence). Exit 0 = fenced.
//! - otherwise cluster-glue's `stonith` tool, if installed (`/usr/sbin/stonith`):
//!   `stonith -t TYPE -p "PARAMS" -T reset NODE`, or `-F FILE` for a `stonith` line.
//!
//! Devices are tried in file order until one succeeds; the whole round is tried
//! [`ATTEMPTS`] times. The node that is not the preferred node of the first group waits
//! `delay` first, so two nodes that lost each other never shoot each other at the same moment:
//! the preferred one wins.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use hb_config::hacf::Stonith;

/// Rounds over all devices before giving up.
pub const ATTEMPTS: u32 = 3;
/// Time limit of one fencing command.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Where cluster-glue installs its `stonith` tool.
pub const STONITH_TOOL: &str = "/usr/sbin/stonith";

/// One way to fence a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Program.
    pub program: PathBuf,
    /// Arguments before `reset NODE` (script) or the full argument list but the node (tool).
    pub args: Vec<String>,
    /// Description for logs.
    pub label: String,
}

/// The fencing setup of this node.
#[derive(Debug, Clone)]
pub struct Fencer {
    devices: Vec<Device>,
    delay: Duration,
}

impl Fencer {
    /// The devices this node uses, or `None` when ha.cf configures no fencing.
    pub fn from_config(lines: &[Stonith], local: &str, delay: Duration) -> Option<Fencer> {
        if lines.is_empty() {
            return None;
        }
        let devices = devices(lines, local, Path::new(STONITH_TOOL));
        Some(Fencer { devices, delay })
    }

    /// Fences `node`: Ok(what the device said) or Err(why it failed).
    pub async fn fence(&self, node: &str) -> Result<String, String> {
        if self.devices.is_empty() {
            return Err("no stonith device applies to this node".into());
        }
        if !self.delay.is_zero() {
            tracing::info!("fencing {node} in {:?} (we are not the preferred node)", self.delay);
            tokio::time::sleep(self.delay).await;
        }
        let mut last_error = String::new();
        for attempt in 1..=ATTEMPTS {
            for dev in &self.devices {
                tracing::warn!("fencing node {node} with {} (attempt {attempt})", dev.label);
                match run(dev, node).await {
                    Ok(out) => return Ok(format!("{}: {out}", dev.label)),
                    Err(e) => {
                        tracing::error!("fencing {node} with {} failed: {e}", dev.label);
                        last_error = format!("{}: {e}", dev.label);
                    }
                }
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        Err(last_error)
    }
}

/// The devices of `lines` that apply to `local` (pure; `tool` is cluster-glue's stonith).
pub fn devices(lines: &[Stonith], local: &str, tool: &Path) -> Vec<Device> {
    let mut out = Vec::new();
    for line in lines {
        match line {
            Stonith::Host { host, device_type, params } => {
                if host != "*" && host != local {
                    continue;
                }
                if device_type.starts_with('/') {
                    out.push(Device {
                        program: PathBuf::from(device_type),
                        args: params.split_whitespace().map(str::to_owned).collect(),
                        label: device_type.clone(),
                    });
                } else if tool.exists() {
                    out.push(Device {
                        program: tool.to_path_buf(),
                        args: vec!["-t".into(), device_type.clone(), "-p".into(), params.clone()],
                        label: format!("stonith -t {device_type}"),
                    });
                } else {
                    tracing::error!(
                        "stonith_host {host} {device_type}: needs cluster-glue's {} (not \
                         installed) or an absolute script path",
                        tool.display()
                    );
                }
            }
            Stonith::File { device_type, config_file } => {
                if tool.exists() {
                    out.push(Device {
                        program: tool.to_path_buf(),
                        args: vec![
                            "-t".into(),
                            device_type.clone(),
                            "-F".into(),
                            config_file.clone(),
                        ],
                        label: format!("stonith -t {device_type}"),
                    });
                } else {
                    tracing::error!(
                        "stonith {device_type} {config_file}: needs cluster-glue's {} (not installed)",
                        tool.display()
                    );
                }
            }
        }
    }
    out
}

async fn run(dev: &Device, node: &str) -> Result<String, String> {
    let mut cmd = tokio::process::Command::new(&dev.program);
    cmd.args(&dev.args);
    if dev.program.ends_with("stonith") && !dev.label.starts_with('/') {
        cmd.args(["-T", "reset", node]);
    } else {
        cmd.args(["reset", node]);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| format!("cannot run {}: {e}", dev.program.display()))?;
    let out = tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| format!("timed out after {COMMAND_TIMEOUT:?}"))?
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned()
        + String::from_utf8_lossy(&out.stderr).trim();
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{} {}", out.status, text.lines().last().unwrap_or("")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_scripts_for_this_node_and_star() {
        let lines = vec![
            Stonith::Host {
                host: "a".into(),
                device_type: "/bin/fence-a".into(),
                params: "x y".into(),
            },
            Stonith::Host {
                host: "b".into(),
                device_type: "/bin/fence-b".into(),
                params: String::new(),
            },
            Stonith::Host {
                host: "*".into(),
                device_type: "external/ssh".into(),
                params: "a b".into(),
            },
        ];
        let none = Path::new("/nonexistent/stonith");
        let d = devices(&lines, "a", none);
        assert_eq!(d.len(), 1, "external/ssh needs the stonith tool, absent here");
        assert_eq!(d[0].program, PathBuf::from("/bin/fence-a"));
        assert_eq!(d[0].args, vec!["x".to_owned(), "y".to_owned()]);
        let tool = Path::new("/bin/sh"); // any existing file stands in for the tool
        let d = devices(&lines, "b", tool);
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].args, vec!["-t", "external/ssh", "-p", "a b"]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn runs_the_script_with_reset_node_and_reports_failure() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("calls");
        let script = dir.path().join("fence");
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho \"$@\" >> {}\n[ \"$3\" = good ]\n", log.display()),
        )
        .expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let lines = vec![Stonith::Host {
            host: "*".into(),
            device_type: script.display().to_string(),
            params: "p1".into(),
        }];
        let f = Fencer::from_config(&lines, "a", Duration::ZERO).expect("fencer");
        assert!(f.fence("good").await.is_ok());
        let err = f.fence("bad").await.expect_err("exit 1");
        assert!(err.contains("exit status: 1"), "{err}");
        let calls = std::fs::read_to_string(&log).expect("log");
        assert_eq!(calls.lines().next(), Some("p1 reset good"));
        assert_eq!(calls.lines().count(), 1 + ATTEMPTS as usize, "every attempt ran");
    }
}
