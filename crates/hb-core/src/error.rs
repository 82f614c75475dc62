//! The engine's error type (configuration problems only; runtime input is never an error).

/// Why an [`crate::EngineConfig`] was rejected.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreError {
    /// Zero or more than [`crate::config::MAX_NODES`] nodes.
    #[error("cluster must have 1..=100 nodes, got {0}")]
    NodeCount(usize),
    /// `local_node` is not in `nodes`.
    #[error("local node {0:?} is not among the configured nodes")]
    LocalNodeMissing(String),
    /// Empty, too long or duplicate node name.
    #[error("bad or duplicate node name {0:?}")]
    BadNodeName(String),
    /// Zero or too many media.
    #[error("need 1..=64 media, got {0}")]
    LinkCount(usize),
    /// Too many groups.
    #[error("too many resource groups: {0}")]
    GroupCount(usize),
    /// A group names a node that is not configured.
    #[error("resource group {0:?} names an unknown node")]
    UnknownPreferredNode(String),
    /// Timer relations heartbeat refuses.
    #[error("bad timing: {0}")]
    Timing(&'static str),
    /// A reload changes something that needs a restart.
    #[error("cannot reload: {0}")]
    Reload(&'static str),
    /// A reload must wait: something is in flux.
    #[error("cannot reload now: {0}")]
    Busy(&'static str),
}
