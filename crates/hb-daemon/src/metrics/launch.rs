//! Start-up of the metrics: settings, the listening socket, the server thread.

use std::path::Path;
use std::time::Duration;

use super::config::{self, ConfigError, MetricsConfig};
use super::{http, Metrics};

/// Why metrics could not be started (the daemon refuses to start rather than run unobserved
/// when the operator asked for metrics).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// `metrics.cf` or `--metrics-listen` is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The address cannot be bound (taken, not local, no permission).
    #[error("metrics: cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server thread or its runtime cannot be created.
    #[error("metrics: cannot start the server thread: {0}")]
    Thread(std::io::Error),
}

/// Creates the daemon's metrics and, when configured, starts serving them. With metrics off
/// the handles still exist (counting costs a few atomics) but nothing is published or served.
pub fn start(
    keepalive: Duration,
    flag: Option<&str>,
    config_dir: &Path,
) -> Result<Metrics, StartError> {
    let mut metrics = Metrics::new(keepalive);
    let Some(MetricsConfig { listen, max_connections }) = config::resolve(flag, config_dir)? else {
        return Ok(metrics);
    };
    let listener = std::net::TcpListener::bind(listen)
        .map_err(|source| StartError::Bind { addr: listen, source })?;
    let addr = listener.local_addr().unwrap_or(listen);
    http::spawn(listener, metrics.scrape(), http::Limits::new(max_connections))
        .map_err(StartError::Thread)?;
    metrics.enabled = true;
    tracing::info!("metrics: serving http://{addr}/metrics (at most {max_connections} at once)");
    Ok(metrics)
}
