//! `global_defs`, `vrrp_script` and `vrrp_sync_group`.

use std::time::Duration;

use super::lex::Stmt;
use super::types::{GlobalDefs, Notify, SyncGroup, VrrpScript};
use super::values::{block, Ctx};

/// Reads a `global_defs` block into `g`.
pub(crate) fn global_defs(cx: &mut Ctx, s: &Stmt, g: &mut GlobalDefs) {
    for k in block(cx, s) {
        match k.keyword() {
            "router_id" => g.router_id = cx.arg(k, 0, "name").map(str::to_owned),
            "vrrp_version" => {
                if let Some(v) = cx.int(k, 0, 2, 3) {
                    g.vrrp_version = v as u8;
                }
            }
            "vrrp_garp_master_delay" => {
                if let Some(v) = cx.int(k, 0, 0, 255) {
                    g.garp_master_delay = Duration::from_secs(v as u64);
                }
            }
            "vrrp_garp_master_repeat" => {
                if let Some(v) = cx.int(k, 0, 1, 255) {
                    g.garp_master_repeat = v as u32;
                }
            }
            "vrrp_garp_master_refresh" => {
                if let Some(v) = cx.int(k, 0, 0, 86400) {
                    g.garp_master_refresh = Duration::from_secs(v as u64);
                }
            }
            "vrrp_garp_interval" => {
                if let Some(v) = cx.seconds(k, 0, 0.0, 1.0) {
                    g.garp_interval = v;
                }
            }
            "script_user" => g.script_user = cx.user(k),
            "enable_script_security" => g.enable_script_security = true,
            kw if kw.starts_with("lvs_") => {
                cx.warn(&k.loc, format!("{kw}: LVS is not supported by heartbeat-rs, ignored"))
            }
            kw if GLOBAL_IGNORED.contains(&kw) => cx.unsupported(k),
            kw => cx.unknown(k, kw),
        }
    }
}

/// Reads a `vrrp_script NAME { ... }` block.
pub(crate) fn vrrp_script(cx: &mut Ctx, s: &Stmt) -> Option<VrrpScript> {
    let name = cx.arg(s, 0, "script name")?.to_owned();
    let mut command = None;
    let mut interval = Duration::from_secs(1);
    let mut timeout = None;
    let mut script = VrrpScript {
        name,
        command: super::types::Command { argv: Vec::new() },
        interval,
        timeout: interval,
        weight: 0,
        weight_reverse: false,
        rise: 1,
        fall: 1,
        user: None,
        init_fail: false,
        location: s.loc.clone(),
    };
    for k in block(cx, s) {
        match k.keyword() {
            "script" => command = cx.command(k),
            "interval" => interval = cx.seconds(k, 0, 0.000_001, 86400.0).unwrap_or(interval),
            "timeout" => timeout = cx.seconds(k, 0, 0.000_001, 86400.0).or(timeout),
            "weight" => {
                if let Some(w) = cx.int(k, 0, -253, 253) {
                    script.weight = w as i32;
                }
                match k.args().get(1).map(|w| w.text.as_str()) {
                    Some("reverse") => script.weight_reverse = true,
                    Some(other) => cx.error(&k.arg_loc(1), format!("weight: unexpected '{other}'")),
                    None => {}
                }
            }
            "rise" => script.rise = cx.int(k, 0, 1, 1_000_000).map_or(script.rise, |v| v as u32),
            "fall" => script.fall = cx.int(k, 0, 1, 1_000_000).map_or(script.fall, |v| v as u32),
            "user" => script.user = cx.user(k),
            "init_fail" => script.init_fail = true,
            kw => cx.unknown(k, kw),
        }
    }
    let Some(command) = command else {
        cx.error(&s.loc, format!("vrrp_script {}: no script given; ignored", script.name));
        return None;
    };
    script.command = command;
    script.interval = interval;
    script.timeout = timeout.unwrap_or(interval);
    Some(script)
}

/// Reads a `vrrp_sync_group NAME { group { ... } notify... }` block.
pub(crate) fn sync_group(cx: &mut Ctx, s: &Stmt) -> Option<SyncGroup> {
    let name = cx.arg(s, 0, "group name")?.to_owned();
    let mut g = SyncGroup {
        name,
        instances: Vec::new(),
        notify: Notify::default(),
        location: s.loc.clone(),
    };
    for k in block(cx, s) {
        if notify_keyword(cx, k, &mut g.notify) {
            continue;
        }
        match k.keyword() {
            "group" => {
                // Every word of the block is an instance name, however the lines are laid out.
                for line in block(cx, k) {
                    g.instances.extend(line.words.iter().map(|w| w.text.clone()));
                }
            }
            "smtp_alert"
            | "global_tracking"
            | "sync_group_tracking_weight"
            | "track_script"
            | "track_interface"
            | "track_file"
            | "track_process"
            | "track_bfd" => cx.unsupported(k),
            kw => cx.unknown(k, kw),
        }
    }
    if g.instances.is_empty() {
        cx.error(&s.loc, format!("vrrp_sync_group {} has no instances; ignored", g.name));
        return None;
    }
    Some(g)
}

/// Reads a `notify*` keyword into `n`; false when `k` is not one.
pub(crate) fn notify_keyword(cx: &mut Ctx, k: &Stmt, n: &mut Notify) -> bool {
    let slot = match k.keyword() {
        "notify_master" => &mut n.master,
        "notify_backup" => &mut n.backup,
        "notify_fault" => &mut n.fault,
        "notify_stop" => &mut n.stop,
        "notify" => &mut n.any,
        _ => return false,
    };
    *slot = cx.command(k);
    true
}

/// Valid keepalived `global_defs` keywords that heartbeat-rs does not use.
const GLOBAL_IGNORED: &[&str] = &[
    "notification_email",
    "notification_email_from",
    "smtp_server",
    "smtp_helo_name",
    "smtp_connect_timeout",
    "smtp_alert",
    "smtp_alert_vrrp",
    "smtp_alert_checker",
    "checker_log_all_failures",
    "default_interface",
    "dynamic_interfaces",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_gna_interval",
    "vrrp_min_garp",
    "vrrp_lower_prio_no_advert",
    "vrrp_higher_prio_send_advert",
    "vrrp_check_unicast_src",
    "vrrp_skip_check_adv_addr",
    "vrrp_strict",
    "vrrp_priority",
    "checker_priority",
    "bfd_priority",
    "vrrp_no_swap",
    "checker_no_swap",
    "vrrp_rt_priority",
    "checker_rt_priority",
    "vrrp_iptables",
    "vrrp_ipsets",
    "nftables",
    "nftables_priority",
    "nftables_counters",
    "nftables_ifindex",
    "vrrp_startup_delay",
    "log_unknown_vrids",
    "max_auto_priority",
    "enable_traps",
    "enable_dbus",
    "enable_snmp_vrrp",
    "enable_snmp_checker",
    "enable_snmp_rfc",
    "snmp_socket",
    "umask",
    "instance",
    "net_namespace",
    "process_names",
    "process_name",
    "vrrp_process_name",
    "checker_process_name",
    "use_pid_dir",
    "linkbeat_use_polling",
    "notify_fifo",
    "notify_fifo_script",
    "vrrp_notify_fifo",
    "vrrp_notify_fifo_script",
    "vrrp_notify_priority_changes",
    "script_max_size",
    "vrrp_garp_extra_if",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_rx_bufs_policy",
    "vrrp_rx_bufs_multiplier",
    "random_seed",
];
