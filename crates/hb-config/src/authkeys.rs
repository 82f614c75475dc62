//! `authkeys`: which keys sign and verify heartbeat messages.
//!
//! Format (heartbeat's `parse_authfile`, protocol spec §3.1): blank lines and lines whose first
//! non-blank character is `#` are ignored; `auth N` selects the signing key; `N METHOD [KEY]`
//! defines key N (0–15) with method `crc` (no key), `md5` or `sha1` (key required, a single
//! blank-free word used as raw bytes). Every defined key verifies. As in heartbeat, `auth N`
//! takes effect when key N is defined *after* it; a later redefinition of an index replaces it.
//! The file must not be readable or writable by group or others.

use std::fmt;
use std::path::Path;

use crate::error::{ConfigError, Location, Warning};
use crate::text::{self, Tok};

/// A key slot number, 0–15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyIndex(u8);

impl KeyIndex {
    /// The index `n`, if it is 0–15.
    pub fn new(n: u8) -> Option<Self> {
        (n < 16).then_some(KeyIndex(n))
    }

    /// The number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for KeyIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Digest method of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// CRC-32/CKSUM, no key (integrity only).
    Crc,
    /// HMAC-MD5.
    Md5,
    /// HMAC-SHA1.
    Sha1,
}

impl AuthMethod {
    /// The name used in `authkeys` and on the wire.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::Crc => "crc",
            AuthMethod::Md5 => "md5",
            AuthMethod::Sha1 => "sha1",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        match s {
            "crc" => Some(AuthMethod::Crc),
            "md5" => Some(AuthMethod::Md5),
            "sha1" => Some(AuthMethod::Sha1),
            _ => None,
        }
    }
}

/// Secret key bytes. `Debug` does not show them.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// The raw bytes (the key word exactly as written in the file).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes>)", self.0.len())
    }
}

/// One key: index, method and secret (empty exactly when the method is `crc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthKey {
    index: KeyIndex,
    method: AuthMethod,
    secret: Secret,
}

impl AuthKey {
    /// A key; `None` unless `crc` has an empty secret and `md5`/`sha1` a non-empty one
    /// without blanks (what the file format can express).
    pub fn new(index: KeyIndex, method: AuthMethod, secret: &[u8]) -> Option<Self> {
        let needs_key = method != AuthMethod::Crc;
        let blank_free = !secret.iter().any(|b| b.is_ascii_whitespace() || *b == 0);
        (needs_key != secret.is_empty() && blank_free).then(|| AuthKey {
            index,
            method,
            secret: Secret(secret.to_vec()),
        })
    }

    /// Slot number.
    pub fn index(&self) -> KeyIndex {
        self.index
    }

    /// Digest method.
    pub fn method(&self) -> AuthMethod {
        self.method
    }

    /// Secret (empty for `crc`).
    pub fn secret(&self) -> &Secret {
        &self.secret
    }
}

/// The keys of an `authkeys` file: at least one, and the one that signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthKeys {
    active: KeyIndex,
    keys: Vec<AuthKey>,
}

impl AuthKeys {
    /// Keys sorted by index plus the signing index; `None` if `active` is not among them or
    /// an index repeats.
    pub fn new(active: KeyIndex, mut keys: Vec<AuthKey>) -> Option<Self> {
        keys.sort_by_key(|k| k.index);
        let unique = keys.windows(2).all(|w| w[0].index != w[1].index);
        (unique && keys.iter().any(|k| k.index == active)).then_some(AuthKeys { active, keys })
    }

    /// The key that signs outgoing messages.
    pub fn active(&self) -> &AuthKey {
        // `new` and the parser guarantee the active index is present.
        self.keys.iter().find(|k| k.index == self.active).unwrap_or(&self.keys[0])
    }

    /// All keys, by index; each one verifies incoming messages.
    pub fn keys(&self) -> &[AuthKey] {
        &self.keys
    }

    /// The key with this index.
    pub fn get(&self, index: KeyIndex) -> Option<&AuthKey> {
        self.keys.iter().find(|k| k.index == index)
    }

    /// The file text that parses back to these keys (`auth N` first).
    pub fn to_file_text(&self) -> String {
        let mut s = format!("auth {}\n", self.active);
        for k in &self.keys {
            s.push_str(&format!("{} {}", k.index, k.method.name()));
            if !k.secret.0.is_empty() {
                s.push(' ');
                s.push_str(&String::from_utf8_lossy(&k.secret.0));
            }
            s.push('\n');
        }
        s
    }
}

/// Permission bits that make heartbeat-rs refuse an `authkeys` file.
pub const FORBIDDEN_MODE_BITS: u32 = 0o066;

/// Refuses a file mode that lets group or others read or write (pure, for tests).
pub fn check_mode(path: &Path, mode: u32) -> Result<(), ConfigError> {
    if mode & FORBIDDEN_MODE_BITS != 0 {
        return Err(ConfigError::AuthkeysPermissions {
            path: path.to_path_buf(),
            mode: mode & 0o7777,
        });
    }
    Ok(())
}

/// Checks `mode` then parses `text` (the pure core of [`load_authkeys`]).
pub fn parse_authkeys_with_mode(
    path: &Path,
    mode: u32,
    text: &str,
) -> Result<(AuthKeys, Vec<Warning>), ConfigError> {
    check_mode(path, mode)?;
    parse_authkeys(path, text)
}

