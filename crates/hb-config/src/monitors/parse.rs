//! The `monitors` reader (see the module doc for the syntax).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;
use crate::error::{ConfigError, Location};
use crate::haresources::Haresources;
use crate::text::{self, Tok};
use crate::time::{parse_time, MAX_TIME};

const OPTION_KEYS: [&str; 8] =
    ["interval", "timeout", "fall", "rise", "delay", "expect", "restarts", "window"];

/// Parses the text of a `monitors` file against the groups of `hr` (every RESOURCE must be
/// one of them). `file` is used in messages and recorded in the result.
pub fn parse_monitors(file: &Path, text: &str, hr: &Haresources) -> Result<Monitors, ConfigError> {
    let mut out = Monitors { file: Some(file.to_path_buf()), ..Monitors::default() };
    for item in text::lines(file, text) {
        let (n, line) = item?;
        let at = |col: u32| Location::new(file, n, col);
        let mut toks = text::split_tokens(line, 1, text::is_ws);
        if let Some(hash) = toks.iter().position(|t| t.text.starts_with('#')) {
            toks.truncate(hash);
        }
        let Some(first) = toks.first().copied() else { continue };
        if out.checks.len() + out.policies.len() >= MAX_MONITORS {
            return Err(ConfigError::invalid(at(1), format!("more than {MAX_MONITORS} lines")));
        }
        if first.text == "group" {
            let policy = policy_line(file, n, &toks, hr)?;
            if let Some(prev) = out.policies.iter().find(|p| p.group_key == policy.group_key) {
                let line = prev.location.as_ref().map_or(0, |l| l.line);
                return Err(ConfigError::invalid(
                    at(first.col),
                    format!(
                        "group `{}` already has a policy at line {line}; expected one per group",
                        policy.group_key
                    ),
                ));
            }
            out.policies.push(policy);
        } else {
            out.checks.push(check_line(file, n, &toks, hr)?);
        }
    }
    Ok(out)
}

/// A time value: heartbeat's forms (`2`, `1.5`, `500ms`) plus `s`, `min` and `h` suffixes.
pub fn parse_monitor_time(s: &str) -> Result<Duration, String> {
    // heartbeat's own message does not mention our extra suffixes; limits keep theirs.
    let plain =
        |t: &str| parse_time(t).map_err(|e| if e.contains("invalid") { bad_time(s) } else { e });
    let scaled = |num: &str, factor: u32| -> Result<Duration, String> {
        let d = plain(num)?;
        let d = d.checked_mul(factor).filter(|d| *d <= MAX_TIME);
        d.ok_or_else(|| format!("time value `{s}` is larger than the limit of 86400 seconds"))
    };
    let lower = s.to_ascii_lowercase();
    if let Some(num) = lower.strip_suffix("min") {
        scaled(num, 60)
    } else if let Some(num) = lower.strip_suffix('h') {
        scaled(num, 3600)
    } else if lower.ends_with("ms") || lower.ends_with("us") || lower.ends_with("sec") {
        plain(s)
    } else if let Some(num) = lower.strip_suffix('s') {
        scaled(num, 1)
    } else {
        plain(s)
    }
}

fn bad_time(s: &str) -> String {
    format!("invalid time value `{s}`; expected `2s`, `500ms`, `10min`, `1h` or seconds")
}

