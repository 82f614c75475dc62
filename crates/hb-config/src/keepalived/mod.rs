//! keepalived.conf (keepalived 2.2.7's syntax) into typed VRRP settings, for heartbeat-rs's
//! keepalived mode.
//!
//! Contract: the same file keepalived reads gives the same effective instances: `include` with
//! globs, nested blocks, quoting, `#`/`!` comments, and keepalived's one-statement-per-line
//! rule (so a one-line `authentication { auth_type PASS auth_pass 1111 }` has no password in
//! keepalived and none here). Whatever keepalived reports and goes on from is a
//! [`Finding`] of [`Severity::Error`] (`keepalived -t` fails on it, the daemon still starts
//! with the item ignored or defaulted); what heartbeat-rs accepts but does not do (LVS,
//! unsupported keywords) is a [`Severity::Warning`]. Unknown keywords never stop the parse.
//! Deliberate differences from keepalived: an instance with no `virtual_ipaddress` is fine
//! (cloud addresses moved by notify scripts), and a cut `auth_pass` names the cut value.
//! Only unreadable or oversized files, bad UTF-8 and runaway includes are a [`ConfigError`].

mod glob;
mod global;
mod instance;
mod lex;
mod types;
mod values;

use std::path::Path;

pub use types::{
    Auth, Command, Finding, GlobalDefs, InitialState, KeepalivedConf, Notify, Severity, SyncGroup,
    Track, Vip, VrrpInstance, VrrpScript,
};

use crate::error::ConfigError;
use values::Ctx;

/// keepalived's default configuration file.
pub const DEFAULT_CONF: &str = "/etc/keepalived/keepalived.conf";

/// Reads the keepalived configuration at `path` (and the files it includes).
pub fn load_keepalived(path: &Path) -> Result<KeepalivedConf, ConfigError> {
    build(path, None, true)
}

/// Parses `text` as the keepalived configuration `path` (includes are read from disk,
/// relative to `path`'s directory).
pub fn parse_keepalived(path: &Path, text: &str) -> Result<KeepalivedConf, ConfigError> {
    build(path, Some(text), true)
}

/// [`parse_keepalived`] with `include` lines reported instead of followed (for the fuzzer,
/// which must not read the host's files).
pub fn parse_keepalived_no_include(path: &Path, text: &str) -> Result<KeepalivedConf, ConfigError> {
    build(path, Some(text), false)
}

/// Findings about interfaces that do not exist (`exists` answers for a name), as
/// `keepalived -t` checks them: an instance's `interface`, VIP `dev`s and tracked interfaces.
pub fn check_interfaces(conf: &KeepalivedConf, exists: impl Fn(&str) -> bool) -> Vec<Finding> {
    let mut out = Vec::new();
    for i in &conf.instances {
        let devs = i.vips.iter().chain(&i.vips_excluded).filter_map(|v| v.dev.as_deref());
        let tracked = i.track_interfaces.iter().map(|t| t.name.as_str());
        for name in std::iter::once(i.interface.as_str()).chain(devs).chain(tracked) {
            if !exists(name) {
                out.push(Finding::new(
                    i.location.clone(),
                    Severity::Error,
                    format!("({}) interface {name} does not exist", i.name),
                ));
            }
        }
    }
    out
}

fn build(path: &Path, text: Option<&str>, includes: bool) -> Result<KeepalivedConf, ConfigError> {
    let mut findings = Vec::new();
    let mut files = Vec::new();
    let tree = lex::read_tree(path, text, includes, &mut findings, &mut files)?;
    let mut cx = Ctx { findings };
    let mut global = GlobalDefs::default();
    // global_defs first wherever it is: instances take their defaults from it.
    for s in tree.iter().filter(|s| s.keyword() == "global_defs") {
        global::global_defs(&mut cx, s, &mut global);
    }
    let mut scripts = Vec::new();
    let mut instances: Vec<VrrpInstance> = Vec::new();
    let mut sync_groups = Vec::new();
    for s in &tree {
        match s.keyword() {
            "global_defs" => {}
            "vrrp_script" => scripts.extend(global::vrrp_script(&mut cx, s)),
            "vrrp_instance" => {
                if let Some(i) = instance::vrrp_instance(&mut cx, s, &global) {
                    if instances.iter().any(|o| o.name == i.name) {
                        cx.error(
                            &s.loc,
                            format!("vrrp_instance {} defined twice; ignored", i.name),
                        );
                    } else {
                        instances.push(i);
                    }
                }
            }
            "vrrp_sync_group" => sync_groups.extend(global::sync_group(&mut cx, s)),
            k if LVS_BLOCKS.contains(&k) => {
                cx.warn(&s.loc, format!("{k}: LVS is not supported by heartbeat-rs, ignored"))
            }
            k if UNSUPPORTED_BLOCKS.contains(&k) => {
                cx.warn(&s.loc, format!("{k}: not supported by heartbeat-rs, ignored"))
            }
            k => cx.unknown(s, k),
        }
    }
    cross_check(&mut cx, &scripts, &instances, &sync_groups);
    Ok(KeepalivedConf { global, scripts, instances, sync_groups, findings: cx.findings, files })
}

/// References between blocks: tracked scripts and grouped instances must exist.
fn cross_check(cx: &mut Ctx, scripts: &[VrrpScript], insts: &[VrrpInstance], groups: &[SyncGroup]) {
    for i in insts {
        for t in &i.track_scripts {
            if !scripts.iter().any(|s| s.name == t.name) {
                let msg = format!("({}) track_script {} is not defined; ignored", i.name, t.name);
                cx.error(&i.location, msg);
            }
        }
    }
    for g in groups {
        for name in &g.instances {
            if !insts.iter().any(|i| &i.name == name) {
                let msg = format!("vrrp_sync_group {}: no vrrp_instance {name}", g.name);
                cx.error(&g.location, msg);
            }
        }
    }
}

/// Top-level LVS blocks: valid keepalived, not heartbeat-rs's business.
const LVS_BLOCKS: &[&str] = &["virtual_server", "virtual_server_group"];

/// Top-level keepalived blocks heartbeat-rs does not implement.
const UNSUPPORTED_BLOCKS: &[&str] = &[
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "vrrp_track_file",
    "track_file",
    "vrrp_track_process",
    "track_process",
    "bfd_instance",
    "garp_group",
    "linkbeat_interfaces",
];

#[cfg(test)]
#[path = "keepalived_test.rs"]
mod keepalived_test;
