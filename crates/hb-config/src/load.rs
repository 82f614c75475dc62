//! Loading the three files of an `/etc/ha.d` directory and cross-checking them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::authkeys::{self, AuthKeys};
use crate::cloud::CloudConf;
use crate::error::{ConfigError, Warning};
use crate::hacf::{self, HaCf, HacfOptions, DEFAULT_UDP_PORT};
use crate::haresources::{self, Haresources, ResourceKind, ScriptRoots};
use crate::monitors::{self, Monitors};
use crate::text;

/// Where the files are and how to check them.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Path of `ha.cf`.
    pub hacf: PathBuf,
    /// Path of `haresources`.
    pub haresources: PathBuf,
    /// Path of `authkeys`.
    pub authkeys: PathBuf,
    /// Path of `cloud.conf`, read only when a `ReservedIP` resource needs it.
    pub cloud: PathBuf,
    /// Path of the optional `arbiter.conf` (absent: no etcd arbiter).
    pub arbiter: PathBuf,
    /// Path of our optional `monitors` file (absent: no checks, heartbeat 3.0.6 behaviour).
    pub monitors: PathBuf,
    /// Where resource scripts are looked up.
    pub roots: ScriptRoots,
    /// Look up resource scripts (false: syntax only, every script is
    /// [`crate::haresources::ScriptPath::Unchecked`]).
    pub check_scripts: bool,
    /// Port for media before any `udpport`; `None`: `ha-cluster/udp` in `/etc/services`,
    /// else 694 (as heartbeat).
    pub default_udp_port: Option<u16>,
}

impl LoadOptions {
    /// The three files in `dir`, resource scripts in `dir/resource.d` (heartbeat's layout;
    /// `/etc/ha.d/resource.d` for the usual dir), other roots at their defaults, scripts checked.
    pub fn for_dir(dir: &Path) -> Self {
        LoadOptions {
            hacf: dir.join("ha.cf"),
            haresources: dir.join("haresources"),
            authkeys: dir.join("authkeys"),
            cloud: dir.join("cloud.conf"),
            arbiter: dir.join("arbiter.conf"),
            monitors: dir.join("monitors"),
            roots: ScriptRoots { resource_d: dir.join("resource.d"), ..ScriptRoots::default() },
            check_scripts: true,
            default_udp_port: None,
        }
    }
}

/// A complete, cross-checked heartbeat configuration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// `ha.cf`.
    pub hacf: HaCf,
    /// `haresources` (every preferred node is one of `hacf.nodes`).
    pub haresources: Haresources,
    /// `authkeys`.
    pub authkeys: AuthKeys,
    /// The optional `monitors` file (empty when absent).
    pub monitors: Monitors,
    /// Everything worth telling the administrator, in file order per file.
    pub warnings: Vec<Warning>,
    /// `cloud.conf`, when a `ReservedIP` resource needs it.
    pub cloud: Option<CloudConf>,
    /// `arbiter.conf`, when it exists (the etcd lease arbiter is on).
    pub arbiter: Option<crate::arbiter::ArbiterConf>,
}

impl Config {
    /// Loads `DIR/ha.cf`, `DIR/haresources` and `DIR/authkeys` with default options.
    pub fn load(dir: &Path) -> Result<Config, ConfigError> {
        Config::load_with(&LoadOptions::for_dir(dir))
    }

    /// Loads with explicit paths and roots.
    pub fn load_with(opts: &LoadOptions) -> Result<Config, ConfigError> {
        let port = opts.default_udp_port.unwrap_or_else(services_port);
        let hacf_text = read(&opts.hacf)?;
        let (hacf, mut warnings) = hacf::parse_hacf(
            &opts.hacf,
            text::decode(&opts.hacf, &hacf_text)?,
            &HacfOptions { default_udp_port: port },
        )?;
        let (authkeys, w) = authkeys::load_authkeys(&opts.authkeys)?;
        warnings.extend(w);
        let hr_text = read(&opts.haresources)?;
        let mut haresources = haresources::parse_haresources(
            &opts.haresources,
            text::decode(&opts.haresources, &hr_text)?,
        )?;
        cross_check(&hacf, &haresources, &mut warnings, &opts.haresources)?;
        if opts.check_scripts {
            haresources::resolve_scripts(&mut haresources, &opts.roots)?;
        }
        let cloud = crate::cloud::load_for(&haresources, &opts.cloud)?;
        let monitors = monitors::load_monitors(&opts.monitors, &haresources, opts.check_scripts)?;
        let arbiter = crate::arbiter::load_arbiter_conf(&opts.arbiter)?;
        Ok(Config { hacf, haresources, authkeys, monitors, warnings, cloud, arbiter })
    }

