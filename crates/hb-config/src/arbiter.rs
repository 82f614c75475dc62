//! `arbiter.conf`: the optional etcd lease arbiter (issue 19). When the file exists, a node may
//! start a resource group only while it holds the group's key in etcd under a live lease.
//!
//! Format: `key value…` lines, `#` comments:
//!
//! ```text
//! endpoints  https://10.0.1.1:2379 https://10.0.2.1:2379   # one or more, may repeat
//! ca_file    /etc/ha.d/etcd-ca.pem
//! cert_file  /etc/ha.d/etcd-client.pem
//! key_file   /etc/ha.d/etcd-client.key                     # mode 0600
//! prefix     /heartbeat-rs
//! cluster    web
//! lease_ttl  10            # seconds (or 10000ms); default: deadtime, at least 2 s
//! unreachable keep         # keep (default) | release
//! grace      5             # release: drop the groups this long after etcd became unreachable
//! timeout    2             # one etcd request
//! ```
//!
//! The file is kept outside `ha.cf` so a heartbeat 3.0.6 peer can share `ha.cf`. Like
//! `authkeys` it must be mode 0600 or stricter (it names the client key); so must `key_file`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{ConfigError, Location};
use crate::text::{self, Tok};

/// Most endpoints.
pub const MAX_ENDPOINTS: usize = 16;
/// Shortest lease etcd grants meaningfully (its minimum TTL is about 1.5 × election timeout).
pub const MIN_LEASE_TTL: Duration = Duration::from_secs(2);
/// Longest key prefix or cluster name.
pub const MAX_NAME: usize = 128;

/// What a node does with the groups it holds while etcd cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// Hold what is held, take nothing new (the default): no service gap when etcd fails,
    /// but a holder cut from both its peer and etcd keeps serving after its lease expired.
    Keep,
    /// Release what is held `grace` after etcd became unreachable: never serves without a
    /// lease for longer than the grace, at the cost of an outage whenever etcd is down.
    Release,
}

impl Unreachable {
    /// The name used in the file.
    pub fn name(self) -> &'static str {
        match self {
            Unreachable::Keep => "keep",
            Unreachable::Release => "release",
        }
    }
}

/// A parsed `arbiter.conf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArbiterConf {
    /// etcd client URLs (`http://` or `https://`; a bare `HOST:PORT` gets `http://`, or
    /// `https://` when a `ca_file` is set).
    pub endpoints: Vec<String>,
    /// CA bundle to verify etcd's certificate (implies TLS).
    pub ca_file: Option<PathBuf>,
    /// Client certificate (with `key_file`).
    pub cert_file: Option<PathBuf>,
    /// Client key (mode 0600).
    pub key_file: Option<PathBuf>,
    /// Key prefix, starting with `/`, no trailing `/` (default `/heartbeat-rs`).
    pub prefix: String,
    /// Cluster name under the prefix (default `default`).
    pub cluster: String,
    /// Lease TTL; `None`: derived from deadtime by [`ArbiterConf::lease_ttl_for`].
    pub lease_ttl: Option<Duration>,
    /// Policy while etcd is unreachable.
    pub unreachable: Unreachable,
    /// `release`: how long etcd may stay unreachable before the groups are released
    /// (`None`: half the lease TTL minus one request timeout: noticing the outage takes up
    /// to a keep-alive period (TTL/4) plus a timeout, so the release then comes before the
    /// lease can expire and a peer take over).
    pub grace: Option<Duration>,
    /// Time limit of one etcd request (default 2 s).
    pub timeout: Duration,
    /// Where the file is.
    pub location: Location,
}

impl ArbiterConf {
    /// The key of group `name`: `PREFIX/CLUSTER/groups/NAME`.
    pub fn group_key(&self, name: &str) -> String {
        format!("{}/{}/groups/{}", self.prefix, self.cluster, name)
    }

    /// The lease TTL in effect for a cluster with this `deadtime`: the configured one, else
    /// deadtime (a silent holder's lease then ends about when its peer declares it dead),
    /// at least [`MIN_LEASE_TTL`]. Whole seconds (etcd's unit), rounded up.
    pub fn lease_ttl_for(&self, deadtime: Duration) -> Duration {
        let ttl = self.lease_ttl.unwrap_or(deadtime).max(MIN_LEASE_TTL);
        let secs = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
        Duration::from_secs(secs)
    }