/// Stats, reads and parses an `authkeys` file.
pub fn load_authkeys(path: &Path) -> Result<(AuthKeys, Vec<Warning>), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |source| ConfigError::Io { path: path.to_path_buf(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    check_mode(path, meta.permissions().mode())?;
    let bytes = text::read_limited(path)?;
    parse_authkeys(path, text::decode(path, &bytes)?)
}

/// Parses the text of an `authkeys` file (no permission check). `path` is used in messages.
pub fn parse_authkeys(path: &Path, text: &str) -> Result<(AuthKeys, Vec<Warning>), ConfigError> {
    let mut warnings = Vec::new();
    let mut slots: [Option<(AuthKey, Location)>; 16] = Default::default();
    let mut auth_num: Option<(KeyIndex, Location)> = None;
    let mut active: Option<KeyIndex> = None;
    let mut last_line = 1;
    for item in text::lines(path, text) {
        let (n, line) = item?;
        last_line = n;
        let toks = text::split_tokens(line, 1, text::is_ws);
        let Some(&first) = toks.first() else { continue };
        let at = |t: Tok<'_>| Location::new(path, n, t.col);
        if first.text.starts_with('#') {
            continue;
        }
        if first.text == "auth" {
            let Some(&num) = toks.get(1) else {
                return Err(ConfigError::invalid(
                    at(first),
                    "`auth` needs a key index; expected `auth N` with N in 0–15",
                ));
            };
            let idx = index(num.text).ok_or_else(|| {
                ConfigError::invalid(
                    at(num),
                    format!("invalid key index `{}`; expected 0–15", num.text),
                )
            })?;
            if let Some(extra) = toks.get(2) {
                warnings.push(Warning::new(at(*extra), "text after `auth N` is ignored"));
            }
            auth_num = Some((idx, at(first)));
            continue;
        }
        let Some(idx) = index(first.text) else {
            return Err(ConfigError::invalid(
                at(first),
                format!(
                    "unexpected `{}`; expected `auth N` or `N METHOD [KEY]` with N in 0–15",
                    first.text
                ),
            ));
        };
        let Some(&mtok) = toks.get(1) else {
            return Err(ConfigError::invalid(
                at(first),
                "key line has no method; expected `N crc`, `N md5 KEY` or `N sha1 KEY`",
            ));
        };
        let method = AuthMethod::from_name(mtok.text).ok_or_else(|| {
            ConfigError::invalid(
                at(mtok),
                format!("unknown method `{}`; expected crc, md5 or sha1", mtok.text),
            )
        })?;
        let key = toks.get(2);
        let key_bytes = key.map_or(&[][..], |k| k.text.as_bytes());
        match (method, key) {
            (AuthMethod::Crc, Some(k)) => {
                return Err(ConfigError::invalid(
                    at(*k),
                    "method crc does not use a key; expected `N crc`",
                ))
            }
            (_, None) if method != AuthMethod::Crc => {
                let col = mtok.col + text::to_u32(mtok.text.len());
                return Err(ConfigError::invalid(
                    Location::new(path, n, col),
                    format!(
                        "method {} requires a key; expected `{} {} KEY`",
                        method.name(),
                        idx,
                        method.name()
                    ),
                ));
            }
            _ => {}
        }
        if let Some(extra) = toks.get(3) {
            warnings.push(Warning::new(
                at(*extra),
                "text after the key is ignored (a key is one word)",
            ));
        }
        let Some(k) = AuthKey::new(idx, method, key_bytes) else {
            return Err(ConfigError::invalid(at(first), "invalid key"));
        };
        let slot = &mut slots[usize::from(idx.get())];
        if let Some((_, prev)) = slot {
            warnings.push(Warning::new(
                at(first),
                format!(
                    "key {idx} redefined (first defined at line {}); the later one is used",
                    prev.line
                ),
            ));
        }
        *slot = Some((k, at(first)));
        if auth_num.as_ref().is_some_and(|(a, _)| *a == idx) {
            active = Some(idx);
        }
    }
    let keys: Vec<AuthKey> = slots.into_iter().flatten().map(|(k, _)| k).collect();
    let end = Location::new(path, last_line, 1);
    let Some(active) = active else {
        return Err(match auth_num {
            None => ConfigError::invalid(end, "no `auth N` line; expected `auth N` naming the signing key"),
            Some((n, loc)) if keys.iter().any(|k| k.index == n) => ConfigError::invalid(
                loc,
                format!("auth {n} comes after the line defining key {n}; heartbeat 3.0.6 ignores it then, so put `auth {n}` first"),
            ),
            Some((n, loc)) => ConfigError::invalid(loc, format!("auth {n}: key {n} is not defined; expected a line `{n} METHOD [KEY]`")),
        });
    };
    if let Some((n, loc)) = &auth_num {
        if *n != active {
            warnings.push(Warning::new(
                loc.clone(),
                format!(
                    "auth {n} has no effect (key {n} is not defined after it); key {active} signs"
                ),
            ));
        }
    }
    let keys = AuthKeys::new(active, keys)
        .ok_or_else(|| ConfigError::invalid(Location::new(path, 1, 1), "inconsistent keys"))?;
    Ok((keys, warnings))
}

fn index(s: &str) -> Option<KeyIndex> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u8>().ok().and_then(KeyIndex::new)
}

#[cfg(test)]
#[path = "authkeys_test.rs"]
mod tests;
