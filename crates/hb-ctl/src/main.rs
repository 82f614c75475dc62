//! `hbctl`: the heartbeat-rs admin tool.

use clap::{CommandFactory, Parser, Subcommand};

/// The heartbeat-rs admin tool.
#[derive(Parser, Debug)]
#[command(name = "hbctl", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(command) => match command {},
        None => {
            Cli::command().print_help()?;
            std::process::exit(2);
        }
    }
}
