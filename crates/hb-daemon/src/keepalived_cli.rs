//! The daemon started as `keepalived` (a link to the `heartbeat` binary): keepalived 2.2.7's
//! command line: the configuration test (`-t`), `-v`, `--signum`, and the VRRP daemon itself
//! ([`crate::vrrp`]). Like keepalived it goes to the background unless `-n`/`--dont-fork`
//! (which Debian's keepalived.service passes, with `Type=notify`); the pid files
//! `/run/keepalived.pid` and `/run/vrrp.pid` both name the one process, since the VRRP
//! "child" is the daemon itself here.

use std::path::{Path, PathBuf};

use clap::Parser;

use hb_config::keepalived::{check_interfaces, load_keepalived, DEFAULT_CONF};
use hb_platform::logging::{Facility, LogTargets};

use crate::pidfile::{self, PidState};

/// keepalived's exit status when `-t` finds a configuration error.
pub const EXIT_CONFIG_TEST: i32 = 5;
/// keepalived's exit status when `-t` finds scripts configured without
/// `enable_script_security` (and no other error).
pub const EXIT_CONFIG_TEST_SECURITY: i32 = 6;
/// Exit status when the configuration file cannot be read at all.
pub const EXIT_CONFIG: i32 = 4;

/// keepalived's flags, with its long names. Those of its other subsystems (LVS checker,
/// BFD, SNMP) and the ones this mode has no use for are accepted, so that an operator's
/// `DAEMON_ARGS` keep working, and warned about at start.
#[derive(Parser, Debug, Clone)]
#[command(name = "keepalived", disable_version_flag = true)]
pub struct KeepalivedCli {
    /// Use the specified configuration file.
    #[arg(short = 'f', long = "use-file", default_value = DEFAULT_CONF)]
    pub use_file: PathBuf,
    /// Check the configuration for obvious errors and exit (status 5 on errors); with
    /// `=LOG_FILE` the findings go to that file instead of stderr.
    #[arg(short = 't', long = "config-test", num_args = 0..=1, require_equals = true,
          default_missing_value = "", value_name = "LOG_FILE")]
    pub config_test: Option<String>,
    /// Do not fork the daemon process (what keepalived.service passes).
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
    /// Syslog facility: 0..7 (local0..local7), localN, user or daemon (the default).
    #[arg(short = 'S', long = "log-facility", value_parser = parse_facility)]
    pub log_facility: Option<Facility>,
    /// Parent process pid file.
    #[arg(short = 'p', long = "pid", default_value = "/run/keepalived.pid")]
    pub pid: PathBuf,
    /// VRRP child process pid file.
    #[arg(short = 'r', long = "vrrp_pid", default_value = "/run/vrrp.pid")]
    pub vrrp_pid: PathBuf,
    /// Only run the VRRP subsystem (the only one this mode has).
    #[arg(short = 'P', long = "vrrp")]
    pub vrrp_only: bool,
    /// Do not remove the virtual addresses on stop (the priority-0 advert is still sent).
    #[arg(short = 'V', long = "dont-release-vrrp")]
    pub dont_release_vrrp: bool,
    /// Print the signal number of STOP, RELOAD, DATA, STATS, STATS_CLEAR or JSON and exit.
    #[arg(long = "signum", value_name = "SIGFUNC")]
    pub signum: Option<String>,
    /// Display the version and exit.
    #[arg(short = 'v', long = "version")]
    pub version: bool,
    /// heartbeat-rs only: serve the `heartbeat_vrrp_*` Prometheus metrics on ADDR:PORT.
    #[arg(long = "metrics-listen", value_name = "ADDR:PORT")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Only run the health checker (LVS): not available in this mode.
    #[arg(short = 'C', long = "check")]
    pub check_only: bool,
    /// Internal: the crash guardian process the daemon starts (see `vrrp::guardian`).
    #[arg(long = "vrrp-guardian", hide = true)]
    pub vrrp_guardian: bool,
    /// Options accepted for compatibility and otherwise ignored (each is named in a warning).
    #[command(flatten)]
    pub ignored: Ignored,
}

