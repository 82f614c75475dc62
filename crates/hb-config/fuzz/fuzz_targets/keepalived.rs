//! Fuzz target: arbitrary bytes as `keepalived.conf`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hb_config::fuzzing::keepalived(data));
