//! Netstring format (spec §2.2): `###\n`, one `len:(N)name=value,` per field, `%%%\n`, then
//! the auth trailer `len:N hex,`.

use crate::limits::{
    check_name, check_value, name_from_wire, netstring_at, pack_list, unpack_list, MAX_DEPTH,
    MAX_FIELDS,
};
use crate::{Field, Message, Value, WireError};

pub(crate) const START: &[u8] = b"###\n";
pub(crate) const END: &[u8] = b"%%%\n";

/// A decoded netstring datagram, borrowing the signed body and the trailer content.
pub(crate) struct Parsed<'a> {
    pub(crate) message: Message,
    /// `###\n` … `%%%\n` inclusive: the bytes the trailer digest covers.
    pub(crate) body: &'a [u8],
    /// Content of the trailer netstring (`N hex`), if present.
    pub(crate) trailer: Option<&'a [u8]>,
}

/// Decodes a whole datagram. Rejects anything after the trailer.
pub(crate) fn decode(datagram: &[u8]) -> Result<Parsed<'_>, WireError> {
    let (message, body_end) = parse_message(datagram, 0, 0)?;
    let body = &datagram[..body_end];
    if body_end == datagram.len() {
        return Ok(Parsed { message, body, trailer: None });
    }
    let (trailer, end) = netstring_at(datagram, body_end, 0)?;
    if end != datagram.len() {
        return Err(WireError::TrailingBytes { offset: end, count: datagram.len() - end });
    }
    Ok(Parsed { message, body, trailer: Some(trailer) })
}

/// Parses `###\n … %%%\n` at the start of `buf` (which sits at `base` in the datagram) and
/// returns the message and the number of bytes consumed.
fn parse_message(buf: &[u8], base: usize, depth: usize) -> Result<(Message, usize), WireError> {
    if !buf.starts_with(START) {
        return Err(WireError::UnknownFraming);
    }
    let mut msg = Message::new();
    let mut pos = START.len();
    loop {
        if buf[pos..].starts_with(END) {
            return Ok((msg, pos + END.len()));
        }
        if pos >= buf.len() {
            return Err(WireError::MissingEndMarker { offset: base + pos });
        }
        if msg.len() >= MAX_FIELDS {
            return Err(WireError::TooManyFields { max: MAX_FIELDS });
        }
        let (content, next) = netstring_at(buf, pos, base)?;
        let content_base = base + next - 1 - content.len();
        msg.push_field(parse_field(content, content_base, depth)?);
        pos = next;
    }
}

fn parse_field(content: &[u8], base: usize, depth: usize) -> Result<Field, WireError> {
    let malformed = |reason| WireError::MalformedNetstring { offset: base, reason };
    let code = match content {
        [b'(', d, b')', ..] if d.is_ascii_digit() => d - b'0',
        _ => return Err(malformed("field does not start with (N)")),
    };
    let rest = &content[3..];
    let eq = rest.iter().position(|&b| b == b'=').ok_or(malformed("field has no '='"))?;
    let name = name_from_wire(&rest[..eq], base)?;
    let raw = &rest[eq + 1..];
    let value_base = base + 3 + eq + 1;
    let value = match code {
        0 => {
            if raw.contains(&0) {
                return Err(WireError::NulInString { name });
            }
            Value::Str(raw.to_vec())
        }
        1 => Value::Bin(raw.to_vec()),
        2 => {
            if depth >= MAX_DEPTH {
                return Err(WireError::NestingTooDeep { max: MAX_DEPTH });
            }
            let (child, used) = parse_message(raw, value_base, depth + 1)?;
            if used != raw.len() {
                return Err(WireError::TrailingBytes {
                    offset: value_base + used,
                    count: raw.len() - used,
                });
            }
            Value::Struct(child)
        }
        3 => Value::List(unpack_list(raw, value_base)?),
        4 => return Err(WireError::CompressionUnsupported { offset: base }),
        code => return Err(WireError::UnknownFieldType { code, offset: base }),
    };
    Ok(Field { name, value })
}

/// Appends `###\n` + fields + `%%%\n` (no trailer).
pub(crate) fn encode_body(msg: &Message, depth: usize, out: &mut Vec<u8>) -> Result<(), WireError> {
    if msg.len() > MAX_FIELDS {
        return Err(WireError::TooManyFields { max: MAX_FIELDS });
    }
    out.extend_from_slice(START);
    let mut scratch = Vec::new();
    for field in msg.fields() {
        check_name(&field.name)?;
        check_value(&field.name, &field.value)?;
        scratch.clear();
        let value: &[u8] = match &field.value {
            Value::Str(v) | Value::Bin(v) => v,
            Value::Struct(child) => {
                if depth >= MAX_DEPTH {
                    return Err(WireError::NestingTooDeep { max: MAX_DEPTH });
                }
                encode_body(child, depth + 1, &mut scratch)?;
                &scratch
            }
            Value::List(items) => {
                pack_list(items, &mut scratch);
                &scratch
            }
        };
        let len = 3 + field.name.len() + 1 + value.len();
        out.extend_from_slice(len.to_string().as_bytes());
        out.extend_from_slice(&[b':', b'(', b'0' + field.value.type_code(), b')']);
        out.extend_from_slice(field.name.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value);
        out.push(b',');
    }
    out.extend_from_slice(END);
    Ok(())
}

/// Appends the auth trailer netstring for `auth` (`N hex`).
pub(crate) fn encode_trailer(auth: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(auth.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(auth);
    out.push(b',');
}
