//! Reading values out of statements, reporting what is wrong the way keepalived does.

use std::net::IpAddr;
use std::time::Duration;

use super::lex::Stmt;
use super::types::{Command, Finding, Severity, Track, Vip};
use crate::error::Location;

/// The findings being collected.
pub(crate) struct Ctx {
    pub findings: Vec<Finding>,
}

impl Ctx {
    /// A [`Severity::Error`] finding.
    pub fn error(&mut self, loc: &Location, msg: impl Into<String>) {
        self.findings.push(Finding::new(loc.clone(), Severity::Error, msg));
    }

    /// A [`Severity::Warning`] finding.
    pub fn warn(&mut self, loc: &Location, msg: impl Into<String>) {
        self.findings.push(Finding::new(loc.clone(), Severity::Warning, msg));
    }

    /// keepalived's "Unknown keyword": reported, and the parse goes on.
    pub fn unknown(&mut self, s: &Stmt, k: &str) {
        self.error(&s.loc, format!("unknown keyword '{k}'; ignored"));
    }

    /// A keyword keepalived knows that heartbeat-rs ignores.
    pub fn unsupported(&mut self, s: &Stmt) {
        let msg = format!("{}: not supported by heartbeat-rs, ignored", s.keyword());
        self.warn(&s.loc, msg);
    }

    /// Argument `i` of `s`, or an error naming what is missing.
    pub fn arg<'s>(&mut self, s: &'s Stmt, i: usize, what: &str) -> Option<&'s str> {
        match s.args().get(i) {
            Some(w) => Some(w.text.as_str()),
            None => {
                self.error(&s.loc, format!("{}: missing {what}", s.keyword()));
                None
            }
        }
    }

    /// Argument `i` as an integer in `min..=max`.
    pub fn int(&mut self, s: &Stmt, i: usize, min: i64, max: i64) -> Option<i64> {
        let text = self.arg(s, i, "number")?;
        match text.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            Ok(_) => {
                let msg = format!("number '{text}' outside range [{min}, {max}]");
                self.error(&s.arg_loc(i), msg);
                None
            }
            Err(_) => {
                self.error(&s.arg_loc(i), format!("invalid number '{text}'"));
                None
            }
        }
    }

    /// Argument `i` as seconds (decimals allowed) in `min..=max` seconds.
    pub fn seconds(&mut self, s: &Stmt, i: usize, min: f64, max: f64) -> Option<Duration> {
        let text = self.arg(s, i, "time in seconds")?;
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= min && v <= max => Some(Duration::from_secs_f64(v)),
            Ok(_) => {
                let msg = format!("time '{text}' outside range [{min}, {max}] seconds");
                self.error(&s.arg_loc(i), msg);
                None
            }
            Err(_) => {
                self.error(&s.arg_loc(i), format!("invalid time '{text}'"));
                None
            }
        }
    }

    /// Argument `i` as an IP address.
    pub fn ip(&mut self, s: &Stmt, i: usize) -> Option<IpAddr> {
        let text = self.arg(s, i, "IP address")?;
        match text.parse() {
            Ok(a) => Some(a),
            Err(_) => {
                self.error(&s.arg_loc(i), format!("invalid IP address '{text}'"));
                None
            }
        }
    }

    /// The command of a `script`/`notify*` line. As in keepalived, only the first word is the
    /// command (quote it to pass arguments: it is split at whitespace); what follows is
    /// ignored for `script` and is the run-as user for `notify*`, which we do not support.
    pub fn command(&mut self, s: &Stmt) -> Option<Command> {
        let Some(first) = s.args().first() else {
            self.error(&s.loc, format!("{}: missing command", s.keyword()));
            return None;
        };
        let argv: Vec<String> = first.text.split_whitespace().map(str::to_owned).collect();
        if argv.is_empty() {
            self.error(&s.loc, format!("{}: empty command", s.keyword()));
            return None;
        }
        if s.args().len() > 1 {
            let rest: Vec<&str> = s.args()[1..].iter().map(|w| w.text.as_str()).collect();
            let msg = if s.keyword() == "script" {
                "words after the script are ignored, as keepalived does (quote the whole command \
                 line to pass arguments)"
            } else {
                "a run-as user for notify scripts is not supported by heartbeat-rs, ignored \
                 (quote the whole command line to pass arguments)"
            };
            self.warn(&s.arg_loc(1), format!("{}: '{}': {msg}", s.keyword(), rest.join(" ")));
        }
        Some(Command { argv })
    }

    /// A `track_script`/`track_interface` line: `NAME [weight N]`.
    pub fn track(&mut self, s: &Stmt) -> Track {
        let mut t = Track { name: s.keyword().to_owned(), weight: None };
        let args = s.args();
        if args.first().is_some_and(|w| w.text == "weight") {
            match args.get(1).map(|w| w.text.parse::<i32>()) {
                Some(Ok(n)) if (-254..=254).contains(&n) => t.weight = Some(n),
                _ => self.error(&s.loc, format!("{}: weight must be in [-254, 254]", t.name)),
            }
        } else if let Some(w) = args.first() {
            self.error(&s.arg_loc(0), format!("{}: unexpected '{}'; ignored", t.name, w.text));
        }
        t
    }

    /// A `virtual_ipaddress` line.
    pub fn vip(&mut self, s: &Stmt) -> Option<Vip> {
        let first = s.keyword();
        let (addr_text, len_text) = match first.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (first, None),
        };
        let Ok(addr) = addr_text.parse::<IpAddr>() else {
            self.error(&s.loc, format!("invalid virtual IP address '{first}'; skipped"));
            return None;
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match len_text.map(str::parse::<u8>) {
            None => max,
            Some(Ok(n)) if n <= max => n,
            Some(_) => {
                self.error(&s.loc, format!("invalid prefix length in '{first}'; skipped"));
                return None;
            }
        };
        let mut vip = Vip { addr, prefix, brd: None, dev: None, scope: None, label: None };
        let args = s.args();
        let mut i = 0;
        while i < args.len() {
            let key = args[i].text.as_str();
            let Some(val) = args.get(i + 1).map(|w| w.text.clone()) else {
                if key == "no_track" {
                    self.warn(&s.arg_loc(i), "no_track: not supported by heartbeat-rs, ignored");
                } else {
                    self.error(&s.arg_loc(i), format!("VIP option '{key}' needs a value"));
                }
                i += 1;
                continue;
            };
            match key {
                "dev" => vip.dev = Some(val),
                "label" => vip.label = Some(val),
                "scope" => vip.scope = Some(val),
                "brd" | "broadcast" => match val.parse() {
                    Ok(b) if addr.is_ipv4() => vip.brd = Some(b),
                    _ => self.error(&s.arg_loc(i + 1), format!("invalid broadcast '{val}'")),
                },
                _ => {
                    let msg = format!("VIP option '{key}' not supported by heartbeat-rs, ignored");
                    self.warn(&s.arg_loc(i), msg);
                }
            }
            i += 2;
        }
        Some(vip)
    }

    /// A `USER [GROUP]` pair.
    pub fn user(&mut self, s: &Stmt) -> Option<(String, Option<String>)> {
        let user = self.arg(s, 0, "user name")?.to_owned();
        Some((user, s.args().get(1).map(|w| w.text.clone())))
    }
}

/// Whether `s` has a block; reports one missing.
pub(crate) fn block<'s>(cx: &mut Ctx, s: &'s Stmt) -> &'s [Stmt] {
    match &s.block {
        Some(b) => b,
        None => {
            cx.error(&s.loc, format!("{}: expected a '{{' block", s.keyword()));
            &[]
        }
    }
}
