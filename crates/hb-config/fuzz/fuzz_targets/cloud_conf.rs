//! Fuzz target: arbitrary bytes as `cloud.conf`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hb_config::fuzzing::cloud_conf(data));
