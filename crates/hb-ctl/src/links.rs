//! `hbctl install-links`: the legacy tool names as symlinks to the one `hbctl` binary, which
//! picks the tool by the name it was started as.

use std::path::{Path, PathBuf};

/// The names `hbctl` answers to through argv[0].
pub const LEGACY_NAMES: [&str; 3] = ["cl_status", "hb_standby", "hb_takeover"];

/// Options of `hbctl install-links`.
#[derive(clap::Args, Debug)]
#[command(long_about = "\
Create cl_status, hb_standby and hb_takeover in DIR as symlinks to the hbctl binary.

hbctl is one binary: started under one of those names (argv[0]) it behaves as heartbeat 3.0.6's \
tool of that name, with the same arguments, output and exit codes. Heartbeat installed \
cl_status in /usr/bin and hb_standby/hb_takeover in /usr/share/heartbeat, e.g.:

  hbctl install-links /usr/bin
  hbctl install-links /usr/share/heartbeat

With --keepalived, also `keepalived`, a link to the heartbeat daemon binary (not hbctl): \
started under that name it is the keepalived mode, reading keepalived.conf with keepalived's \
command line. Put it where Debian's keepalived package does not install (its binary is \
/usr/sbin/keepalived), e.g.:

  hbctl install-links --keepalived /usr/lib/heartbeat-rs

An existing symlink to the same target is left alone; any other existing file is an error \
unless --force replaces it.")]
pub struct Args {
    /// Directory to create the links in (must exist).
    pub dir: PathBuf,
    /// What the links point to (default: this hbctl binary's absolute path).
    #[arg(long, value_name = "PATH")]
    pub target: Option<PathBuf>,
    /// Replace existing files of those names.
    #[arg(long)]
    pub force: bool,
    /// Also create `keepalived`, pointing at the heartbeat daemon binary.
    #[arg(long)]
    pub keepalived: bool,
    /// What `keepalived` points to (default: `heartbeat` beside this hbctl binary).
    #[arg(long, value_name = "PATH", requires = "keepalived")]
    pub daemon_target: Option<PathBuf>,
}

/// The name the daemon answers to as the keepalived mode.
pub const KEEPALIVED_NAME: &str = "keepalived";

/// Runs `hbctl install-links`; returns the exit code.
pub fn run(args: &Args) -> i32 {
    let target = match &args.target {
        Some(target) => target.clone(),
        None => match std::env::current_exe() {
            Ok(exe) => exe,
            Err(err) => {
                eprintln!("hbctl: cannot find this program's path ({err}); give --target");
                return 1;
            }
        },
    };
    let mut links: Vec<(&str, PathBuf)> =
        LEGACY_NAMES.iter().map(|name| (*name, target.clone())).collect();
    if args.keepalived {
        let daemon = match &args.daemon_target {
            Some(t) => t.clone(),
            None => target.with_file_name("heartbeat"),
        };
        if !daemon.exists() {
            eprintln!(
                "hbctl: {}: no heartbeat daemon binary there; give --daemon-target",
                daemon.display()
            );
            return 1;
        }
        links.push((KEEPALIVED_NAME, daemon));
    }
    let mut code = 0;
    for (name, target) in &links {
        let (name, target) = (*name, target.as_path());
        let link = args.dir.join(name);
        match install(&link, target, args.force) {
            Ok(Done::Created) => println!("{} -> {}", link.display(), target.display()),
            Ok(Done::Present) => {
                println!("{} -> {} (already there)", link.display(), target.display())
            }
            Err(err) => {
                eprintln!("hbctl: {}: {err}", link.display());
                code = 1;
            }
        }
    }
    code
}

enum Done {
    Created,
    Present,
}

fn install(link: &Path, target: &Path, force: bool) -> std::io::Result<Done> {
    match std::fs::symlink_metadata(link) {
        Ok(meta) => {
            if meta.file_type().is_symlink() && std::fs::read_link(link)? == target {
                return Ok(Done::Present);
            }
            if !force {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "exists (use --force to replace it)",
                ));
            }
            if meta.is_dir() {
                return Err(std::io::Error::other("is a directory; not replacing it"));
            }
            std::fs::remove_file(link)?;
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    std::os::unix::fs::symlink(target, link)?;
    Ok(Done::Created)
}
