//! The operations a resource needs (start, status, stop), built from provider requests, with
//! bounded retries, action polling and the droplet/server id cached after its first lookup.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hb_config::cloud::ProviderConf;

use crate::http::{Base, Request, Response, Transport};
use crate::provider::{excerpt, provider_for, ActionState, Holder, Lookup, Provider};
use crate::CloudError;

/// Longest pause between two attempts of a call (backoff doubles up to it).
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Longest `Retry-After` honoured; a larger one is cut to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// Most lookup pages read (a provider that lists IPs: 50 per page).
pub const MAX_PAGES: u32 = 20;
/// First pause between polls of an action; doubled up to [`MAX_POLL`].
pub const FIRST_POLL: Duration = Duration::from_millis(200);
/// Longest pause between polls of an action.
pub const MAX_POLL: Duration = Duration::from_secs(2);

/// Who the provider says holds the IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// This machine.
    Ours,
    /// Another droplet/server.
    Other(u64),
    /// Nobody.
    Unassigned,
}

/// What a successful start did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    /// Who held it before (`None`: nobody).
    pub previous: Option<u64>,
    /// Our droplet/server id.
    pub instance: u64,
    /// It already pointed at us: no assign was sent.
    pub already_ours: bool,
}

/// Time source and sleeper: real by default, virtual in unit tests.
pub trait Timing: Send + Sync {
    /// Time since an arbitrary origin.
    fn now(&self) -> Duration;
    /// Blocks for `d`.
    fn sleep(&self, d: Duration);
}

/// The wall clock (monotonic) and `thread::sleep`.
#[derive(Debug)]
struct RealTiming(Instant);

impl Timing for RealTiming {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// One provider section's client.
pub struct ReservedIpClient {
    provider: Box<dyn Provider>,
    transport: Arc<dyn Transport>,
    conf: ProviderConf,
    instance: Mutex<Option<u64>>,
    timing: Arc<dyn Timing>,
}

impl std::fmt::Debug for ReservedIpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `conf` shows its token as <redacted>.
        f.debug_struct("ReservedIpClient").field("conf", &self.conf).finish_non_exhaustive()
    }
}

impl ReservedIpClient {
    /// A client for `conf` over `transport`.
    pub fn new(conf: ProviderConf, transport: Arc<dyn Transport>) -> Self {
        ReservedIpClient {
            provider: provider_for(conf.kind),
            instance: Mutex::new(conf.instance_id),
            transport,
            conf,
            timing: Arc::new(RealTiming(Instant::now())),
        }
    }

    /// Replaces the clock and sleeper (unit tests run on virtual time).
    pub fn with_timing(mut self, timing: Arc<dyn Timing>) -> Self {
        self.timing = timing;
        self
    }

    /// The section this client uses.
    pub fn conf(&self) -> &ProviderConf {
        &self.conf
    }

    /// This machine's droplet/server id: from `cloud.conf`, else asked once from the
    /// metadata service.
    pub fn instance_id(&self) -> Result<u64, CloudError> {
        if let Some(id) = *self.instance.lock().unwrap_or_else(|p| p.into_inner()) {
            return Ok(id);
        }
        let what = "asking the metadata service for this machine's id";
        let resp = self.call(what, &self.provider.instance_id_request())?;
        let id = self.provider.parse_instance_id(&resp.body).map_err(|d| self.bad(what, d))?;
        *self.instance.lock().unwrap_or_else(|p| p.into_inner()) = Some(id);
        Ok(id)
    }

    /// Who holds `ip`, with the provider's handle for it.
    pub fn holder(&self, ip: IpAddr) -> Result<Holder, CloudError> {
        let what = format!("looking up reserved IP {ip}");
        let mut page = 1;
        for _ in 0..MAX_PAGES {
            let resp = self.call(&what, &self.provider.lookup_request(ip, page))?;
            match self.provider.parse_lookup(ip, &resp.body).map_err(|d| self.bad(&what, d))? {
                Lookup::Found(h) => return Ok(h),
                Lookup::Next(n) if n > page => page = n,
                Lookup::Next(_) | Lookup::Missing => break,
            }
        }
        Err(CloudError::Refused {
            what,
            provider: self.provider.name(),
            status: 404,
            message: "the account has no such IP".into(),
        })
    }

    /// Who holds `ip`, from our point of view.
    pub fn status(&self, ip: IpAddr) -> Result<Held, CloudError> {
        let me = self.instance_id()?;
        Ok(held(self.holder(ip)?.instance, me))
    }

