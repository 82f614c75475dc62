//! The `haresources` reader.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use super::types::*;
use crate::error::{ConfigError, Location};
use crate::text::{self, Tok};

/// A token with its own line (groups may continue over several lines).
#[derive(Clone, Copy)]
struct LTok<'a> {
    line: u32,
    tok: Tok<'a>,
}

/// Parses the text of a `haresources` file. Scripts are not looked up
/// ([`ScriptPath::Unchecked`]); see [`super::resolve_scripts`]. `file` is used in messages.
pub fn parse_haresources(file: &Path, text: &str) -> Result<Haresources, ConfigError> {
    let mut groups = Vec::new();
    let mut pending: Vec<LTok<'_>> = Vec::new();
    let mut continuing = false;
    for item in text::lines(file, text) {
        let (n, line) = item?;
        let trimmed = line.trim_end_matches(text::is_ws);
        let (body, cont) = match trimmed.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (trimmed, false),
        };
        let toks = text::split_tokens(body, 1, text::is_ws);
        let is_comment = toks.first().is_some_and(|t| t.text.starts_with('#'));
        // A `#` line is a comment unless it continues a group.
        let skip = is_comment && !continuing;
        if !skip {
            pending.extend(toks.into_iter().map(|tok| LTok { line: n, tok }));
        }
        continuing = cont && !skip;
        if !continuing && !pending.is_empty() {
            groups.push(group(file, &pending)?);
            pending.clear();
            if groups.len() > MAX_GROUPS {
                return Err(ConfigError::invalid(
                    Location::new(file, n, 1),
                    format!("too many resource groups; at most {MAX_GROUPS}"),
                ));
            }
        }
    }
    if !pending.is_empty() {
        groups.push(group(file, &pending)?);
    }
    Ok(Haresources { groups })
}

fn group(file: &Path, toks: &[LTok<'_>]) -> Result<ResourceGroup, ConfigError> {
    let at = |t: &LTok<'_>| Location::new(file, t.line, t.tok.col);
    let node = &toks[0];
    if toks.len() < 2 {
        return Err(ConfigError::invalid(
            at(node),
            format!(
                "group for node `{}` has no resources; expected `NODE RESOURCE…`",
                node.tok.text
            ),
        ));
    }
    if toks.len() - 1 > MAX_RESOURCES_PER_GROUP {
        return Err(ConfigError::invalid(
            at(&toks[1 + MAX_RESOURCES_PER_GROUP]),
            format!("too many resources in one group; at most {MAX_RESOURCES_PER_GROUP}"),
        ));
    }
    let mut resources = Vec::with_capacity(toks.len() - 1);
    for t in &toks[1..] {
        let kind = resource_kind(t.tok)
            .map_err(|(col, msg)| ConfigError::invalid(Location::new(file, t.line, col), msg))?;
        resources.push(Resource {
            spec: t.tok.text.to_owned(),
            kind,
            script: ScriptPath::Unchecked,
            location: at(t),
        });
    }
    Ok(ResourceGroup {
        preferred_node: node.tok.text.to_ascii_lowercase(),
        resources,
        location: at(node),
    })
}

/// Classifies one resource word; errors carry the column they are about.
fn resource_kind(t: Tok<'_>) -> Result<ResourceKind, (u32, String)> {
    let s = t.text;
    // An IPv6 address contains `::` itself, so the address agents take everything after
    // `AGENT::` as their one argument instead of splitting it.
    if let Some((head, arg)) = s.split_once("::") {
        if let Some(agent) = ip_agent(head) {
            // An IPv4 argument holds no `::`; one more is a second argument.
            let before = arg.split("::").next().unwrap_or("");
            if arg.contains("::")
                && before.split('/').next().unwrap_or("").parse::<Ipv4Addr>().is_ok()
            {
                return Err((t.col, format!("{head} takes one argument; expected {head}::IP[/prefix[/interface[/broadcast]]]")));
            }
            let col = t.col + text::to_u32(head.chars().count() + 2);
            let spec = parse_ip_spec_at(arg).map_err(|(o, m)| (col + text::to_u32(o), m))?;
            return check_family(agent, spec).map_err(|m| (col, m));
        }
    }
    let mut parts = s.split("::");
    let head = parts.next().unwrap_or("");
    let args: Vec<&str> = parts.collect();
    // Column of argument i: the word's column plus the characters before it.
    let arg_col = |i: usize| -> u32 {
        let before: usize = head.chars().count()
            + args[..i].iter().map(|a| a.chars().count() + 2).sum::<usize>()
            + 2;
        t.col + text::to_u32(before)
    };
    if let Some(rest) = head.strip_prefix("ocf:") {
        let Some((provider, agent)) = rest.split_once(':') else {
            return Err((
                t.col,
                format!("invalid OCF resource `{s}`; expected ocf:PROVIDER:AGENT[::name=value…]"),
            ));
        };
        if !is_name(provider) || !is_name(agent) {
            return Err((
                t.col,
                format!("invalid OCF provider or agent in `{s}`; expected ocf:PROVIDER:AGENT"),
            ));
        }
        let mut params = Vec::new();
        for (i, a) in args.iter().enumerate() {
            match a.split_once('=') {
                Some((n, v))
                    if !n.is_empty()
                        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    params.push((n.to_owned(), v.to_owned()))
                }
                _ => {
                    return Err((
                        arg_col(i),
                        format!("invalid OCF parameter `{a}`; expected name=value"),
                    ))
                }
            }
        }
        return Ok(ResourceKind::Ocf {
            provider: provider.to_owned(),
            agent: agent.to_owned(),
            params,
        });
    }
    if let Some(i) = args.iter().position(|a| a.is_empty()) {
        return Err((arg_col(i), format!("empty argument in `{s}`; expected Name::arg1::arg2")));
    }
    if head == "ReservedIP" {
        return super::reserved::reserved_ip(s, &args)
            .map_err(|(i, m)| (i.map_or(t.col, arg_col), m));
    }
    if ip_agent(head).is_some() {
        return Err((
            t.col,
            format!(
                "{head} takes one argument; expected {head}::IP[/prefix[/interface[/broadcast]]]"
            ),
        ));
    }
    if args.is_empty() && looks_like_address(head) {
        let spec = parse_ip_spec_at(head).map_err(|(o, m)| (t.col + text::to_u32(o), m))?;
        return check_family(IpAgent::IpAddr, spec).map_err(|m| (t.col, m));
    }
    if !is_name(head) {
        return Err((t.col, format!("invalid resource name `{head}`; expected a script name, an IPv4 address or ocf:PROVIDER:AGENT")));
    }
    Ok(ResourceKind::Script {
        name: head.to_owned(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
    })
}

/// The built-in address agent `head` names, if any.
fn ip_agent(head: &str) -> Option<IpAgent> {
    match head {
        "IPaddr" => Some(IpAgent::IpAddr),
        "IPaddr2" => Some(IpAgent::IpAddr2),
        "IPv6addr" => Some(IpAgent::Ipv6Addr),
        _ => None,
    }
}

/// heartbeat's `IPaddr` is IPv4 only and `IPv6addr` IPv6 only; `IPaddr2` takes both.
fn check_family(agent: IpAgent, spec: IpAddrSpec) -> Result<ResourceKind, String> {
    match (agent, spec.address) {
        (IpAgent::IpAddr, IpAddr::V6(a)) => Err(format!(
            "IPaddr takes an IPv4 address, not `{a}`; expected IPv6addr::{a} or IPaddr2::{a}"
        )),
        (IpAgent::Ipv6Addr, IpAddr::V4(a)) => Err(format!(
            "IPv6addr takes an IPv6 address, not `{a}`; expected IPaddr::{a} or IPaddr2::{a}"
        )),
        _ => Ok(ResourceKind::IpAddr { agent, spec }),
    }
}

/// Script and agent names: no path separators, not `.`/`..`.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.len() <= 255
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '@'))
}

