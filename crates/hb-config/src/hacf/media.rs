//! Media lines and the other whole-line directives (`ucast`, `mcast`, `ping_group`,
//! `stonith`, `apiauth`, `respawn`…), and the per-value media (`bcast`, `serial`, `ping`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use super::parse::State;
use super::types::*;
use crate::error::ConfigError;
use crate::text::Tok;

/// Directives that take the whole rest of the line.
pub(super) fn is_whole_line(d: &str) -> bool {
    matches!(
        d,
        "ucast"
            | "ucast6"
            | "mcast"
            | "mcast6"
            | "ping_group"
            | "stonith"
            | "stonith_host"
            | "apiauth"
            | "respawn"
            | "failfast"
    )
}

/// Media heartbeat 3.0.6 had as source plugins but Debian's package does not ship.
pub(super) fn is_unavailable_medium(d: &str) -> bool {
    matches!(d, "hbaping" | "tipc" | "rds" | "openais")
}

/// Media created once per value on the line.
pub(super) fn is_per_value_medium(d: &str) -> bool {
    matches!(d, "bcast" | "serial" | "ping" | "ping6")
}

/// One value of `bcast`, `serial`, `ping` or `ping6`.
pub(super) fn per_value(st: &mut State<'_>, d: &str, v: Tok<'_>) -> Result<(), ConfigError> {
    match d {
        "bcast" => {
            check_ifname(st, v)?;
            let port = st.port_in_force();
            push_medium(st, v, Medium::Bcast { interface: v.text.to_owned(), port })
        }
        "serial" => {
            if !v.text.starts_with('/') {
                return Err(st.err(
                    v,
                    format!(
                        "serial port `{}` is not a full path; expected a device such as /dev/ttyS0",
                        v.text
                    ),
                ));
            }
            let baud = *st.serial_baud.get_or_insert(st.baud.unwrap_or(19200));
            push_medium(st, v, Medium::Serial { device: PathBuf::from(v.text), baud })
        }
        _ => {
            let ipv6 = d == "ping6";
            check_host(st, v, ipv6)?;
            check_node_room(st, v)?;
            st.ping_nodes.push(PingNode { address: v.text.to_owned(), ipv6 });
            Ok(())
        }
    }
}

