//! `hbctl status`: the daemon's status snapshot as tables for people, or as its JSON.

use std::io::Write;

use hb_api::Status;

use crate::daemon;

/// Options of `hbctl status`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print the status snapshot as the daemon sent it: one JSON object (the admin API's
    /// `Status`), for scripts.
    #[arg(long)]
    pub json: bool,
}

/// Runs `hbctl status`; returns the exit code.
pub fn run(args: &Args) -> i32 {
    // The heartbeat daemon and the keepalived mode's VRRP daemon answer on sockets of their
    // own; either may run alone, or both side by side.
    let vrrp = match daemon::fetch_vrrp_status() {
        Ok(v) => v,
        Err(err) => {
            eprintln!("hbctl: keepalived mode: {}", daemon::describe(&err));
            None
        }
    };
    let status = match (daemon::fetch_status(), vrrp) {
        (Ok(status), vrrp) => merge(status, vrrp),
        (Err(_), Some(vrrp)) => vrrp,
        (Err(err), None) => {
            eprintln!("hbctl: {}", daemon::describe(&err));
            return daemon::EXIT_UNREACHABLE;
        }
    };
    let text = if args.json {
        match serde_json::to_string_pretty(&status) {
            Ok(json) => json + "\n",
            Err(err) => {
                eprintln!("hbctl: cannot print the status as JSON: {err}");
                return 1;
            }
        }
    } else {
        format_status(&status)
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(err) => {
            eprintln!("hbctl: {err}");
            1
        }
    }
}

/// The heartbeat daemon's status with the VRRP instances (and `vrrp_script` checks) of the
/// keepalived mode added.
pub fn merge(mut status: Status, vrrp: Option<Status>) -> Status {
    if let Some(v) = vrrp {
        status.vrrp = v.vrrp;
        status.checks.extend(v.checks);
    }
    status
}

/// The status as people read it: a heading, then a table of nodes with one row per link, then
/// a table of resource groups, then the VRRP instances of the keepalived mode. Without any
/// heartbeat node (the keepalived mode alone) only the instances.
pub fn format_status(status: &Status) -> String {
    if status.nodes.is_empty() && status.groups.is_empty() && !status.vrrp.is_empty() {
        let mut out =
            format!("node {} (heartbeat-rs {}), keepalived mode\n\n", status.node, status.version);
        out.push_str(&format_vrrp(status));
        return out;
    }
    let mut out = format!(
        "node {} (heartbeat-rs {}), resources held here: {}\n\n",
        status.node, status.version, status.rsc_status
    );
    let mut nodes =
        vec![row(&["NODE", "TYPE", "STATUS", "LINK", "LINK STATUS", "LAST HEARD", "LATE"])];
    for node in &status.nodes {
        let mut first = vec![node.name.clone(), node.node_type.clone(), node.status.clone()];
        if node.links.is_empty() {
            nodes.push(first);
            continue;
        }
        for (i, link) in node.links.iter().enumerate() {
            let mut cells =
                if i == 0 { std::mem::take(&mut first) } else { vec![String::new(); 3] };
            let heard = match link.last_heard_ms {
                Some(ms) => format!("{} ago", format_ms(ms)),
                None => "never".to_owned(),
            };
            let late = if link.late_heartbeats == 0 {
                "0".to_owned()
            } else {
                format!("{} (max {})", link.late_heartbeats, format_ms(link.max_late_ms))
            };
            cells.extend([link.name.clone(), link.status.clone(), heard, late]);
            nodes.push(cells);
        }
    }
    out.push_str(&table(&nodes));
    out.push('\n');
    if status.groups.is_empty() {
        out.push_str("no resource groups\n");
        return out;
    }
    let mut groups =
        vec![row(&["GROUP", "PREFERRED", "RESOURCES", "OWNER", "STATE", "SINCE", "REASON"])];
    for group in &status.groups {
        groups.push(vec![
            group.index.to_string(),
            group.preferred.clone(),
            group.resources.join(" "),
            group.owner.clone().unwrap_or_else(|| "-".to_owned()),
            group.state.clone(),
            format_ms(group.since_ms),
            if group.reason.is_empty() { "-".to_owned() } else { group.reason.clone() },
        ]);
    }
    out.push_str(&table(&groups));
    if !status.checks.is_empty() {
        out.push('\n');
        let mut checks = vec![row(&["CHECK", "STATE AND COUNTERS"])];
        checks.extend(status.checks.iter().map(|(name, what)| vec![name.clone(), what.clone()]));
        out.push_str(&table(&checks));
    }
    if !status.reserved_ips.is_empty() {
        out.push('\n');
        let mut ips = vec![row(&["RESERVED IP", "CLAIMED BACK"])];
        ips.extend(status.reserved_ips.iter().map(|(ip, n)| vec![ip.clone(), n.to_string()]));
        out.push_str(&table(&ips));
    }
    if !status.arbiter.is_empty() {
        out.push('\n');
        let mut rows = vec![row(&["ARBITER", "STATE"])];
        rows.extend(status.arbiter.iter().map(|(k, v)| vec![k.clone(), v.clone()]));
        out.push_str(&table(&rows));
    }
    if !status.vrrp.is_empty() {
        out.push('\n');
        out.push_str(&format_vrrp(status));
    }
    out
}

