//! Fuzz target: arbitrary bytes as `arbiter.conf`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hb_config::fuzzing::arbiter_conf(data));
