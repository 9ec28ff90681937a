//! The content cache: manifests fetched by digest and small blobs (configs) kept on disk under
//! their digest, verified on every read (a corrupt entry is dropped), bounded in size (the
//! least recently used go first) and shared safely by concurrent processes (each entry is
//! written to a temporary file by a background thread and renamed into place). Beside them,
//! per repository, the digest each tag had when last listed: only a hint, always checked
//! with a HEAD, that says whether a HEAD is worth sending.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
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
    store: Arc<Store>,
    /// Entries are written by one background thread, so that a listing's requests never wait
    /// on file creation; dropping the cache (or `flush`) waits for it.
    writer: Mutex<Option<(mpsc::Sender<Job>, std::thread::JoinHandle<()>)>>,
}

/// What the background thread writes.
#[derive(Debug)]
enum Job {
    /// Content under its digest (kept if already there).
    Entry(String, Vec<u8>),
    /// A file replaced as a whole (tag hints).
    Replace(PathBuf, Vec<u8>),
}

#[derive(Debug)]
struct Store {
    dir: PathBuf,
    max_bytes: u64,
    /// Bytes this process added; pruning runs when the cache is dropped if any were.
    written: AtomicU64,
    /// The directory exists (made once, mode 0700).
    made: std::sync::OnceLock<bool>,
}