/// The VRRP instances table (and the checks, when the keepalived mode runs alone).
fn format_vrrp(status: &Status) -> String {
    let mut rows = vec![row(&[
        "VRRP INSTANCE",
        "INTERFACE",
        "VRID",
        "STATE",
        "SINCE",
        "PRIORITY",
        "MASTER",
        "VIRTUAL IPS",
        "ADVERTS SENT/RECV",
        "REJECTED",
    ])];
    for v in &status.vrrp {
        let prio = if v.priority == v.base_priority {
            v.priority.to_string()
        } else {
            format!("{} (base {})", v.priority, v.base_priority)
        };
        let master = match (&v.master, v.state.as_str()) {
            (_, "MASTER") => "this node".to_owned(),
            (Some(m), _) => m.clone(),
            (None, _) => "-".to_owned(),
        };
        let rejected: u64 = v.rejects.values().sum();
        rows.push(vec![
            v.name.clone(),
            v.interface.clone(),
            format!("{} (v{})", v.vrid, v.version),
            v.state.clone(),
            format_ms(v.since_ms),
            prio,
            master,
            if v.vips.is_empty() { "-".to_owned() } else { v.vips.join(" ") },
            format!("{}/{}", v.adverts_sent, v.adverts_received),
            rejected.to_string(),
        ]);
    }
    let mut out = table(&rows);
    if status.nodes.is_empty() && status.groups.is_empty() && !status.checks.is_empty() {
        out.push('\n');
        let mut checks = vec![row(&["CHECK", "STATE"])];
        checks.extend(status.checks.iter().map(|(name, what)| vec![name.clone(), what.clone()]));
        out.push_str(&table(&checks));
    }
    out
}

/// A duration for people: `850ms`, `4.2s`, `5m03s`, `3h07m`, `2d04h`.
pub fn format_ms(ms: u64) -> String {
    let secs = ms / 1000;
    match secs {
        0 => format!("{ms}ms"),
        1..=59 => format!("{}.{}s", secs, (ms % 1000) / 100),
        60..=3599 => format!("{}m{:02}s", secs / 60, secs % 60),
        3600..=86_399 => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
        _ => format!("{}d{:02}h", secs / 86_400, (secs % 86_400) / 3600),
    }
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

/// Left-aligned columns two spaces apart, without trailing blanks.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for cells in rows {
        let mut line = String::new();
        for (cell, width) in cells.iter().zip(&widths) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[path = "status_test.rs"]
mod tests;
