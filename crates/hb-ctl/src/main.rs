//! `hbctl`: the heartbeat-rs admin tool.

mod decode_packet;

use clap::{CommandFactory, Parser, Subcommand};

/// The heartbeat-rs admin tool.
#[derive(Parser, Debug)]
#[command(name = "hbctl", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Decode and verify one raw heartbeat UDP payload.
    DecodePacket(decode_packet::DecodePacketArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(command) => match command {
            Command::DecodePacket(args) => decode_packet::run(&args),
        },
        None => {
            Cli::command().print_help()?;
            std::process::exit(2);
        }
    }
}
