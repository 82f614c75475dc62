//! Cloud reserved (floating) IPs: the `ReservedIP::IP[::provider=NAME]` resource's I/O.
//!
//! Contract: a [`ReservedIpClient`] moves one provider's IP to this machine through the
//! provider's HTTP API, says which machine holds it, and releases it when asked. Every API
//! call is bounded (request timeout, a limited number of retries on 429, 5xx and unanswered
//! requests, with exponential backoff that honours `Retry-After`) and every failure is a
//! [`CloudError`] naming the HTTP status and the API's own message. The API token goes only
//! into the `Authorization` header: no error, log line or `Debug` output contains it.
//!
//! What differs between providers (paths, bodies, how an action reports progress) is a
//! [`Provider`]: pure request builders and response parsers, one file each
//! ([`digitalocean`], [`hetzner`]). Adding AWS or GCP is one more such file and one arm in
//! [`provider_for`]. The HTTP transport is a [`Transport`] ([`UreqTransport`] in the daemon,
//! a scripted fake in unit tests). Calls block: the daemon runs them on a blocking thread.

mod client;
pub mod digitalocean;
pub mod hetzner;
mod http;
mod provider;

pub use client::{Held, ReservedIpClient, Started, Timing};
pub use http::{Base, Method, Request, Response, Transport, UreqTransport, MAX_BODY};
pub use provider::{provider_for, ActionState, Holder, Lookup, Provider};

/// Why a reserved-IP operation failed. The token never appears in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CloudError {
    /// The API refused the request (401, 403, 404, 422…): retrying would not help.
    #[error("{what}: HTTP {status} from the {provider} API: {message}")]
    Refused {
        /// What was being done.
        what: String,
        /// Provider name.
        provider: &'static str,
        /// HTTP status.
        status: u16,
        /// The API's message (or the start of its body).
        message: String,
    },
    /// Every attempt failed with 429, 5xx or no answer.
    #[error("{what}: gave up after {attempts} attempts; last: {last}")]
    GaveUp {
        /// What was being done.
        what: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
        /// The HTTP status of the last attempt (`None`: it got no answer).
        status: Option<u16>,
    },
    /// The API answered something we cannot read.
    #[error("{what}: unexpected answer from the {provider} API: {detail}")]
    BadAnswer {
        /// What was being done.
        what: String,
        /// Provider name.
        provider: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The assign action ended `errored`, or stayed in progress past `action_timeout`.
    #[error("{what}: {detail}")]
    ActionFailed {
        /// What was being done.
        what: String,
        /// How it ended.
        detail: String,
    },
}
