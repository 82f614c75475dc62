//! Limits taken from heartbeat (spec §2.4) and checks shared by both formats.

use crate::{Value, WireError};

/// Largest datagram or encoded message accepted or produced (`MAXMSG`).
pub const MAX_MESSAGE_SIZE: usize = 262_144;
/// Deepest nesting of struct fields (`MAXDEPTH`): the top-level message is depth 0.
pub const MAX_DEPTH: usize = 16;
/// Most fields accepted in one (top-level or nested) message. Heartbeat's own messages have
/// at most 14; the bound keeps a hostile datagram from building huge field tables.
pub const MAX_FIELDS: usize = 1024;

/// Name of the field a compressing sender puts the compressed message in (spec §2.5).
pub(crate) const COMPRESSED_FIELD: &str = "_compressed_payload";

/// Validates a field name read from the wire and returns it as a `String`.
pub(crate) fn name_from_wire(name: &[u8], offset: usize) -> Result<String, WireError> {
    if !name_ok(name) {
        return Err(WireError::InvalidFieldName { offset });
    }
    if name == COMPRESSED_FIELD.as_bytes() {
        return Err(WireError::CompressionUnsupported { offset });
    }
    String::from_utf8(name.to_vec()).map_err(|_| WireError::InvalidFieldName { offset })
}

/// Validates a field name before encoding.
pub(crate) fn check_name(name: &str) -> Result<(), WireError> {
    if name_ok(name.as_bytes()) {
        Ok(())
    } else {
        Err(WireError::InvalidFieldName { offset: 0 })
    }
}

fn name_ok(name: &[u8]) -> bool {
    !name.is_empty() && name[0] != b'(' && !name.iter().any(|&b| b == b'=' || b == b'\n' || b == 0)
}

/// Validates a value before encoding (both formats).
pub(crate) fn check_value(name: &str, value: &Value) -> Result<(), WireError> {
    match value {
        Value::Str(s) if s.contains(&0) => Err(WireError::NulInString { name: name.to_owned() }),
        Value::List(items) if items.iter().any(|i| !list_item_ok(i)) => {
            Err(WireError::InvalidListElement { name: name.to_owned() })
        }
        _ => Ok(()),
    }
}

/// List elements are C strings on one classic line: non-empty, no NUL, no newline.
pub(crate) fn list_item_ok(item: &[u8]) -> bool {
    !item.is_empty() && !item.iter().any(|&b| b == 0 || b == b'\n')
}

/// Appends the `len:bytes,` packing of a string list (spec §2.1, type 3).
pub(crate) fn pack_list(items: &[Vec<u8>], out: &mut Vec<u8>) {
    for item in items {
        out.extend_from_slice(item.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(item);
        out.push(b',');
    }
}

/// Parses a packed string list; `offset` is where `packed` starts in the datagram.
pub(crate) fn unpack_list(packed: &[u8], offset: usize) -> Result<Vec<Vec<u8>>, WireError> {
    let mut items = Vec::new();
    let mut pos = 0;
    while pos < packed.len() {
        let (item, next) = netstring_at(packed, pos, offset)?;
        if !list_item_ok(item) {
            return Err(WireError::MalformedNetstring {
                offset: offset + pos,
                reason: "list element empty or containing NUL or newline",
            });
        }
        if items.len() >= MAX_FIELDS {
            return Err(WireError::TooManyFields { max: MAX_FIELDS });
        }
        items.push(item.to_vec());
        pos = next;
    }
    Ok(items)
}

/// Reads one netstring `len ":" bytes ","` starting at `pos`; returns its content and the
/// position after the `,`. The length is checked against the input before any use, and
/// leading zeros are refused so that re-encoding reproduces the input.
pub(crate) fn netstring_at(
    buf: &[u8],
    pos: usize,
    base: usize,
) -> Result<(&[u8], usize), WireError> {
    let err = |reason| WireError::MalformedNetstring { offset: base + pos, reason };
    let digits = buf[pos..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return Err(err("expected length digits"));
    }
    if digits > 7 || (digits > 1 && buf[pos] == b'0') {
        return Err(err("length too long or with leading zeros"));
    }
    let mut len = 0usize;
    for &d in &buf[pos..pos + digits] {
        len = len * 10 + usize::from(d - b'0');
    }
    let colon = pos + digits;
    if buf.get(colon) != Some(&b':') {
        return Err(err("expected ':' after length"));
    }
    let start = colon + 1;
    let remaining = buf.len() - start;
    if len >= remaining {
        return Err(err("length exceeds the remaining input"));
    }
    if buf[start + len] != b',' {
        return Err(err("expected ',' after content"));
    }
    Ok((&buf[start..start + len], start + len + 1))
}
