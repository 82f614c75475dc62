//! Persistent node state: the generation number and the node UUID.
//!
//! Same files and formats as heartbeat 3.0.6, so a node can switch between the two
//! implementations without peers rejecting it:
//! - `hb_generation`: the last generation as decimal text right-aligned in a 15-character field
//!   plus a newline (16 bytes). Incremented and persisted before the first packet is sent.
//!   Missing file: start from the current Unix time.
//! - `hb_uuid`: the 16 raw bytes of the node UUID (no text form).
//!
//! Every write is atomic: a temporary file in the same directory is written, fsync'd, renamed
//! over the target, and the directory is fsync'd, so a crash leaves either the old or the new
//! value, never a torn one.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{PlatformError, Result};

/// Heartbeat's default state directory.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/heartbeat";
/// File name of the generation counter.
pub const GENERATION_FILE: &str = "hb_generation";
/// File name of the node UUID.
pub const UUID_FILE: &str = "hb_uuid";

/// Largest generation we accept from the file (15 decimal digits fill heartbeat's field).
const MAX_GENERATION: u64 = 999_999_999_999_999;

/// The state directory of one node.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// Uses `dir` (created with mode 0755 if missing).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)
            .map_err(|e| PlatformError::io(format!("create {}", dir.display()), e))?;
        Ok(StateDir { dir })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The stored generation, if the file exists.
    pub fn generation(&self) -> Result<Option<u64>> {
        let path = self.dir.join(GENERATION_FILE);
        let Some(bytes) = read_small(&path, 64)? else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| corrupt(&path, "not text"))?;
        let value =
            text.trim().parse::<u64>().map_err(|_| corrupt(&path, "not a decimal number"))?;
        if value > MAX_GENERATION {
            return Err(corrupt(&path, "more than 15 digits"));
        }
        Ok(Some(value))
    }

    /// Reads, increments and durably stores the generation; returns the new value. Call once at
    /// start-up, before anything is sent. A missing file starts from the current Unix time, like
    /// heartbeat. The result is never lower than `floor` (e.g. the Unix time, for `hbgenmethod
    /// time` style monotonicity after the file was lost).
    pub fn increment_generation(&self, floor: u64) -> Result<u64> {
        let current = match self.generation()? {
            Some(g) => g,
            None => unix_now(),
        };
        let next = current.saturating_add(1).max(floor).min(MAX_GENERATION);
        self.write_generation(next)?;
        Ok(next)
    }

    /// Stores `generation` in heartbeat's format.
    pub fn write_generation(&self, generation: u64) -> Result<()> {
        let text = format_generation(generation);
        write_atomic(&self.dir.join(GENERATION_FILE), text.as_bytes())
    }

    /// The node UUID: read from `hb_uuid`, or generated from the kernel's random source and
    /// stored if the file is missing.
    pub fn node_uuid(&self) -> Result<[u8; 16]> {
        let path = self.dir.join(UUID_FILE);
        if let Some(bytes) = read_small(&path, 64)? {
            // heartbeat reads exactly 16 bytes; a shorter file is unusable.
            return bytes
                .get(..16)
                .and_then(|b| <[u8; 16]>::try_from(b).ok())
                .ok_or_else(|| corrupt(&path, "shorter than 16 bytes"));
        }
        let uuid = random_uuid()?;
        write_atomic(&path, &uuid)?;
        Ok(uuid)
    }
}

/// Formats a generation as heartbeat writes it: `%15lu\n`.
pub fn format_generation(generation: u64) -> String {
    format!("{generation:>15}\n")
}

/// Writes `data` to `path` atomically and durably (temp file, fsync, rename, directory fsync).
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| PlatformError::io(format!("create {}", tmp.display()), e))?;
        f.write_all(data)
            .and_then(|()| f.sync_all())
            .map_err(|e| PlatformError::io(format!("write {}", tmp.display()), e))?;
        fs::rename(&tmp, path)
            .map_err(|e| PlatformError::io(format!("rename to {}", path.display()), e))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| PlatformError::io(format!("fsync {}", dir.display()), e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn read_small(path: &Path, limit: u64) -> Result<Option<Vec<u8>>> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(PlatformError::io(format!("open {}", path.display()), e)),
    };
    let mut buf = Vec::new();
    f.take(limit)
        .read_to_end(&mut buf)
        .map_err(|e| PlatformError::io(format!("read {}", path.display()), e))?;
    Ok(Some(buf))
}

fn corrupt(path: &Path, reason: &str) -> PlatformError {
    PlatformError::CorruptState { path: path.to_path_buf(), reason: reason.to_string() }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A random (version 4, RFC 4122 variant) UUID from `/dev/urandom`.
fn random_uuid() -> Result<[u8; 16]> {
    let mut uuid = [0u8; 16];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut uuid))
        .map_err(|e| PlatformError::io("read /dev/urandom", e))?;
    uuid[6] = (uuid[6] & 0x0f) | 0x40;
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    Ok(uuid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("hb-state-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn generation_format_is_heartbeats_16_bytes() {
        let s = format_generation(1_795_424_784);
        assert_eq!(s, "     1795424784\n");
        assert_eq!(s.len(), 16);
    }

    #[test]
    fn increment_persists_and_grows() -> Result<()> {
        let d = temp_dir("inc");
        let st = StateDir::open(&d)?;
        st.write_generation(41)?;
        assert_eq!(st.increment_generation(0)?, 42);
        assert_eq!(st.increment_generation(0)?, 43);
        assert_eq!(
            fs::read_to_string(d.join(GENERATION_FILE)).ok().as_deref(),
            Some("             43\n")
        );
        // A reopened directory sees the stored value.
        assert_eq!(StateDir::open(&d)?.generation()?, Some(43));
        // The floor wins when it is higher.
        assert_eq!(st.increment_generation(1000)?, 1000);
        // No temporary files are left behind.
        let leftovers: Vec<_> = fs::read_dir(&d)
            .map_err(|e| PlatformError::io("ls", e))?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp."))
            .collect();
        assert!(leftovers.is_empty());
        let _ = fs::remove_dir_all(&d);
        Ok(())
    }

    #[test]
    fn missing_generation_starts_from_unix_time() -> Result<()> {
        let d = temp_dir("missing");
        let st = StateDir::open(&d)?;
        let before = unix_now();
        let g = st.increment_generation(0)?;
        assert!(g > before && g <= unix_now() + 1);
        let _ = fs::remove_dir_all(&d);
        Ok(())
    }

    #[test]
    fn corrupt_generation_is_an_error_not_a_reset() -> Result<()> {
        let d = temp_dir("corrupt");
        let st = StateDir::open(&d)?;
        fs::write(d.join(GENERATION_FILE), "garbage\n").map_err(|e| PlatformError::io("w", e))?;
        assert!(matches!(st.increment_generation(0), Err(PlatformError::CorruptState { .. })));
        let _ = fs::remove_dir_all(&d);
        Ok(())
    }

    #[test]
    fn uuid_is_created_once_and_stable() -> Result<()> {
        let d = temp_dir("uuid");
        let st = StateDir::open(&d)?;
        let a = st.node_uuid()?;
        let b = st.node_uuid()?;
        assert_eq!(a, b);
        assert_eq!(a[6] >> 4, 4);
        assert_eq!(fs::read(d.join(UUID_FILE)).ok().map(|v| v.len()), Some(16));
        let _ = fs::remove_dir_all(&d);
        Ok(())
    }
}
