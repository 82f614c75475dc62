//! Scenario tests: inputs in, outputs expected, through the in-memory harness.

mod arbitration;
mod capture;
mod echo;
mod failover;
pub(crate) mod harness;
mod health_restart;
mod lease;
mod lease_sim;
pub(crate) mod lease_store;
mod legacy;
mod misc;
mod partition;
mod robustness;
mod sequencing;
mod standby;
mod startup;
mod three_nodes;