fn looks_like_address(s: &str) -> bool {
    let first = s.split('/').next().unwrap_or("");
    first.starts_with(|c: char| c.is_ascii_digit())
        && first.chars().all(|c| c.is_ascii_digit() || c == '.')
        && first.contains('.')
}

/// Parses `IP[/prefix[/interface[/broadcast]]]`; empty optional parts are absent.
pub(crate) fn parse_ip_spec(s: &str) -> Result<IpAddrSpec, String> {
    parse_ip_spec_at(s).map_err(|(_, m)| m)
}

/// As [`parse_ip_spec`], the error also giving the character offset of the bad part.
fn parse_ip_spec_at(s: &str) -> Result<IpAddrSpec, (usize, String)> {
    let expected = "expected IP[/prefix[/interface[/broadcast]]]";
    let parts: Vec<&str> = s.split('/').collect();
    let offset = |i: usize| parts[..i].iter().map(|p| p.chars().count() + 1).sum::<usize>();
    let part = |i: usize| parts.get(i).copied().filter(|x| !x.is_empty());
    let addr = parts[0];
    let address =
        addr.parse::<IpAddr>().map_err(|_| (0, format!("invalid address `{addr}`; {expected}")))?;
    let max: u8 = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match part(1) {
        None => None,
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= max && !p.starts_with('+') => Some(n),
            _ => return Err((offset(1), format!("invalid prefix length `{p}`; expected 0–{max}"))),
        },
    };
    let interface = match part(2) {
        None => None,
        Some(i)
            if i.len() <= 31
                && !i.contains("::")
                && i.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '@')
                }) =>
        {
            Some(i.to_owned())
        }
        Some(i) => {
            return Err((
                offset(2),
                format!("invalid interface `{i}`; expected a name such as eth0 or eth0:1"),
            ))
        }
    };
    let broadcast = match part(3) {
        None => None,
        Some(b) if address.is_ipv6() => {
            return Err((offset(3), format!("unexpected broadcast `{b}`; IPv6 has no broadcast")))
        }
        Some(b) => Some(b.parse::<Ipv4Addr>().map_err(|_| {
            (offset(3), format!("invalid broadcast address `{b}`; {expected} with an IPv4 address"))
        })?),
    };
    if let Some(extra) = parts.get(4) {
        return Err((offset(4) - 1, format!("unexpected `/{extra}`; {expected}")));
    }
    Ok(IpAddrSpec { address, prefix, interface, broadcast })
}