/// keepalived flags that have no effect here.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Ignored {
    /// Don't run the BFD subsystem (there is none).
    #[arg(short = 'B', long = "no_bfd")]
    pub no_bfd: bool,
    /// Force all child processes to run.
    #[arg(long = "all")]
    pub all: bool,
    /// umask for file creation.
    #[arg(short = 'u', long = "umask", value_name = "MASK")]
    pub umask: Option<String>,
    /// Drop VIPs on transition from signal.
    #[arg(short = 'X', long = "release-vips")]
    pub release_vips: bool,
    /// Don't remove the IPVS topology on stop (no IPVS here).
    #[arg(short = 'I', long = "dont-release-ipvs")]
    pub dont_release_ipvs: bool,
    /// Don't respawn child processes (there are none to respawn).
    #[arg(short = 'R', long = "dont-respawn")]
    pub dont_respawn: bool,
    /// Dump the configuration data.
    #[arg(short = 'd', long = "dump-conf")]
    pub dump_conf: bool,
    /// Checkers child pid file (no checker child here).
    #[arg(short = 'c', long = "checkers_pid", value_name = "FILE")]
    pub checkers_pid: Option<PathBuf>,
    /// BFD child pid file (no BFD child here).
    #[arg(short = 'b', long = "bfd_pid", value_name = "FILE")]
    pub bfd_pid: Option<PathBuf>,
    /// Report all address changes.
    #[arg(short = 'a', long = "address-monitoring")]
    pub address_monitoring: bool,
    /// SNMP subsystem.
    #[arg(short = 'x', long = "snmp")]
    pub snmp: bool,
    /// SNMP master agent socket.
    #[arg(short = 'A', long = "snmp-agent-socket", value_name = "FILE")]
    pub snmp_agent_socket: Option<PathBuf>,
    /// Network namespace to run in.
    #[arg(short = 's', long = "namespace", value_name = "NAME")]
    pub namespace: Option<String>,
    /// Core dump on abnormal termination.
    #[arg(short = 'm', long = "core-dump")]
    pub core_dump: bool,
    /// Core dump pattern.
    #[arg(short = 'M', long = "core-dump-pattern", num_args = 0..=1, require_equals = true,
          default_missing_value = "core", value_name = "PATN")]
    pub core_dump_pattern: Option<String>,
    /// Error if any configuration file is missing.
    #[arg(short = 'e', long = "all-config")]
    pub all_config: bool,
    /// Configuration id for `@` lines.
    #[arg(short = 'i', long = "config-id", value_name = "ID")]
    pub config_id: Option<String>,
}

impl Ignored {
    /// The long names of the flags given, for the start-up warning.
    pub fn given(&self) -> Vec<&'static str> {
        let flags = [
            (self.no_bfd, "--no_bfd"),
            (self.all, "--all"),
            (self.umask.is_some(), "--umask"),
            (self.release_vips, "--release-vips"),
            (self.dont_release_ipvs, "--dont-release-ipvs"),
            (self.dont_respawn, "--dont-respawn"),
            (self.dump_conf, "--dump-conf"),
            (self.checkers_pid.is_some(), "--checkers_pid"),
            (self.bfd_pid.is_some(), "--bfd_pid"),
            (self.address_monitoring, "--address-monitoring"),
            (self.snmp, "--snmp"),
            (self.snmp_agent_socket.is_some(), "--snmp-agent-socket"),
            (self.namespace.is_some(), "--namespace"),
            (self.core_dump, "--core-dump"),
            (self.core_dump_pattern.is_some(), "--core-dump-pattern"),
            (self.all_config, "--all-config"),
            (self.config_id.is_some(), "--config-id"),
        ];
        flags.into_iter().filter(|(on, _)| *on).map(|(_, name)| name).collect()
    }
}

/// keepalived's `-S` values: a number 0..7 is localN; names as syslog spells them.
fn parse_facility(s: &str) -> Result<Facility, String> {
    let name = match s.parse::<u8>() {
        Ok(n @ 0..=7) => format!("local{n}"),
        Ok(n) => return Err(format!("facility number {n} is not 0..7")),
        Err(_) => s.to_owned(),
    };
    match name.as_str() {
        "user" | "daemon" => {}
        n if n.len() == 6 && n.starts_with("local") && matches!(n.as_bytes()[5], b'0'..=b'7') => {}
        _ => return Err(format!("'{s}': expected 0..7, local0..local7, user or daemon")),
    }
    name.parse::<Facility>().map_err(|e| e.to_string())
}

