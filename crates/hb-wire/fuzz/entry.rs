#![allow(dead_code)]
//! Fuzz entry points, shared by the cargo-fuzz targets and the corpus replay test in
//! `crates/hb-wire/tests/fuzz_corpus.rs` (included there with `#[path]`).
//!
//! Each entry decodes arbitrary bytes; when that succeeds it checks that the message
//! re-encodes and decodes to the same message, and runs the full `open` path. Any panic is a
//! bug.

use hb_wire::{
    decode_classic, decode_netstring, encode_classic, encode_netstring, AuthKey, AuthMethod,
    Authenticator,
};

fn lab() -> Option<Authenticator> {
    Authenticator::new(
        1,
        vec![AuthKey { index: 1, method: AuthMethod::Sha1, secret: b"la-lab-secret".to_vec() }],
    )
    .ok()
}

/// Netstring decoder: a decoded body re-encodes to exactly the input's body bytes.
pub fn netstring(data: &[u8]) {
    if let Some(auth) = lab() {
        let _ = auth.open(data);
    }
    let Ok(decoded) = decode_netstring(data) else {
        return;
    };
    let body = match encode_netstring(&decoded.message) {
        Ok(b) => b,
        Err(e) => panic!("decoded netstring message does not re-encode: {e}"),
    };
    assert!(data.starts_with(&body), "re-encoded body differs from input");
    let _ = hb_wire::msgs::parse(&decoded.message);
}

/// Classic decoder: a decoded message re-encodes and decodes to the same message.
pub fn classic(data: &[u8]) {
    if let Some(auth) = lab() {
        let _ = auth.open(data);
    }
    let Ok(decoded) = decode_classic(data) else {
        return;
    };
    let text = match encode_classic(&decoded.message) {
        Ok(t) => t,
        Err(e) => panic!("decoded classic message does not re-encode: {e}"),
    };
    match decode_classic(&text) {
        Ok(again) => assert_eq!(again.message, decoded.message, "classic round trip differs"),
        Err(e) => panic!("re-encoded classic message does not decode: {e}"),
    }
    let _ = hb_wire::msgs::parse(&decoded.message);
}
