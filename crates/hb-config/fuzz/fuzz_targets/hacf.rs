//! Fuzz target: arbitrary bytes as `hacf`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hb_config::fuzzing::hacf(data));