/// keepalived 2.2.7's `--signum` answers (Linux, glibc: SIGRTMIN is 34).
pub fn signum(func: &str) -> Option<i32> {
    match func {
        "STOP" => Some(libc::SIGTERM),
        "RELOAD" => Some(libc::SIGHUP),
        "DATA" => Some(libc::SIGUSR1),
        "STATS" => Some(libc::SIGUSR2),
        "STATS_CLEAR" => Some(STATS_CLEAR_SIGNAL),
        "JSON" => Some(JSON_SIGNAL),
        _ => None,
    }
}

/// keepalived's SIGJSON: SIGRTMIN+2 (36 with glibc), which 2.2.7's `--signum=JSON` prints.
pub const JSON_SIGNAL: i32 = 36;
/// keepalived's SIGSTATS_CLEAR (63 with glibc): write the stats file, then zero the counters.
pub const STATS_CLEAR_SIGNAL: i32 = 63;

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
    if cli.vrrp_guardian {
        return crate::vrrp::guardian::run();
    }
    if cli.version {
        println!("Keepalived v2.2.7 compatible (heartbeat-rs {})", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    if let Some(func) = &cli.signum {
        return match signum(func) {
            Some(n) => {
                println!("{n}");
                0
            }
            None => {
                eprintln!("Unknown sigfunc {func}");
                1
            }
        };
    }
    if let Some(log) = &cli.config_test {
        let exists = |name: &str| Path::new("/sys/class/net").join(name).exists();
        if log.is_empty() {
            return config_test(&cli.use_file, exists, &mut std::io::stderr());
        }
        return match std::fs::File::create(log) {
            Ok(mut f) => config_test(&cli.use_file, exists, &mut f),
            Err(e) => {
                eprintln!("keepalived: -t log file {log}: {e}");
                EXIT_CONFIG
            }
        };
    }
    if cli.check_only {
        eprintln!(
            "keepalived: --check (the LVS health checker alone) is not available in heartbeat-rs; \
             nothing to run"
        );
        return 1;
    }
    if let PidState::Running(pid) = pidfile::read(&cli.pid) {
        if pid != std::process::id() as i32 {
            eprintln!("keepalived: daemon is already running (pid {pid}, {})", cli.pid.display());
            return 1;
        }
    }
    if !cli.dont_fork && std::env::var_os(DETACHED_ENV).is_none() {
        return crate::keepalived_fork::start_background(&cli.pid, EXIT_CONFIG);
    }
    if std::env::var_os(DETACHED_ENV).is_some() {
        // Our own session: no controlling terminal, not killed with the starter's group.
        let _ = nix::unistd::setsid();
    }
    run_daemon(&cli)
}

/// Set in the environment of the background copy that [`main`] starts without `-n`.
pub const DETACHED_ENV: &str = "HB_KEEPALIVED_DETACHED";

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
        // keepalived's default facility is daemon.
        facility: if cli.no_syslog {
            None
        } else {
            Some(cli.log_facility.unwrap_or(Facility::DAEMON))
        },
        debug: u8::from(cli.log_detail),
        ..LogTargets::default()
    };
    if let Err(e) =
        hb_platform::logging::init(targets, "Keepalived_vrrp", &host.unwrap_or_default())
    {
        eprintln!("keepalived: {e}");
    }
    let ignored = cli.ignored.given();
    if !ignored.is_empty() {
        tracing::warn!("options without effect in heartbeat-rs, ignored: {}", ignored.join(" "));
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
    let opts = crate::vrrp::Options {
        conf_file: cli.use_file.clone(),
        release_on_stop: !cli.dont_release_vrrp,
        api_socket: Some(hb_api::vrrp_socket_path()),
        metrics_listen: cli.metrics_listen,
    };
    let code = match rt.block_on(crate::vrrp::run(conf, opts)) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e:#}");
            if !cli.log_console && !cli.no_syslog {
                // Not logged to stderr already; a closed stderr is not worth a panic.
                use std::io::Write as _;
                let _ = writeln!(std::io::stderr(), "keepalived: {e:#}");
            }
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
pub fn config_test(
    file: &Path,
    exists: impl Fn(&str) -> bool,
    out: &mut dyn std::io::Write,
) -> i32 {
    let conf = match load_keepalived(file) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(out, "{e}");
            return EXIT_CONFIG;
        }
    };
    let missing = check_interfaces(&conf, exists);
    for f in conf.findings.iter().chain(&missing) {
        let _ = writeln!(out, "{f}");
    }
    if conf.instances.is_empty() {
        let _ = writeln!(out, "{}: no valid vrrp_instance", file.display());
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
        let _ = writeln!(
            out,
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
        config_test(&f, |n| ifaces.contains(&n), &mut std::io::sink())
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
        assert_eq!(
            config_test(&d.path().join("none.conf"), |_| true, &mut Vec::new()),
            EXIT_CONFIG
        );
        let mut out = Vec::new();
        let bad = d.path().join("bad.conf");
        std::fs::write(&bad, OK.replace("}\n}", "}\n bogus 1\n}")).unwrap();
        assert_eq!(config_test(&bad, |_| true, &mut out), EXIT_CONFIG_TEST);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("bad.conf:7:2: error: unknown keyword 'bogus'"), "{text}");
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
        assert_eq!(c.config_test.as_deref(), Some(""));
        assert!(c.dont_fork && c.log_console && c.no_syslog && c.log_detail);
        assert_eq!(c.log_facility.map(|f| f.name()), Some("local3"));
        assert!(c.ignored.given().is_empty());
        let c = KeepalivedCli::try_parse_from(["keepalived", "--use-file=/y", "--config-test"])
            .unwrap();
        assert_eq!((c.use_file.to_str(), c.config_test.as_deref()), (Some("/y"), Some("")));
        let c = KeepalivedCli::try_parse_from(["keepalived", "--config-test=/tmp/t.log"]).unwrap();
        assert_eq!(c.config_test.as_deref(), Some("/tmp/t.log"));
        // What operators put in /etc/default/keepalived's DAEMON_ARGS.
        let c = KeepalivedCli::try_parse_from([
            "keepalived",
            "--dont-fork",
            "-P",
            "-D",
            "-S",
            "local5",
            "-V",
            "-R",
            "--snmp",
            "-c",
            "/run/checkers.pid",
        ])
        .unwrap();
        assert!(c.vrrp_only && c.dont_release_vrrp && c.dont_fork);
        assert_eq!(c.log_facility.map(|f| f.name()), Some("local5"));
        assert_eq!(c.ignored.given(), ["--dont-respawn", "--checkers_pid", "--snmp"]);
        for (s, name) in [("user", "user"), ("daemon", "daemon"), ("0", "local0")] {
            let c = KeepalivedCli::try_parse_from(["keepalived", "-S", s]).unwrap();
            assert_eq!(c.log_facility.map(|f| f.name()), Some(name));
        }
        for bad in ["8", "local8", "kern", "mail"] {
            assert!(KeepalivedCli::try_parse_from(["keepalived", "-S", bad]).is_err(), "{bad}");
        }
        assert_eq!(c.pid, PathBuf::from("/run/keepalived.pid"));
        assert_eq!(c.vrrp_pid, PathBuf::from("/run/vrrp.pid"));
    }

    #[test]
    fn signum_answers_as_keepalived_2_2_7_does() {
        // Printed by Debian's keepalived 2.2.7 `--signum=X`.
        let real = [
            ("STOP", 15),
            ("RELOAD", 1),
            ("DATA", 10),
            ("STATS", 12),
            ("STATS_CLEAR", 63),
            ("JSON", 36),
        ];
        for (func, n) in real {
            assert_eq!(signum(func), Some(n), "{func}");
        }
        assert_eq!(signum("TDATA"), None);
        assert_eq!(signum("stop"), None, "keepalived's names are upper case only");
    }
}
