//! `hbctl`: the heartbeat-rs admin tool.

mod check_config;

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
    /// Check /etc/ha.d and print the effective configuration.
    CheckConfig(check_config::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(command) => match command {
            Command::CheckConfig(args) => check_config::run(&args),
        },
        None => {
            Cli::command().print_help()?;
            std::process::exit(2);
        }
    }
}