    /// Points `ip` at this machine and waits until the provider says it is done. When it
    /// already points here, nothing is sent.
    pub fn start(&self, ip: IpAddr) -> Result<Started, CloudError> {
        let me = self.instance_id()?;
        let h = self.holder(ip)?;
        if h.instance == Some(me) {
            return Ok(Started { previous: Some(me), instance: me, already_ours: true });
        }
        let what = format!("assigning {ip} to {me}");
        let resp = self.call(&what, &self.provider.assign_request(&h.handle, me))?;
        self.wait_action(&what, &h.handle, &resp)?;
        Ok(Started { previous: h.instance, instance: me, already_ours: false })
    }

    /// With `unassign_on_stop yes` and the IP pointing here, unassigns it and returns true;
    /// otherwise does nothing (the next owner's assign moves it without a gap).
    pub fn stop(&self, ip: IpAddr) -> Result<bool, CloudError> {
        if !self.conf.unassign_on_stop {
            return Ok(false);
        }
        let me = self.instance_id()?;
        let h = self.holder(ip)?;
        if h.instance != Some(me) {
            return Ok(false);
        }
        let what = format!("unassigning {ip}");
        let resp = self.call(&what, &self.provider.unassign_request(&h.handle))?;
        self.wait_action(&what, &h.handle, &resp)?;
        Ok(true)
    }

    /// Polls the action in `first` until it completes, errs, or `action_timeout` passes.
    fn wait_action(&self, what: &str, handle: &str, first: &Response) -> Result<(), CloudError> {
        let deadline = self.timing.now() + self.conf.action_timeout;
        let mut state = self.provider.parse_action(&first.body).map_err(|d| self.bad(what, d))?;
        let mut pause = FIRST_POLL;
        loop {
            let id = match state {
                ActionState::Completed => return Ok(()),
                ActionState::Errored(detail) => {
                    return Err(CloudError::ActionFailed { what: what.into(), detail })
                }
                ActionState::InProgress(id) => id,
            };
            let now = self.timing.now();
            if now >= deadline {
                return Err(CloudError::ActionFailed {
                    what: what.into(),
                    detail: format!(
                        "action {id} still in progress after {:?} (action_timeout)",
                        self.conf.action_timeout
                    ),
                });
            }
            self.timing.sleep(pause.min(deadline - now));
            pause = (pause * 2).min(MAX_POLL);
            let resp = self.call(what, &self.provider.action_request(handle, id))?;
            state = self.provider.parse_action(&resp.body).map_err(|d| self.bad(what, d))?;
        }
    }

    /// Sends `req`, retrying 429, 5xx and unanswered requests; any other non-2xx is final.
    fn call(&self, what: &str, req: &Request) -> Result<Response, CloudError> {
        let (base, token) = match req.base {
            Base::Api => (&self.conf.api_url, Some(&self.conf.token)),
            Base::Metadata => (&self.conf.metadata_url, None),
        };
        let url = format!("{base}{}", req.path);
        let attempts = self.conf.retries.saturating_add(1);
        let mut backoff = self.conf.retry_backoff;
        let mut last = String::new();
        let mut last_status = None;
        for attempt in 1..=attempts {
            let (failure, retry_after, status) =
                match self.transport.send(&url, req, token, self.conf.request_timeout) {
                    Ok(r) if (200..300).contains(&r.status) => return Ok(r),
                    Ok(r) if r.status == 429 || r.status >= 500 => {
                        let m = format!("HTTP {}: {}", r.status, self.message(&r.body));
                        (m, r.retry_after, Some(r.status))
                    }
                    Ok(r) => {
                        return Err(CloudError::Refused {
                            what: what.into(),
                            provider: self.provider.name(),
                            status: r.status,
                            message: self.message(&r.body),
                        })
                    }
                    Err(e) => (format!("{url}: {e}"), None, None),
                };
            last = failure;
            last_status = status;
            if attempt == attempts {
                break;
            }
            let wait = retry_after.map_or(backoff, |ra| ra.min(MAX_RETRY_AFTER));
            tracing::warn!(
                "{what}: {last}; retrying in {wait:?} (attempt {attempt} of {attempts})"
            );
            self.timing.sleep(wait);
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        Err(CloudError::GaveUp { what: what.into(), attempts, last, status: last_status })
    }

    /// The API's message, with the token cut out should a hostile or broken server echo it.
    fn message(&self, body: &str) -> String {
        let m = match self.provider.error_message(body) {
            Some(m) => m,
            None if body.trim().is_empty() => "(empty body)".into(),
            None => excerpt(body),
        };
        m.replace(self.conf.token.expose(), "<redacted>")
    }

    fn bad(&self, what: &str, detail: String) -> CloudError {
        CloudError::BadAnswer { what: what.into(), provider: self.provider.name(), detail }
    }
}

fn held(instance: Option<u64>, me: u64) -> Held {
    match instance {
        Some(i) if i == me => Held::Ours,
        Some(i) => Held::Other(i),
        None => Held::Unassigned,
    }
}

#[cfg(test)]
#[path = "client_test.rs"]
mod tests;
