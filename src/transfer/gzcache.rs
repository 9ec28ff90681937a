//! What each uncompressed layer compressed to, remembered between runs (like skopeo's blob-info
//! cache): diff_id and gzip level -> the compressed blob's digest and size. A second push of a
//! `docker save` archive then asks the registry for that blob (HEAD) and skips the layer when
//! it is there, instead of compressing and uploading it again. Best effort: a cache that cannot
//! be read or written is ignored. Kept in `$XDG_CACHE_HOME/cr/compressed.json` (or
//! `CR_CACHE_DIR`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Entries kept at most; the oldest are dropped beyond it.
const MAX_ENTRIES: usize = 4096;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Compressed {
    pub digest: String,
    pub size: u64,
    /// Seconds since the epoch when it was last used, for trimming.
    #[serde(default)]
    pub used: i64,
}

pub struct GzCache {
    path: Option<PathBuf>,
    entries: Mutex<BTreeMap<String, Compressed>>,
    changed: AtomicBool,
}

fn key(diff_id: &str, level: u32) -> String {
    format!("{diff_id} gzip-{level}")
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl GzCache {
    /// The user's cache (empty when there is none or it cannot be read).
    pub fn open() -> Self {
        Self::open_in(crate::cache::root())
    }

    /// The cache kept in `dir` (none: a cache that forgets).
    pub fn open_in(dir: Option<PathBuf>) -> Self {
        let path = dir.map(|d| d.join("compressed.json"));
        let entries = path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        GzCache {
            path,
            entries: Mutex::new(entries),
            changed: AtomicBool::new(false),
        }
    }

    pub fn get(&self, diff_id: &str, level: u32) -> Option<Compressed> {
        self.entries
            .lock()
            .expect("cache lock")
            .get(&key(diff_id, level))
            .cloned()
    }

    pub fn put(&self, diff_id: &str, level: u32, digest: &str, size: u64) {
        let c = Compressed {
            digest: digest.to_string(),
            size,
            used: now(),
        };
        self.entries
            .lock()
            .expect("cache lock")
            .insert(key(diff_id, level), c);
        self.changed.store(true, Ordering::Relaxed);
    }

    /// Write the cache back when it changed (atomically; errors are ignored).
    pub fn save(&self) {
        if !self.changed.load(Ordering::Relaxed) {
            return;
        }
        let Some(path) = &self.path else { return };
        let mut entries = self.entries.lock().expect("cache lock").clone();
        if entries.len() > MAX_ENTRIES {
            let mut by_age: Vec<(i64, String)> =
                entries.iter().map(|(k, v)| (v.used, k.clone())).collect();
            by_age.sort();
            for (_, k) in by_age.into_iter().take(entries.len() - MAX_ENTRIES) {
                entries.remove(&k);
            }
        }
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) else {
            return;
        };
        let ok = serde_json::to_writer(&mut tmp, &entries).is_ok();
        if ok {
            let _ = tmp.persist(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_across_opens_and_ignores_a_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let open = || GzCache::open_in(Some(dir.path().to_path_buf()));
        let c = open();
        assert_eq!(c.get("sha256:a", 1), None);
        c.put("sha256:a", 1, "sha256:gz", 42);
        c.save();
        let again = open();
        let e = again.get("sha256:a", 1).unwrap();
        assert_eq!((e.digest.as_str(), e.size), ("sha256:gz", 42));
        assert_eq!(
            again.get("sha256:a", 6),
            None,
            "another level is another blob"
        );
        std::fs::write(dir.path().join("compressed.json"), b"{not json").unwrap();
        assert_eq!(open().get("sha256:a", 1), None);
    }
}
