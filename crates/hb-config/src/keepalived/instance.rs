//! `vrrp_instance NAME { ... }`.

use std::time::Duration;

use super::global::notify_keyword;
use super::lex::Stmt;
use super::types::{Auth, GlobalDefs, InitialState, Notify, VrrpInstance};
use super::values::{block, Ctx};

/// Longest VRRPv2 simple-text password: the advert has 8 bytes for it (RFC 2338).
pub(crate) const AUTH_PASS_MAX: usize = 8;

/// Settings read so far that decide validity at the end.
#[derive(Default)]
struct Pending {
    interface: Option<String>,
    vrid: Option<u8>,
    version: Option<u8>,
    advert: Option<(f64, crate::error::Location)>,
    auth_type: Option<(String, crate::error::Location)>,
    auth_pass: Option<String>,
}

/// Reads one instance; None (with an error finding) when keepalived would not run it.
pub(crate) fn vrrp_instance(cx: &mut Ctx, s: &Stmt, g: &GlobalDefs) -> Option<VrrpInstance> {
    let name = cx.arg(s, 0, "instance name")?.to_owned();
    let mut i = VrrpInstance {
        name,
        state: InitialState::Backup,
        interface: String::new(),
        vrid: 0,
        priority: 100,
        advert_int: Duration::from_secs(1),
        version: g.vrrp_version,
        nopreempt: false,
        dont_track_primary: false,
        preempt_delay: Duration::ZERO,
        auth: None,
        vips: Vec::new(),
        vips_excluded: Vec::new(),
        unicast_src_ip: None,
        unicast_peers: Vec::new(),
        track_scripts: Vec::new(),
        track_interfaces: Vec::new(),
        notify: Notify::default(),
        garp_master_delay: g.garp_master_delay,
        garp_master_repeat: g.garp_master_repeat,
        garp_master_refresh: g.garp_master_refresh,
        location: s.loc.clone(),
    };
    let mut p = Pending::default();
    for k in block(cx, s) {
        keyword(cx, k, &mut i, &mut p);
    }
    finish(cx, i, p)
}

fn keyword(cx: &mut Ctx, k: &Stmt, i: &mut VrrpInstance, p: &mut Pending) {
    if notify_keyword(cx, k, &mut i.notify) {
        return;
    }
    match k.keyword() {
        "state" => match cx.arg(k, 0, "MASTER or BACKUP") {
            Some("MASTER") => i.state = InitialState::Master,
            Some("BACKUP") => i.state = InitialState::Backup,
            Some(other) => {
                let msg = format!("({}) unknown state '{other}', defaulting to BACKUP", i.name);
                cx.error(&k.arg_loc(0), msg);
            }
            None => {}
        },
        "interface" => p.interface = cx.arg(k, 0, "interface name").map(str::to_owned),
        "virtual_router_id" => p.vrid = cx.int(k, 0, 1, 255).map(|v| v as u8),
        "priority" => {
            if let Some(v) = cx.int(k, 0, 1, 255) {
                i.priority = v as u8;
            }
        }
        "advert_int" => {
            if let Some(v) = cx.seconds(k, 0, 0.01, 255.0) {
                p.advert = Some((v.as_secs_f64(), k.loc.clone()));
            }
        }
        "version" => p.version = cx.int(k, 0, 2, 3).map(|v| v as u8),
        "nopreempt" => i.nopreempt = true,
        "preempt" => i.nopreempt = false,
        "dont_track_primary" => i.dont_track_primary = true,
        "preempt_delay" => i.preempt_delay = cx.seconds(k, 0, 0.0, 1000.0).unwrap_or_default(),
        "authentication" => {
            for a in block(cx, k) {
                match a.keyword() {
                    "auth_type" => {
                        p.auth_type =
                            cx.arg(a, 0, "PASS or AH").map(|t| (t.to_owned(), a.loc.clone()))
                    }
                    "auth_pass" => p.auth_pass = auth_pass(cx, a),
                    kw => cx.unknown(a, kw),
                }
            }
        }
        "virtual_ipaddress" => {
            for line in block(cx, k) {
                i.vips.extend(cx.vip(line));
            }
        }
        "virtual_ipaddress_excluded" => {
            for line in block(cx, k) {
                i.vips_excluded.extend(cx.vip(line));
            }
        }
        "unicast_src_ip" | "mcast_src_ip" => i.unicast_src_ip = cx.ip(k, 0),
        "unicast_peer" => {
            for line in block(cx, k) {
                if line.args().iter().any(|w| w.text != "min_ttl" && w.text != "max_ttl") {
                    cx.warn(
                        &line.loc,
                        "unicast_peer options not supported by heartbeat-rs, ignored",
                    );
                }
                match line.keyword().parse() {
                    Ok(a) => i.unicast_peers.push(a),
                    Err(_) => {
                        cx.error(&line.loc, format!("invalid unicast_peer '{}'", line.keyword()))
                    }
                }
            }
        }
        "track_script" => {
            for line in block(cx, k) {
                let t = cx.track(line);
                i.track_scripts.push(t);
            }
        }
        "track_interface" => {
            for line in block(cx, k) {
                let t = cx.track(line);
                i.track_interfaces.push(t);
            }
        }
        "garp_master_delay" => {
            if let Some(v) = cx.int(k, 0, 0, 255) {
                i.garp_master_delay = Duration::from_secs(v as u64);
            }
        }
        "garp_master_repeat" => {
            if let Some(v) = cx.int(k, 0, 1, 255) {
                i.garp_master_repeat = v as u32;
            }
        }
        "garp_master_refresh" => {
            if let Some(v) = cx.int(k, 0, 0, 86400) {
                i.garp_master_refresh = Duration::from_secs(v as u64);
            }
        }
        "lvs_sync_daemon_interface" => {
            // keepalived 2.2.7 also reports this one (deprecated here), so `-t` fails on it there.
            let msg = "lvs_sync_daemon_interface: LVS is not supported by heartbeat-rs, ignored \
                       (keepalived 2.2.7 reports it as deprecated in a vrrp_instance)";
            cx.error(&k.loc, msg);
        }
        kw if INSTANCE_IGNORED.contains(&kw) => cx.unsupported(k),
        kw => cx.unknown(k, kw),
    }
}

