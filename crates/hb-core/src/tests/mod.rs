//! Scenario tests: inputs in, outputs expected, through the in-memory harness.

mod arbitration;
mod capture;
mod echo;
mod failover;
mod gone;
pub(crate) mod harness;
mod health_restart;
mod lease;
mod lease_sim;
pub(crate) mod lease_store;
mod legacy;
mod misc;
mod partition;
mod robustness;
mod rsfast;
mod sequencing;
mod standby;
mod startup;
mod three_nodes;
