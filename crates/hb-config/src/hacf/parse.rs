//! The `ha.cf` reader: line splitting, directive dispatch and the order-dependent state
//! (`udpport`, `baud`) exactly where heartbeat applies it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::types::*;
use super::{finish, media, options};
use crate::error::{ConfigError, Location, Warning};
use crate::text::{self, Tok};

/// Inputs to [`parse_hacf`] that come from the machine rather than the file.
#[derive(Debug, Clone)]
pub struct HacfOptions {
    /// UDP port used by `bcast`/`ucast` lines read before any `udpport` (heartbeat takes the
    /// `ha-cluster` entry of `/etc/services`, else 694).
    pub default_udp_port: u16,
}

impl Default for HacfOptions {
    fn default() -> Self {
        HacfOptions { default_udp_port: DEFAULT_UDP_PORT }
    }
}

/// Parses the text of an `ha.cf`. `file` is only used in messages. Returns the configuration
/// and the warnings heartbeat would log, or the first error.
pub fn parse_hacf(
    file: &Path,
    text: &str,
    options: &HacfOptions,
) -> Result<(HaCf, Vec<Warning>), ConfigError> {
    let mut st = State::new(file, options.default_udp_port);
    let mut last_line = 1;
    for item in text::lines(file, text) {
        let (n, line) = item?;
        last_line = n;
        st.line = n;
        st.read_line(line)?;
    }
    finish::finish(st, last_line)
}

/// Parse state: what has been read so far, with where each setting came from.
pub(super) struct State<'f> {
    pub file: &'f Path,
    pub line: u32,
    pub warnings: Vec<Warning>,
    pub nodes: Vec<String>,
    pub media: Vec<Medium>,
    /// The baud rate fixed when the first `serial` line was read (heartbeat's serial plugin
    /// reads `baud` once, when it is loaded).
    pub serial_baud: Option<u32>,
    pub default_port: u16,
    pub udpport: Option<u16>,
    pub baud: Option<u32>,
    pub keepalive: Option<(Duration, Location)>,
    pub deadtime: Option<(Duration, Location)>,
    pub warntime: Option<(Duration, Location)>,
    pub initdead: Option<(Duration, Location)>,
    pub deadping: Option<(Duration, Location)>,
    pub auto_failback: Option<(AutoFailback, Location)>,
    pub ping_nodes: Vec<PingNode>,
    pub ping_groups: Vec<PingGroup>,
    pub logfile: Option<PathBuf>,
    pub debugfile: Option<PathBuf>,
    /// `Some(None)` is `logfacility none`.
    pub facility: Option<Option<String>>,
    pub use_logd: Option<(bool, Location)>,
    /// Where the first logfile/debugfile/logfacility directive is.
    pub first_log_directive: Option<Location>,
    pub conn_logd_time: Duration,
    pub debug_level: u8,
    pub log_badpack: bool,
    pub syslog_format_files: bool,
    pub apiauth: Vec<ApiAuth>,
    pub clients: Vec<ClientChild>,
    pub stonith: Vec<Stonith>,
    pub watchdog: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub tuning: Tuning,
    pub autojoin: Option<(String, Location)>,
    pub pacemaker_seen: bool,
}

/// Directives whose values are each applied in turn (`node a b c`).
const MULTI_VALUED: &[&str] = &["node", "bcast", "serial", "ping", "ping6", "env"];

