//! `hb_standby` and `hb_takeover` with the arguments and messages of heartbeat 3.0.6's shell
//! scripts (`/usr/share/heartbeat/hb_standby`, `hb_takeover`), plus our `--wait`.

use hb_api::{Request, Scope};

/// What the tool should do, or the text and exit code of a usage error.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Send this request to the daemon.
    Send(Request),
    /// Print these and exit with `code`.
    Usage {
        /// Text for stdout.
        stdout: String,
        /// Text for stderr.
        stderr: String,
        /// Exit code.
        code: i32,
    },
}

/// Which of the two tools runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `hb_standby`: hand groups to the peer.
    Standby,
    /// `hb_takeover`: take groups from the peer.
    Takeover,
}

/// Parses the tool's arguments as the heartbeat scripts do: at most one word, default `all`;
/// `hb_standby failback` means `foreign`. `--wait` (ours) may appear anywhere.
pub fn parse(tool: Tool, program: &str, args: &[String]) -> Parsed {
    let wait = args.iter().any(|a| a == "--wait");
    let words: Vec<&String> = args.iter().filter(|a| *a != "--wait").collect();
    let usage = |first: String| Parsed::Usage {
        stdout: format!("{first}usage:\n"),
        stderr: format!("{program} [all|foreign|local|failback]\n"),
        code: 1,
    };
    if words.len() >= 2 {
        return usage(format!("{program}: too many arguments\n"));
    }
    let word = words.first().map(|w| w.as_str()).unwrap_or("all");
    if word == "--help" {
        return usage(String::new());
    }
    let Some(scope) = Scope::parse(word) else {
        return usage(format!("{program}: wrong resources({word}).\n"));
    };
    Parsed::Send(crate::handoff::request(tool == Tool::Standby, scope, wait))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn defaults_to_all_and_maps_failback_for_standby_only() {
        assert_eq!(
            parse(Tool::Standby, "hb_standby", &[]),
            Parsed::Send(Request::Standby { scope: Scope::All, wait: false })
        );
        assert_eq!(
            parse(Tool::Standby, "hb_standby", &args(&["failback"])),
            Parsed::Send(Request::Standby { scope: Scope::Foreign, wait: false })
        );
        assert_eq!(
            parse(Tool::Takeover, "hb_takeover", &args(&["failback", "--wait"])),
            Parsed::Send(Request::Takeover { scope: Scope::Failback, wait: true })
        );
        assert_eq!(
            parse(Tool::Takeover, "hb_takeover", &args(&["--wait", "local"])),
            Parsed::Send(Request::Takeover { scope: Scope::Local, wait: true })
        );
    }

    #[test]
    fn usage_errors_say_what_the_scripts_say() {
        assert_eq!(
            parse(Tool::Standby, "hb_standby", &args(&["some"])),
            Parsed::Usage {
                stdout: "hb_standby: wrong resources(some).\nusage:\n".into(),
                stderr: "hb_standby [all|foreign|local|failback]\n".into(),
                code: 1
            }
        );
        let Parsed::Usage { stdout, code, .. } =
            parse(Tool::Takeover, "hb_takeover", &args(&["all", "local"]))
        else {
            panic!("two words must be refused")
        };
        assert_eq!((stdout.as_str(), code), ("hb_takeover: too many arguments\nusage:\n", 1));
    }
}
