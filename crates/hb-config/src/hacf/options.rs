//! Option directives (`keyword value…`): one call per value, as heartbeat's `add_option`.

use std::path::PathBuf;

use super::parse::State;
use super::types::*;
use crate::error::ConfigError;
use crate::text::Tok;
use crate::time::parse_time;

/// Option directives heartbeat 3.0.6 knows (its `Directives[]` table), plus the CRM-only
/// ones it parses and heartbeat-rs ignores with a warning.
const OPTION_DIRECTIVES: &[&str] = &[
    "cluster",
    "node",
    "hopfudge",
    "keepalive",
    "deadtime",
    "deadping",
    "initdead",
    "warntime",
    "watchdog",
    "baud",
    "udpport",
    "logfacility",
    "logfile",
    "debugfile",
    "nice_failback",
    "auto_failback",
    "rtprio",
    "hbgenmethod",
    "realtime",
    "debug",
    "normalpoll",
    "msgfmt",
    "use_logd",
    "conn_logd_time",
    "use_apphbd",
    "log_badpack",
    "syslogmsgfmt",
    "coredumps",
    "coreroot",
    "crm_daemon_dir",
    "crmd_spawns_pengine",
    "crm",
    "pacemaker",
    "autojoin",
    "uuidfrom",
    "compression",
    "compression_threshold",
    "traditional_compression",
    "env",
    "max_rexmit_delay",
    "record_config_changes",
    "record_pengine_inputs",
    "enable_config_writes",
    "memreserve",
    "quorum_server",
    "bcast",
    "serial",
    "ping",
    "ping6",
];

/// True for directives read as `keyword value…`.
pub(super) fn is_option_directive(d: &str) -> bool {
    OPTION_DIRECTIVES.contains(&d)
}

