//! The daemon's command line: heartbeat 3.0.6's flags plus ours.

use std::path::PathBuf;

use clap::Parser;

/// `heartbeat [-dkrsvlV] [--foreground] [--config-dir DIR] …`
///
/// With no flag it reads the configuration and starts the daemon in the background, as
/// heartbeat 3.0.6 does. The one-letter flags keep heartbeat's meaning and exit codes.
#[derive(Parser, Debug, Clone)]
#[command(name = "heartbeat", disable_version_flag = true, disable_help_flag = false)]
pub struct Cli {
    /// Stop the running daemon with a graceful hand-off; return once it has exited.
    #[arg(short = 'k')]
    pub kill: bool,
    /// Report whether the daemon is running (LSB status codes: 0 running, 1 dead with a pid
    /// file left behind, 3 stopped).
    #[arg(short = 's')]
    pub status: bool,
    /// Ask the running daemon to re-read its configuration (SIGHUP); start it if none runs.
    #[arg(short = 'r')]
    pub reload: bool,
    /// Print the version and exit.
    #[arg(short = 'V')]
    pub version: bool,
    /// Raise the debug level (may be repeated).
    #[arg(short = 'd', action = clap::ArgAction::Count)]
    pub debug: u8,
    /// Verbose start-up: print the effective configuration.
    #[arg(short = 'v')]
    pub verbose: bool,
    /// Do not run at real-time priority (overrides ha.cf `realtime`), as heartbeat's `-l`.
    #[arg(short = 'l')]
    pub no_realtime: bool,
    /// Stay in the foreground (for systemd and tests); log to stderr as well.
    #[arg(long)]
    pub foreground: bool,
    /// Directory holding ha.cf, haresources and authkeys.
    #[arg(long, default_value = "/etc/ha.d")]
    pub config_dir: PathBuf,
    /// This node's name; defaults to `uname -n`, as heartbeat requires.
    #[arg(long)]
    pub node_name: Option<String>,
    /// Where the generation number and node UUID live.
    #[arg(long, default_value = "/var/lib/heartbeat")]
    pub state_dir: PathBuf,
    /// Pid file of the running daemon.
    #[arg(long, default_value = "/run/heartbeat.pid")]
    pub pid_file: PathBuf,
    /// Directory of the admin socket.
    #[arg(long, default_value = "/run/heartbeat")]
    pub run_dir: PathBuf,
    /// How long the node that is not the first group's preferred node waits before fencing a
    /// dead peer (so two nodes never fence each other at the same moment), in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub fence_delay_ms: u64,
    /// Gratuitous ARP rounds (request + reply) sent when an address is taken over.
    #[arg(long, default_value_t = 3)]
    pub garp_rounds: u32,
    /// Pause between gratuitous ARP rounds, in milliseconds (0: one immediate burst).
    #[arg(long, default_value_t = 0)]
    pub garp_interval_ms: u64,
    /// Serve Prometheus metrics on ADDRESS:PORT (e.g. 127.0.0.1:9694); overrides `listen` in
    /// `metrics.cf` beside ha.cf. Without either, metrics are off.
    #[arg(long, value_name = "ADDRESS:PORT")]
    pub metrics_listen: Option<String>,
    /// Remove every address of the configured groups from this host and exit (for a service
    /// manager's stop-post hook: no address outlives the daemon, however it ended).
    #[arg(long)]
    pub release_addresses: bool,
    /// Internal: this process is the background daemon started by `heartbeat` without
    /// `--foreground` (it detaches into its own session).
    #[arg(long, hide = true)]
    pub daemonized: bool,
    /// Internal: run as the daemon's crash guardian (see `hb_daemon::guardian`).
    #[arg(long, hide = true)]
    pub guardian: bool,
}
