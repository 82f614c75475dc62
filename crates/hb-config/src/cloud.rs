//! `cloud.conf`: how to reach the cloud provider whose reserved (floating) IPs the
//! `ReservedIP::IP[::provider=NAME]` resources move.
//!
//! Format: `key value` lines, `#` comments. `provider NAME` opens a provider section
//! (`digitalocean` or `hetzner`); the keys after it belong to it. The first section is the
//! default for resources that name no provider. Like `authkeys`, the file holds a secret (the
//! API token, inline with `token` or in a `token_file`), so both must be mode 0600 or
//! stricter; anything else is refused. The token is kept in a [`CloudToken`], whose `Debug`
//! and `Display` never show it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{ConfigError, Location};
use crate::haresources::{Haresources, ResourceKind};
use crate::text::{self, Tok};

/// Most provider sections in one file.
pub const MAX_PROVIDERS: usize = 8;
/// Longest accepted token (DigitalOcean's are 71 characters, Hetzner's 64).
pub const MAX_TOKEN_LEN: usize = 512;
/// Most retries of one API call.
pub const MAX_RETRIES: u32 = 20;
/// Permission bits refused on `cloud.conf` and token files (group or others).
const FORBIDDEN_MODE_BITS: u32 = 0o077;

/// Which provider API a section talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// DigitalOcean reserved IPs (`/v2/reserved_ips`).
    DigitalOcean,
    /// Hetzner Cloud floating IPs (`/v1/floating_ips`).
    Hetzner,
}

impl ProviderKind {
    /// The name used in `cloud.conf` and in `::provider=NAME`.
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::DigitalOcean => "digitalocean",
            ProviderKind::Hetzner => "hetzner",
        }
    }

    /// The provider's public API endpoint.
    pub fn default_api_url(self) -> &'static str {
        match self {
            ProviderKind::DigitalOcean => "https://api.digitalocean.com",
            ProviderKind::Hetzner => "https://api.hetzner.cloud",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        match s {
            "digitalocean" | "do" => Some(ProviderKind::DigitalOcean),
            "hetzner" => Some(ProviderKind::Hetzner),
            _ => None,
        }
    }
}

/// An API token. Never printed: `Debug` and `Display` show `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct CloudToken(String);

impl CloudToken {
    /// The token text, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CloudToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for CloudToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One provider section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConf {
    /// The API.
    pub kind: ProviderKind,
    /// The API token.
    pub token: CloudToken,
    /// Where the token was read from (`None`: inline `token`).
    pub token_file: Option<PathBuf>,
    /// API base URL, no trailing slash (default [`ProviderKind::default_api_url`]).
    pub api_url: String,
    /// Metadata service base URL (default `http://169.254.169.254`).
    pub metadata_url: String,
    /// This machine's droplet/server id; `None`: asked from the metadata service.
    pub instance_id: Option<u64>,
    /// Time limit of one HTTP request (`timeout`, default 10 s).
    pub request_timeout: Duration,
    /// How long an assign action may stay in progress (`action_timeout`, default 60 s).
    pub action_timeout: Duration,
    /// Retries of a call answered 429/5xx or not answered (`retries`, default 5).
    pub retries: u32,
    /// First pause between retries, doubled each time up to 30 s (`retry_backoff`, default 1 s).
    pub retry_backoff: Duration,
    /// How often a holder checks the IP still points at it (`verify_interval`, default 30 s;
    /// 0 turns the check off).
    pub verify_interval: Duration,
    /// Unassign the IP when the group stops (`unassign_on_stop`, default no).
    pub unassign_on_stop: bool,
    /// Where the section starts.
    pub location: Location,
}

/// A parsed `cloud.conf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudConf {
    /// Sections in file order (at least one).
    pub providers: Vec<ProviderConf>,
}

impl CloudConf {
    /// The section a resource uses: the named one, or the first.
    pub fn provider(&self, name: Option<&str>) -> Option<&ProviderConf> {
        match name {
            None => self.providers.first(),
            Some(n) => {
                let kind = ProviderKind::from_name(n)?;
                self.providers.iter().find(|p| p.kind == kind)
            }
        }
    }
}

/// Reads `path` (mode must forbid group and others), reads any `token_file` it names (same
/// rule) and parses it.
pub fn load_cloud_conf(path: &Path) -> Result<CloudConf, ConfigError> {
    check_secret_mode(path)?;
    let bytes = text::read_limited(path)?;
    parse_cloud_conf(path, text::decode(path, &bytes)?, &|p: &Path| {
        check_secret_mode(p)?;
        let bytes = text::read_limited(p)?;
        Ok(text::decode(p, &bytes)?.to_owned())
    })
}

