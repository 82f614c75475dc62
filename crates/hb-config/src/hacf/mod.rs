//! `ha.cf`: the typed result of parsing heartbeat 3.0.6's main configuration file.
//!
//! [`parse_hacf`] checks what heartbeat's `config.c` checks (directive names, values, the
//! timer rules, logging consistency, v1-only) and fills in the defaults heartbeat derives.

mod finish;
mod media;
mod options;
mod parse;
mod types;

pub use parse::{parse_hacf, HacfOptions};
pub use types::*;

#[cfg(test)]
mod hacf_test;
