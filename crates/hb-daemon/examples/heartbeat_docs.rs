//! Writes `heartbeat.8`, the daemon's manual page, and its bash and zsh completions
//! (`heartbeat.bash`, `_heartbeat`) from the same clap definitions that parse its command line
//! (the .deb build calls it; see `packaging/build-deb.sh`).
//!
//! Usage: `cargo run -p hb-daemon --example heartbeat_docs -- OUT_DIR`

use clap::CommandFactory;
use clap_complete::Shell;

use hb_daemon::cli::Cli;

const DESCRIPTION: &str = "\
heartbeat-rs's daemon, a drop-in replacement for Linux-HA Heartbeat 3.0.6 in v1 (haresources) \
mode. It reads ha.cf, haresources and authkeys from /etc/ha.d, exchanges authenticated \
heartbeats with its peers (wire-compatible with heartbeat 3.0.6) and starts, stops and moves \
the resource groups of haresources. Without a flag it starts in the background, as heartbeat \
does; under systemd it runs with --foreground (heartbeat.service).";

fn main() -> std::process::ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: heartbeat_docs OUT_DIR");
        return std::process::ExitCode::from(2);
    };
    let cmd = Cli::command()
        .about("High-availability failover daemon (heartbeat 3.0.6 compatible)")
        .long_about(DESCRIPTION)
        .after_long_help(
            "Files: /etc/ha.d/ha.cf, /etc/ha.d/haresources, /etc/ha.d/authkeys (mode 600). \
             See also: hbctl(1), cl_status(1), hb_standby(1), hb_takeover(1).",
        );
    let dir = std::path::PathBuf::from(dir);
    let written =
        clap_mangen::Man::new(cmd.clone()).section("8").generate_to(&dir).and_then(|page| {
            let mut paths = vec![page];
            for (shell, name) in [(Shell::Bash, "heartbeat.bash"), (Shell::Zsh, "_heartbeat")] {
                let path = dir.join(name);
                let mut file = std::fs::File::create(&path)?;
                clap_complete::generate(shell, &mut cmd.clone(), "heartbeat", &mut file);
                paths.push(path);
            }
            Ok(paths)
        });
    match written {
        Ok(paths) => {
            for path in paths {
                println!("{}", path.display());
            }
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("heartbeat_docs: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
