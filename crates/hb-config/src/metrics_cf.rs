//! `metrics.cf`: heartbeat-rs's own optional file beside `ha.cf` that turns on the Prometheus
//! metrics server. It is not part of `ha.cf` because a heartbeat 3.0.6 peer may share that file
//! and rejects unknown directives.
//!
//! ```text
//! # heartbeat-rs only; heartbeat 3.0.6 never reads this file
//! listen 127.0.0.1:9694
//! max_connections 8
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Name of the file in the configuration directory.
pub const FILE_NAME: &str = "metrics.cf";

/// Default number of scrapes served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 8;

/// Upper bound on `max_connections` (limit on everything: each one holds a buffer).
pub const MAX_CONNECTIONS: usize = 64;

/// Largest `metrics.cf` read (it has two useful lines).
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// What is wrong with `metrics.cf`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsCfError {
    /// The file exists but cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is larger than any sensible one.
    #[error("{path}: larger than {MAX_FILE_BYTES} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// A line of the file is wrong.
    #[error("{path}:{line}:{column}: {what}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column of the offending word.
        column: usize,
        /// What was expected.
        what: String,
    },
}

/// Reads `dir/metrics.cf`; `None` when there is no such file (metrics off unless a flag
/// says otherwise).
pub fn load(dir: &Path) -> Result<Option<MetricsCf>, MetricsCfError> {
    let path = dir.join(FILE_NAME);
    match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(MetricsCfError::Read { path, source }),
        Ok(m) if m.len() > MAX_FILE_BYTES => Err(MetricsCfError::TooLarge { path }),
        Ok(_) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|source| MetricsCfError::Read { path: path.clone(), source })?;
            parse(&text, &path).map(Some)
        }
    }
}

/// The settings a `metrics.cf` holds (each optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsCf {
    /// `listen ADDR:PORT`.
    pub listen: Option<SocketAddr>,
    /// `max_connections N`.
    pub max_connections: Option<usize>,
}

/// Parses the text of a `metrics.cf`; `path` names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<MetricsCf, MetricsCfError> {
    let mut out = MetricsCf::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(key) = words.next() else { continue };
        let col = |w: &str| column_of(raw, w);
        let err = |column: usize, what: String| MetricsCfError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            column,
            what,
        };
        let value = words.next();
        if let Some(extra) = words.next() {
            return Err(err(col(extra), format!("unexpected {extra:?} after the value of {key}")));
        }
        match key {
            "listen" => {
                let v = value.ok_or_else(|| err(col(key), "listen needs ADDRESS:PORT".into()))?;
                let addr = v.parse().map_err(|_| {
                    err(col(v), format!("{v:?} is not ADDRESS:PORT (127.0.0.1:9694, [::1]:9694)"))
                })?;
                out.listen = Some(addr);
            }
            "max_connections" => {
                let v =
                    value.ok_or_else(|| err(col(key), "max_connections needs a number".into()))?;
                let n = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_CONNECTIONS).contains(n))
                    .ok_or_else(|| {
                        err(col(v), format!("{v:?}: expected a number from 1 to {MAX_CONNECTIONS}"))
                    })?;
                out.max_connections = Some(n);
            }
            other => {
                return Err(err(
                    col(other),
                    format!("unknown directive {other:?} (expected listen or max_connections)"),
                ))
            }
        }
    }
    Ok(out)
}

/// 1-based column of `word` (a slice of `line`).
fn column_of(line: &str, word: &str) -> usize {
    (word.as_ptr() as usize).saturating_sub(line.as_ptr() as usize) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<MetricsCf, MetricsCfError> {
        parse(text, Path::new("/etc/ha.d/metrics.cf"))
    }

    #[test]
    fn reads_listen_and_connections() {
        let s = p("# comment\n\nlisten 127.0.0.1:9694  # ours\nmax_connections 4\n").expect("ok");
        assert_eq!(s.listen, Some("127.0.0.1:9694".parse().expect("addr")));
        assert_eq!(s.max_connections, Some(4));
        let s = p("listen [::1]:9000\n").expect("v6");
        assert_eq!(s.listen, Some("[::1]:9000".parse().expect("addr")));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let e = p("listen 127.0.0.1:9694\n  frobnicate yes\n").expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "/etc/ha.d/metrics.cf:2:3: unknown directive \"frobnicate\" (expected listen or \
             max_connections)"
        );
        let e = p("listen localhost\n").expect_err("no port");
        assert!(e.to_string().starts_with("/etc/ha.d/metrics.cf:1:8: \"localhost\""), "{e}");
        let e = p("max_connections 0\n").expect_err("zero");
        assert!(e.to_string().contains("1:17:"), "{e}");
        let e = p("max_connections 65\n").expect_err("too many");
        assert!(e.to_string().contains("from 1 to 64"), "{e}");
        let e = p("listen 1.2.3.4:5 6\n").expect_err("extra");
        assert!(e.to_string().contains("1:18: unexpected \"6\""), "{e}");
        let e = p("listen\n").expect_err("missing");
        assert!(e.to_string().contains("needs ADDRESS:PORT"), "{e}");
    }

    #[test]
    fn load_reads_the_file_or_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        assert!(load(dir.path()).expect("absent").is_none());
        std::fs::write(dir.path().join(FILE_NAME), "listen 127.0.0.1:1\n").expect("write");
        let cf = load(dir.path()).expect("read").expect("present");
        assert_eq!(cf.listen.map(|a| a.port()), Some(1));
        std::fs::write(dir.path().join(FILE_NAME), "x".repeat(70_000)).expect("write");
        assert!(matches!(load(dir.path()), Err(MetricsCfError::TooLarge { .. })));
    }
}