/// A whole-line directive. `words` are the blank-separated words after the directive.
pub(super) fn whole_line(
    st: &mut State<'_>,
    d: &str,
    dtok: Tok<'_>,
    words: &[Tok<'_>],
    rest: &str,
) -> Result<(), ConfigError> {
    let need = |n: usize, what: &str| -> Result<(), ConfigError> {
        if words.len() < n {
            let col = words.last().map_or(dtok.col + len(dtok), |t| t.col + len(*t));
            return Err(ConfigError::invalid(
                st.loc(col),
                format!("`{d}` line is incomplete; expected `{d} {what}`"),
            ));
        }
        Ok(())
    };
    match d {
        "ucast" | "ucast6" => {
            need(2, "INTERFACE PEER-ADDRESS")?;
            check_ifname(st, words[0])?;
            let peer = peer(st, words[1], words[0].text, d == "ucast6")?;
            extra(st, d, words, 2);
            let port = st.port_in_force();
            let interface = words[0].text.to_owned();
            let m = if d == "ucast" {
                Medium::Ucast { interface, peer, port }
            } else {
                Medium::Ucast6 { interface, peer, port }
            };
            push_medium(st, dtok, m)
        }
        "mcast" | "mcast6" => {
            let what = if d == "mcast" {
                "INTERFACE GROUP PORT TTL LOOP"
            } else {
                "INTERFACE GROUP PORT HOPS LOOP"
            };
            need(5, what)?;
            check_ifname(st, words[0])?;
            let port = small(st, words[2], 1, 65535, "a UDP port 1–65535")? as u16;
            let ttl =
                small(st, words[3], 0, 4, "a TTL 0–4 (heartbeat's mcast plugin limit)")? as u8;
            let loopback = small(st, words[4], 0, 1, "0 or 1")? == 1;
            extra(st, d, words, 5);
            let interface = words[0].text.to_owned();
            let m = if d == "mcast" {
                let group = words[1].text.parse::<Ipv4Addr>().ok().filter(Ipv4Addr::is_multicast);
                let Some(group) = group else {
                    return Err(st.err(
                        words[1],
                        format!(
                            "invalid multicast group `{}`; expected an IPv4 address in 224.0.0.0/4",
                            words[1].text
                        ),
                    ));
                };
                Medium::Mcast { interface, group, port, ttl, loopback }
            } else {
                let group = words[1].text.parse::<Ipv6Addr>().ok().filter(Ipv6Addr::is_multicast);
                let Some(group) = group else {
                    return Err(st.err(
                        words[1],
                        format!(
                            "invalid multicast group `{}`; expected an IPv6 address in ff00::/8",
                            words[1].text
                        ),
                    ));
                };
                Medium::Mcast6 { interface, group, port, hops: ttl, loopback }
            };
            push_medium(st, dtok, m)
        }
        "ping_group" => {
            need(2, "NAME ADDRESS…")?;
            check_node_room(st, words[0])?;
            for w in &words[1..] {
                check_host(st, *w, false)?;
            }
            let name = words[0].text.to_owned();
            if st.ping_groups.iter().any(|g| g.name == name) {
                return Err(st.err(words[0], format!("ping_group `{name}` defined twice")));
            }
            let members = words[1..].iter().map(|w| w.text.to_owned()).collect();
            st.ping_groups.push(PingGroup { name, members });
            Ok(())
        }
        "stonith" => {
            need(2, "TYPE CONFIG-FILE")?;
            let config_file = tail_from(rest, words[1]);
            st.stonith.push(Stonith::File { device_type: words[0].text.to_owned(), config_file });
            Ok(())
        }
        "stonith_host" => {
            need(2, "HOST|* TYPE PARAMETERS…")?;
            let params = match words.get(2) {
                Some(w) => tail_from(rest, *w),
                None => String::new(),
            };
            st.stonith.push(Stonith::Host {
                host: words[0].text.to_ascii_lowercase(),
                device_type: words[1].text.to_owned(),
                params,
            });
            Ok(())
        }
        "apiauth" => apiauth(st, dtok, words),
        _ => {
            need(2, "USER /ABSOLUTE/PATH [ARGUMENTS…]")?;
            if !words[1].text.starts_with('/') {
                return Err(st.err(
                    words[1],
                    format!(
                        "`{}` is not an absolute path; expected the program's full path",
                        words[1].text
                    ),
                ));
            }
            let command = tail_from(rest, words[1]);
            st.clients.push(ClientChild {
                user: words[0].text.to_owned(),
                path: PathBuf::from(words[1].text),
                command,
                failfast: d == "failfast",
            });
            Ok(())
        }
    }
}

fn apiauth(st: &mut State<'_>, dtok: Tok<'_>, words: &[Tok<'_>]) -> Result<(), ConfigError> {
    let Some(client) = words.first() else {
        return Err(st.err(
            dtok,
            "`apiauth` line is incomplete; expected `apiauth CLIENT uid=LIST gid=LIST`",
        ));
    };
    let (mut uids, mut gids): (Option<Vec<String>>, Option<Vec<String>>) = (None, None);
    for w in &words[1..] {
        let (slot, list) = if let Some(l) = w.text.strip_prefix("uid=") {
            (&mut uids, l)
        } else if let Some(l) = w.text.strip_prefix("gid=") {
            (&mut gids, l)
        } else {
            return Err(
                st.err(*w, format!("unexpected `{}`; expected uid=LIST or gid=LIST", w.text))
            );
        };
        if slot.is_some() {
            return Err(st.err(*w, "duplicate uid or gid list in apiauth"));
        }
        *slot = Some(list.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect());
    }
    if uids.is_none() && gids.is_none() {
        return Err(st.err(*client, "apiauth needs uid=LIST or gid=LIST (or both)"));
    }
    if st.apiauth.iter().any(|a| a.client == client.text) {
        return Err(st.err(*client, format!("duplicate apiauth for API client `{}`", client.text)));
    }
    st.apiauth.push(ApiAuth {
        client: client.text.to_owned(),
        uids: uids.unwrap_or_default(),
        gids: gids.unwrap_or_default(),
        builtin: false,
    });
    Ok(())
}

/// The rest of the line from word `w` on (`w` is a slice of `rest`), trailing blanks removed.
fn tail_from(rest: &str, w: Tok<'_>) -> String {
    let start = (w.text.as_ptr() as usize).saturating_sub(rest.as_ptr() as usize);
    rest.get(start..).unwrap_or(w.text).trim_end().to_owned()
}

fn len(t: Tok<'_>) -> u32 {
    crate::text::to_u32(t.text.chars().count())
}

fn extra(st: &mut State<'_>, d: &str, words: &[Tok<'_>], used: usize) {
    if let Some(w) = words.get(used) {
        st.warn(
            w.col,
            format!(
                "extra text after the `{d}` line's {used} values is ignored (as heartbeat does)"
            ),
        );
    }
}

fn push_medium(st: &mut State<'_>, at: Tok<'_>, m: Medium) -> Result<(), ConfigError> {
    if st.media.len() >= MAX_MEDIA {
        return Err(st.err(at, format!("too many media; at most {MAX_MEDIA}")));
    }
    st.media.push(m);
    Ok(())
}

fn check_node_room(st: &State<'_>, at: Tok<'_>) -> Result<(), ConfigError> {
    if st.nodes.len() + st.ping_nodes.len() + st.ping_groups.len() >= MAX_NODES {
        return Err(st.err(at, format!("too many nodes (ping nodes count); at most {MAX_NODES}")));
    }
    Ok(())
}

fn small(st: &State<'_>, v: Tok<'_>, min: u32, max: u32, what: &str) -> Result<u32, ConfigError> {
    match v.text.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(st.err(v, format!("invalid value `{}`; expected {what}", v.text))),
    }
}

