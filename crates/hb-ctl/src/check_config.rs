//! `hbctl check-config`: load `/etc/ha.d` the way the daemon will, print the effective
//! configuration (one setting per line, derived defaults included) and every warning.
//! Exit status 0 when the configuration is valid, 1 otherwise (the error is printed as
//! `file:line:column: message` on stderr).

use std::path::PathBuf;

use hb_config::hacf::{ClientChild, Peer, Stonith};
use hb_config::haresources::ScriptPath;
use hb_config::time::format_time;
use hb_config::{AutoFailback, Config, LoadOptions, Medium, ResourceKind};

/// Options of `hbctl check-config`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory holding ha.cf, haresources and authkeys.
    #[arg(long, default_value = "/etc/ha.d")]
    pub dir: PathBuf,
    /// Heartbeat resource scripts directory (default: DIR/resource.d).
    #[arg(long)]
    pub resource_d: Option<PathBuf>,
    /// Init scripts directory.
    #[arg(long, default_value = "/etc/init.d")]
    pub init_d: PathBuf,
    /// OCF resource agents root.
    #[arg(long, default_value = "/usr/lib/ocf/resource.d")]
    pub ocf_root: PathBuf,
    /// Check syntax only: do not look up resource scripts.
    #[arg(long)]
    pub syntax_only: bool,
    /// Check this keepalived.conf instead of /etc/ha.d and print its effective VRRP instances.
    #[arg(long, value_name = "FILE")]
    pub keepalived: Option<PathBuf>,
}

