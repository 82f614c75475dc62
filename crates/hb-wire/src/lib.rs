//! Heartbeat 3.0.6 wire codec and authentication. No I/O, no clock, no other workspace crate.
//!
//! Contract: [`Authenticator::open`] turns a received UDP payload (either framing: netstring
//! `###\n…` as 3.0.6 with cluster-glue 1.0.12 sends, or classic `>>>\n…`) into a
//! [`Verified`] message or a typed [`WireError`]; it is the only way to get a `Verified`.
//! [`Authenticator::seal`] produces the exact bytes a 3.0.6 node would send for a
//! [`Message`]. Inputs are bounded ([`MAX_MESSAGE_SIZE`], [`MAX_DEPTH`], [`MAX_FIELDS`]) and
//! every length is checked against the input before it is used, so hostile datagrams cannot
//! cause large allocations or panics. The free functions [`decode`], [`encode_netstring`] and
//! [`encode_classic`] work without authentication (diagnostics, fuzzing, tests).
//! [`msgs`] holds typed views of the protocol's messages.

mod auth;
mod authenticator;
mod base64;
mod classic;
mod error;
mod limits;
mod message;
pub mod msgs;
mod netstring;

pub use auth::{AuthKey, AuthMethod, MAX_KEY_INDEX};
pub use authenticator::{Authenticator, Verified, WireFormat};
pub use error::WireError;
pub use limits::{MAX_DEPTH, MAX_FIELDS, MAX_MESSAGE_SIZE};
pub use message::{Field, Message, Value};

/// An unauthenticated decode of a datagram (for diagnostics; never trust its content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The framing used.
    pub format: WireFormat,
    /// The fields.
    pub message: Message,
    /// The netstring auth trailer content (`N hex`), if any; always `None` for classic.
    pub trailer: Option<Vec<u8>>,
}

/// Decodes a datagram of either format without checking authentication.
pub fn decode(datagram: &[u8]) -> Result<Decoded, WireError> {
    check_len(datagram)?;
    match WireFormat::detect(datagram) {
        Some(WireFormat::Netstring) => decode_netstring(datagram),
        Some(WireFormat::Classic) => decode_classic(datagram),
        None => Err(WireError::UnknownFraming),
    }
}

/// Decodes a netstring datagram (`###\n…%%%\n` + optional trailer) without verifying it.
pub fn decode_netstring(datagram: &[u8]) -> Result<Decoded, WireError> {
    check_len(datagram)?;
    let parsed = netstring::decode(datagram)?;
    Ok(Decoded {
        format: WireFormat::Netstring,
        message: parsed.message,
        trailer: parsed.trailer.map(<[u8]>::to_vec),
    })
}

/// Decodes a classic datagram (`>>>\n…<<<\n`, optional NUL) without verifying it.
pub fn decode_classic(datagram: &[u8]) -> Result<Decoded, WireError> {
    check_len(datagram)?;
    Ok(Decoded { format: WireFormat::Classic, message: classic::decode(datagram)?, trailer: None })
}

/// Encodes `msg` as a netstring body `###\n…%%%\n`, without trailer and without adding an
/// `auth` field.
pub fn encode_netstring(msg: &Message) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::new();
    netstring::encode_body(msg, 0, &mut out)?;
    check_len(&out)?;
    Ok(out)
}

/// Encodes `msg` as classic text `>>>\n…<<<\n` followed by a NUL, without adding an `auth`
/// field.
pub fn encode_classic(msg: &Message) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::new();
    classic::encode_message(msg, 0, &mut out)?;
    out.push(0);
    check_len(&out)?;
    Ok(out)
}

fn check_len(bytes: &[u8]) -> Result<(), WireError> {
    if bytes.len() > MAX_MESSAGE_SIZE {
        Err(WireError::TooLarge { len: bytes.len(), max: MAX_MESSAGE_SIZE })
    } else {
        Ok(())
    }
}