impl<'f> State<'f> {
    fn new(file: &'f Path, default_port: u16) -> Self {
        State {
            file,
            line: 0,
            warnings: Vec::new(),
            nodes: Vec::new(),
            media: Vec::new(),
            serial_baud: None,
            default_port,
            udpport: None,
            baud: None,
            keepalive: None,
            deadtime: None,
            warntime: None,
            initdead: None,
            deadping: None,
            auto_failback: None,
            ping_nodes: Vec::new(),
            ping_groups: Vec::new(),
            logfile: None,
            debugfile: None,
            facility: None,
            use_logd: None,
            first_log_directive: None,
            conn_logd_time: Duration::from_secs(60),
            debug_level: 0,
            log_badpack: true,
            syslog_format_files: true,
            apiauth: Vec::new(),
            clients: Vec::new(),
            stonith: Vec::new(),
            watchdog: None,
            env: Vec::new(),
            tuning: Tuning {
                cluster_name: "linux-ha".to_owned(),
                hopfudge: 1,
                realtime: true,
                rtprio: None,
                memreserve_kb: 6500,
                generation_method: GenerationMethod::File,
                uuid_from: UuidFrom::File,
                msgfmt: MsgFormat::Classic,
                compression: Compression::Zlib,
                compression_threshold_kb: 2,
                traditional_compression: false,
                max_rexmit_delay: Duration::from_millis(250),
                coredumps: true,
                coreroot: None,
                use_apphbd: false,
            },
            autojoin: None,
            pacemaker_seen: false,
        }
    }

    /// Location of column `col` on the current line.
    pub fn loc(&self, col: u32) -> Location {
        Location::new(self.file, self.line, col)
    }

    /// An error at `tok`.
    pub fn err(&self, tok: Tok<'_>, message: impl Into<String>) -> ConfigError {
        ConfigError::invalid(self.loc(tok.col), message)
    }

    /// Records a warning at `col` of the current line.
    pub fn warn(&mut self, col: u32, message: impl Into<String>) {
        let w = Warning::new(self.loc(col), message);
        self.warnings.push(w);
    }

    /// The UDP port a `bcast`/`ucast` line read now uses.
    pub fn port_in_force(&self) -> u16 {
        self.udpport.unwrap_or(self.default_port)
    }

    fn read_line(&mut self, line: &str) -> Result<(), ConfigError> {
        // heartbeat cuts the line at the first `#`, wherever it is.
        let content = line.split('#').next().unwrap_or("");
        let toks = text::split_tokens(content, 1, text::is_ws);
        let Some(&first) = toks.first() else {
            return Ok(());
        };
        let mut directive = first.text;
        if directive == "udp" {
            self.warn(
                first.col,
                "`udp` is the pre-2.0 name of `bcast`; heartbeat 3.0.6 reads it as `bcast` \
                 (and logs \"directive 'udp' replaced by 'bcast'\"); please write `bcast`",
            );
            directive = "bcast";
        }
        let rest_start = first.col + text::to_u32(first.text.chars().count());
        let rest = &content[content.find(first.text).unwrap_or(0) + first.text.len()..];
        if media::is_whole_line(directive) {
            let words = text::split_tokens(rest, rest_start, text::is_ws);
            return media::whole_line(self, directive, first, &words, rest);
        }
        if media::is_unavailable_medium(directive) {
            return Err(self.err(
                first,
                format!(
                    "medium `{directive}` is not supported: heartbeat 3.0.6 as packaged by \
                     Debian has no `{directive}` plugin and heartbeat-rs does not implement it; \
                     expected bcast, mcast, mcast6, ucast, ucast6, serial, ping, ping6 or \
                     ping_group"
                ),
            ));
        }
        if !options::is_option_directive(directive) {
            return Err(self.err(
                first,
                format!(
                    "unknown directive `{directive}`; expected an ha.cf directive such as \
                     node, keepalive, deadtime, bcast, ucast, mcast, auto_failback (see ha.cf(5))"
                ),
            ));
        }
        // Option directives: each value (separated by blanks or commas) is applied in turn.
        let values = text::split_tokens(rest, rest_start, |c| c == ',' || text::is_ws(c));
        if values.is_empty() {
            self.warn(first.col, format!("`{directive}` without a value has no effect"));
            return Ok(());
        }
        if values.len() > 1 && !MULTI_VALUED.contains(&directive) {
            self.warn(
                values[1].col,
                format!(
                    "`{directive}` takes one value; heartbeat applies each of the {} values in \
                     turn, so the last one (`{}`) wins",
                    values.len(),
                    values[values.len() - 1].text
                ),
            );
        }
        for v in values {
            if media::is_per_value_medium(directive) {
                media::per_value(self, directive, v)?;
            } else {
                options::set_option(self, directive, first, v)?;
            }
        }
        Ok(())
    }
}
