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
    let status = match daemon::fetch_status() {
        Ok(status) => status,
        Err(err) => {
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

/// The status as people read it: a heading, then a table of nodes with one row per link, then
/// a table of resource groups.
pub fn format_status(status: &Status) -> String {
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
