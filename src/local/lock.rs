//! The advisory lock on a local destination: `.NAME.cr-lock` beside it (NAME being the layout
//! directory or oci-archive file; a docker-archive is replaced whole, never added to), locked exclusively (flock, through fs4) for the whole
//! read-modify-write of a layout's index.json or an archive's rewrite. A second run waits,
//! saying so, for at most `CR_LOCK_TIMEOUT` seconds (600). The kernel releases the lock when cr
//! ends, however it ends; the empty file stays (removing it would let two runs lock two files).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::LocalError;

/// Held while it lives.
#[derive(Debug)]
pub struct DestLock {
    _file: File,
}

/// The lock file of a destination.
pub fn lock_path(dest: &Path) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dest".into());
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join(format!(".{name}.cr-lock"))
}

/// `CR_LOCK_TIMEOUT`: seconds (600; at most a week); a bad value is a usage error.
pub fn timeout() -> Result<Duration, crate::config::ConfigError> {
    super::env_secs("CR_LOCK_TIMEOUT", 600, 7 * 24 * 3600)
}

/// Lock `dest`, waiting while another process holds it. An interrupt while waiting gives
/// `LocalError::Interrupted`; the timeout `LocalError::Locked`.
pub fn acquire(dest: &Path) -> Result<DestLock, LocalError> {
    let path = lock_path(dest);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| LocalError::io(&path, e))?;
    let limit = timeout().map_err(|e| LocalError::Usage(e.to_string()))?;
    let started = Instant::now();
    let mut said = false;
    loop {
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => return Ok(DestLock { _file: file }),
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(e)) => return Err(LocalError::io(&path, e)),
        }
        if crate::interrupt::raised() {
            return Err(LocalError::Interrupted {
                path: dest.to_path_buf(),
            });
        }
        let waited = started.elapsed();
        if waited >= limit {
            return Err(LocalError::Locked {
                path: dest.to_path_buf(),
                secs: limit.as_secs(),
            });
        }
        if !said {
            crate::notice::status(&format!(
                "waiting for another cr writing {} (lock {}, at most {} s: CR_LOCK_TIMEOUT)",
                dest.display(),
                path.display(),
                limit.as_secs()
            ));
            said = true;
        }
        std::thread::sleep(Duration::from_millis(100).min(limit - waited));
    }
}
