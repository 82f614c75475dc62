//! Header ("control") fields every cluster message carries (spec §4), and heartbeat's number
//! formats.

use super::{opt_str, req_str, Uuid};
use crate::{Message, Value, WireError};

/// The header fields heartbeat appends after the body fields, in this order: `destuuid`,
/// `src`, `srcuuid`, `seq`, `hg`, `ts`, `ld`, `ttl` (`dest` is a body field, see each view).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// UUID of the node named in `dest` (only when the sender knows it).
    pub destuuid: Option<Uuid>,
    /// Originating node name.
    pub src: String,
    /// Originating node UUID (a 16-byte binary field; other lengths read as absent, as
    /// heartbeat does).
    pub srcuuid: Option<Uuid>,
    /// Sequence number (hex on the wire); absent for `NS_*` types, otherwise > 0.
    pub seq: Option<u64>,
    /// Heartbeat generation (hex); absent means 0 to heartbeat.
    pub hg: Option<u64>,
    /// Sender wall-clock seconds (hex), non-zero.
    pub ts: u64,
    /// Load average text; absent for `NS_*` types.
    pub ld: Option<String>,
    /// Hop count (decimal); heartbeat ignores it on receipt, so an unparsable value reads as
    /// absent.
    pub ttl: Option<u32>,
}

impl Header {
    /// Reads and checks the header as heartbeat's receive path does: `t`, `src` and a
    /// non-zero hex `ts` are required; `seq` is required (> 0) unless `t` starts with `NS_`;
    /// `hg`, if present, must be hex.
    pub fn parse(msg: &Message) -> Result<Header, WireError> {
        let t = req_str(msg, "t")?;
        let src = req_str(msg, "src")?.to_owned();
        let ts = hex_field(msg, "ts")?.ok_or(WireError::MissingField { name: "ts" })?;
        if ts == 0 {
            return Err(invalid("ts", "0"));
        }
        let seq = hex_field(msg, "seq")?;
        match seq {
            Some(0) => return Err(invalid("seq", "0")),
            None if !t.starts_with("NS_") => return Err(WireError::MissingField { name: "seq" }),
            _ => {}
        }
        Ok(Header {
            destuuid: uuid_field(msg, "destuuid"),
            src,
            srcuuid: uuid_field(msg, "srcuuid"),
            seq,
            hg: hex_field(msg, "hg")?,
            ts,
            ld: opt_str(msg, "ld").map(str::to_owned),
            ttl: opt_str(msg, "ttl").and_then(parse_dec).and_then(|v| u32::try_from(v).ok()),
        })
    }

    /// Appends the header fields in heartbeat's order.
    pub fn write(&self, msg: &mut Message) {
        if let Some(uuid) = &self.destuuid {
            msg.push_bin("destuuid", &uuid.0);
        }
        msg.push_str("src", &self.src);
        if let Some(uuid) = &self.srcuuid {
            msg.push_bin("srcuuid", &uuid.0);
        }
        if let Some(seq) = self.seq {
            msg.push_str("seq", &format!("{seq:x}"));
        }
        if let Some(hg) = self.hg {
            msg.push_str("hg", &format!("{hg:x}"));
        }
        msg.push_str("ts", &format!("{:x}", self.ts));
        if let Some(ld) = &self.ld {
            msg.push_str("ld", ld);
        }
        if let Some(ttl) = self.ttl {
            msg.push_str("ttl", &ttl.to_string());
        }
    }
}

/// Parses hex as C `sscanf("%lx")` does: leading white space, an optional `+`, an optional
/// `0x`/`0X`, at least one hex digit; reading stops at the first other character. `None`
/// when no digit is found, for a minus sign, or on overflow of 64 bits.
pub fn parse_hex(text: &str) -> Option<u64> {
    let s = text.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let s = s.strip_prefix('+').unwrap_or(s);
    let s = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_hexdigit()) => rest,
        _ => s,
    };
    let digits = s.bytes().take_while(u8::is_ascii_hexdigit).count();
    if digits == 0 {
        return None;
    }
    u64::from_str_radix(&s[..digits], 16).ok()
}

/// Parses decimal as C `atoi` does for the values heartbeat sends (leading white space, an
/// optional `+`, digits, stop at the first other character). `None` when no digit is found,
/// for a minus sign, or on overflow.
pub fn parse_dec(text: &str) -> Option<u64> {
    let s = text.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let s = s.strip_prefix('+').unwrap_or(s);
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    s[..digits].parse().ok()
}

pub(super) fn hex_field(msg: &Message, name: &'static str) -> Result<Option<u64>, WireError> {
    match opt_str(msg, name) {
        None => Ok(None),
        Some(v) => parse_hex(v).map(Some).ok_or_else(|| invalid(name, v)),
    }
}

pub(super) fn req_hex(msg: &Message, name: &'static str) -> Result<u64, WireError> {
    hex_field(msg, name)?.ok_or(WireError::MissingField { name })
}

pub(super) fn req_dec(msg: &Message, name: &'static str) -> Result<u64, WireError> {
    let v = req_str(msg, name)?;
    parse_dec(v).ok_or_else(|| invalid(name, v))
}

pub(super) fn invalid(name: &'static str, value: &str) -> WireError {
    WireError::InvalidFieldValue { name, value: value.chars().take(64).collect() }
}

fn uuid_field(msg: &Message, name: &str) -> Option<Uuid> {
    match msg.get(name)? {
        Value::Bin(b) => <[u8; 16]>::try_from(b.as_slice()).ok().map(Uuid),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_like_sscanf() {
        assert_eq!(parse_hex("2a"), Some(42));
        assert_eq!(parse_hex(" 0x2A"), Some(42));
        assert_eq!(parse_hex("6b03d210 trailing"), Some(0x6b03_d210));
        assert_eq!(parse_hex("0xg"), Some(0));
        assert_eq!(parse_hex("g"), None);
        assert_eq!(parse_hex(""), None);
        assert_eq!(parse_hex("-1"), None);
        assert_eq!(parse_hex("1ffffffffffffffff"), None);
    }

    #[test]
    fn dec_like_atoi() {
        assert_eq!(parse_dec("42"), Some(42));
        assert_eq!(parse_dec(" +7x"), Some(7));
        assert_eq!(parse_dec("x"), None);
    }
}