    /// Builds a configuration from file texts (no file system access, scripts unchecked,
    /// no authkeys mode check). For tests and simulations of other crates; `default_udp_port`
    /// as in [`LoadOptions`]. Messages name the files `ha.cf`, `haresources` and `authkeys`.
    pub fn from_texts(
        hacf_text: &str,
        haresources_text: &str,
        authkeys_text: &str,
        default_udp_port: u16,
    ) -> Result<Config, ConfigError> {
        let (hacf, mut warnings) =
            hacf::parse_hacf(Path::new("ha.cf"), hacf_text, &HacfOptions { default_udp_port })?;
        let (authkeys, w) = authkeys::parse_authkeys(Path::new("authkeys"), authkeys_text)?;
        warnings.extend(w);
        let hr_path = Path::new("haresources");
        let haresources = haresources::parse_haresources(hr_path, haresources_text)?;
        cross_check(&hacf, &haresources, &mut warnings, hr_path)?;
        Ok(Config {
            hacf,
            haresources,
            authkeys,
            monitors: Monitors::default(),
            warnings,
            cloud: None,
            arbiter: None,
        })
    }
}

/// Checks between files: preferred nodes exist, group keys are unique.
fn cross_check(
    hacf: &HaCf,
    hr: &Haresources,
    warnings: &mut Vec<Warning>,
    hr_path: &Path,
) -> Result<(), ConfigError> {
    let mut keys: HashMap<&str, u32> = HashMap::new();
    let mut addrs: HashMap<std::net::IpAddr, u32> = HashMap::new();
    for g in &hr.groups {
        if !hacf.nodes.contains(&g.preferred_node) {
            return Err(ConfigError::invalid(
                g.location.clone(),
                format!(
                    "preferred node `{}` is not a node of ha.cf; expected one of: {}",
                    g.preferred_node,
                    hacf.nodes.join(", ")
                ),
            ));
        }
        if let Some(first) = keys.insert(g.key(), g.location.line) {
            let loc = g.resources.first().map_or(g.location.clone(), |r| r.location.clone());
            return Err(ConfigError::invalid(
                loc,
                format!(
                    "group key `{}` already starts the group at line {first}; the first resource \
                     of each group must be unique (it names the group on the wire)",
                    g.key()
                ),
            ));
        }
        for r in &g.resources {
            if let ResourceKind::IpAddr { spec, .. } = &r.kind {
                if let Some(line) = addrs.insert(spec.address, r.location.line) {
                    warnings.push(Warning::new(
                        r.location.clone(),
                        format!("address {} is also managed at line {line}", spec.address),
                    ));
                }
            }
        }
    }
    if hr.groups.is_empty() {
        warnings.push(Warning::new(crate::Location::new(hr_path, 1, 1), "no resource groups"));
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, ConfigError> {
    text::read_limited(path)
}

/// `ha-cluster/udp` from `/etc/services`, else 694.
fn services_port() -> u16 {
    let text = std::fs::read_to_string("/etc/services").unwrap_or_default();
    services_port_in(&text).unwrap_or(DEFAULT_UDP_PORT)
}

fn services_port_in(text: &str) -> Option<u16> {
    text.lines().find_map(|l| {
        let l = l.split('#').next().unwrap_or("");
        let mut w = l.split_whitespace();
        let name = w.next()?;
        let (port, proto) = w.next()?.split_once('/')?;
        let aliases: Vec<&str> = w.collect();
        ((name == "ha-cluster" || aliases.contains(&"ha-cluster")) && proto == "udp")
            .then(|| port.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_texts_cross_checks() {
        let c =
            Config::from_texts("node a b\nbcast eth0\n", "A 10.0.0.1\n", "auth 1\n1 crc\n", 694);
        let c = c.unwrap();
        assert_eq!(c.haresources.groups[0].preferred_node, "a");
        let e = Config::from_texts("node a\nbcast eth0\n", "c 10.0.0.1\n", "auth 1\n1 crc\n", 694);
        assert_eq!(
            e.unwrap_err().to_string(),
            "haresources:1:1: preferred node `c` is not a node of ha.cf; expected one of: a"
        );
        let e = Config::from_texts(
            "node a\nbcast eth0\n",
            "a 10.0.0.1 x\na 10.0.0.1\n",
            "auth 1\n1 crc\n",
            694,
        );
        assert!(e
            .unwrap_err()
            .to_string()
            .starts_with("haresources:2:3: group key `10.0.0.1` already starts"));
        let c = Config::from_texts(
            "node a\nbcast eth0\n",
            "a 10.0.0.1\na IPaddr::10.0.0.1/24\n",
            "auth 1\n1 crc\n",
            694,
        )
        .unwrap();
        assert_eq!(
            c.warnings[1].to_string(),
            "haresources:2:3: warning: address 10.0.0.1 is also managed at line 1"
        );
    }

    #[test]
    fn services_lookup() {
        assert_eq!(services_port_in("ha-cluster\t694/udp\t# Heartbeat\n"), Some(694));
        assert_eq!(services_port_in("x 1/tcp\nfoo 7000/udp ha-cluster\n"), Some(7000));
        assert_eq!(services_port_in("ha-cluster 694/tcp\n"), None);
    }
}
