//! `hbctl`: the heartbeat-rs admin tool. One binary: started as `cl_status`, `hb_standby` or
//! `hb_takeover` (argv[0], e.g. through the symlinks `hbctl install-links` makes) it behaves as
//! heartbeat 3.0.6's tool of that name; as `hbctl` it offers the subcommands below.

mod check_cloud;
mod check_config;
mod check_keepalived;
mod cl_status;
mod clear;
mod daemon;
mod decode_packet;
mod demo;
mod demo_cloud;
mod demo_httpd;
mod demo_probe;
mod events;
mod generate;
mod handoff;
mod legacy;
mod links;
mod reload;
mod standby;
mod status;

use clap::{CommandFactory, Parser, Subcommand};

/// The heartbeat-rs admin tool.
#[derive(Parser, Debug)]
#[command(
    name = "hbctl",
    version,
    after_help = "\
The admin socket is $HB_API_SOCKET, else /run/heartbeat/api.sock.
Exit status of the commands that ask the daemon: 0 done, 1 refused or failed, 2 usage error, \
3 heartbeat not running or not answering properly."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show nodes, links and resource groups as the running daemon sees them.
    Status(status::Args),
    /// Hand resource groups to the peer (what hb_standby does).
    Standby(handoff::Args),
    /// Take resource groups from the peer (what hb_takeover does).
    Takeover(handoff::Args),
    /// Stream the daemon's events as JSON lines.
    Events(events::Args),
    /// Forget a group's health-check failures here (it may be chosen here again at once).
    #[command(after_long_help = clear::MONITORS_HELP)]
    Clear(clear::Args),
    /// Re-read /etc/ha.d and apply the difference live (prints the changes; exit 1 refused).
    #[command(after_long_help = reload::HELP)]
    Reload,
    /// Check /etc/ha.d and print the effective configuration.
    #[command(after_long_help = clear::MONITORS_HELP)]
    CheckConfig(check_config::Args),
    /// Run a live demo cluster in network namespaces and measure its failovers (root).
    Demo(demo::Args),
    /// Internal: the demo's tiny web server (started by its resource script).
    #[command(hide = true)]
    DemoHttpd(demo_httpd::HttpdArgs),
    /// Decode and verify one raw heartbeat UDP payload.
    DecodePacket(decode_packet::DecodePacketArgs),
    /// Print a shell completion script for hbctl.
    Completions(generate::CompletionsArgs),
    /// Write manual pages for hbctl, its subcommands, cl_status, hb_standby and hb_takeover.
    Man(generate::ManArgs),
    /// Create cl_status, hb_standby and hb_takeover symlinks to this binary.
    InstallLinks(links::Args),
}

fn main() -> anyhow::Result<()> {
    let argv: Vec<String> = std::env::args().collect();
    let invoked = argv.first().map(String::as_str).unwrap_or("hbctl");
    let program = invoked.rsplit('/').next().unwrap_or(invoked);
    match program {
        "cl_status" => std::process::exit(legacy::cl_status_main(&argv[1..])),
        // The scripts print their $0, i.e. the name as started, path included.
        "hb_standby" => {
            std::process::exit(legacy::standby_main(standby::Tool::Standby, invoked, &argv[1..]))
        }
        "hb_takeover" => {
            std::process::exit(legacy::standby_main(standby::Tool::Takeover, invoked, &argv[1..]))
        }
        _ => {}
    }
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::CheckConfig(args)) => return check_config::run(&args),
        Some(Command::DecodePacket(args)) => return decode_packet::run(&args),
        Some(Command::Demo(args)) => return demo::run(&args),
        Some(Command::DemoHttpd(args)) => return demo_httpd::run(&args),
        Some(Command::Status(args)) => status::run(&args),
        Some(Command::Standby(args)) => handoff::run(true, &args),
        Some(Command::Takeover(args)) => handoff::run(false, &args),
        Some(Command::Events(args)) => events::run(&args),
        Some(Command::Clear(args)) => clear::run(&args),
        Some(Command::Reload) => reload::run(),
        Some(Command::Completions(args)) => generate::completions(Cli::command(), &args),
        Some(Command::Man(args)) => generate::man(Cli::command(), &args),
        Some(Command::InstallLinks(args)) => links::run(&args),
        None => {
            Cli::command().print_help()?;
            2
        }
    };
    std::process::exit(code)
}
