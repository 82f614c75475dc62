//! `hbctl check-config --keepalived FILE`: read keepalived.conf the way the daemon's keepalived
//! mode will and print the effective instances (defaults filled in), then every finding.
//! Exit status 1 when keepalived 2.2.7's `-t` would fail too (any error finding, or a
//! configuration with no runnable instance), else 0.

use std::path::Path;
use std::time::Duration;

use hb_config::keepalived::{
    load_keepalived, Auth, InitialState, KeepalivedConf, Notify, VrrpInstance, VrrpScript,
};

/// Checks `path`; returns the exit status.
pub fn run(path: &Path) -> i32 {
    let conf = match load_keepalived(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    for line in effective(&conf) {
        println!("{line}");
    }
    for f in &conf.findings {
        eprintln!("{f}");
    }
    if conf.instances.is_empty() {
        eprintln!("{}: no valid vrrp_instance", path.display());
        return 1;
    }
    i32::from(conf.has_errors())
}

/// The effective configuration, as indented `keyword value` lines.
pub fn effective(c: &KeepalivedConf) -> Vec<String> {
    let mut out = Vec::new();
    let g = &c.global;
    out.push("global_defs".to_owned());
    out.push(format!("  router_id {}", g.router_id.as_deref().unwrap_or("(host name)")));
    out.push(format!("  vrrp_version {}", g.vrrp_version));
    if let Some((u, grp)) = &g.script_user {
        out.push(format!(
            "  script_user {u}{}",
            grp.as_ref().map(|g| format!(" {g}")).unwrap_or_default()
        ));
    }
    out.push(format!("  enable_script_security {}", yes(g.enable_script_security)));
    for s in &c.scripts {
        script(&mut out, s);
    }
    for i in &c.instances {
        instance(&mut out, i);
    }
    for s in &c.sync_groups {
        out.push(format!("vrrp_sync_group {}", s.name));
        out.push(format!("  group {}", s.instances.join(" ")));
        notify(&mut out, &s.notify);
    }
    out
}

fn script(out: &mut Vec<String>, s: &VrrpScript) {
    out.push(format!("vrrp_script {}", s.name));
    out.push(format!("  script {}", s.command));
    out.push(format!("  interval {}", secs(s.interval)));
    out.push(format!("  timeout {}", secs(s.timeout)));
    let rev = if s.weight_reverse { " reverse" } else { "" };
    out.push(format!("  weight {}{rev}", s.weight));
    out.push(format!("  rise {}", s.rise));
    out.push(format!("  fall {}", s.fall));
    if s.init_fail {
        out.push("  init_fail".to_owned());
    }
}

fn instance(out: &mut Vec<String>, i: &VrrpInstance) {
    out.push(format!("vrrp_instance {}", i.name));
    let state = match i.state {
        InitialState::Master => "MASTER",
        InitialState::Backup => "BACKUP",
    };
    out.push(format!("  state {state}"));
    out.push(format!("  interface {}", i.interface));
    out.push(format!("  virtual_router_id {}", i.vrid));
    out.push(format!("  priority {}", i.priority));
    out.push(format!("  version {}", i.version));
    out.push(format!("  advert_int {}", secs(i.advert_int)));
    out.push(format!("  preempt {}", yes(!i.nopreempt)));
    out.push(format!("  preempt_delay {}", secs(i.preempt_delay)));
    let auth = match &i.auth {
        None => "none".to_owned(),
        // The password itself is not printed: the output may end up in a ticket.
        Some(Auth::Pass(p)) => format!("PASS ({} characters)", p.chars().count()),
        Some(Auth::Ah(_)) => "AH (not supported: none)".to_owned(),
    };
    out.push(format!("  authentication {auth}"));
    if i.vips.is_empty() {
        out.push("  virtual_ipaddress (none)".to_owned());
    }
    for v in &i.vips {
        out.push(format!("  virtual_ipaddress {v}"));
    }
    for v in &i.vips_excluded {
        out.push(format!("  virtual_ipaddress_excluded {v}"));
    }
    if let Some(s) = i.unicast_src_ip {
        out.push(format!("  unicast_src_ip {s}"));
    }
    if i.unicast_peers.is_empty() {
        let group = if i.vips.first().is_some_and(|v| v.addr.is_ipv6()) {
            "ff02::12"
        } else {
            "224.0.0.18"
        };
        out.push(format!("  multicast {group}"));
    }
    for p in &i.unicast_peers {
        out.push(format!("  unicast_peer {p}"));
    }
    for t in &i.track_scripts {
        let w = t.weight.map(|w| format!(" weight {w}")).unwrap_or_default();
        out.push(format!("  track_script {}{w}", t.name));
    }
    if i.dont_track_primary {
        out.push("  dont_track_primary yes".to_owned());
    }
    for t in &i.track_interfaces {
        let w = t.weight.map(|w| format!(" weight {w}")).unwrap_or_default();
        out.push(format!("  track_interface {}{w}", t.name));
    }
    notify(out, &i.notify);
    out.push(format!("  garp_master_delay {}", secs(i.garp_master_delay)));
    out.push(format!("  garp_master_repeat {}", i.garp_master_repeat));
    out.push(format!("  garp_master_refresh {}", secs(i.garp_master_refresh)));
}

fn notify(out: &mut Vec<String>, n: &Notify) {
    let all = [
        ("notify_master", &n.master),
        ("notify_backup", &n.backup),
        ("notify_fault", &n.fault),
        ("notify_stop", &n.stop),
        ("notify", &n.any),
    ];
    for (k, c) in all {
        if let Some(c) = c {
            out.push(format!("  {k} {c}"));
        }
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    format!("{s}")
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
