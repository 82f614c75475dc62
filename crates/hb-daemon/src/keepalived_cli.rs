//! The daemon started as `keepalived` (a link to the `heartbeat` binary): keepalived 2.2.7's
//! command line: the configuration test (`-t`), `-v`, and the VRRP daemon itself
//! ([`crate::vrrp`]), which always stays in the foreground (as with `-n`).

use std::path::{Path, PathBuf};

use clap::Parser;

use hb_config::keepalived::{check_interfaces, load_keepalived, DEFAULT_CONF};
use hb_platform::logging::{Facility, LogTargets};

/// keepalived's exit status when `-t` finds a configuration error.
pub const EXIT_CONFIG_TEST: i32 = 5;
/// keepalived's exit status when `-t` finds scripts configured without
/// `enable_script_security` (and no other error).
pub const EXIT_CONFIG_TEST_SECURITY: i32 = 6;
/// Exit status when the configuration file cannot be read at all.
pub const EXIT_CONFIG: i32 = 4;

/// keepalived's flags, with its long names.
#[derive(Parser, Debug, Clone)]
#[command(name = "keepalived", disable_version_flag = true)]
pub struct KeepalivedCli {
    /// Use the specified configuration file.
    #[arg(short = 'f', long = "use-file", default_value = DEFAULT_CONF)]
    pub use_file: PathBuf,
    /// Check the configuration for obvious errors and exit (status 5 on errors).
    #[arg(short = 't', long = "config-test")]
    pub config_test: bool,
    /// Do not fork the daemon process.
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,
    /// Log messages to the local console.
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,
    /// Do not log via syslog.
    #[arg(short = 'G', long = "no-syslog")]
    pub no_syslog: bool,
    /// Detailed log messages.
    #[arg(short = 'D', long = "log-detail")]
    pub log_detail: bool,
    /// Syslog facility number (0..7 for local0..local7).
    #[arg(short = 'S', long = "log-facility")]
    pub log_facility: Option<u8>,
    /// Parent process pid file.
    #[arg(short = 'p', long = "pid", default_value = "/run/keepalived.pid")]
    pub pid: PathBuf,
    /// VRRP child process pid file.
    #[arg(short = 'r', long = "vrrp_pid", default_value = "/run/vrrp.pid")]
    pub vrrp_pid: PathBuf,
    /// Display the version and exit.
    #[arg(short = 'v', long = "version")]
    pub version: bool,
}

/// Runs the `keepalived` command with `args` (argv without argv[0]); returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let argv = std::iter::once("keepalived".to_owned()).chain(args.iter().cloned());
    let cli = match KeepalivedCli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    if cli.version {
        println!("Keepalived v2.2.7 compatible (heartbeat-rs {})", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    if cli.config_test {
        return config_test(&cli.use_file, |name| Path::new("/sys/class/net").join(name).exists());
    }
    run_daemon(&cli)
}

/// Runs the VRRP daemon in the foreground until SIGTERM/SIGINT; returns the exit status.
fn run_daemon(cli: &KeepalivedCli) -> i32 {
    let conf = match load_keepalived(&cli.use_file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_CONFIG;
        }
    };
    let host = nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok());
    let targets = LogTargets {
        stderr: cli.log_console || cli.no_syslog,
        facility: if cli.no_syslog {
            None
        } else {
            // keepalived's -S N is localN; without it, daemon.
            Some(match cli.log_facility {
                Some(n) => format!("local{n}").parse().unwrap_or(Facility::DAEMON),
                None => Facility::DAEMON,
            })
        },
        debug: u8::from(cli.log_detail),
        ..LogTargets::default()
    };
    if let Err(e) =
        hb_platform::logging::init(targets, "Keepalived_vrrp", &host.unwrap_or_default())
    {
        eprintln!("keepalived: {e}");
    }
    for f in &conf.findings {
        tracing::warn!("{f}");
    }
    for p in [&cli.pid, &cli.vrrp_pid] {
        if let Err(e) = crate::pidfile::write_own(p) {
            tracing::error!("pid file {}: {e}", p.display());
            return 1;
        }
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("tokio runtime: {e}");
            return 1;
        }
    };
    let code = match rt.block_on(crate::vrrp::run(conf)) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("keepalived: {e:#}");
            1
        }
    };
    for p in [&cli.pid, &cli.vrrp_pid] {
        crate::pidfile::remove_own(p);
    }
    code
}

