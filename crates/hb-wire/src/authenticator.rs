//! Signing and verification of whole datagrams (spec §3.3, §3.4).

use crate::auth::{AuthKey, AuthMethod, MAX_KEY_INDEX};
use crate::limits::{COMPRESSED_FIELD, MAX_MESSAGE_SIZE};
use crate::{classic, netstring, Message, Value, WireError};

/// Which of the two framings a datagram used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireFormat {
    /// `###\n` … `%%%\n` + auth trailer (what 3.0.6 with cluster-glue 1.0.12 sends).
    Netstring,
    /// `>>>\n` … `<<<\n` with an `auth` field (older senders, serial links).
    Classic,
}

impl WireFormat {
    /// Detects the framing from the first four bytes.
    pub fn detect(datagram: &[u8]) -> Option<WireFormat> {
        if datagram.starts_with(netstring::START) {
            Some(WireFormat::Netstring)
        } else if datagram.starts_with(classic::START) {
            Some(WireFormat::Classic)
        } else {
            None
        }
    }
}

/// Holds the `authkeys` keys: one index signs, all indices verify.
#[derive(Clone, Debug)]
pub struct Authenticator {
    sign_index: u8,
    keys: [Option<AuthKey>; (MAX_KEY_INDEX as usize) + 1],
}

/// A message whose authentication was checked. Only [`Authenticator::open`] creates one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    message: Message,
    key_index: u8,
    format: WireFormat,
}

impl Verified {
    /// The verified message.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The key index the datagram was verified with.
    pub fn key_index(&self) -> u8 {
        self.key_index
    }

    /// The framing the datagram used.
    pub fn format(&self) -> WireFormat {
        self.format
    }

    /// Gives up the proof of verification and returns the message.
    pub fn into_message(self) -> Message {
        self.message
    }
}

impl std::ops::Deref for Verified {
    type Target = Message;

    fn deref(&self) -> &Message {
        &self.message
    }
}

impl Authenticator {
    /// Builds an authenticator signing with `sign_index`. Fails if an index is above 15 or
    /// defined twice, the signing index is not defined, or an md5/sha1 key has no secret.
    pub fn new(sign_index: u8, keys: Vec<AuthKey>) -> Result<Authenticator, WireError> {
        let mut table: [Option<AuthKey>; (MAX_KEY_INDEX as usize) + 1] = Default::default();
        for key in keys {
            let slot = table
                .get_mut(usize::from(key.index))
                .ok_or(WireError::KeyIndexOutOfRange { index: key.index })?;
            if slot.is_some() {
                return Err(WireError::DuplicateKeyIndex { index: key.index });
            }
            if key.method != AuthMethod::Crc && key.secret.is_empty() {
                return Err(WireError::EmptySecret { index: key.index, method: key.method });
            }
            *slot = Some(key);
        }
        if table.get(usize::from(sign_index)).is_none_or(|k| k.is_none()) {
            return Err(WireError::SigningKeyMissing { index: sign_index });
        }
        Ok(Authenticator { sign_index, keys: table })
    }

    /// The signing key index.
    pub fn sign_index(&self) -> u8 {
        self.sign_index
    }

    /// The key configured at `index`, if any.
    pub fn key(&self, index: u8) -> Option<&AuthKey> {
        self.keys.get(usize::from(index))?.as_ref()
    }

    fn signing_key(&self) -> Result<&AuthKey, WireError> {
        self.key(self.sign_index).ok_or(WireError::SigningKeyMissing { index: self.sign_index })
    }

    /// Encodes as a 3.0.6 + cluster-glue 1.0.12 node does: netstring format, classic-style
    /// inner `auth` field appended as the last body field, then the netstring auth trailer.
    /// Any `auth` field already in `msg` is dropped and replaced by the new last one.
    pub fn seal(&self, msg: &Message) -> Result<Vec<u8>, WireError> {
        let key = self.signing_key()?;
        let signed = self.with_inner_auth(msg, key)?;
        let mut out = Vec::with_capacity(512);
        netstring::encode_body(&signed, 0, &mut out)?;
        let auth = auth_string(key, &out);
        netstring::encode_trailer(&auth, &mut out);
        check_size(out.len())?;
        Ok(out)
    }

