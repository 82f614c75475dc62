//! Heartbeat 3.0.6 wire codec and authentication. No I/O, no clock.
