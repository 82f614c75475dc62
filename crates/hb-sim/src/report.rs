//! What a run returns: figures on success, a replayable failure report otherwise.

use std::fmt;

use crate::time::SimTime;

/// Figures of a run that upheld every invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    /// The seed.
    pub seed: u64,
    /// Hash over every processed event; equal for equal seeds.
    pub trace_hash: u64,
    /// Number of events in the trace.
    pub events: u64,
    /// Simulated time of the run, ms.
    pub sim_ms: u64,
    /// Sum over nodes of simulated time alive, ms.
    pub node_ms: u64,
    /// Datagrams handed to engines after verification.
    pub delivered: u64,
    /// Datagrams the authenticator rejected (corrupted, forged, garbage).
    pub rejected: u64,
    /// Per-checker count of non-vacuous judgements.
    pub checks: Vec<(&'static str, u64)>,
}

/// An invariant violation (or a runaway engine), with everything needed to replay it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The seed.
    pub seed: u64,
    /// Which checker (or `runaway`).
    pub invariant: &'static str,
    /// When it was detected.
    pub at: SimTime,
    /// What was wrong.
    pub detail: String,
    /// The command that replays this run.
    pub replay: String,
    /// The last trace lines before the violation.
    pub tail: Vec<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invariant {} violated at {} (seed {}):", self.invariant, self.at, self.seed)?;
        writeln!(f, "  {}", self.detail)?;
        writeln!(f, "  replay: {}", self.replay)?;
        if !self.tail.is_empty() {
            writeln!(f, "  last events:")?;
            for line in &self.tail {
                writeln!(f, "    {line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}
