//! keepalived's signal dumps: SIGUSR1 writes `/tmp/keepalived.data`, SIGUSR2
//! `/tmp/keepalived.stats`, SIGJSON (`keepalived --signum=JSON`) `/tmp/keepalived.json`.
//!
//! The stats file and the JSON keep keepalived 2.2.7's layout and key names exactly (the
//! exporters people run parse them; `testdata/` holds files written by the real 2.2.7). The
//! data file keeps its section headings and `Key = value` lines for what this mode has; the
//! many lines about subsystems it does not have are left out.

use std::fmt::Write as _;
use std::path::Path;

use hb_api::VrrpStatus;
use hb_config::keepalived::{Auth, KeepalivedConf, VrrpInstance};

/// Where keepalived writes them (in [`DEFAULT_DIR`]).
pub const DATA_FILE: &str = "keepalived.data";
/// See [`DATA_FILE`].
pub const STATS_FILE: &str = "keepalived.stats";
/// See [`DATA_FILE`].
pub const JSON_FILE: &str = "keepalived.json";
/// keepalived's directory for them.
pub const DEFAULT_DIR: &str = "/tmp";
/// Environment variable naming another directory (tests run several daemons on one host).
pub const DIR_ENV: &str = "HB_KEEPALIVED_DUMP_DIR";

/// The path of dump file `name`.
pub fn path(name: &str) -> std::path::PathBuf {
    std::env::var_os(DIR_ENV)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| DEFAULT_DIR.into())
        .join(name)
}

/// keepalived's `/tmp/keepalived.stats`, one block per instance.
pub fn stats(list: &[VrrpStatus]) -> String {
    let mut o = String::new();
    for s in list {
        let r = |names: &[&str]| {
            names.iter().map(|n| s.rejects.get(*n).copied().unwrap_or(0)).sum::<u64>()
        };
        let _ = write!(
            o,
            "VRRP Instance: {}\n  Advertisements:\n    Received: {}\n    Sent: {}\n  \
             Became master: {}\n  Released master: {}\n  Packet Errors:\n    Length: {}\n    \
             TTL: {}\n    Invalid Type: {}\n    Advertisement Interval: {}\n    Address List: {}\n  \
             Authentication Errors:\n    Invalid Type: {}\n    Type Mismatch: {}\n    Failure: {}\n  \
             Priority Zero:\n    Received: {}\n    Sent: {}\n",
            s.name,
            s.adverts_received,
            s.adverts_sent,
            s.became_master,
            s.released_master,
            r(&["too_short", "bad_length"]),
            r(&["bad_ttl"]),
            r(&["bad_type"]),
            r(&["interval_mismatch", "bad_interval"]),
            s.address_list_errors,
            0,
            r(&["auth_type_mismatch"]),
            r(&["auth_mismatch"]),
            s.priority_zero_received,
            s.priority_zero_sent,
        );
    }
    o
}

/// keepalived's state numbers (`VRRP_STATE_*`), as its JSON dump gives them.
fn state_number(state: &str) -> u32 {
    match state {
        "BACKUP" => 1,
        "MASTER" => 2,
        "FAULT" => 3,
        "STOP" => 98,
        _ => 0,
    }
}