/// `cloud.conf` at `path` when a `ReservedIP` resource of `hr` needs it (else `None`),
/// checked against those resources: each `provider=NAME` must have its section.
pub fn load_for(hr: &Haresources, path: &Path) -> Result<Option<CloudConf>, ConfigError> {
    let mut reserved =
        hr.groups.iter().flat_map(|g| g.resources.iter()).filter_map(|r| match &r.kind {
            ResourceKind::ReservedIp { provider, .. } => Some((r, provider.as_deref())),
            _ => None,
        });
    let Some((first, _)) = reserved.next() else { return Ok(None) };
    let conf = load_cloud_conf(path).map_err(|e| match e {
        ConfigError::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
            ConfigError::invalid(
                first.location.clone(),
                format!(
                    "{} needs {}: no such file; expected `provider NAME` and `token_file PATH` \
                     there (mode 0600)",
                    first.spec,
                    path.display()
                ),
            )
        }
        other => other,
    })?;
    let all = hr.groups.iter().flat_map(|g| g.resources.iter());
    for r in all {
        if let ResourceKind::ReservedIp { provider: Some(name), .. } = &r.kind {
            if conf.provider(Some(name)).is_none() {
                return Err(ConfigError::invalid(
                    r.location.clone(),
                    format!(
                        "provider `{name}` is not configured in {}; expected one of: {}",
                        path.display(),
                        conf.providers.iter().map(|p| p.kind.name()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
    }
    Ok(Some(conf))
}

/// Refuses a file that group or others may access (as heartbeat does for `authkeys`).
pub fn check_secret_mode(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|source| ConfigError::Io { path: path.to_path_buf(), source })?;
    let mode = meta.permissions().mode();
    if mode & FORBIDDEN_MODE_BITS != 0 {
        return Err(ConfigError::SecretPermissions {
            path: path.to_path_buf(),
            mode: mode & 0o7777,
        });
    }
    Ok(())
}

/// Parses the text of a `cloud.conf`; `read_token` reads a `token_file` (tests pass a stub).
pub fn parse_cloud_conf(
    path: &Path,
    text: &str,
    read_token: &dyn Fn(&Path) -> Result<String, ConfigError>,
) -> Result<CloudConf, ConfigError> {
    let mut sections: Vec<Section> = Vec::new();
    for item in text::lines(path, text) {
        let (n, line) = item?;
        let toks = text::split_tokens(line, 1, text::is_ws);
        let Some(&key) = toks.first() else { continue };
        if key.text.starts_with('#') {
            continue;
        }
        let at = |t: Tok<'_>| Location::new(path, n, t.col);
        let Some(&value) = toks.get(1) else {
            return Err(ConfigError::invalid(
                at(key),
                format!("`{}` needs a value; expected `{} VALUE`", key.text, key.text),
            ));
        };
        if let Some(extra) = toks.get(2) {
            if !extra.text.starts_with('#') {
                return Err(ConfigError::invalid(
                    at(*extra),
                    format!("unexpected `{}`; expected one value after `{}`", extra.text, key.text),
                ));
            }
        }
        if key.text == "provider" {
            let kind = ProviderKind::from_name(value.text).ok_or_else(|| {
                ConfigError::invalid(
                    at(value),
                    format!("unknown provider `{}`; expected digitalocean or hetzner", value.text),
                )
            })?;
            if sections.iter().any(|s| s.conf.kind == kind) {
                return Err(ConfigError::invalid(
                    at(value),
                    format!("provider {} is already configured above", kind.name()),
                ));
            }
            if sections.len() >= MAX_PROVIDERS {
                return Err(ConfigError::invalid(
                    at(key),
                    format!("more than {MAX_PROVIDERS} provider sections"),
                ));
            }
            sections.push(Section::new(kind, at(key)));
            continue;
        }
        let Some(section) = sections.last_mut() else {
            return Err(ConfigError::invalid(
                at(key),
                format!(
                    "`{}` before any `provider` line; expected `provider NAME` first",
                    key.text
                ),
            ));
        };
        section.set(key.text, value.text, [at(key), at(value)], read_token)?;
    }
    if sections.is_empty() {
        return Err(ConfigError::invalid(
            Location::new(path, 1, 1),
            "no provider configured; expected `provider digitalocean` or `provider hetzner`",
        ));
    }
    let providers = sections.into_iter().map(Section::finish).collect::<Result<_, _>>()?;
    Ok(CloudConf { providers })
}

/// A section being parsed.
struct Section {
    conf: ProviderConf,
    token: Option<CloudToken>,
}

impl Section {
    fn new(kind: ProviderKind, location: Location) -> Self {
        Section {
            conf: ProviderConf {
                kind,
                token: CloudToken(String::new()),
                token_file: None,
                api_url: kind.default_api_url().to_owned(),
                metadata_url: "http://169.254.169.254".to_owned(),
                instance_id: None,
                request_timeout: Duration::from_secs(10),
                action_timeout: Duration::from_secs(60),
                retries: 5,
                retry_backoff: Duration::from_secs(1),
                verify_interval: Duration::from_secs(30),
                unassign_on_stop: false,
                location,
            },
            token: None,
        }
    }

    fn set(
        &mut self,
        key: &str,
        value: &str,
        [key_at, at]: [Location; 2],
        read_token: &dyn Fn(&Path) -> Result<String, ConfigError>,
    ) -> Result<(), ConfigError> {
        let c = &mut self.conf;
        let bad = |what: &str| ConfigError::invalid(at.clone(), format!("`{key}`: {what}"));
        match key {
            "token" => self.token = Some(token(value).map_err(|m| bad(&m))?),
            "token_file" => {
                let p = PathBuf::from(value);
                let text = read_token(&p)?;
                let first = text.lines().next().unwrap_or("").trim();
                self.token = Some(token(first).map_err(|m| bad(&format!("{}: {m}", p.display())))?);
                c.token_file = Some(p);
            }
            "api_url" => c.api_url = url(value).map_err(|m| bad(&m))?,
            "metadata_url" => c.metadata_url = url(value).map_err(|m| bad(&m))?,
            "droplet_id" | "server_id" => {
                c.instance_id =
                    Some(value.parse().map_err(|_| bad("expected a positive integer id"))?);
            }
            "timeout" => c.request_timeout = positive_time(value).map_err(|m| bad(&m))?,
            "action_timeout" => c.action_timeout = positive_time(value).map_err(|m| bad(&m))?,
            "retry_backoff" => c.retry_backoff = positive_time(value).map_err(|m| bad(&m))?,
            "verify_interval" => {
                c.verify_interval = crate::time::parse_time(value).map_err(|m| bad(&m))?;
            }
            "retries" => {
                c.retries = value
                    .parse()
                    .ok()
                    .filter(|n| *n <= MAX_RETRIES)
                    .ok_or_else(|| bad(&format!("expected 0–{MAX_RETRIES}")))?;
            }
            "unassign_on_stop" => {
                c.unassign_on_stop = match value {
                    "yes" | "on" | "true" => true,
                    "no" | "off" | "false" => false,
                    _ => return Err(bad("expected yes or no")),
                }
            }
            _ => {
                return Err(ConfigError::invalid(
                    key_at,
                    format!(
                        "unknown setting `{key}`; expected provider, token, token_file, api_url, \
                         metadata_url, droplet_id, server_id, timeout, action_timeout, retries, \
                         retry_backoff, verify_interval or unassign_on_stop"
                    ),
                ))
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<ProviderConf, ConfigError> {
        let mut conf = self.conf;
        conf.token = self.token.ok_or_else(|| {
            ConfigError::invalid(
                conf.location.clone(),
                format!("provider {} has no `token_file` (or `token`)", conf.kind.name()),
            )
        })?;
        Ok(conf)
    }
}

/// A token must be one printable ASCII word: it goes into an HTTP header as is.
fn token(s: &str) -> Result<CloudToken, String> {
    if s.is_empty() {
        return Err("the token is empty".into());
    }
    if s.len() > MAX_TOKEN_LEN {
        return Err(format!("the token is longer than {MAX_TOKEN_LEN} characters"));
    }
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        // Say what is wrong without quoting any of it: it is a secret.
        return Err("the token contains spaces or non-printable characters".into());
    }
    Ok(CloudToken(s.to_owned()))
}

fn url(s: &str) -> Result<String, String> {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') => {
            Ok(s.trim_end_matches('/').to_owned())
        }
        _ => Err(format!("invalid URL `{s}`; expected http(s)://HOST[:PORT][/PATH]")),
    }
}

fn positive_time(s: &str) -> Result<Duration, String> {
    let d = crate::time::parse_time(s)?;
    if d.is_zero() {
        return Err("expected a time above zero".into());
    }
    Ok(d)
}

#[cfg(test)]
#[path = "cloud_test.rs"]
mod tests;
