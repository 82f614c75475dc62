//! Parsers for heartbeat 3.0.6's configuration files (`ha.cf`, `haresources`, `authkeys`) and
//! our optional `monitors` (health checks, see [`monitors`]) into typed values. No daemon state,
//! no network: only files in, typed config or precise errors out.
//!
//! Contract: every value of the returned types is valid as heartbeat 3.0.6 validates it (timer
//! relations, media syntax, key methods, known resource scripts); defaults heartbeat derives are
//! filled in; anything heartbeat accepts but heartbeat-rs ignores is reported as a [`Warning`].
//! Errors name the file, line and column and what was expected ([`ConfigError`]). No input
//! panics. The local node name is the caller's business (check it against [`HaCf::nodes`]).

mod error;
mod text;

pub mod arbiter;
pub mod authkeys;
pub mod cloud;
pub mod fuzzing;
pub mod hacf;
pub mod haresources;
pub mod keepalived;
mod load;
pub mod metrics_cf;
pub mod monitors;
pub mod time;

pub use authkeys::{AuthKey, AuthKeys, AuthMethod, KeyIndex, Secret};
pub use error::{ConfigError, Location, Warning};
pub use hacf::{AutoFailback, HaCf, Medium, Timers};
pub use haresources::{
    Haresources, IpAddrSpec, Resource, ResourceGroup, ResourceKind, ScriptRoots,
};
pub use load::{Config, LoadOptions};
pub use monitors::Monitors;