/// Interface names as Linux accepts them (at most 15 bytes, no `/`, no blanks).
fn check_ifname(st: &State<'_>, v: Tok<'_>) -> Result<(), ConfigError> {
    let ok = !v.text.is_empty()
        && v.text.len() <= 15
        && !v.text.contains('/')
        && v.text != "."
        && v.text != "..";
    if ok {
        Ok(())
    } else {
        Err(st.err(
            v,
            format!(
                "invalid interface name `{}`; expected a network interface such as eth0",
                v.text
            ),
        ))
    }
}

/// Host names; an all-numeric dotted word is a (bad) address, not a name.
fn is_hostname(s: &str) -> bool {
    !s.is_empty()
        && !s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.len() <= 253
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}

fn check_host(st: &State<'_>, v: Tok<'_>, ipv6: bool) -> Result<(), ConfigError> {
    let ok = match v.text.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => !ipv6,
        Ok(IpAddr::V6(_)) => ipv6,
        Err(_) => is_hostname(v.text),
    };
    if ok {
        Ok(())
    } else {
        let fam = if ipv6 { "IPv6" } else { "IPv4" };
        Err(st.err(
            v,
            format!("invalid address `{}`; expected an {fam} address or host name", v.text),
        ))
    }
}

fn peer(st: &State<'_>, v: Tok<'_>, iface: &str, ipv6: bool) -> Result<Peer, ConfigError> {
    let (addr, scope) = match v.text.split_once('%') {
        Some((a, s)) if ipv6 => (a, Some(s)),
        _ => (v.text, None),
    };
    if let Some(s) = scope {
        if s != iface {
            return Err(st.err(v, format!("scope `%{s}` does not match the interface `{iface}`; expected `%{iface}` or no scope")));
        }
    }
    match addr.parse::<IpAddr>() {
        Ok(a @ IpAddr::V4(_)) if !ipv6 => Ok(Peer::Addr(a)),
        Ok(a @ IpAddr::V6(_)) if ipv6 => Ok(Peer::Addr(a)),
        Ok(_) => {
            let want = if ipv6 {
                "an IPv6 address (use ucast for IPv4)"
            } else {
                "an IPv4 address (use ucast6 for IPv6)"
            };
            Err(st.err(v, format!("wrong address family `{}`; expected {want}", v.text)))
        }
        Err(_) if is_hostname(addr) => Ok(Peer::Name(addr.to_owned())),
        Err(_) => {
            Err(st
                .err(v, format!("invalid peer `{}`; expected an IP address or host name", v.text)))
        }
    }
}
