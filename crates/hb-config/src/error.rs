//! Errors and warnings. Every problem found in a file's content carries the file, line and
//! column it is about, so `hbctl check-config` can print `file:line:column: message`.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a configuration file: 1-based line and column (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file, as it was named to the loader.
    pub file: PathBuf,
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters (a tab counts as one).
    pub column: u32,
}

impl Location {
    /// A location in `file` at `line`:`column`.
    pub fn new(file: &Path, line: u32, column: u32) -> Self {
        Location { file: file.to_path_buf(), line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The content of a file is wrong at a given place; `message` says what was expected.
    #[error("{location}: {message}")]
    Invalid {
        /// Where the problem is.
        location: Location,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A file could not be read (missing, unreadable, not a regular file…).
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `authkeys` is accessible to group or others; heartbeat refuses to start then.
    #[error(
        "{}: mode {mode:04o} lets group or others access the keys; \
         run `chmod 600 {}` (heartbeat refuses such a file)",
        path.display(),
        path.display()
    )]
    AuthkeysPermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits (`mode & 0o7777`).
        mode: u32,
    },
    /// `cloud.conf` or its token file is accessible to group or others.
    #[error(
        "{}: mode {mode:04o} lets group or others read the API token; \
         run `chmod 600 {}` (refused like authkeys)",
        path.display(),
        path.display()
    )]
    SecretPermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits (`mode & 0o7777`).
        mode: u32,
    },
}

impl ConfigError {
    /// An [`ConfigError::Invalid`] at `location`.
    pub fn invalid(location: Location, message: impl Into<String>) -> Self {
        ConfigError::Invalid { location, message: message.into() }
    }

    /// Where the problem is, when it is about a place in a file.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ConfigError::Invalid { location, .. } => Some(location),
            _ => None,
        }
    }
}

/// Something accepted but worth telling the administrator (heartbeat logs these too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The place the warning is about.
    pub location: Location,
    /// What it is about.
    pub message: String,
}

impl Warning {
    /// A warning at `location`.
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        Warning { location, message: message.into() }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: warning: {}", self.location, self.message)
    }
}
