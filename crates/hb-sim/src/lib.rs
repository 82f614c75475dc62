//! Deterministic N-node simulator for `hb-core` with fault injection and invariant checkers.
