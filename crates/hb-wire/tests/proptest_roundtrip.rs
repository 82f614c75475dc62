//! Property: for arbitrary representable messages, encode → decode gives the message back and
//! encode → decode → encode gives the same bytes, in both formats; sealed messages open.

mod common;

use hb_wire::{decode, encode_classic, encode_netstring, AuthMethod, Field, Message, Value};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_-]{0,8}"
}

/// Printable text and newlines: representable in both formats (no NUL, no 0x13, none of the
/// struct separator bytes).
fn text() -> impl Strategy<Value = Vec<u8>> {
    "[ -~\n]{0,24}".prop_map(String::into_bytes)
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(Value::Str),
        proptest::collection::vec(any::<u8>(), 0..24).prop_map(Value::Bin),
        proptest::collection::vec("[ -~]{1,8}".prop_map(String::into_bytes), 0..4)
            .prop_map(Value::List),
    ]
}

fn message_with(value: BoxedStrategy<Value>) -> impl Strategy<Value = Message> {
    proptest::collection::vec((name(), value), 1..8)
        .prop_map(|fields| fields.into_iter().map(|(name, value)| Field { name, value }).collect())
}

fn message() -> impl Strategy<Value = Message> {
    let value = leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            3 => inner.clone(),
            1 => message_with(inner.boxed()).prop_map(Value::Struct),
        ]
    });
    message_with(value.boxed())
}

proptest! {
    #[test]
    fn netstring_round_trip(m in message()) {
        let bytes = encode_netstring(&m).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded = decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&decoded.message, &m);
        prop_assert_eq!(encode_netstring(&decoded.message).ok(), Some(bytes));
    }

    #[test]
    fn classic_round_trip(m in message()) {
        let bytes = encode_classic(&m).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let decoded = decode(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&decoded.message, &m);
        prop_assert_eq!(encode_classic(&decoded.message).ok(), Some(bytes));
    }

    #[test]
    fn sealed_messages_open(m in message()) {
        let auth = common::lab_auth(AuthMethod::Sha1);
        let mut expected = m.clone();
        while expected.remove("auth").is_some() {}
        for sealed in [auth.seal(&m), auth.seal_classic(&m)] {
            let sealed = sealed.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let opened = auth.open(&sealed).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut got = opened.into_message();
            prop_assert!(got.remove("auth").is_some());
            prop_assert_eq!(got, expected.clone());
        }
    }
}