    /// The grace in effect (see [`ArbiterConf::grace`]).
    pub fn grace_for(&self, deadtime: Duration) -> Duration {
        self.grace
            .unwrap_or_else(|| (self.lease_ttl_for(deadtime) / 2).saturating_sub(self.timeout))
    }

    /// Whether the endpoints use TLS.
    pub fn tls(&self) -> bool {
        self.ca_file.is_some() || self.endpoints.iter().any(|e| e.starts_with("https://"))
    }
}

/// Reads `path` (must be mode 0600 or stricter, as must its `key_file`) and parses it.
/// `Ok(None)` when the file does not exist: the arbiter is off.
pub fn load_arbiter_conf(path: &Path) -> Result<Option<ArbiterConf>, ConfigError> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ConfigError::Io { path: path.to_path_buf(), source }),
        Ok(_) => {}
    }
    crate::cloud::check_secret_mode(path)?;
    let bytes = text::read_limited(path)?;
    let conf = parse_arbiter_conf(path, text::decode(path, &bytes)?)?;
    for f in [&conf.ca_file, &conf.cert_file].into_iter().flatten() {
        std::fs::metadata(f).map_err(|source| ConfigError::Io { path: f.clone(), source })?;
    }
    if let Some(k) = &conf.key_file {
        crate::cloud::check_secret_mode(k)?;
    }
    Ok(Some(conf))
}

/// Parses the text of an `arbiter.conf` (no file system access).
pub fn parse_arbiter_conf(path: &Path, text: &str) -> Result<ArbiterConf, ConfigError> {
    let mut c = ArbiterConf {
        endpoints: Vec::new(),
        ca_file: None,
        cert_file: None,
        key_file: None,
        prefix: "/heartbeat-rs".to_owned(),
        cluster: "default".to_owned(),
        lease_ttl: None,
        unreachable: Unreachable::Keep,
        grace: None,
        timeout: Duration::from_secs(2),
        location: Location::new(path, 1, 1),
    };
    let mut endpoint_toks: Vec<(String, Location)> = Vec::new();
    let mut grace_at: Option<Location> = None;
    for item in text::lines(path, text) {
        let (n, line) = item?;
        let line = line.split('#').next().unwrap_or("");
        let toks = text::split_tokens(line, 1, text::is_ws);
        let Some(&key) = toks.first() else { continue };
        let at = |t: Tok<'_>| Location::new(path, n, t.col);
        let values = &toks[1..];
        let Some(&value) = values.first() else {
            return Err(ConfigError::invalid(
                at(key),
                format!("`{}` needs a value; expected `{} VALUE`", key.text, key.text),
            ));
        };
        if key.text != "endpoints" {
            if let Some(extra) = values.get(1) {
                return Err(ConfigError::invalid(
                    at(*extra),
                    format!("unexpected `{}`; expected one value after `{}`", extra.text, key.text),
                ));
            }
        }
        let bad = |what: &str| ConfigError::invalid(at(value), format!("`{}`: {what}", key.text));
        match key.text {
            "endpoints" | "endpoint" => {
                for v in values {
                    if endpoint_toks.len() >= MAX_ENDPOINTS {
                        return Err(ConfigError::invalid(
                            at(*v),
                            format!("more than {MAX_ENDPOINTS} endpoints"),
                        ));
                    }
                    endpoint_toks.push((v.text.to_owned(), at(*v)));
                }
            }
            "ca_file" => c.ca_file = Some(file(value.text).map_err(|m| bad(&m))?),
            "cert_file" => c.cert_file = Some(file(value.text).map_err(|m| bad(&m))?),
            "key_file" => c.key_file = Some(file(value.text).map_err(|m| bad(&m))?),
            "prefix" => c.prefix = prefix(value.text).map_err(|m| bad(&m))?,
            "cluster" => c.cluster = name(value.text).map_err(|m| bad(&m))?,
            "lease_ttl" => {
                let d = crate::time::parse_time(value.text).map_err(|m| bad(&m))?;
                if d < MIN_LEASE_TTL {
                    return Err(bad(&format!(
                        "expected at least {} s (etcd's shortest useful lease)",
                        MIN_LEASE_TTL.as_secs()
                    )));
                }
                c.lease_ttl = Some(d);
            }
            "unreachable" => {
                c.unreachable = match value.text {
                    "keep" => Unreachable::Keep,
                    "release" => Unreachable::Release,
                    _ => return Err(bad("expected keep or release")),
                }
            }
            "grace" => {
                c.grace = Some(crate::time::parse_time(value.text).map_err(|m| bad(&m))?);
                grace_at = Some(at(key));
            }
            "timeout" => {
                let d = crate::time::parse_time(value.text).map_err(|m| bad(&m))?;
                if d.is_zero() {
                    return Err(bad("expected a time above zero"));
                }
                c.timeout = d;
            }
            _ => {
                return Err(ConfigError::invalid(
                    at(key),
                    format!(
                        "unknown setting `{}`; expected endpoints, ca_file, cert_file, key_file, \
                         prefix, cluster, lease_ttl, unreachable, grace or timeout",
                        key.text
                    ),
                ))
            }
        }
    }
    let tls = c.ca_file.is_some();
    for (e, loc) in endpoint_toks {
        c.endpoints.push(endpoint(&e, tls).map_err(|m| ConfigError::invalid(loc, m))?);
    }
    if c.endpoints.is_empty() {
        return Err(ConfigError::invalid(
            c.location.clone(),
            "no etcd endpoint; expected `endpoints HOST:PORT…`",
        ));
    }
    if c.cert_file.is_some() != c.key_file.is_some() {
        return Err(ConfigError::invalid(
            c.location.clone(),
            "`cert_file` and `key_file` go together; expected both or neither",
        ));
    }
    if c.key_file.is_some() && !c.tls() {
        return Err(ConfigError::invalid(
            c.location.clone(),
            "a client certificate needs TLS; expected `ca_file` or https:// endpoints",
        ));
    }
    if let (Some(at), Unreachable::Keep) = (grace_at, c.unreachable) {
        return Err(ConfigError::invalid(
            at,
            "`grace` only applies with `unreachable release`; expected that line too",
        ));
    }
    Ok(c)
}

