//! The heartbeat-rs daemon: command line, pid file, control of a running daemon (`-k`, `-s`,
//! `-r`), the admin API server, and the run loop that ties the engine (`hb-core`) to the
//! network, addresses and scripts (`hb-platform`).

pub mod actions;
pub mod addrwatch;
pub mod admin;
pub mod alert;
pub mod arbiter;
pub mod arbiter_report;
pub mod cli;
pub mod cloud;
pub mod control;
pub mod daemon;
pub mod fence;
pub mod guardian;
pub mod health;
pub mod keepalived_cli;
pub mod keepalived_fork;
pub mod mailto;
pub mod metrics;
pub mod notify;
pub mod own_echo;
pub mod pidfile;
pub mod ping;
pub mod realtime;
pub mod reload_check;
pub mod report;
pub mod setup;
pub mod vrrp;
pub mod watchdog;
