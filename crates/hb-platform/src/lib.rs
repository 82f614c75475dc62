//! The only layer of heartbeat-rs that touches the operating system: UDP media, addresses,
//! gratuitous ARP, resource scripts, persistent state and logging.
