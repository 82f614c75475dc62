//! The heartbeat-rs daemon's pieces: command line, pid file, control of a running daemon
//! (`-k`, `-s`, `-r`) and the admin API server. The engine loop that ties them to `hb-core`
//! and `hb-platform` is not built yet (issue 5).

pub mod admin;
pub mod cli;
pub mod control;
pub mod pidfile;
