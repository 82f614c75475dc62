//! HTTP requests as data, and the transport that sends them.

use std::io::Read;
use std::time::Duration;

use hb_config::cloud::CloudToken;

/// Largest response body read; a longer one is cut there (provider answers are a few KiB).
pub const MAX_BODY: u64 = 1 << 20;

/// Which base URL a request's path is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// The provider API (`api_url`); sent with the token.
    Api,
    /// The metadata service (`metadata_url`); sent without the token.
    Metadata,
}

/// HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST with a JSON body.
    Post,
}

/// One request, built by a [`crate::Provider`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// GET or POST.
    pub method: Method,
    /// API or metadata service.
    pub base: Base,
    /// Path and query, starting with `/`.
    pub path: String,
    /// JSON body of a POST.
    pub body: Option<String>,
}

impl Request {
    /// A GET of `path` on `base`.
    pub fn get(base: Base, path: String) -> Self {
        Request { method: Method::Get, base, path, body: None }
    }

    /// A POST of `body` to `path` on the API.
    pub fn post(path: String, body: String) -> Self {
        Request { method: Method::Post, base: Base::Api, path, body: Some(body) }
    }
}

/// An answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// `Retry-After` in seconds, when present and numeric.
    pub retry_after: Option<Duration>,
    /// The body (at most [`MAX_BODY`] bytes, lossily decoded).
    pub body: String,
}

/// Sends a request to a full URL. `Err` is a failure to get any answer (refused, timed out,
/// TLS); it must not contain the token.
pub trait Transport: Send + Sync {
    /// Sends `req` to `url`, with `Authorization: Bearer TOKEN` when `token` is given.
    fn send(
        &self,
        url: &str,
        req: &Request,
        token: Option<&CloudToken>,
        timeout: Duration,
    ) -> Result<Response, String>;
}

/// The real transport: ureq with rustls (HTTPS with the bundled Mozilla roots, or plain HTTP).
#[derive(Debug, Default)]
pub struct UreqTransport;

impl Transport for UreqTransport {
    fn send(
        &self,
        url: &str,
        req: &Request,
        token: Option<&CloudToken>,
        timeout: Duration,
    ) -> Result<Response, String> {
        // ureq-proto hex-dumps raw requests, Authorization header included, at `log`'s trace
        // level. The daemon installs no `log` bridge, so those records go nowhere: keep it so,
        // or filter the `ureq_proto` target out, before bridging `log` into the daemon's logs.
        // A fresh agent per call: calls are seconds apart, and no pooled connection can go
        // stale across a failover. No proxy from the environment: the metadata service is
        // link-local, and a daemon should not depend on a login shell's variables.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .proxy(None)
            .user_agent(concat!("heartbeat-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let auth = token.map(|t| format!("Bearer {}", t.expose()));
        let result = match req.method {
            Method::Get => {
                let mut r = agent.get(url);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.call()
            }
            Method::Post => {
                let mut r = agent.post(url).header("Content-Type", "application/json");
                if let Some(a) = &auth {
                    r = r.header("Authorization", a);
                }
                r.send(req.body.as_deref().unwrap_or(""))
            }
        };
        let mut resp = result.map_err(describe)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut bytes = Vec::new();
        resp.body_mut()
            .as_reader()
            .take(MAX_BODY)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading the answer: {e}"))?;
        Ok(Response { status, retry_after, body: String::from_utf8_lossy(&bytes).into_owned() })
    }
}

/// ureq's errors name the host and the cause, never request headers.
fn describe(e: ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "no answer within the timeout".to_owned(),
        other => other.to_string(),
    }
}
