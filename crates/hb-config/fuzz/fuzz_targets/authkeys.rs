//! Fuzz target: arbitrary bytes as `authkeys`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hb_config::fuzzing::authkeys(data));
