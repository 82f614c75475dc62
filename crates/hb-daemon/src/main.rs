//! `heartbeat`: the heartbeat-rs daemon, invoked as heartbeat 3.0.6 is.

use clap::Parser;

use hb_daemon::cli::Cli;
use hb_daemon::control;

fn main() {
    let cli = Cli::parse();
    let cmdname = std::env::args()
        .next()
        .and_then(|a| a.rsplit('/').next().map(str::to_owned))
        .unwrap_or_else(|| "heartbeat".to_owned());
    std::process::exit(run(&cli, &cmdname));
}

fn run(cli: &Cli, cmdname: &str) -> i32 {
    if cli.version {
        println!("{} (heartbeat-rs; heartbeat 3.0.6 protocol)", env!("CARGO_PKG_VERSION"));
        return control::LSB_EXIT_OK;
    }
    if cli.kill {
        return control::stop(&cli.pid_file, cmdname);
    }
    let uname =
        nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_default();
    let node_name = cli.node_name.clone().unwrap_or_else(|| uname.clone());
    if cli.status {
        return control::status(&cli.pid_file, cmdname, &node_name, &uname);
    }
    if cli.reload {
        if let Some(code) = control::reload(&cli.pid_file, cmdname) {
            return code;
        }
    }
    eprintln!("{cmdname}: starting the daemon is not built yet (issue 5)");
    control::LSB_EXIT_GENERIC
}
