//! Typed views of heartbeat protocol messages (spec §4, §5), built on [`Message`](crate::Message).
