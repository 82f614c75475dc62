//! Fuzz target: arbitrary bytes as `haresources`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hb_config::fuzzing::haresources(data));
