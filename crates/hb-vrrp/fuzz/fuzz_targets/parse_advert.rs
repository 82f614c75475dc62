//! Fuzz target: VRRP advert codec round trip, and the engine fed the packet as Backup and
//! as Master.
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::parse_advert(data));