impl Cache {
    /// A cache in `dir` holding at most `max_bytes`. The directory is made (mode 0700: cached
    /// manifests may be private) when the first entry is written.
    pub fn new(dir: PathBuf, max_bytes: u64) -> Self {
        Cache {
            store: Arc::new(Store {
                dir,
                max_bytes,
                written: AtomicU64::new(0),
                made: std::sync::OnceLock::new(),
            }),
            writer: Mutex::new(None),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.store.dir
    }

    /// The bytes stored for `d`, if present and they still hash to it. A mismatching entry is
    /// removed. A hit marks the entry as recently used.
    pub fn get(&self, d: &str) -> Option<Vec<u8>> {
        let path = self.store.path(d)?;
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

    /// Store `bytes` under `d` (in the background) if they hash to it. Failures are ignored:
    /// the cache only saves requests.
    pub fn put(&self, d: &str, bytes: &[u8]) {
        if self.store.path(d).is_none()
            || bytes.len() as u64 > MAX_ENTRY.min(self.store.max_bytes)
            || digest::of_like(d, bytes) != d
        {
            return;
        }
        self.submit(Job::Entry(d.to_string(), bytes.to_vec()));
    }

    fn submit(&self, job: Job) {
        let mut w = self.writer.lock().expect("cache writer lock");
        if w.is_none() {
            let (tx, rx) = mpsc::channel::<Job>();
            let store = self.store.clone();
            let spawned = std::thread::Builder::new()
                .name("cr-cache".into())
                .spawn(move || {
                    for job in rx {
                        store.run(job);
                    }
                });
            match spawned {
                Ok(h) => *w = Some((tx, h)),
                Err(_) => return self.store.run(job),
            }
        }
        if let Some((tx, _)) = w.as_ref() {
            let _ = tx.send(job);
        }
    }

    /// Whether an entry for `d` is there (unverified: `get` verifies).
    pub fn contains(&self, d: &str) -> bool {
        self.store.path(d).is_some_and(|p| p.is_file())
    }

    /// The digests the tags of `registry/repo` had when last listed (a hint to be checked).
    pub fn tag_hints(&self, registry: &str, repo: &str) -> HashMap<String, String> {
        let path = self.store.hint_path(registry, repo);
        let Ok(f) = fs::File::open(&path) else {
            return HashMap::new();
        };
        let mut buf = Vec::new();
        if (&f).take(MAX_ENTRY).read_to_end(&mut buf).is_err() {
            return HashMap::new();
        }
        let map: HashMap<String, String> = serde_json::from_slice(&buf).unwrap_or_default();
        map.into_iter()
            .filter(|(_, d)| validate_digest(d).is_ok())
            .collect()
    }

    /// Remember the digests of the tags of `registry/repo` (in the background).
    pub fn set_tag_hints(&self, registry: &str, repo: &str, hints: &HashMap<String, String>) {
        if let Ok(bytes) = serde_json::to_vec(hints) {
            if (bytes.len() as u64) <= MAX_ENTRY {
                self.submit(Job::Replace(self.store.hint_path(registry, repo), bytes));
            }
        }
    }

    /// Wait until every entry put so far is on disk.
    pub fn flush(&self) {
        let w = self.writer.lock().expect("cache writer lock").take();
        if let Some((tx, h)) = w {
            drop(tx);
            let _ = h.join();
        }
    }

    /// See [`Store::prune`].
    pub fn prune(&self) {
        self.store.prune();
    }
}

impl Store {
    /// `DIR/sha256/XX/HEX`, for a valid digest only.
    fn path(&self, d: &str) -> Option<PathBuf> {
        validate_digest(d).ok()?;
        let (alg, hex) = d.split_once(':')?;
        Some(self.dir.join(alg).join(&hex[..2]).join(hex))
    }

    /// `DIR/tags/XX/HASH` for a repository's tag hints.
    fn hint_path(&self, registry: &str, repo: &str) -> PathBuf {
        let h = digest::sha256(format!("{registry}/{repo}").as_bytes());
        let hex = &h[7..];
        self.dir.join("tags").join(&hex[..2]).join(hex)
    }

    fn run(&self, job: Job) {
        match job {
            Job::Entry(d, bytes) => {
                if let Some(path) = self.path(&d).filter(|p| !p.is_file()) {
                    self.write(&path, &bytes);
                }
            }
            Job::Replace(path, bytes) => self.write(&path, &bytes),
        }
    }

    /// Write `bytes` to `path` atomically (a temporary file renamed into place).
    fn write(&self, path: &Path, bytes: &[u8]) {
        let Some(parent) = path.parent() else { return };
        if !*self
            .made
            .get_or_init(|| make_private_dir(&self.dir).is_ok())
        {
            return;
        }
        let temp = || tempfile::Builder::new().prefix(".tmp-").tempfile_in(parent);
        // The shard directory is made only when it is missing (one mkdir per shard, not per
        // entry).
        let tmp = match temp() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(parent).and_then(|_| temp())
            }
            other => other,
        };
        let Ok(mut tmp) = tmp else { return };
        if tmp.write_all(bytes).is_ok() && tmp.persist(path).is_ok() {
            self.written
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
    }

    /// Remove the least recently used entries until the cache holds at most its bound, and
    /// temporary files left by dead processes. Another process removing the same files at the
    /// same time is harmless.
    fn prune(&self) {
        let mut entries = Vec::new();
        let mut total = 0u64;
        let now = SystemTime::now();
        let subdirs = |p: &Path| -> Vec<PathBuf> {
            fs::read_dir(p)
                .map(|rd| {
                    rd.flatten()
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                        .map(|e| e.path())
                        .collect()
                })
                .unwrap_or_default()
        };
        for alg in subdirs(&self.dir) {
            for shard in subdirs(&alg) {
                let Ok(files) = fs::read_dir(&shard) else {
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
        self.flush();
        if self.store.written.load(Ordering::Relaxed) > 0 {
            self.store.prune();
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
        c.flush();
        assert_eq!(c.get(&d).as_deref(), Some(&b[..]));
        let path = c.store.path(&d).unwrap();
        fs::write(&path, b"tampered").unwrap();
        assert_eq!(c.get(&d), None);
        assert!(!path.exists(), "a corrupt entry is removed");
        // Bytes that do not hash to the digest are not stored.
        c.put(&d, b"other");
        c.flush();
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
            c.flush();
            let f = fs::File::options()
                .write(true)
                .open(c.store.path(&d).unwrap())
                .unwrap();
            f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1000 + n as u64))
                .unwrap();
            ds.push(d);
        }
        // Entry 0 is used again: it becomes the most recent.
        assert!(c.get(&ds[0]).is_some());
        c.prune();
        let kept: Vec<bool> = ds
            .iter()
            .map(|d| c.store.path(d).unwrap().exists())
            .collect();
        let size: u64 = ds
            .iter()
            .filter_map(|d| fs::metadata(c.store.path(d).unwrap()).ok())
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