/// Runs the check; exits with status 1 on an invalid configuration.
pub fn run(args: &Args) -> anyhow::Result<()> {
    if let Some(file) = &args.keepalived {
        std::process::exit(crate::check_keepalived::run(file));
    }
    let mut opts = LoadOptions::for_dir(&args.dir);
    opts.roots.resource_d = args.resource_d.clone().unwrap_or_else(|| args.dir.join("resource.d"));
    opts.roots.init_d = args.init_d.clone();
    opts.roots.ocf = args.ocf_root.clone();
    opts.check_scripts = !args.syntax_only;
    match Config::load_with(&opts) {
        Ok(config) => {
            for line in effective_settings(&config) {
                println!("{line}");
            }
            metrics_settings(&args.dir);
            for w in &config.warnings {
                eprintln!("{w}");
            }
            Ok(())
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

/// Checks and prints the optional `metrics.cf` (heartbeat-rs's own file beside ha.cf); exits
/// with status 1 when it is invalid.
fn metrics_settings(dir: &std::path::Path) {
    use hb_config::metrics_cf::{load, DEFAULT_MAX_CONNECTIONS, FILE_NAME};
    match load(dir) {
        Ok(None) => {}
        Ok(Some(m)) => {
            if let Some(addr) = m.listen {
                println!("{FILE_NAME}: listen {addr}");
            }
            let n = m.max_connections.unwrap_or(DEFAULT_MAX_CONNECTIONS);
            println!("{FILE_NAME}: max_connections {n}");
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}

/// The effective configuration, one `setting value` per line.
pub fn effective_settings(c: &Config) -> Vec<String> {
    let h = &c.hacf;
    let t = &h.timers;
    let mut out = Vec::new();
    for n in &h.nodes {
        out.push(format!("node {n}"));
    }
    out.push(format!("keepalive {}", format_time(t.keepalive)));
    out.push(format!("deadtime {}", format_time(t.deadtime)));
    out.push(format!("warntime {}", format_time(t.warntime)));
    out.push(format!("initdead {}", format_time(t.initdead)));
    out.push(format!("deadping {}", format_time(t.deadping)));
    for m in &h.media {
        out.push(medium(m));
    }
    let af = match h.auto_failback {
        AutoFailback::On => "on",
        AutoFailback::Off => "off",
        AutoFailback::Legacy => "legacy",
    };
    out.push(format!("auto_failback {af}"));
    for p in &h.ping_nodes {
        out.push(format!("{} {}", if p.ipv6 { "ping6" } else { "ping" }, p.address));
    }
    for g in &h.ping_groups {
        out.push(format!("ping_group {} {}", g.name, g.members.join(" ")));
    }
    let l = &h.logging;
    let path =
        |p: &Option<PathBuf>| p.as_ref().map_or("(none)".to_owned(), |p| p.display().to_string());
    out.push(format!("use_logd {}", yes_no(l.use_logd)));
    out.push(format!("logfile {}", path(&l.logfile)));
    out.push(format!("debugfile {}", path(&l.debugfile)));
    out.push(format!("logfacility {}", l.facility.as_deref().unwrap_or("none")));
    out.push(format!("conn_logd_time {}", format_time(l.conn_logd_time)));
    out.push(format!("debug {}", l.debug_level));
    out.push(format!("log_badpack {}", yes_no(l.log_badpack)));
    out.push(format!("syslogmsgfmt {}", yes_no(l.syslog_format_files)));
    for a in &h.apiauth {
        let mut s = format!("apiauth {}", a.client);
        if !a.uids.is_empty() {
            s.push_str(&format!(" uid={}", a.uids.join(",")));
        }
        if !a.gids.is_empty() {
            s.push_str(&format!(" gid={}", a.gids.join(",")));
        }
        if a.builtin {
            s.push_str("  # built-in default");
        }
        out.push(s);
    }
    for ClientChild { user, command, failfast, .. } in &h.clients {
        out.push(format!("{} {user} {command}", if *failfast { "failfast" } else { "respawn" }));
    }
    for s in &h.stonith {
        match s {
            Stonith::File { device_type, config_file } => {
                out.push(format!("stonith {device_type} {config_file}"))
            }
            Stonith::Host { host, device_type, .. } => {
                out.push(format!("stonith_host {host} {device_type} (parameters not shown)"))
            }
        }
    }
    out.push(format!("watchdog {}", path(&h.watchdog)));
    for (k, v) in &h.env {
        out.push(format!("env {k}={v}"));
    }
    let u = &h.tuning;
    out.push(format!("cluster {}", u.cluster_name));
    out.push(format!("hopfudge {}", u.hopfudge));
    out.push(format!("realtime {}", yes_no(u.realtime)));
    out.push(format!("rtprio {}", u.rtprio.map_or("(default)".to_owned(), |p| p.to_string())));
    out.push(format!("memreserve {}", u.memreserve_kb));
    out.push(format!("hbgenmethod {}", format!("{:?}", u.generation_method).to_lowercase()));
    out.push(format!("uuidfrom {}", format!("{:?}", u.uuid_from).to_lowercase()));
    out.push(format!("msgfmt {}", format!("{:?}", u.msgfmt).to_lowercase()));
    out.push(format!("compression {}", format!("{:?}", u.compression).to_lowercase()));
    out.push(format!("compression_threshold {}", u.compression_threshold_kb));
    out.push(format!("traditional_compression {}", yes_no(u.traditional_compression)));
    out.push(format!("max_rexmit_delay {}", u.max_rexmit_delay.as_millis()));
    out.push(format!("coredumps {}", yes_no(u.coredumps)));
    out.push(format!("coreroot {}", path(&u.coreroot)));
    out.push(format!("use_apphbd {}", yes_no(u.use_apphbd)));
    out.push(format!("auth {}", c.authkeys.active().index()));
    for k in c.authkeys.keys() {
        out.push(format!("key {} {} (secret not shown)", k.index(), k.method().name()));
    }
    for g in &c.haresources.groups {
        let rs: Vec<String> = g.resources.iter().map(resource).collect();
        out.push(format!("group {} {}", g.preferred_node, rs.join(" ")));
    }
    if let Some(cloud) = &c.cloud {
        out.extend(crate::check_cloud::cloud_settings(cloud));
    }
    if let Some(a) = &c.arbiter {
        out.push(crate::check_cloud::arbiter_settings(a, c.hacf.timers.deadtime));
    }
    out.extend(monitor_settings(&c.monitors));
    out
}

/// `monitor …` and `policy …` lines for the `monitors` file (nothing when it is absent).
fn monitor_settings(m: &hb_config::Monitors) -> Vec<String> {
    use hb_config::monitors::MonitorKind;
    let mut out = Vec::new();
    let mut groups: Vec<&str> = Vec::new();
    for c in &m.checks {
        let what = match &c.kind {
            MonitorKind::Status => "status".to_owned(),
            MonitorKind::Exec { program, args } => {
                let mut s = format!("exec:{}", program.display());
                for a in args {
                    s.push(' ');
                    s.push_str(a);
                }
                s
            }
            MonitorKind::Tcp { host, port } if host.contains(':') => format!("tcp:[{host}]:{port}"),
            MonitorKind::Tcp { host, port } => format!("tcp:{host}:{port}"),
            MonitorKind::Http { url, expect, .. } => format!("{url} expect={expect}"),
        };
        out.push(format!(
            "monitor {} {what} interval={} timeout={} fall={} rise={} delay={}",
            c.resource,
            format_time(c.interval),
            format_time(c.timeout),
            c.fall,
            c.rise,
            format_time(c.delay)
        ));
        if !groups.contains(&c.group_key.as_str()) {
            groups.push(&c.group_key);
        }
    }
    for p in &m.policies {
        if !groups.contains(&p.group_key.as_str()) {
            groups.push(&p.group_key);
        }
    }
    for g in groups {
        let p = m.policy_for(g);
        out.push(format!("policy {g} restarts={} window={}", p.restarts, format_time(p.window)));
    }
    out
}

fn medium(m: &Medium) -> String {
    match m {
        Medium::Bcast { interface, port } => format!("bcast {interface} port={port}"),
        Medium::Ucast { interface, peer, port } => {
            format!("ucast {interface} {} port={port}", peer_str(peer))
        }
        Medium::Ucast6 { interface, peer, port } => {
            format!("ucast6 {interface} {} port={port}", peer_str(peer))
        }
        Medium::Mcast { interface, group, port, ttl, loopback } => {
            format!("mcast {interface} {group} {port} {ttl} {}", u8::from(*loopback))
        }
        Medium::Mcast6 { interface, group, port, hops, loopback } => {
            format!("mcast6 {interface} {group} {port} {hops} {}", u8::from(*loopback))
        }
        Medium::Serial { device, baud } => format!("serial {} baud={baud}", device.display()),
        other => format!("medium {other:?}"),
    }
}

fn peer_str(p: &Peer) -> String {
    p.to_string()
}

fn resource(r: &hb_config::Resource) -> String {
    let how = match (&r.kind, &r.script) {
        (ResourceKind::IpAddr { .. }, _) | (_, ScriptPath::Builtin) => "built-in".to_owned(),
        (_, ScriptPath::Found(p)) => p.display().to_string(),
        (_, ScriptPath::Unchecked) => "not checked".to_owned(),
    };
    format!("{}[{how}]", r.spec)
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