/// Applies one value of an option directive.
pub(super) fn set_option(
    st: &mut State<'_>,
    directive: &str,
    dtok: Tok<'_>,
    v: Tok<'_>,
) -> Result<(), ConfigError> {
    let val = v.text;
    let loc = st.loc(dtok.col);
    if matches!(directive, "logfile" | "debugfile" | "logfacility")
        && st.first_log_directive.is_none()
    {
        st.first_log_directive = Some(loc.clone());
    }
    match directive {
        "cluster" => st.tuning.cluster_name = val.to_owned(),
        "node" => add_node(st, v)?,
        "hopfudge" => st.tuning.hopfudge = int(st, v, 0, 255, "a hop count 0–255")? as u8,
        "keepalive" => {
            let t = time(st, v)?;
            if t.is_zero() {
                return Err(st.err(v, "keepalive must be greater than 0"));
            }
            st.keepalive = Some((t, loc));
        }
        "deadtime" => st.deadtime = Some((time(st, v)?, loc)),
        "deadping" => st.deadping = Some((time(st, v)?, loc)),
        "initdead" => st.initdead = Some((time(st, v)?, loc)),
        "warntime" => {
            let t = time(st, v)?;
            if t.is_zero() {
                return Err(st.err(v, "warntime must be greater than 0"));
            }
            st.warntime = Some((t, loc));
        }
        "watchdog" => {
            if st.watchdog.is_some() {
                return Err(st.err(dtok, "watchdog device given twice; expected one `watchdog`"));
            }
            st.watchdog = Some(PathBuf::from(val));
        }
        "baud" => {
            if st.baud.is_some() {
                return Err(
                    st.err(dtok, "baud given twice (heartbeat: baudrate multiply specified)")
                );
            }
            const RATES: [u32; 7] = [9600, 19200, 38400, 57600, 115200, 230400, 460800];
            let rate = val.parse::<u32>().ok().filter(|r| RATES.contains(r));
            let Some(rate) = rate else {
                return Err(st.err(
                    v,
                    format!("invalid baud rate `{val}`; expected one of 9600, 19200, 38400, 57600, 115200, 230400, 460800"),
                ));
            };
            if let Some(used) = st.serial_baud {
                st.warn(
                    dtok.col,
                    format!(
                        "baud after the first serial line has no effect: heartbeat reads the baud \
                         rate when the first serial line loads its serial plugin, so serial links \
                         use {used}; put baud before the serial lines"
                    ),
                );
            }
            st.baud = Some(rate);
        }
        "udpport" => {
            let p = int(st, v, 1, 65535, "a UDP port 1–65535")?;
            st.udpport = Some(p as u16);
        }
        "logfacility" => set_facility(st, v)?,
        "logfile" => st.logfile = Some(PathBuf::from(val)),
        "debugfile" => st.debugfile = Some(PathBuf::from(val)),
        "auto_failback" => {
            let mode = match boolean(val) {
                Some(true) => AutoFailback::On,
                Some(false) => AutoFailback::Off,
                None if val.eq_ignore_ascii_case("legacy") => AutoFailback::Legacy,
                None => {
                    return Err(st.err(
                        v,
                        format!("invalid auto_failback `{val}`; expected on, off or legacy"),
                    ))
                }
            };
            st.auto_failback = Some((mode, loc));
        }
        "nice_failback" => nice_failback(st, dtok, v)?,
        "rtprio" => st.tuning.rtprio = Some(int(st, v, 1, 99, "a SCHED_FIFO priority 1–99")? as u8),
        "hbgenmethod" => {
            st.tuning.generation_method = match val {
                "file" => GenerationMethod::File,
                "time" => GenerationMethod::Time,
                _ => {
                    return Err(
                        st.err(v, format!("invalid hbgenmethod `{val}`; expected file or time"))
                    )
                }
            }
        }
        "realtime" => st.tuning.realtime = bool_value(st, v)?,
        "debug" => st.debug_level = int(st, v, 0, 255, "a debug level 0–255")? as u8,
        "normalpoll" => {
            bool_value(st, v)?;
            st.warn(dtok.col, "normalpoll is ignored (heartbeat-rs always uses the OS poller)");
        }
        "msgfmt" => {
            st.tuning.msgfmt = match val {
                "classic" => MsgFormat::Classic,
                "netstring" => MsgFormat::Netstring,
                _ => {
                    return Err(
                        st.err(v, format!("invalid msgfmt `{val}`; expected classic or netstring"))
                    )
                }
            }
        }
        "use_logd" => {
            let b = bool_value(st, v)?;
            st.use_logd = Some((b, loc));
        }
        "conn_logd_time" => {
            let t = time(st, v)?;
            if t.is_zero() {
                return Err(st.err(v, "conn_logd_time must be greater than 0"));
            }
            st.conn_logd_time = t;
        }
        "use_apphbd" => st.tuning.use_apphbd = bool_value(st, v)?,
        "log_badpack" => st.log_badpack = bool_value(st, v)?,
        "syslogmsgfmt" => st.syslog_format_files = bool_value(st, v)?,
        "coredumps" => st.tuning.coredumps = bool_value(st, v)?,
        "coreroot" => st.tuning.coreroot = Some(PathBuf::from(val)),
        "crm_daemon_dir"
        | "crmd_spawns_pengine"
        | "quorum_server"
        | "record_config_changes"
        | "record_pengine_inputs"
        | "enable_config_writes" => {
            if matches!(directive, "crm_daemon_dir" | "crmd_spawns_pengine") && st.pacemaker_seen {
                return Err(st.err(
                    dtok,
                    format!("{directive} must come before the crm/pacemaker directive"),
                ));
            }
            if !matches!(directive, "crm_daemon_dir" | "quorum_server") {
                bool_value(st, v)?;
            }
            st.warn(dtok.col, format!("{directive} only applies to Pacemaker (crm) mode; ignored"));
        }
        "crm" | "pacemaker" => {
            if st.pacemaker_seen {
                return Err(
                    st.err(dtok, "crm/pacemaker directive used twice; expected at most one")
                );
            }
            st.pacemaker_seen = true;
            match boolean(val) {
                Some(false) => {}
                Some(true) => return Err(v1_only(st, directive, v)),
                None if ["minimal", "manual", "respawn", "ccm-only", "valgrind"]
                    .iter()
                    .any(|m| val.eq_ignore_ascii_case(m)) =>
                {
                    return Err(v1_only(st, directive, v))
                }
                None => {
                    return Err(st.err(
                        v,
                        format!("invalid {directive} value `{val}`; expected no, off or false (heartbeat-rs supports only v1 mode)"),
                    ))
                }
            }
        }
        "autojoin" => {
            let lower = val.to_ascii_lowercase();
            if !matches!(lower.as_str(), "none" | "other" | "any") {
                return Err(
                    st.err(v, format!("invalid autojoin `{val}`; expected none, other or any"))
                );
            }
            st.autojoin = Some((lower, st.loc(v.col)));
        }
        "uuidfrom" => {
            st.tuning.uuid_from = match val {
                "file" => UuidFrom::File,
                "nodename" => UuidFrom::NodeName,
                _ => {
                    return Err(
                        st.err(v, format!("invalid uuidfrom `{val}`; expected file or nodename"))
                    )
                }
            }
        }
        "compression" => {
            st.tuning.compression = match val {
                "zlib" => Compression::Zlib,
                "bz2" => Compression::Bz2,
                _ => {
                    return Err(
                        st.err(v, format!("invalid compression `{val}`; expected zlib or bz2"))
                    )
                }
            }
        }
        "compression_threshold" => {
            st.tuning.compression_threshold_kb =
                int(st, v, 1, 65536, "a size in kB 1–65536")? as u32
        }
        "traditional_compression" => st.tuning.traditional_compression = bool_value(st, v)?,
        "env" => {
            let Some((name, value)) = val.split_once('=').filter(|(n, _)| !n.is_empty()) else {
                return Err(st.err(v, format!("invalid env `{val}`; expected NAME=value")));
            };
            st.env.push((name.to_owned(), value.to_owned()));
        }
        "max_rexmit_delay" => {
            let ms = int(st, v, 1, 86_400_000, "a delay in milliseconds")?;
            st.tuning.max_rexmit_delay = std::time::Duration::from_millis(ms as u64);
        }
        "memreserve" => st.tuning.memreserve_kb = int(st, v, 1, 4_194_304, "a size in kB")? as u32,
        _ => return Err(st.err(dtok, format!("unknown directive `{directive}`"))),
    }
    Ok(())
}

