//! `heartbeat`: the heartbeat-rs daemon, invoked as heartbeat 3.0.6 is.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;

use hb_daemon::cli::Cli;
use hb_daemon::control;
use hb_daemon::daemon::{self, Options};
use hb_daemon::pidfile::{self, PidState};
use hb_daemon::setup::Paths;

/// How long the starting process waits for the background daemon to come up.
const START_WAIT: Duration = Duration::from_secs(60);

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    // Started through the `keepalived` link: keepalived's command line, not heartbeat's.
    if argv.first().and_then(|a| a.rsplit('/').next()) == Some("keepalived") {
        std::process::exit(hb_daemon::keepalived_cli::main(&argv[1..]));
    }
    // The keepalived mode's crash guardian (see `hb_daemon::vrrp::guardian`).
    if argv.get(1).map(String::as_str) == Some(hb_daemon::vrrp::guardian::FLAG) {
        std::process::exit(hb_daemon::vrrp::guardian::run());
    }
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
    if cli.guardian {
        return hb_daemon::guardian::run(&cli.config_dir);
    }
    if cli.release_addresses {
        return hb_daemon::guardian::release_addresses(&cli.config_dir);
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
        if let Some(code) = control::reload(&cli.pid_file, &cli.config_dir, &cli.run_dir, cmdname) {
            return code;
        }
    }
    if let PidState::Running(pid) = pidfile::read(&cli.pid_file) {
        // Our own pid: we re-executed ourselves for a reload.
        if !cli.daemonized && pid != std::process::id() as i32 {
            eprintln!("ERROR: {cmdname}: already running [pid {pid}].");
            return control::LSB_EXIT_GENERIC;
        }
    }
    if !cli.foreground && !cli.daemonized {
        return start_background(cmdname);
    }
    if cli.daemonized {
        // Our own session: no controlling terminal, not killed with the starter's group.
        let _ = nix::unistd::setsid();
    }
    let opts = Options {
        paths: Paths {
            config_dir: cli.config_dir.clone(),
            state_dir: cli.state_dir.clone(),
            run_dir: cli.run_dir.clone(),
            pid_file: cli.pid_file.clone(),
        },
        node_name,
        debug: cli.debug,
        stderr_log: cli.foreground,
        fence_delay: Duration::from_millis(cli.fence_delay_ms),
        garp: hb_platform::garp::GarpConfig {
            rounds: cli.garp_rounds.clamp(1, hb_platform::garp::MAX_ROUNDS),
            interval: Duration::from_millis(cli.garp_interval_ms),
        },
        no_realtime: cli.no_realtime,
        metrics_listen: cli.metrics_listen.clone(),
    };
    let pid_file = cli.pid_file.clone();
    let result = daemon::run(opts, || {
        if let Err(e) = pidfile::write_own(&pid_file) {
            tracing::error!("cannot write pid file {}: {e}", pid_file.display());
        }
    });
    pidfile::remove_own(&cli.pid_file);
    match result {
        Ok(_) => control::LSB_EXIT_OK,
        Err(e) => {
            eprintln!("ERROR: {cmdname}: {e:#}");
            tracing::error!("{e:#}");
            control::LSB_EXIT_GENERIC
        }
    }
}

/// Starts the daemon in the background (same arguments plus `--daemonized`) and returns once
/// it has written its pid file, or reports why it did not start.
fn start_background(cmdname: &str) -> i32 {
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("ERROR: {cmdname}: cannot find my own executable");
        return control::LSB_EXIT_GENERIC;
    };
    let mut child = match Command::new(exe)
        .args(std::env::args_os().skip(1))
        .arg("--daemonized")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ERROR: {cmdname}: cannot start the daemon: {e}");
            return control::LSB_EXIT_GENERIC;
        }
    };
    let cli = Cli::parse();
    let started = Instant::now();
    loop {
        if let PidState::Running(pid) = pidfile::read(&cli.pid_file) {
            if pid == child.id() as i32 {
                return control::LSB_EXIT_OK;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut err);
            }
            eprint!("{err}");
            eprintln!("ERROR: {cmdname}: the daemon exited during start-up ({status})");
            return control::LSB_EXIT_GENERIC;
        }
        if started.elapsed() > START_WAIT {
            eprintln!("ERROR: {cmdname}: the daemon did not come up within {START_WAIT:?}");
            return control::LSB_EXIT_GENERIC;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
