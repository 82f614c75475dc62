//! `heartbeat`: the heartbeat-rs daemon.

use clap::Parser;

/// Command line of the daemon, modelled on heartbeat 3.0.6's.
#[derive(Parser, Debug)]
#[command(name = "heartbeat", disable_version_flag = true)]
struct Cli {
    /// Print the version and exit.
    #[arg(short = 'V')]
    version: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.version {
        println!("{}", env!("CARGO_PKG_VERSION"));
        return Ok(());
    }
    anyhow::bail!("the heartbeat-rs daemon is not built yet (see issue 5); only -V works")
}
