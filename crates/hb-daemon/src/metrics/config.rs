//! Where metrics are served: `--metrics-listen ADDR:PORT`, or `listen` in the optional
//! `metrics.cf` beside `ha.cf` (parsed by [`hb_config::metrics_cf`], so `hbctl check-config`
//! checks it too). No file and no flag: metrics are off. The flag wins over the file's
//! `listen`. Read at start-up and at each reload (`metrics::launch::reload` replaces the
//! server when the settings changed).

use std::net::SocketAddr;
use std::path::Path;

use hb_config::metrics_cf::{self, MetricsCfError, DEFAULT_MAX_CONNECTIONS};

/// The metrics server's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Scrapes served at once; more connections are answered 503 and closed.
    pub max_connections: usize,
}

/// What is wrong with the metrics settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `metrics.cf` is wrong.
    #[error(transparent)]
    File(#[from] MetricsCfError),
    /// The flag's value is not an address.
    #[error(
        "--metrics-listen {value:?}: expected ADDRESS:PORT such as 127.0.0.1:9694 or [::1]:9694"
    )]
    Flag {
        /// The value given.
        value: String,
    },
}

/// Settings from the flag (if given) and `config_dir/metrics.cf` (if present); `None` when
/// metrics are off.
pub fn resolve(
    flag: Option<&str>,
    config_dir: &Path,
) -> Result<Option<MetricsConfig>, ConfigError> {
    let file = metrics_cf::load(config_dir)?;
    let listen = match flag {
        Some(v) => Some(v.parse().map_err(|_| ConfigError::Flag { value: v.to_owned() })?),
        None => file.as_ref().and_then(|f| f.listen),
    };
    Ok(listen.map(|listen| MetricsConfig {
        listen,
        max_connections: file.and_then(|f| f.max_connections).unwrap_or(DEFAULT_MAX_CONNECTIONS),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hb_config::metrics_cf::FILE_NAME;

    #[test]
    fn flag_wins_and_absence_means_off() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(resolve(None, dir.path()).expect("none"), None, "no file, no flag: off");
        std::fs::write(dir.path().join(FILE_NAME), "listen 127.0.0.1:1\nmax_connections 3\n")
            .expect("write");
        let c = resolve(None, dir.path()).expect("file").expect("on");
        assert_eq!((c.listen.port(), c.max_connections), (1, 3));
        let c = resolve(Some("127.0.0.2:2"), dir.path()).expect("flag").expect("on");
        assert_eq!((c.listen.to_string().as_str(), c.max_connections), ("127.0.0.2:2", 3));
        assert!(matches!(resolve(Some("nope"), dir.path()), Err(ConfigError::Flag { .. })));
        std::fs::write(dir.path().join(FILE_NAME), "max_connections 3\n").expect("write");
        assert_eq!(resolve(None, dir.path()).expect("no listen"), None);
    }
}
