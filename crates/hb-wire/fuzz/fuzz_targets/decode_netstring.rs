//! Fuzz target: netstring decoder (`###\n` datagrams) and `Authenticator::open`.
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::netstring(data));