/// keepalived's `-t`: every finding on stderr as `file:line:column: severity: message`; exit
/// status 0, or [`EXIT_CONFIG_TEST`] where keepalived 2.2.7 fails (errors, a missing
/// interface, no runnable instance). `exists` says whether a network interface exists.
pub fn config_test(file: &Path, exists: impl Fn(&str) -> bool) -> i32 {
    let conf = match load_keepalived(file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_CONFIG;
        }
    };
    let missing = check_interfaces(&conf, exists);
    for f in conf.findings.iter().chain(&missing) {
        eprintln!("{f}");
    }
    if conf.instances.is_empty() {
        eprintln!("{}: no valid vrrp_instance", file.display());
        return EXIT_CONFIG_TEST;
    }
    if conf.has_errors() || !missing.is_empty() {
        return EXIT_CONFIG_TEST;
    }
    let notifies =
        conf.instances.iter().map(|i| &i.notify).chain(conf.sync_groups.iter().map(|g| &g.notify));
    let any_notify = notifies.into_iter().any(|n| {
        n.master.is_some()
            || n.backup.is_some()
            || n.fault.is_some()
            || n.stop.is_some()
            || n.any.is_some()
    });
    if (!conf.scripts.is_empty() || any_notify) && !conf.global.enable_script_security {
        eprintln!(
            "{}: SECURITY VIOLATION - scripts are configured but enable_script_security is not \
             set in global_defs (keepalived -t fails with status 6 on this)",
            file.display()
        );
        return EXIT_CONFIG_TEST_SECURITY;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, ifaces: &[&str]) -> i32 {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("keepalived.conf");
        std::fs::write(&f, text).unwrap();
        config_test(&f, |n| ifaces.contains(&n))
    }

    const OK: &str = "vrrp_instance V {\n interface e0\n virtual_router_id 5\n \
                      virtual_ipaddress {\n 10.99.0.9/24\n }\n}\n";

    #[test]
    fn config_test_status_follows_keepalived() {
        assert_eq!(run(OK, &["e0"]), 0);
        assert_eq!(run(OK, &[]), EXIT_CONFIG_TEST, "missing interface");
        assert_eq!(run(&OK.replace("}\n}", "}\n bogus 1\n}"), &["e0"]), EXIT_CONFIG_TEST);
        assert_eq!(run("vrrp_instance V {\n interface e0\n}\n", &["e0"]), EXIT_CONFIG_TEST);
        let d = tempfile::tempdir().unwrap();
        assert_eq!(config_test(&d.path().join("none.conf"), |_| true), EXIT_CONFIG);
        let scripted = OK
            .replace(" virtual_router_id 5\n", " virtual_router_id 5\n notify_master /bin/true\n");
        assert_eq!(run(&scripted, &["e0"]), EXIT_CONFIG_TEST_SECURITY);
        let secured = format!("global_defs {{\n enable_script_security\n}}\n{scripted}");
        assert_eq!(run(&secured, &["e0"]), 0);
    }

    #[test]
    fn keepalived_flags_parse() {
        let c = KeepalivedCli::try_parse_from([
            "keepalived",
            "-f",
            "/x.conf",
            "-t",
            "-n",
            "-l",
            "-G",
            "-D",
            "-S",
            "3",
            "-p",
            "/p",
            "-r",
            "/r",
        ])
        .unwrap();
        assert_eq!(c.use_file, PathBuf::from("/x.conf"));
        assert!(c.config_test && c.dont_fork && c.log_console && c.no_syslog && c.log_detail);
        assert_eq!(c.log_facility, Some(3));
        let c = KeepalivedCli::try_parse_from(["keepalived", "--use-file=/y", "--config-test"])
            .unwrap();
        assert_eq!((c.use_file.to_str(), c.config_test), (Some("/y"), true));
        assert_eq!(c.pid, PathBuf::from("/run/keepalived.pid"));
        assert_eq!(c.vrrp_pid, PathBuf::from("/run/vrrp.pid"));
    }
}