fn auth_pass(cx: &mut Ctx, a: &Stmt) -> Option<String> {
    let pass = cx.arg(a, 0, "password")?;
    if pass.len() <= AUTH_PASS_MAX {
        return Some(pass.to_owned());
    }
    let mut cut = AUTH_PASS_MAX;
    while !pass.is_char_boundary(cut) {
        cut -= 1;
    }
    let kept = &pass[..cut];
    let msg = format!(
        "auth_pass is longer than {AUTH_PASS_MAX} characters: cut to '{kept}' (keepalived cuts \
         it too; the peer must use the same first {AUTH_PASS_MAX})"
    );
    cx.error(&a.arg_loc(0), msg);
    Some(kept.to_owned())
}

/// Checks what only the whole block decides; None drops the instance.
fn finish(cx: &mut Ctx, mut i: VrrpInstance, p: Pending) -> Option<VrrpInstance> {
    let Some(vrid) = p.vrid else {
        cx.error(&i.location, format!("({}) the virtual router id must be set; ignored", i.name));
        return None;
    };
    i.vrid = vrid;
    let Some(interface) = p.interface else {
        cx.error(&i.location, format!("({}) no interface given; ignored", i.name));
        return None;
    };
    i.interface = interface;
    if let Some(v) = p.version {
        i.version = v;
    }
    if let Some((secs, loc)) = p.advert {
        i.advert_int = advert_int(cx, &i, secs, &loc);
    }
    match (p.auth_type, p.auth_pass) {
        (None, None) => {}
        (None, Some(_)) => {
            cx.error(&i.location, format!("({}) auth_pass without auth_type; ignored", i.name))
        }
        (Some(_), None) => {
            let msg =
                format!("({}) authentication specified but no password given; ignored", i.name);
            cx.error(&i.location, msg);
        }
        (Some((t, loc)), Some(pass)) if i.version == 2 => match t.as_str() {
            "PASS" => i.auth = Some(Auth::Pass(pass)),
            "AH" => {
                cx.warn(
                    &loc,
                    format!(
                        "({}) auth_type AH not supported by heartbeat-rs; no authentication",
                        i.name
                    ),
                );
                i.auth = Some(Auth::Ah(pass));
            }
            other => cx.error(&loc, format!("({}) unknown auth_type '{other}'; ignored", i.name)),
        },
        (Some((_, loc)), Some(_)) => {
            cx.error(&loc, format!("({}) VRRPv3 has no authentication; ignored", i.name));
        }
    }
    if i.vips.is_empty() {
        // keepalived calls this a config error; heartbeat-rs allows it on purpose (cloud IPs
        // moved by notify scripts), so it is only a warning.
        cx.warn(&i.location, format!("({}) no virtual_ipaddress: notify scripts only", i.name));
    }
    if i.nopreempt && i.state == InitialState::Master {
        cx.warn(&i.location, format!("({}) nopreempt with state MASTER: starts as BACKUP", i.name));
    }
    if let Some(src) = i.unicast_src_ip {
        if i.unicast_peers.iter().any(|p| p.is_ipv4() != src.is_ipv4()) {
            cx.error(
                &i.location,
                format!("({}) unicast_src_ip and unicast_peer families differ", i.name),
            );
        }
    }
    Some(i)
}

/// The advert interval as the version allows: v3 in centiseconds, v2 in whole seconds.
fn advert_int(cx: &mut Ctx, i: &VrrpInstance, secs: f64, loc: &crate::error::Location) -> Duration {
    if i.version == 3 {
        let cs = (secs * 100.0).round().clamp(1.0, 4095.0);
        return Duration::from_millis(cs as u64 * 10);
    }
    let whole = secs.round().clamp(1.0, 255.0);
    if (whole - secs).abs() > f64::EPSILON {
        let msg =
            format!("({}) VRRPv2 advert_int must be whole seconds; rounded to {whole}", i.name);
        cx.error(loc, msg);
    }
    Duration::from_secs(whole as u64)
}

/// Valid keepalived `vrrp_instance` keywords heartbeat-rs does not implement.
const INSTANCE_IGNORED: &[&str] = &[
    "use_vmac",
    "vmac_xmit_base",
    "track_src_ip",
    "accept",
    "no_accept",
    "skip_check_adv_addr",
    "strict_mode",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "garp_master_refresh_repeat",
    "lower_prio_no_advert",
    "higher_prio_send_advert",
    "smtp_alert",
    "notify_master_rx_lower_pri",
    "notify_deleted",
    "notify_priority_changes",
    "virtual_routes",
    "virtual_rules",
    "track_file",
    "track_process",
    "track_bfd",
    "debug",
    "kernel_rx_buf_size",
    "unicast_ttl",
    "old_unicast_checksum",
    "native_ipv6",
    "check_unicast_src",
    "promote_secondaries",
    "linkbeat_use_polling",
    "down_timer_adverts",
    "unicast_fault_no_peer",
    "mcast_dst_ip",
];
