//! The sans-IO cluster engine of heartbeat-rs: membership, failure detection and resource-group
//! ownership as a pure state machine. Time is passed in, randomness comes from a seed.
