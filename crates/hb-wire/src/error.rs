//! The crate's one error type.

/// Everything that can go wrong while decoding, encoding, signing or verifying a message.
/// Decoding errors carry the byte offset (from the start of the datagram) where the problem
/// was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The datagram or encoded message is larger than heartbeat's `MAXMSG`.
    #[error("message of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Actual size.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The datagram starts with neither `###\n` (netstring) nor `>>>\n` (classic).
    #[error("unknown framing: datagram starts with neither \"###\\n\" nor \">>>\\n\"")]
    UnknownFraming,
    /// A netstring (a field, a list element or the trailer) is malformed.
    #[error("malformed netstring at offset {offset}: {reason}")]
    MalformedNetstring {
        /// Byte offset of the netstring's first byte.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// A classic-format line is malformed.
    #[error("malformed classic line at offset {offset}: {reason}")]
    MalformedLine {
        /// Byte offset of the line's first byte.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// The classic `<<<\n` end marker or the netstring `%%%\n` end marker is missing.
    #[error("message end marker missing (offset {offset})")]
    MissingEndMarker {
        /// Offset where the input ended.
        offset: usize,
    },
    /// Bytes follow the end of the message.
    #[error("{count} unexpected trailing bytes at offset {offset}")]
    TrailingBytes {
        /// Offset of the first unexpected byte.
        offset: usize,
        /// How many bytes follow.
        count: usize,
    },
    /// A field's `(N)` type code is not one this codec understands.
    #[error("unknown field type {code} at offset {offset}")]
    UnknownFieldType {
        /// The type digit.
        code: u8,
        /// Offset of the field.
        offset: usize,
    },
    /// The message uses heartbeat's compression (`_compressed_payload` or a type-4 field).
    #[error("compressed message or field at offset {offset}: compression is unsupported")]
    CompressionUnsupported {
        /// Offset of the compressed field (0 if detected after parsing).
        offset: usize,
    },
    /// A field name is empty, contains `=`, a newline or NUL, or starts with `(`.
    #[error("invalid field name at offset {offset}")]
    InvalidFieldName {
        /// Offset of the field (0 when encoding).
        offset: usize,
    },
    /// A string value contains a NUL byte.
    #[error("string value of field {name:?} contains a NUL byte")]
    NulInString {
        /// Field name.
        name: String,
    },
    /// A list element is empty or contains NUL or a newline (heartbeat cannot represent it).
    #[error("invalid list element in field {name:?}")]
    InvalidListElement {
        /// Field name.
        name: String,
    },
    /// A binary value is not valid canonical base64.
    #[error("invalid base64 value at offset {offset}")]
    InvalidBase64 {
        /// Offset of the line.
        offset: usize,
    },
    /// Nested messages deeper than heartbeat's `MAXDEPTH`.
    #[error("nesting deeper than {max} levels")]
    NestingTooDeep {
        /// Limit.
        max: usize,
    },
    /// More fields than this codec accepts in one message.
    #[error("more than {max} fields in one message")]
    TooManyFields {
        /// Limit.
        max: usize,
    },
    /// A nested message cannot be written in classic form because it already contains the
    /// byte its depth uses to replace newlines.
    #[error("nested message of field {name:?} contains its depth separator byte {byte:#04x}")]
    SeparatorInStruct {
        /// Field name.
        name: String,
        /// The separator byte.
        byte: u8,
    },
    /// A netstring datagram has no auth trailer after `%%%\n`.
    #[error("netstring auth trailer missing")]
    MissingTrailer,
    /// A classic datagram has no `auth` field.
    #[error("auth field missing")]
    MissingAuthField,
    /// The auth trailer or `auth` field is not `"<index> <hex digest>"`.
    #[error("malformed auth string: {reason}")]
    MalformedAuth {
        /// What was wrong.
        reason: &'static str,
    },
    /// The message names a key index that is not configured.
    #[error("unknown auth key index {index}")]
    UnknownKeyIndex {
        /// The index named in the message.
        index: u32,
    },
    /// The digest does not match.
    #[error("bad digest for key {index} ({method})")]
    BadDigest {
        /// Key index used.
        index: u8,
        /// Method of that key.
        method: crate::AuthMethod,
    },
    /// A configured key index is outside 0..=15.
    #[error("auth key index {index} out of range 0..=15")]
    KeyIndexOutOfRange {
        /// The index.
        index: u8,
    },
    /// Two configured keys have the same index.
    #[error("auth key index {index} defined twice")]
    DuplicateKeyIndex {
        /// The index.
        index: u8,
    },
    /// The signing index has no configured key.
    #[error("signing key index {index} is not defined")]
    SigningKeyMissing {
        /// The index.
        index: u8,
    },
    /// An md5 or sha1 key has an empty secret.
    #[error("auth key {index} ({method}) needs a secret")]
    EmptySecret {
        /// The index.
        index: u8,
        /// The method.
        method: crate::AuthMethod,
    },
    /// A typed view found the wrong message type.
    #[error("expected message type {expected:?}, found {found:?}")]
    WrongMessageType {
        /// What the view parses.
        expected: &'static str,
        /// What the message says (empty if absent).
        found: String,
    },
    /// A typed view misses a required field.
    #[error("field {name:?} missing or not a string")]
    MissingField {
        /// Field name.
        name: &'static str,
    },
    /// A typed view found a field value it cannot interpret.
    #[error("field {name:?} has invalid value {value:?}")]
    InvalidFieldValue {
        /// Field name.
        name: &'static str,
        /// The offending value (lossy UTF-8, truncated).
        value: String,
    },
}
