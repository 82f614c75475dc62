//! Scenario tests: inputs in, outputs expected, through the in-memory harness.

mod failover;
mod harness;
mod legacy;
mod partition;
mod sequencing;
mod standby;
mod startup;
mod three_nodes;
