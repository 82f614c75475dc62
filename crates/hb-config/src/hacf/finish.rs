//! End-of-file checks and derived defaults (heartbeat's `init_config` after `parse_config`).

use std::path::PathBuf;
use std::time::Duration;

use super::parse::State;
use super::types::*;
use crate::error::{ConfigError, Location, Warning};
use crate::time::format_time;

/// Built-in API permissions heartbeat adds for clients the file does not mention.
const DEFAULT_APIAUTH: &[(&str, &[&str], &[&str])] = &[
    ("ipfail", &["hacluster"], &[]),
    ("ccm", &["hacluster"], &[]),
    ("ping", &[], &["haclient"]),
    ("lha-snmpagent", &["root"], &[]),
    ("anon", &["root"], &["haclient"]),
];

/// Validates what was read and fills in heartbeat's derived defaults.
pub(super) fn finish(
    mut st: State<'_>,
    last_line: u32,
) -> Result<(HaCf, Vec<Warning>), ConfigError> {
    let end = Location::new(st.file, last_line, 1);
    if st.media.is_empty() {
        return Err(ConfigError::invalid(
            end,
            "no heartbeat medium; expected at least one bcast, mcast, mcast6, ucast, ucast6 or \
             serial line",
        ));
    }
    if let Some((mode, loc)) = &st.autojoin {
        if mode != "none" {
            return Err(ConfigError::invalid(
                loc.clone(),
                format!(
                    "autojoin {mode} conflicts with haresources (v1) resource management, the \
                     only mode heartbeat-rs supports; expected autojoin none"
                ),
            ));
        }
    }
    if st.nodes.is_empty() {
        return Err(ConfigError::invalid(
            end,
            "no nodes defined; expected at least one `node NAME` line",
        ));
    }
    let timers = timers(&mut st, &end)?;
    let logging = logging(&mut st, &end)?;
    let auto_failback = match st.auto_failback {
        Some((m, _)) => m,
        None => AutoFailback::Legacy,
    };
    if auto_failback == AutoFailback::Legacy {
        let loc = st.auto_failback.as_ref().map_or_else(|| end.clone(), |(_, l)| l.clone());
        st.warnings.push(Warning::new(
            loc,
            "auto_failback legacy (heartbeat's default) is deprecated; consider `auto_failback on` \
             (hb_standby/hb_takeover need on or off)",
        ));
    }
    for (client, uids, gids) in DEFAULT_APIAUTH {
        if !st.apiauth.iter().any(|a| a.client == *client) {
            st.apiauth.push(ApiAuth {
                client: (*client).to_owned(),
                uids: uids.iter().map(|s| (*s).to_owned()).collect(),
                gids: gids.iter().map(|s| (*s).to_owned()).collect(),
                builtin: true,
            });
        }
    }
    let hacf = HaCf {
        nodes: st.nodes,
        media: st.media,
        timers,
        auto_failback,
        ping_nodes: st.ping_nodes,
        ping_groups: st.ping_groups,
        logging,
        apiauth: st.apiauth,
        clients: st.clients,
        stonith: st.stonith,
        watchdog: st.watchdog,
        env: st.env,
        tuning: st.tuning,
    };
    Ok((hacf, st.warnings))
}