/// keepalived's `/tmp/keepalived.json`: `[{"data":{…},"stats":{…}}, …]`. `now_unix` is the
/// wall clock in seconds; `conf` gives what the status does not carry.
pub fn json(list: &[VrrpStatus], conf: &KeepalivedConf, now_unix: f64) -> String {
    let items: Vec<serde_json::Value> = list
        .iter()
        .map(|s| {
            let inst = conf.instances.iter().find(|i| i.name == s.name);
            let (nopreempt, preempt_delay, auth_type, auth_data, garp_delay, garp_rep) =
                match inst {
                    Some(i) => (
                        i.nopreempt,
                        i.preempt_delay.as_secs(),
                        match &i.auth {
                            None => 0,
                            Some(Auth::Pass(_)) => 1,
                            Some(Auth::Ah(_)) => 2,
                        },
                        match &i.auth {
                            Some(Auth::Pass(p)) => p.clone(),
                            _ => String::new(),
                        },
                        i.garp_master_delay.as_secs(),
                        i.garp_master_repeat,
                    ),
                    None => (false, 0, 0, String::new(), 0, 0),
                };
            let track: Vec<String> = inst
                .map(|i| {
                    i.track_scripts
                        .iter()
                        .filter_map(|t| conf.scripts.iter().find(|c| c.name == t.name))
                        .map(|c| format!("'{}'", c.command.argv.join("' '")))
                        .collect()
                })
                .unwrap_or_default();
            let state = state_number(&s.state);
            let r = |n: &str| s.rejects.get(n).copied().unwrap_or(0);
            serde_json::json!({
                "data": {
                    "iname": s.name,
                    "ifp_ifname": s.interface,
                    "master_priority": 0,
                    "last_transition": now_unix - s.since_ms as f64 / 1000.0,
                    "garp_delay": garp_delay,
                    "garp_rep": garp_rep,
                    "vrid": s.vrid,
                    "base_priority": s.base_priority,
                    "effective_priority": s.priority,
                    "vipset": s.state == "MASTER",
                    "adver_int": s.advert_int_ms as f64 / 1000.0,
                    "master_adver_int": s.advert_int_ms as f64 / 1000.0,
                    "accept": 1,
                    "nopreempt": nopreempt,
                    "preempt_delay": preempt_delay,
                    "state": state,
                    "wantstate": state,
                    "version": s.version,
                    "vips": s.vips.iter().map(|v| format!("{v} dev {} scope global", s.interface)).collect::<Vec<_>>(),
                    "track_script": track,
                    "auth_type": auth_type,
                    "auth_data": auth_data,
                },
                "stats": {
                    "advert_rcvd": s.adverts_received,
                    "advert_sent": s.adverts_sent,
                    "become_master": s.became_master,
                    "release_master": s.released_master,
                    "packet_len_err": r("too_short") + r("bad_length"),
                    "advert_interval_err": r("interval_mismatch") + r("bad_interval"),
                    "ip_ttl_err": r("bad_ttl"),
                    "invalid_type_rcvd": r("bad_type"),
                    "addr_list_err": s.address_list_errors,
                    "invalid_authtype": 0,
                    "authtype_mismatch": r("auth_type_mismatch"),
                    "auth_failure": r("auth_mismatch"),
                    "pri_zero_rcvd": s.priority_zero_received,
                    "pri_zero_sent": s.priority_zero_sent,
                },
            })
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

/// keepalived's `/tmp/keepalived.data`: global definitions, VRRP topology, scripts.
pub fn data(list: &[VrrpStatus], conf: &KeepalivedConf, now_unix: f64) -> String {
    let g = &conf.global;
    let mut o = String::from("------< Global definitions >------\n");
    let router_id = g.router_id.clone().unwrap_or_else(|| {
        nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_default()
    });
    let _ = writeln!(o, " Router ID = {router_id}");
    let _ = writeln!(o, " VRRP IPv4 mcast group = 224.0.0.18");
    let _ = writeln!(o, " Gratuitous ARP delay = {}", g.garp_master_delay.as_secs());
    let _ = writeln!(o, " Gratuitous ARP repeat = {}", g.garp_master_repeat);
    let _ = writeln!(o, " Gratuitous ARP refresh timer = {}", g.garp_master_refresh.as_secs());
    let _ = writeln!(o, " Gratuitous ARP interval = {:.6}", g.garp_interval.as_secs_f64());
    let _ = writeln!(o, " VRRP default protocol version = {}", g.vrrp_version);
    let _ = writeln!(
        o,
        " Script security {}",
        if g.enable_script_security { "enabled" } else { "disabled" }
    );
    o.push_str("------< VRRP Topology >------\n");
    for s in list {
        let inst: Option<&VrrpInstance> = conf.instances.iter().find(|i| i.name == s.name);
        let t = now_unix - s.since_ms as f64 / 1000.0;
        let _ = writeln!(o, " VRRP Instance = {}", s.name);
        let _ = writeln!(o, "   VRRP Version = {}", s.version);
        let _ = writeln!(o, "   State = {}", s.state);
        let _ = writeln!(o, "   Wantstate = {}", s.state);
        let _ = writeln!(o, "   Last transition = {t:.6}");
        let _ = writeln!(o, "   Interface = {}", s.interface);
        if let Some(m) = &s.master {
            let _ = writeln!(o, "   Master router = {m}");
        }
        if let Some(i) = inst {
            if let Some(src) = i.unicast_src_ip {
                let _ = writeln!(o, "   Using src_ip = {src}");
            }
            if i.unicast_peers.is_empty() {
                let _ = writeln!(o, "   Multicast address 224.0.0.18");
            } else {
                let _ = writeln!(o, "   Unicast Peer (s) :");
                for p in &i.unicast_peers {
                    let _ = writeln!(o, "     {p}");
                }
            }
            let _ = writeln!(o, "   Gratuitous ARP delay = {}", i.garp_master_delay.as_secs());
            let _ = writeln!(o, "   Gratuitous ARP repeat = {}", i.garp_master_repeat);
        }
        let _ = writeln!(o, "   Virtual Router ID = {}", s.vrid);
        let _ = writeln!(o, "   Priority = {}", s.base_priority);
        let _ = writeln!(o, "   Effective priority = {}", s.priority);
        let adv = s.advert_int_ms;
        if adv % 1000 == 0 {
            let _ = writeln!(o, "   Advert interval = {} sec", adv / 1000);
        } else {
            let _ = writeln!(o, "   Advert interval = {adv} milli-sec");
        }
        if let Some(i) = inst {
            let _ =
                writeln!(o, "   Preempt = {}", if i.nopreempt { "disabled" } else { "enabled" });
            if !i.preempt_delay.is_zero() {
                let _ = writeln!(o, "   Preempt delay = {} secs", i.preempt_delay.as_secs());
            }
            let auth = match &i.auth {
                None => "NONE",
                Some(Auth::Pass(_)) => "SIMPLE_PASSWORD",
                Some(Auth::Ah(_)) => "IPSEC_AH",
            };
            let _ = writeln!(o, "   Authentication type = {auth}");
        }
        let _ = writeln!(o, "   Virtual IP ({}):", s.vips.len());
        for v in &s.vips {
            let set = if s.state == "MASTER" { " set" } else { "" };
            let _ = writeln!(o, "     {v} dev {} scope global{set}", s.interface);
        }
        if !s.track_scripts.is_empty() {
            let _ = writeln!(o, "   Tracked scripts :");
            for t in &s.track_scripts {
                let _ = writeln!(o, "     {t}");
            }
        }
    }
    if !conf.scripts.is_empty() {
        o.push_str("------< VRRP Scripts >------\n");
        for c in &conf.scripts {
            let _ = writeln!(o, " VRRP Script = {}", c.name);
            let _ = writeln!(o, "   Command = '{}'", c.command.argv.join("' '"));
            let _ = writeln!(o, "   Interval = {} sec", c.interval.as_secs());
            let _ = writeln!(o, "   Timeout = {} sec", c.timeout.as_secs());
            let _ = writeln!(o, "   Weight = {}", c.weight);
            let _ = writeln!(o, "   Rise = {}", c.rise);
            let _ = writeln!(o, "   Fall = {}", c.fall);
        }
    }
    o
}

/// Writes `text` to `path` (mode 0644, replacing it as keepalived does) and logs the outcome.
pub fn write(path: &Path, text: &str) {
    match std::fs::write(path, text) {
        Ok(()) => tracing::info!("wrote {} ({} bytes)", path.display(), text.len()),
        Err(e) => tracing::error!("cannot write {}: {e}", path.display()),
    }
}

#[cfg(test)]
#[path = "dump_test.rs"]
mod tests;
