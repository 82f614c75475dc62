//! `hbctl completions` and `hbctl man`: shell completions and manual pages generated from the
//! same clap definitions that parse the command line.
//!
//! `cl_status`, `hb_standby` and `hb_takeover` parse their arguments by hand (heartbeat's
//! getopt and shell-script rules, which clap cannot reproduce exactly), so the clap commands
//! below describe them only for their manual pages.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, Command};

use crate::cl_status;

/// Options of `hbctl completions`.
#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for; the script goes to stdout.
    pub shell: clap_complete::Shell,
}

/// Options of `hbctl man`.
#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Write hbctl.1, one page per subcommand (hbctl-status.1, …), cl_status.1, hb_standby.1
    /// and hb_takeover.1 into this directory. Without it, hbctl(1) goes to stdout.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Runs `hbctl completions`; returns the exit code.
pub fn completions(mut hbctl: Command, args: &CompletionsArgs) -> i32 {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut hbctl, "hbctl", &mut out);
    match out.flush() {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("hbctl: {err}");
            1
        }
    }
}

/// Runs `hbctl man`; returns the exit code.
pub fn man(hbctl: Command, args: &ManArgs) -> i32 {
    let result = match &args.out_dir {
        Some(dir) => write_pages(hbctl, dir).map(|paths| {
            for path in paths {
                println!("{}", path.display());
            }
        }),
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(hbctl).render(&mut out).and_then(|()| out.flush())
        }
    };
    match result {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("hbctl: writing manual pages: {err}");
            1
        }
    }
}

/// Writes every page into `dir` and returns their paths, sorted.
pub fn write_pages(hbctl: Command, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    clap_mangen::generate_to(hbctl, dir)?;
    for legacy in [cl_status_command(), handoff_command(true), handoff_command(false)] {
        clap_mangen::Man::new(legacy).generate_to(dir)?;
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "1"))
        .collect();
    paths.sort();
    Ok(paths)
}

const LEGACY_EXIT_CODES: &str = "\
Exit status: 0 when the request was accepted (with --wait: when the hand-off completed), \
1 for a usage error, when the request was refused, or when heartbeat is not running.";

/// `hb_standby` (`standby` true) or `hb_takeover`, described for the manual page.
pub fn handoff_command(standby: bool) -> Command {
    let (name, about, long) = if standby {
        (
            "hb_standby",
            "Hand this node's resource groups to the peer",
            "Asks heartbeat to release the resource groups the argument names (default all) so that the \
             peer takes them over (heartbeat 3.0.6's hb_standby: same arguments, messages and \
             exit codes). 'failback' means 'foreign'. Logs \"Going standby [all].\" on stderr. \
             hbctl answers to this name when started through a symlink (see hbctl install-links).",
        )
    } else {
        (
            "hb_takeover",
            "Take resource groups from the peer",
            "Asks heartbeat to pull the resource groups the argument names (default all) to this node; the same as \
             hb_standby on the peer (heartbeat 3.0.6's hb_takeover: same arguments, messages and \
             exit codes). hbctl answers to this name when started through a symlink (see hbctl \
             install-links).",
        )
    };
    Command::new(name)
        .about(about)
        .long_about(long)
        .disable_help_flag(true)
        .arg(
            Arg::new("scope").value_name("all|foreign|local|failback").help(
                "Which groups, relative to their preferred node in haresources (default all)",
            ),
        )
        .arg(Arg::new("wait").long("wait").action(ArgAction::SetTrue).help(
            "(heartbeat-rs) Return when the hand-off has completed or was refused; a refusal \
             prints the reason and exits 1",
        ))
        .after_long_help(LEGACY_EXIT_CODES)
}

/// `cl_status`, described for the manual page: one paragraph per sub-command, taken from the
/// usage text the tool prints, so the two cannot drift apart.
pub fn cl_status_command() -> Command {
    let mut about = String::from(
        "heartbeat 3.0.6's cl_status, answering from the heartbeat-rs daemon with the same \
         sub-commands, output and exit codes. hbctl answers to this name when started through \
         a symlink (see hbctl install-links).",
    );
    let subcommands = cl_status::USAGE.split_once("\n\n").map(|(_, rest)| rest).unwrap_or("");
    for line in subcommands.lines() {
        match line.strip_prefix('\t') {
            Some(text) => {
                about.push(' ');
                about.push_str(&text.split_whitespace().collect::<Vec<_>>().join(" "));
            }
            None => {
                about.push_str("\n\n");
                about.push_str(line);
                if !line.ends_with(':') {
                    about.push(':');
                }
            }
        }
    }
    Command::new("cl_status")
        .about("Show heartbeat's view of the cluster")
        .long_about(about)
        .override_usage("cl_status <sub-command> [<options>] [<parameters>]")
        .disable_help_flag(true)
        .after_long_help(
            "Exit status: 0 OK, 1 normal failure (node or link down, heartbeat not running), \
             11 parameter error, 12 timeout (5 s), 13 other error.",
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_pages_render_with_their_names() {
        for (cmd, name) in [
            (cl_status_command(), "cl_status"),
            (handoff_command(true), "hb_standby"),
            (handoff_command(false), "hb_takeover"),
        ] {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page).expect("render to memory");
            let page = String::from_utf8(page).expect("roff is text");
            assert!(page.contains(&format!("\n.TH {name} 1 ")), "{page}");
        }
    }
}