fn timers(st: &mut State<'_>, end: &Location) -> Result<Timers, ConfigError> {
    let d = Timers::default();
    let keepalive = st.keepalive.as_ref().map_or(d.keepalive, |(t, _)| *t);
    let deadtime = st.deadtime.as_ref().map_or(d.deadtime, |(t, _)| *t);
    if deadtime <= keepalive * 2 {
        let loc = st.deadtime.as_ref().or(st.keepalive.as_ref()).map_or(end, |(_, l)| l);
        return Err(ConfigError::invalid(
            loc.clone(),
            format!(
                "deadtime ({}) must be greater than twice keepalive (2 × {}); expected deadtime \
                 above {}",
                secs(deadtime),
                secs(keepalive),
                secs(keepalive * 2)
            ),
        ));
    }
    let warntime = st.warntime.as_ref().map_or(deadtime / 2, |(t, _)| *t);
    if let Some((w, loc)) = &st.warntime {
        if *w >= deadtime {
            let msg = format!(
                "warntime ({}) is not below deadtime ({}); late heartbeats will never be reported",
                secs(*w),
                secs(deadtime)
            );
            st.warnings.push(Warning::new(loc.clone(), msg));
        }
    }
    let initdead = st.initdead.as_ref().map_or_else(|| derived_initdead(deadtime), |(t, _)| *t);
    if let Some((_, loc)) = &st.initdead {
        if initdead < deadtime {
            return Err(ConfigError::invalid(
                loc.clone(),
                format!(
                    "initdead ({}) is smaller than deadtime ({}); expected initdead ≥ deadtime",
                    secs(initdead),
                    secs(deadtime)
                ),
            ));
        }
        if initdead < Duration::from_secs(10) {
            let msg = format!(
                "initdead ({}) may be too small; it accounts for slow network start-up and \
                 should be ≥ deadtime and ≥ 10 seconds",
                secs(initdead)
            );
            st.warnings.push(Warning::new(loc.clone(), msg));
        }
    }
    let deadping = match &st.deadping {
        None => deadtime,
        Some((p, loc)) => {
            if *p <= keepalive * 2 {
                return Err(ConfigError::invalid(
                    loc.clone(),
                    format!(
                        "deadping ({}) must be greater than twice keepalive (2 × {})",
                        secs(*p),
                        secs(keepalive)
                    ),
                ));
            }
            *p
        }
    };
    Ok(Timers { keepalive, deadtime, warntime, initdead, deadping })
}

/// heartbeat's `check_logd_usage` plus the `/dev/null` defaults for a syslog-only setup.
fn logging(st: &mut State<'_>, end: &Location) -> Result<LogSettings, ConfigError> {
    let facility = st.facility.clone().flatten();
    let nothing_set = st.logfile.is_none() && st.debugfile.is_none() && facility.is_none();
    let use_logd = match &st.use_logd {
        None if nothing_set => true,
        None => {
            st.warnings.push(Warning::new(
                st.first_log_directive.clone().unwrap_or_else(|| end.clone()),
                "logging daemon is disabled (no use_logd); enabling it is recommended",
            ));
            false
        }
        Some((false, loc)) if nothing_set => {
            return Err(ConfigError::invalid(
                loc.clone(),
                "use_logd is off and no logfile, debugfile or logfacility is set; expected \
                 somewhere to log",
            ))
        }
        Some((false, loc)) => {
            let loc = loc.clone();
            st.warnings
                .push(Warning::new(loc, "logging daemon is disabled; enabling it is recommended"));
            false
        }
        Some((true, loc)) => {
            if !nothing_set {
                let loc = loc.clone();
                st.warnings.push(Warning::new(
                    loc,
                    "use_logd is on, so logfile, debugfile and logfacility are ignored (logd's \
                     own configuration applies)",
                ));
            }
            true
        }
    };
    let devnull = || Some(PathBuf::from("/dev/null"));
    let (mut logfile, mut debugfile) = (st.logfile.clone(), st.debugfile.clone());
    if facility.is_some() {
        logfile = logfile.or_else(devnull);
        debugfile = debugfile.or_else(devnull);
    }
    Ok(LogSettings {
        logfile,
        debugfile,
        facility,
        use_logd,
        conn_logd_time: st.conn_logd_time,
        debug_level: st.debug_level,
        log_badpack: st.log_badpack,
        syslog_format_files: st.syslog_format_files,
    })
}

fn secs(d: Duration) -> String {
    let s = format_time(d);
    if s.ends_with("ms") {
        s
    } else {
        format!("{s} s")
    }
}
