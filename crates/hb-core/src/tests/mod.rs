//! Scenario tests: inputs in, outputs expected, through the in-memory harness.

mod failover;
mod harness;
mod startup;