fn policy_line(
    file: &Path,
    n: u32,
    toks: &[Tok<'_>],
    hr: &Haresources,
) -> Result<GroupPolicy, ConfigError> {
    let at = |col: u32| Location::new(file, n, col);
    let res = toks.get(1).ok_or_else(|| {
        ConfigError::invalid(at(1), "expected `group RESOURCE restarts=N window=TIME`")
    })?;
    let (group_key, _, _) =
        resolve(hr, res.text).map_err(|m| ConfigError::invalid(at(res.col), m))?;
    let mut policy = GroupPolicy {
        group_key,
        restarts: DEFAULT_RESTARTS,
        window: DEFAULT_WINDOW,
        location: Some(at(1)),
    };
    for (key, value, col) in options(file, n, toks.get(2..).unwrap_or_default())? {
        let bad = |m: String| ConfigError::invalid(at(col), m);
        match key {
            "restarts" => policy.restarts = number(value, 0, MAX_RESTARTS).map_err(bad)?,
            "window" => {
                policy.window = parse_monitor_time(value).map_err(bad)?;
                if policy.window.is_zero() {
                    return Err(bad("window must be longer than 0".into()));
                }
            }
            other => {
                return Err(bad(format!(
                    "`{other}` is a check option; a group line takes restarts= and window="
                )))
            }
        }
    }
    Ok(policy)
}

fn check_line(
    file: &Path,
    n: u32,
    toks: &[Tok<'_>],
    hr: &Haresources,
) -> Result<MonitorCheck, ConfigError> {
    let at = |col: u32| Location::new(file, n, col);
    let res = toks.first().copied().unwrap_or(Tok { text: "", col: 1 });
    let (group_key, resource, resource_index) =
        resolve(hr, res.text).map_err(|m| ConfigError::invalid(at(res.col), m))?;
    let check = toks.get(1).ok_or_else(|| {
        ConfigError::invalid(
            at(res.col),
            "expected a check after the resource: status, exec:PATH, tcp:HOST:PORT or http://…",
        )
    })?;
    let mut rest = toks.get(2..).unwrap_or_default();
    let bad_check = |m: String| ConfigError::invalid(at(check.col), m);
    let mut kind = if check.text == "status" || check.text == "monitor" {
        MonitorKind::Status
    } else if let Some(path) = check.text.strip_prefix("exec:") {
        if !path.starts_with('/') {
            return Err(bad_check(format!("exec program `{path}` must be an absolute path")));
        }
        let n_args = rest.iter().take_while(|t| !is_option(t.text)).count();
        let args = rest.get(..n_args).unwrap_or_default().iter().map(|t| t.text.to_string());
        let args = args.collect();
        rest = rest.get(n_args..).unwrap_or_default();
        MonitorKind::Exec { program: PathBuf::from(path), args }
    } else if let Some(hp) = check.text.strip_prefix("tcp:") {
        let (host, port) = split_host_port(hp, None).map_err(bad_check)?;
        MonitorKind::Tcp { host, port }
    } else if check.text.starts_with("http://") {
        let (host, port, path) = parse_url(check.text).map_err(bad_check)?;
        MonitorKind::Http { url: check.text.to_string(), host, port, path, expect: 200 }
    } else {
        return Err(bad_check(format!(
            "unknown check `{}`; expected status, exec:PATH, tcp:HOST:PORT or http://HOST/PATH",
            check.text
        )));
    };
    let mut c = MonitorCheck {
        resource,
        group_key,
        resource_index,
        kind: MonitorKind::Status,
        interval: DEFAULT_INTERVAL,
        timeout: DEFAULT_TIMEOUT,
        fall: 1,
        rise: 1,
        delay: Duration::ZERO,
        location: at(res.col),
    };
    for (key, value, col) in options(file, n, rest)? {
        let bad = |m: String| ConfigError::invalid(at(col), m);
        let time = || parse_monitor_time(value).map_err(bad);
        match key {
            "interval" => {
                c.interval = time()?;
                if c.interval < MIN_INTERVAL {
                    return Err(bad(format!(
                        "interval must be at least {}ms",
                        MIN_INTERVAL.as_millis()
                    )));
                }
            }
            "timeout" => {
                c.timeout = time()?;
                if c.timeout.is_zero() {
                    return Err(bad("timeout must be longer than 0".into()));
                }
            }
            "fall" => c.fall = number(value, 1, 1000).map_err(bad)?,
            "rise" => c.rise = number(value, 1, 1000).map_err(bad)?,
            "delay" => c.delay = time()?,
            "expect" => match &mut kind {
                MonitorKind::Http { expect, .. } => {
                    *expect = u16::try_from(number(value, 100, 599).map_err(bad)?).unwrap_or(200)
                }
                _ => return Err(bad("expect= is only for http:// checks".into())),
            },
            other => {
                return Err(bad(format!("`{other}` is a group option; write it on a `group` line")))
            }
        }
    }
    c.kind = kind;
    Ok(c)
}

/// `KEY=VALUE` tokens with their columns; unknown or repeated keys are errors.
fn options<'a>(
    file: &Path,
    n: u32,
    toks: &[Tok<'a>],
) -> Result<Vec<(&'a str, &'a str, u32)>, ConfigError> {
    let mut out: Vec<(&str, &str, u32)> = Vec::new();
    for t in toks {
        let at = Location::new(file, n, t.col);
        let Some((k, v)) = t.text.split_once('=') else {
            return Err(ConfigError::invalid(
                at,
                format!("expected KEY=VALUE, found `{}`", t.text),
            ));
        };
        if !OPTION_KEYS.contains(&k) {
            return Err(ConfigError::invalid(
                at,
                format!("unknown option `{k}`; expected one of: {}", OPTION_KEYS.join(", ")),
            ));
        }
        if out.iter().any(|(seen, _, _)| *seen == k) {
            return Err(ConfigError::invalid(at, format!("option `{k}` given twice")));
        }
        out.push((k, v, t.col));
    }
    Ok(out)
}

fn is_option(tok: &str) -> bool {
    tok.split_once('=').is_some_and(|(k, _)| OPTION_KEYS.contains(&k))
}

fn number(v: &str, min: u32, max: u32) -> Result<u32, String> {
    v.parse::<u32>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("expected a whole number from {min} to {max}, found `{v}`"))
}

/// Finds RESOURCE: exactly as written, else by script name when that is unique.
/// Returns (group key, resource as written, index in group).
fn resolve(hr: &Haresources, name: &str) -> Result<(String, String, usize), String> {
    let all = || {
        hr.groups.iter().flat_map(|g| g.resources.iter().enumerate().map(move |(i, r)| (g, i, r)))
    };
    if let Some((g, i, r)) = all().find(|(_, _, r)| r.spec == name) {
        return Ok((g.key().to_string(), r.spec.clone(), i));
    }
    let by_name: Vec<_> =
        all().filter(|(_, _, r)| r.spec.split("::").next() == Some(name)).collect();
    match by_name.as_slice() {
        [(g, i, r)] => Ok((g.key().to_string(), r.spec.clone(), *i)),
        [] => {
            let known: Vec<&str> = all().map(|(_, _, r)| r.spec.as_str()).take(12).collect();
            Err(format!(
                "no resource `{name}` in haresources; expected one of: {}",
                if known.is_empty() { "(no resources)".to_string() } else { known.join(", ") }
            ))
        }
        many => Err(format!(
            "`{name}` names {} resources of haresources; write one as it appears there ({})",
            many.len(),
            many.iter().map(|(_, _, r)| r.spec.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// `HOST:PORT` / `[V6]:PORT`; `default` when the port may be left out.
fn split_host_port(s: &str, default: Option<u16>) -> Result<(String, u16), String> {
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or("unclosed `[` in the address")?;
        (h, after.strip_prefix(':'))
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match (port, default) {
        (Some(p), _) => {
            p.parse::<u16>().ok().filter(|p| *p != 0).ok_or(format!("bad port `{p}`"))?
        }
        (None, Some(d)) => d,
        (None, None) => return Err(format!("expected HOST:PORT, found `{s}`")),
    };
    if host.is_empty() || host.chars().any(|c| c.is_control() || c == '/' || c == '@') {
        return Err(format!("bad host `{host}`"));
    }
    Ok((host.to_string(), port))
}

/// `http://HOST[:PORT][/PATH]` → (host, port, path).
fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest.get(..i).unwrap_or_default(), rest.get(i..).unwrap_or("/")),
        None => (rest, "/"),
    };
    let (host, port) = split_host_port(authority, Some(80))?;
    Ok((host, port, path.to_string()))
}
