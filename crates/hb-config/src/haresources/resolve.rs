//! Finding the program behind each resource, as heartbeat's `ResourceManager` does:
//! `resource.d/NAME`, then `init.d/NAME`; OCF agents under `<ocf root>/PROVIDER/AGENT`.

use std::path::{Path, PathBuf};

use super::types::*;
use crate::error::ConfigError;

/// Directories searched for resource programs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptRoots {
    /// Heartbeat resource scripts (default `/etc/ha.d/resource.d`).
    pub resource_d: PathBuf,
    /// Init scripts (default `/etc/init.d`).
    pub init_d: PathBuf,
    /// OCF agents root (default `/usr/lib/ocf/resource.d`).
    pub ocf: PathBuf,
}

impl Default for ScriptRoots {
    fn default() -> Self {
        ScriptRoots {
            resource_d: PathBuf::from("/etc/ha.d/resource.d"),
            init_d: PathBuf::from("/etc/init.d"),
            ocf: PathBuf::from("/usr/lib/ocf/resource.d"),
        }
    }
}

/// Sets [`Resource::script`] of every resource, or names the first resource whose program is
/// missing or not executable. `IPaddr`/`IPaddr2` and `MailTo` are built in.
pub fn resolve_scripts(res: &mut Haresources, roots: &ScriptRoots) -> Result<(), ConfigError> {
    for r in res.groups.iter_mut().flat_map(|g| g.resources.iter_mut()) {
        r.script = match &r.kind {
            ResourceKind::IpAddr { .. } | ResourceKind::ReservedIp { .. } => ScriptPath::Builtin,
            ResourceKind::Script { name, .. } if name == "MailTo" => ScriptPath::Builtin,
            ResourceKind::Script { name, .. } => {
                let candidates = [roots.resource_d.join(name), roots.init_d.join(name)];
                match candidates.iter().find(|p| p.is_file()) {
                    Some(p) => executable(r, p)?,
                    None => {
                        return Err(ConfigError::invalid(
                            r.location.clone(),
                            format!(
                                "unknown resource script `{name}`: not found in {} or {}; expected \
                                 a script there, IPaddr/IPaddr2, MailTo, or an ocf:PROVIDER:AGENT",
                                roots.resource_d.display(),
                                roots.init_d.display()
                            ),
                        ))
                    }
                }
            }
            ResourceKind::Ocf { provider, agent, .. } => {
                let p = roots.ocf.join(provider).join(agent);
                if !p.is_file() {
                    return Err(ConfigError::invalid(
                        r.location.clone(),
                        format!(
                            "unknown OCF agent `ocf:{provider}:{agent}`: {} does not exist",
                            p.display()
                        ),
                    ));
                }
                executable(r, &p)?
            }
        };
    }
    Ok(())
}

fn executable(r: &Resource, p: &Path) -> Result<ScriptPath, ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(p).map(|m| m.permissions().mode()).unwrap_or(0);
    if mode & 0o111 == 0 {
        return Err(ConfigError::invalid(
            r.location.clone(),
            format!("resource script {} is not executable; expected chmod +x", p.display()),
        ));
    }
    Ok(ScriptPath::Found(p.to_path_buf()))
}
