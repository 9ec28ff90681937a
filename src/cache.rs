//! The content cache: manifests fetched by digest and small blobs (configs) kept on disk under
//! their digest, verified on every read (a corrupt entry is dropped), bounded in size (the
//! least recently used go first) and shared safely by concurrent processes (each entry is
//! written to a temporary file and renamed into place).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::image::digest;
use crate::reference::validate_digest;

/// Entries larger than this are neither stored nor read (manifests are at most 8 MiB).
const MAX_ENTRY: u64 = 8 << 20;
/// Temporary files older than this were left by a process that died; pruning removes them.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// cr's cache directory: `CR_CACHE_DIR`, else the user's cache directory `/cr`. The content
/// cache lives in `content/` below it, the compressed-layer memory in `compressed.json`.
pub fn root() -> Option<PathBuf> {
    std::env::var_os("CR_CACHE_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("cr")))
}

/// A content-addressed store under one directory.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    max_bytes: u64,
    /// Bytes this process added; pruning runs when the cache is dropped if any were.
    written: AtomicU64,
}

impl Cache {
    /// A cache in `dir` holding at most `max_bytes`. The directory is made (mode 0700: cached
    /// manifests may be private) when the first entry is written.
    pub fn new(dir: PathBuf, max_bytes: u64) -> Self {
        Cache {
            dir,
            max_bytes,
            written: AtomicU64::new(0),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `DIR/sha256/HEX`, for a valid digest only.
    fn path(&self, d: &str) -> Option<PathBuf> {
        validate_digest(d).ok()?;
        let (alg, hex) = d.split_once(':')?;
        Some(self.dir.join(alg).join(hex))
    }

    /// The bytes stored for `d`, if present and they still hash to it. A mismatching entry is
    /// removed. A hit marks the entry as recently used.
    pub fn get(&self, d: &str) -> Option<Vec<u8>> {
        let path = self.path(d)?;
        let f = fs::File::open(&path).ok()?;
        let meta = f.metadata().ok()?;
        if !meta.is_file() || meta.len() > MAX_ENTRY {
            return None;
        }
        let mut buf = Vec::with_capacity(meta.len() as usize);
        (&f).take(MAX_ENTRY + 1).read_to_end(&mut buf).ok()?;
        if digest::of_like(d, &buf) != d {
            let _ = fs::remove_file(&path);
            return None;
        }
        let _ = f.set_modified(SystemTime::now());
        Some(buf)
    }

    /// Store `bytes` under `d` if they hash to it. Failures are ignored: the cache only saves
    /// requests.
    pub fn put(&self, d: &str, bytes: &[u8]) {
        let Some(path) = self.path(d) else { return };
        if bytes.len() as u64 > MAX_ENTRY.min(self.max_bytes) || digest::of_like(d, bytes) != d {
            return;
        }
        if path.is_file() {
            return;
        }
        let Some(parent) = path.parent() else { return };
        if make_private_dir(&self.dir).is_err() || fs::create_dir_all(parent).is_err() {
            return;
        }
        let Ok(mut tmp) = tempfile::Builder::new().prefix(".tmp-").tempfile_in(parent) else {
            return;
        };
        if tmp.write_all(bytes).is_ok() && tmp.persist(&path).is_ok() {
            self.written
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
    }

    /// Remove the least recently used entries until the cache holds at most its bound, and
    /// temporary files left by dead processes. Another process removing the same files at the
    /// same time is harmless.
    pub fn prune(&self) {
        let mut entries = Vec::new();
        let mut total = 0u64;
        let now = SystemTime::now();
        let Ok(algs) = fs::read_dir(&self.dir) else {
            return;
        };
        for alg in algs.flatten() {
            let Ok(files) = fs::read_dir(alg.path()) else {
                continue;
            };
            for f in files.flatten() {
                let Ok(meta) = f.metadata() else { continue };
                if !meta.is_file() {
                    continue;
                }
                let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                if f.file_name().to_string_lossy().starts_with(".tmp-") {
                    if now.duration_since(modified).unwrap_or_default() > STALE_TEMP {
                        let _ = fs::remove_file(f.path());
                    }
                    continue;
                }
                total += meta.len();
                entries.push((modified, meta.len(), f.path()));
            }
        }
        if total <= self.max_bytes {
            return;
        }
        entries.sort();
        for (_, len, path) in entries {
            if total <= self.max_bytes {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
            }
        }
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        if self.written.load(Ordering::Relaxed) > 0 {
            self.prune();
        }
    }
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> (String, Vec<u8>) {
        let b = vec![b'a' + (n % 26) as u8; 1000 + n];
        (digest::sha256(&b), b)
    }

    #[test]
    fn stores_verifies_and_drops_corrupt_entries() {
        let t = tempfile::tempdir().unwrap();
        let c = Cache::new(t.path().join("c"), 1 << 20);
        let (d, b) = entry(1);
        assert_eq!(c.get(&d), None);
        c.put(&d, &b);
        assert_eq!(c.get(&d).as_deref(), Some(&b[..]));
        let path = c.path(&d).unwrap();
        fs::write(&path, b"tampered").unwrap();
        assert_eq!(c.get(&d), None);
        assert!(!path.exists(), "a corrupt entry is removed");
        // Bytes that do not hash to the digest are not stored.
        c.put(&d, b"other");
        assert!(!path.exists());
        // Names that are not digests never become paths.
        c.put("sha256:../../x", b"x");
        assert_eq!(c.get("sha256:../../x"), None);
    }

    #[test]
    fn prune_keeps_the_bound_dropping_least_recently_used() {
        let t = tempfile::tempdir().unwrap();
        let c = Cache::new(t.path().join("c"), 5_000);
        let mut ds = Vec::new();
        for n in 0..8 {
            let (d, b) = entry(n);
            c.put(&d, &b);
            let f = fs::File::options()
                .write(true)
                .open(c.path(&d).unwrap())
                .unwrap();
            f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1000 + n as u64))
                .unwrap();
            ds.push(d);
        }
        // Entry 0 is used again: it becomes the most recent.
        assert!(c.get(&ds[0]).is_some());
        c.prune();
        let kept: Vec<bool> = ds.iter().map(|d| c.path(d).unwrap().exists()).collect();
        let size: u64 = ds
            .iter()
            .filter_map(|d| fs::metadata(c.path(d).unwrap()).ok())
            .map(|m| m.len())
            .sum();
        assert!(size <= 5_000, "{size}");
        assert_eq!(
            kept,
            [true, false, false, false, false, true, true, true],
            "oldest out first"
        );
    }
}