fn endpoint(s: &str, tls: bool) -> Result<String, String> {
    let (scheme, rest) = match s.split_once("://") {
        Some(("http", r)) => ("http", r),
        Some(("https", r)) => ("https", r),
        Some((other, _)) => {
            return Err(format!("unknown scheme `{other}`; expected http or https"))
        }
        None => (if tls { "https" } else { "http" }, s),
    };
    let rest = rest.trim_end_matches('/');
    let ok = rest
        .rsplit_once(':')
        .is_some_and(|(h, p)| !h.is_empty() && !h.contains('/') && p.parse::<u16>().is_ok());
    if !ok {
        return Err(format!("invalid endpoint `{s}`; expected [http(s)://]HOST:PORT"));
    }
    Ok(format!("{scheme}://{rest}"))
}

fn file(s: &str) -> Result<PathBuf, String> {
    if !s.starts_with('/') {
        return Err(format!("`{s}` is not an absolute path"));
    }
    Ok(PathBuf::from(s))
}

fn prefix(s: &str) -> Result<String, String> {
    let p = s.trim_end_matches('/');
    if !s.starts_with('/') || p.is_empty() || p.len() > MAX_NAME || !p.chars().all(key_char) {
        return Err(format!(
            "invalid prefix `{s}`; expected /NAME[/NAME…] of letters, digits, `-_.`"
        ));
    }
    Ok(p.to_owned())
}

fn name(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > MAX_NAME || !s.chars().all(|c| c != '/' && key_char(c)) {
        return Err(format!("invalid name `{s}`; expected letters, digits, `-_.`"));
    }
    Ok(s.to_owned())
}

fn key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
}

#[cfg(test)]
#[path = "arbiter_test.rs"]
mod tests;