/// heartbeat's `cl_str_to_boolean`.
pub(super) fn boolean(s: &str) -> Option<bool> {
    const T: [&str; 5] = ["true", "on", "yes", "y", "1"];
    const F: [&str; 5] = ["false", "off", "no", "n", "0"];
    if T.iter().any(|t| s.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if F.iter().any(|f| s.eq_ignore_ascii_case(f)) {
        Some(false)
    } else {
        None
    }
}

fn bool_value(st: &State<'_>, v: Tok<'_>) -> Result<bool, ConfigError> {
    boolean(v.text).ok_or_else(|| {
        st.err(
            v,
            format!(
                "invalid boolean `{}`; expected on/off, yes/no, true/false, y/n or 1/0",
                v.text
            ),
        )
    })
}

fn int(st: &State<'_>, v: Tok<'_>, min: i64, max: i64, what: &str) -> Result<i64, ConfigError> {
    match v.text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(st.err(v, format!("invalid value `{}`; expected {what}", v.text))),
    }
}

fn time(st: &State<'_>, v: Tok<'_>) -> Result<std::time::Duration, ConfigError> {
    parse_time(v.text).map_err(|m| st.err(v, m))
}

fn v1_only(st: &State<'_>, directive: &str, v: Tok<'_>) -> ConfigError {
    st.err(
        v,
        format!(
            "`{directive} {}` asks for Pacemaker (CRM) mode; heartbeat-rs supports only v1 mode \
             (haresources): use `crm no` or remove the line",
            v.text
        ),
    )
}

fn add_node(st: &mut State<'_>, v: Tok<'_>) -> Result<(), ConfigError> {
    if v.text.len() > 100 {
        return Err(st.err(v, "node name longer than 100 characters"));
    }
    let name = v.text.to_ascii_lowercase();
    if st.nodes.contains(&name) {
        st.warn(v.col, format!("node `{name}` listed twice; the repeat is ignored"));
        return Ok(());
    }
    if st.nodes.len() + st.ping_nodes.len() + st.ping_groups.len() >= MAX_NODES {
        return Err(st.err(v, format!("too many nodes; at most {MAX_NODES}")));
    }
    st.nodes.push(name);
    Ok(())
}

fn set_facility(st: &mut State<'_>, v: Tok<'_>) -> Result<(), ConfigError> {
    const NAMES: &[&str] = &[
        "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news", "security",
        "syslog", "user", "uucp", "local0", "local1", "local2", "local3", "local4", "local5",
        "local6", "local7",
    ];
    if v.text == "none" {
        st.facility = Some(None);
    } else if NAMES.contains(&v.text) {
        st.facility = Some(Some(v.text.to_owned()));
    } else {
        return Err(st.err(
            v,
            format!("invalid logfacility `{}`; expected a syslog facility such as daemon, local0…local7, or none", v.text),
        ));
    }
    Ok(())
}

/// heartbeat 3.0.6's `set_nice_failback` tests its global `nice_failback` flag (set only by
/// an earlier `auto_failback on|off`), not the value given: so `nice_failback on|off` alone
/// means `auto_failback legacy`, and after `auto_failback on|off` it means `off`.
fn nice_failback(st: &mut State<'_>, dtok: Tok<'_>, v: Tok<'_>) -> Result<(), ConfigError> {
    bool_value(st, v)?;
    let nice_before = matches!(st.auto_failback, Some((AutoFailback::On | AutoFailback::Off, _)));
    let mode = if nice_before { AutoFailback::Off } else { AutoFailback::Legacy };
    let word = if nice_before { "off" } else { "legacy" };
    st.warn(
        dtok.col,
        format!(
            "nice_failback is obsolete; heartbeat 3.0.6 reads `nice_failback {}` here as \
             `auto_failback {word}`; write auto_failback on, off or legacy instead",
            v.text
        ),
    );
    st.auto_failback = Some((mode, st.loc(dtok.col)));
    Ok(())
}
