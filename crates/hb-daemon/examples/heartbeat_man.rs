//! Writes `heartbeat.8`, the daemon's manual page, from the same clap definitions that parse
//! its command line (the .deb build calls it; see `packaging/build-deb.sh`).
//!
//! Usage: `cargo run -p hb-daemon --example heartbeat_man -- OUT_DIR`

use clap::CommandFactory;

use hb_daemon::cli::Cli;

const DESCRIPTION: &str = "\
heartbeat-rs's daemon, a drop-in replacement for Linux-HA Heartbeat 3.0.6 in v1 (haresources) \
mode. It reads ha.cf, haresources and authkeys from /etc/ha.d, exchanges authenticated \
heartbeats with its peers (wire-compatible with heartbeat 3.0.6) and starts, stops and moves \
the resource groups of haresources. Without a flag it starts in the background, as heartbeat \
does; under systemd it runs with --foreground (heartbeat.service).";

fn main() -> std::process::ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: heartbeat_man OUT_DIR");
        return std::process::ExitCode::from(2);
    };
    let cmd = Cli::command()
        .about("High-availability failover daemon (heartbeat 3.0.6 compatible)")
        .long_about(DESCRIPTION)
        .after_long_help(
            "Files: /etc/ha.d/ha.cf, /etc/ha.d/haresources, /etc/ha.d/authkeys (mode 600). \
             See also: hbctl(1), cl_status(1), hb_standby(1), hb_takeover(1).",
        );
    let man = clap_mangen::Man::new(cmd).section("8");
    match man.generate_to(&dir) {
        Ok(path) => {
            println!("{}", path.display());
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("heartbeat_man: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
