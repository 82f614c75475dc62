//! Parsers for heartbeat 3.0.6's configuration files (`ha.cf`, `haresources`, `authkeys`) into
//! typed values. No daemon state, no network: only files in, typed config or precise errors out.
