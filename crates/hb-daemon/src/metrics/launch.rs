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
    serve(&mut metrics, MetricsConfig { listen, max_connections })?;
    Ok(metrics)
}

/// A reload: the settings `flag` and `config_dir` give now. `Ok(None)` when they are the
/// same, `Ok(Some(what))` when the server was replaced (or stopped); `Err` when the new
/// settings are wrong, before anything changed. Check with [`check`] first to refuse a
/// reload as a whole.
pub fn reload(
    metrics: &mut Metrics,
    flag: Option<&str>,
    config_dir: &Path,
) -> Result<Option<String>, StartError> {
    let wanted = config::resolve(flag, config_dir)?;
    if wanted.as_ref() == metrics.server.as_ref().map(|(_, c)| c) {
        return Ok(None);
    }
    if let Some((server, _)) = metrics.server.take() {
        server.stop();
    }
    metrics.enabled = false;
    match wanted {
        None => Ok(Some("metrics: server stopped".into())),
        Some(cfg) => {
            let text = format!("metrics: serving http://{}/metrics", cfg.listen);
            serve(metrics, cfg)?;
            Ok(Some(text))
        }
    }
}

/// Whether the settings `flag` and `config_dir` give are valid (for a reload's checks).
pub fn check(flag: Option<&str>, config_dir: &Path) -> Result<(), StartError> {
    config::resolve(flag, config_dir).map(|_| ()).map_err(StartError::from)
}

fn serve(metrics: &mut Metrics, cfg: MetricsConfig) -> Result<(), StartError> {
    let MetricsConfig { listen, max_connections } = cfg;
    let listener = std::net::TcpListener::bind(listen)
        .map_err(|source| StartError::Bind { addr: listen, source })?;
    let addr = listener.local_addr().unwrap_or(listen);
    let server = http::spawn(listener, metrics.scrape(), http::Limits::new(max_connections))
        .map_err(StartError::Thread)?;
    metrics.enabled = true;
    metrics.server = Some((server, cfg));
    tracing::info!("metrics: serving http://{addr}/metrics (at most {max_connections} at once)");
    Ok(())
}
