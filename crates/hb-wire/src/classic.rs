//! Classic ("nvpair") format (spec §2.1): `>>>\n`, one `[(N)]name=value\n` line per field,
//! `<<<\n`, and a NUL when sent over UDP. Also the text classic authentication hashes (§3.3).

use crate::limits::{
    check_name, check_value, name_from_wire, pack_list, unpack_list, MAX_DEPTH, MAX_FIELDS,
};
use crate::{base64, Field, Message, Value, WireError};

pub(crate) const START: &[u8] = b">>>\n";
const END_LINE: &[u8] = b"<<<";
const END: &[u8] = b"<<<\n";
/// Newlines inside string values travel as this byte.
const NEWLINE_ESCAPE: u8 = 0x13;
/// The byte replacing newlines in the text of a nested message, by the depth of the message
/// holding the struct field (cluster-glue's table).
const STRUCT_SEPARATORS: [u8; MAX_DEPTH] =
    [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 15, 16, 17, 18];

/// Decodes a whole classic datagram; one trailing NUL is accepted.
pub(crate) fn decode(datagram: &[u8]) -> Result<Message, WireError> {
    let (msg, used) = parse_message(datagram, 0, 0)?;
    let rest = &datagram[used..];
    if rest.is_empty() || rest == [0] {
        Ok(msg)
    } else {
        Err(WireError::TrailingBytes { offset: used, count: rest.len() })
    }
}

fn parse_message(buf: &[u8], base: usize, depth: usize) -> Result<(Message, usize), WireError> {
    if !buf.starts_with(START) {
        return Err(WireError::UnknownFraming);
    }
    let mut msg = Message::new();
    let mut pos = START.len();
    loop {
        let nl = buf[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(WireError::MissingEndMarker { offset: base + pos })?;
        let line = &buf[pos..pos + nl];
        let next = pos + nl + 1;
        if line == END_LINE {
            return Ok((msg, next));
        }
        if !line.is_empty() {
            if msg.len() >= MAX_FIELDS {
                return Err(WireError::TooManyFields { max: MAX_FIELDS });
            }
            msg.push_field(parse_line(line, base + pos, depth)?);
        }
        pos = next;
    }
}

fn parse_line(line: &[u8], base: usize, depth: usize) -> Result<Field, WireError> {
    let malformed = |reason| WireError::MalformedLine { offset: base, reason };
    let eq = line.iter().position(|&b| b == b'=').ok_or(malformed("line has no '='"))?;
    let (code, name_start) = match line {
        [b'(', d, b')', ..] if d.is_ascii_digit() && eq >= 3 => (d - b'0', 3),
        [b'(', ..] => return Err(malformed("bad (N) type prefix")),
        _ => (0, 0),
    };
    if name_start == 3 && code == 0 {
        return Err(malformed("string fields must not carry a (0) prefix"));
    }
    let name = name_from_wire(&line[name_start..eq], base)?;
    let raw = &line[eq + 1..];
    let value_base = base + eq + 1;
    let value = match code {
        0 => {
            if raw.contains(&0) {
                return Err(WireError::NulInString { name });
            }
            Value::Str(raw.iter().map(|&b| if b == NEWLINE_ESCAPE { b'\n' } else { b }).collect())
        }
        1 => {
            Value::Bin(base64::decode(raw).ok_or(WireError::InvalidBase64 { offset: value_base })?)
        }
        2 => {
            if depth >= MAX_DEPTH {
                return Err(WireError::NestingTooDeep { max: MAX_DEPTH });
            }
            let sep = STRUCT_SEPARATORS[depth];
            let text: Vec<u8> = raw.iter().map(|&b| if b == sep { b'\n' } else { b }).collect();
            let (child, used) = parse_message(&text, value_base, depth + 1)?;
            if used != text.len() {
                return Err(WireError::TrailingBytes {
                    offset: value_base + used,
                    count: text.len() - used,
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

/// Appends the field lines of `msg` (no `>>>`/`<<<`), skipping fields named `auth` when
/// `skip_auth` is set: with it, this is exactly the text classic authentication hashes.
pub(crate) fn encode_fields(
    msg: &Message,
    depth: usize,
    skip_auth: bool,
    out: &mut Vec<u8>,
) -> Result<(), WireError> {
    if msg.len() > MAX_FIELDS {
        return Err(WireError::TooManyFields { max: MAX_FIELDS });
    }
    for field in msg.fields() {
        if skip_auth && field.name == "auth" {
            continue;
        }
        check_name(&field.name)?;
        check_value(&field.name, &field.value)?;
        let code = field.value.type_code();
        if code != 0 {
            out.extend_from_slice(&[b'(', b'0' + code, b')']);
        }
        out.extend_from_slice(field.name.as_bytes());
        out.push(b'=');
        match &field.value {
            Value::Str(s) => {
                out.extend(s.iter().map(|&b| if b == b'\n' { NEWLINE_ESCAPE } else { b }))
            }
            Value::Bin(b) => base64::encode_into(b, out),
            Value::Struct(child) => {
                if depth >= MAX_DEPTH {
                    return Err(WireError::NestingTooDeep { max: MAX_DEPTH });
                }
                let sep = STRUCT_SEPARATORS[depth];
                let mut text = Vec::new();
                encode_message(child, depth + 1, &mut text)?;
                if text.contains(&sep) {
                    return Err(WireError::SeparatorInStruct {
                        name: field.name.clone(),
                        byte: sep,
                    });
                }
                out.extend(text.iter().map(|&b| if b == b'\n' { sep } else { b }));
            }
            Value::List(items) => pack_list(items, out),
        }
        out.push(b'\n');
    }
    Ok(())
}

/// Appends `>>>\n` + field lines + `<<<\n` (no NUL).
pub(crate) fn encode_message(
    msg: &Message,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), WireError> {
    out.extend_from_slice(START);
    encode_fields(msg, depth, false, out)?;
    out.extend_from_slice(END);
    Ok(())
}
