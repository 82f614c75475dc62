//! `hbctl`: the heartbeat-rs admin tool.

use clap::{CommandFactory, Parser, Subcommand};

mod cl_status;
mod legacy;

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
    let argv: Vec<String> = std::env::args().collect();
    let program = argv.first().and_then(|a| a.rsplit('/').next()).unwrap_or("hbctl");
    if program == "cl_status" {
        std::process::exit(legacy::cl_status_main(&argv[1..]));
    }
    let cli = Cli::parse();
    match cli.command {
        Some(command) => match command {},
        None => {
            Cli::command().print_help()?;
            std::process::exit(2);
        }
    }
}
