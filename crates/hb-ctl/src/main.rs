//! `hbctl`: the heartbeat-rs admin tool.

mod check_config;
mod decode_packet;

use clap::{CommandFactory, Parser, Subcommand};

mod cl_status;
mod legacy;
mod standby;

/// The heartbeat-rs admin tool.
#[derive(Parser, Debug)]
#[command(name = "hbctl", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check /etc/ha.d and print the effective configuration.
    CheckConfig(check_config::Args),
    /// Decode and verify one raw heartbeat UDP payload.
    DecodePacket(decode_packet::DecodePacketArgs),
}

fn main() -> anyhow::Result<()> {
    let argv: Vec<String> = std::env::args().collect();
    let program = argv.first().and_then(|a| a.rsplit('/').next()).unwrap_or("hbctl");
    match program {
        "cl_status" => std::process::exit(legacy::cl_status_main(&argv[1..])),
        "hb_standby" => {
            std::process::exit(legacy::standby_main(standby::Tool::Standby, program, &argv[1..]))
        }
        "hb_takeover" => {
            std::process::exit(legacy::standby_main(standby::Tool::Takeover, program, &argv[1..]))
        }
        _ => {}
    }
    let cli = Cli::parse();
    match cli.command {
        Some(command) => match command {
            Command::CheckConfig(args) => check_config::run(&args),
            Command::DecodePacket(args) => decode_packet::run(&args),
        },
        None => {
            Cli::command().print_help()?;
            std::process::exit(2);
        }
    }
}