    /// Encodes in classic format with the `auth` field as last line and the trailing NUL,
    /// as heartbeat before cluster-glue 1.0.10 sent over UDP.
    pub fn seal_classic(&self, msg: &Message) -> Result<Vec<u8>, WireError> {
        let key = self.signing_key()?;
        let signed = self.with_inner_auth(msg, key)?;
        let mut out = Vec::with_capacity(512);
        classic::encode_message(&signed, 0, &mut out)?;
        out.push(0);
        check_size(out.len())?;
        Ok(out)
    }

    /// Decodes either format (chosen by the first four bytes) and verifies it: the trailer
    /// for netstring, the `auth` field for classic. The only way to obtain a [`Verified`].
    ///
    /// The key is the one of the index named in the datagram (heartbeat itself uses its own
    /// signing key with the named index's method on the netstring path; with one key, the
    /// normal case, both agree). Compressed messages are rejected after verification.
    pub fn open(&self, datagram: &[u8]) -> Result<Verified, WireError> {
        check_size(datagram.len())?;
        let (message, key_index, format) = match WireFormat::detect(datagram) {
            Some(WireFormat::Netstring) => {
                let parsed = netstring::decode(datagram)?;
                let trailer = parsed.trailer.ok_or(WireError::MissingTrailer)?;
                let index = self.check(trailer, parsed.body)?;
                (parsed.message, index, WireFormat::Netstring)
            }
            Some(WireFormat::Classic) => {
                let message = classic::decode(datagram)?;
                let auth = match message.get("auth") {
                    Some(Value::Str(s)) => s.as_slice(),
                    Some(_) => {
                        return Err(WireError::MalformedAuth {
                            reason: "auth field is not a string",
                        })
                    }
                    None => return Err(WireError::MissingAuthField),
                };
                let mut text = Vec::with_capacity(datagram.len());
                classic::encode_fields(&message, 0, true, &mut text)?;
                let index = self.check(auth, &text)?;
                (message, index, WireFormat::Classic)
            }
            None => return Err(WireError::UnknownFraming),
        };
        if message.get(COMPRESSED_FIELD).is_some() {
            return Err(WireError::CompressionUnsupported { offset: 0 });
        }
        Ok(Verified { message, key_index, format })
    }

    /// Verifies `auth` ("N hex") over `data`; returns the key index.
    fn check(&self, auth: &[u8], data: &[u8]) -> Result<u8, WireError> {
        let (index, token) = split_auth(auth)?;
        let key = u8::try_from(index)
            .ok()
            .and_then(|i| self.key(i))
            .ok_or(WireError::UnknownKeyIndex { index })?;
        if key.verify(data, token) {
            Ok(key.index)
        } else {
            Err(WireError::BadDigest { index: key.index, method: key.method })
        }
    }

    fn with_inner_auth(&self, msg: &Message, key: &AuthKey) -> Result<Message, WireError> {
        let mut signed = msg.clone();
        signed.remove_all("auth");
        let mut text = Vec::with_capacity(512);
        classic::encode_fields(&signed, 0, false, &mut text)?;
        let auth = auth_string(key, &text);
        signed.push("auth", Value::Str(auth));
        Ok(signed)
    }
}

/// `"<index> <hex>"` for the digest of `data`.
fn auth_string(key: &AuthKey, data: &[u8]) -> Vec<u8> {
    let digest = key.digest(data);
    let mut s = key.index.to_string().into_bytes();
    s.push(b' ');
    s.extend_from_slice(digest.as_bytes());
    s
}

/// Splits "N hex" as heartbeat's `sscanf("%d %s")` would for well-formed input.
pub(crate) fn split_auth(auth: &[u8]) -> Result<(u32, &[u8]), WireError> {
    let space = auth
        .iter()
        .position(|&b| b == b' ')
        .ok_or(WireError::MalformedAuth { reason: "no space between index and digest" })?;
    let (num, token) = (&auth[..space], &auth[space + 1..]);
    if num.is_empty() || num.len() > 3 || !num.iter().all(u8::is_ascii_digit) {
        return Err(WireError::MalformedAuth { reason: "key index is not a decimal number" });
    }
    if token.is_empty() || !token.iter().all(u8::is_ascii_hexdigit) {
        return Err(WireError::MalformedAuth { reason: "digest is not hexadecimal" });
    }
    let index = num.iter().fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
    Ok((index, token))
}

fn check_size(len: usize) -> Result<(), WireError> {
    if len > MAX_MESSAGE_SIZE {
        Err(WireError::TooLarge { len, max: MAX_MESSAGE_SIZE })
    } else {
        Ok(())
    }
}
