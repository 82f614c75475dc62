//! What a provider API looks like to the client: request builders and answer parsers, no I/O.

use std::net::IpAddr;

use hb_config::cloud::ProviderKind;

use crate::http::Request;

/// Who an IP points at, and the provider's handle for it (the path key of its actions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The droplet/server it is assigned to; `None`: unassigned.
    pub instance: Option<u64>,
    /// The key used in action paths (DigitalOcean: the IP; Hetzner: the floating IP's id).
    pub handle: String,
}

/// Result of one lookup page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Found.
    Found(Holder),
    /// Not on this page; ask for that page next.
    Next(u32),
    /// The account has no such IP.
    Missing,
}

/// State of an action (assign/unassign).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionState {
    /// Still running; poll it by this id.
    InProgress(u64),
    /// Done.
    Completed,
    /// Failed, with the provider's words if any.
    Errored(String),
}

/// One provider API. Implementations are pure: they build [`Request`]s and read bodies.
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// Name for messages (`digitalocean`).
    fn name(&self) -> &'static str;
    /// Asks the metadata service for this machine's id.
    fn instance_id_request(&self) -> Request;
    /// Reads the metadata answer.
    fn parse_instance_id(&self, body: &str) -> Result<u64, String>;
    /// Asks who holds `ip` (`page` from 1, for providers that list).
    fn lookup_request(&self, ip: IpAddr, page: u32) -> Request;
    /// Reads a lookup answer.
    fn parse_lookup(&self, ip: IpAddr, body: &str) -> Result<Lookup, String>;
    /// Points the IP (by its handle) at `instance`.
    fn assign_request(&self, handle: &str, instance: u64) -> Request;
    /// Unassigns the IP.
    fn unassign_request(&self, handle: &str) -> Request;
    /// Reads an action (the answer to assign/unassign or to a poll).
    fn parse_action(&self, body: &str) -> Result<ActionState, String>;
    /// Polls action `id` on the IP `handle`.
    fn action_request(&self, handle: &str, id: u64) -> Request;
    /// The human message in an error body, if the body has the provider's error shape.
    fn error_message(&self, body: &str) -> Option<String>;
}

/// The provider for a `cloud.conf` section.
pub fn provider_for(kind: ProviderKind) -> Box<dyn Provider> {
    match kind {
        ProviderKind::DigitalOcean => Box::new(crate::digitalocean::DigitalOcean),
        ProviderKind::Hetzner => Box::new(crate::hetzner::Hetzner),
    }
}

/// Parses `body` as JSON, naming the problem without quoting more than a little of it.
pub(crate) fn json(body: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(body).map_err(|e| format!("not JSON ({e}): {}", excerpt(body)))
}

/// The first 200 characters of `s`, on one line.
pub(crate) fn excerpt(s: &str) -> String {
    let one_line: String =
        s.chars().take(200).map(|c| if c.is_control() { ' ' } else { c }).collect();
    one_line.trim().to_owned()
}

/// `v[key]` as an id.
pub(crate) fn id_of(v: &serde_json::Value, what: &str) -> Result<u64, String> {
    v.get("id")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| format!("{what} has no numeric id"))
}
