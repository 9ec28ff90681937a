//! What each uncompressed layer compressed to, remembered between runs (like skopeo's blob-info
//! cache): diff_id and gzip level -> the compressed blob's digest and size. A second push of a
//! `docker save` archive then asks the registry for that blob (HEAD) and skips the layer when
//! it is there, instead of compressing and uploading it again. Best effort: a cache that cannot
//! be read or written is ignored. Kept in `$XDG_CACHE_HOME/cr/compressed.json` (or
//! `CR_CACHE_DIR`); off with the cache (`--no-cache`, `CR_CACHE_MAX_MIB=0`, a cache directory
//! that is not cr's own).
//!
//! An entry decides what a pushed manifest lists without the layer being compressed, so only
//! entries this user's own pushes wrote are trusted: each carries an HMAC-SHA256, over the
//! diff_id, level, digest and size, keyed by a random key kept outside the cache
//! (`CR_CONFIG_DIR/compressed.key`, mode 0600). A planted, copied or restored entry has no
//! valid MAC and is ignored (the layer is compressed and sent).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Entries kept at most; the oldest are dropped beyond it.
const MAX_ENTRIES: usize = 4096;
/// The file is read up to this size (MAX_ENTRIES entries take well under it).
const MAX_FILE: u64 = 4 << 20;
/// The MAC key's file name in cr's config directory.
const KEY_FILE: &str = "compressed.key";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Compressed {
    /// Validated when the file is read: an entry with a malformed digest is not read.
    pub digest: crate::oci::digest::Digest,
    pub size: u64,
    /// Seconds since the epoch when it was last used, for trimming.
    #[serde(default)]
    pub used: i64,
    /// HMAC-SHA256 (hex) of the entry under this user's key.
    #[serde(default)]
    pub mac: String,
}

pub struct GzCache {
    path: Option<PathBuf>,
    key: Option<[u8; 32]>,
    entries: Mutex<BTreeMap<String, Compressed>>,
    changed: AtomicBool,
}

fn key(diff_id: &str, level: u32) -> String {
    format!("{diff_id} gzip-{level}")
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// HMAC-SHA256 (RFC 2104) of `msg` under `key`, hex.
fn hmac(key: &[u8; 32], msg: &[u8]) -> String {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let pad = |x: u8| block.iter().map(|b| b ^ x).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    hex::encode(outer)
}

fn mac(k: &[u8; 32], entry_key: &str, digest: &str, size: u64) -> String {
    hmac(k, format!("{entry_key}\n{digest}\n{size}").as_bytes())
}

/// This user's MAC key in `dir`, made (32 random bytes, mode 0600) when missing; None when it
/// cannot be made or is not a private file of the user's (then nothing is trusted).
fn user_key(dir: &Path) -> Option<[u8; 32]> {
    let path = dir.join(KEY_FILE);
    if std::fs::symlink_metadata(&path).is_err() {
        let mut fresh = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .ok()?
            .read_exact(&mut fresh)
            .ok()?;
        if crate::cache::make_dir(dir) {
            let mut tmp = tempfile::NamedTempFile::new_in(dir).ok()?;
            std::io::Write::write_all(&mut tmp, hex::encode(fresh).as_bytes()).ok()?;
            // Another run may have made one meanwhile: theirs is kept and read below.
            let _ = tmp.persist_noclobber(&path);
        }
    }
    let mut f = crate::cache::open_file(&path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if f.metadata().ok()?.mode() & 0o077 != 0 {
            return None;
        }
    }
    let mut text = String::new();
    (&mut f).take(65).read_to_string(&mut text).ok()?;
    hex::decode(text.trim()).ok()?.try_into().ok()
}

impl GzCache {
    /// The user's cache when `on` (empty when there is none or it cannot be read); else one
    /// that neither reads nor writes anything.
    pub fn open(on: bool) -> Self {
        if !on {
            return Self::open_in(None, None);
        }
        let key = crate::config::config_dir().ok().and_then(|d| user_key(&d));
        Self::open_in(crate::cache::root(), key)
    }

    /// The cache kept in `dir`, trusting entries made with `key` (no dir: a cache that forgets;
    /// no key: one that trusts nothing and remembers nothing).
    pub fn open_in(dir: Option<PathBuf>, key: Option<[u8; 32]>) -> Self {
        let path = dir
            .filter(|_| key.is_some())
            .map(|d| d.join("compressed.json"));
        let entries = path
            .as_ref()
            .and_then(|p| crate::cache::open_file(p))
            .and_then(|f| {
                let mut b = Vec::new();
                f.take(MAX_FILE).read_to_end(&mut b).ok()?;
                let raw: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&b).ok()?;
                // An entry that does not read (a malformed digest) is dropped, not the file.
                Some(
                    raw.into_iter()
                        .filter_map(|(k, v)| Some((k, serde_json::from_value(v).ok()?)))
                        .collect(),
                )
            })
            .unwrap_or_default();
        GzCache {
            path,
            key,
            entries: Mutex::new(entries),
            changed: AtomicBool::new(false),
        }
    }

    /// What `diff_id` compressed to at `level` in an earlier push of this user's: an entry
    /// whose MAC is not this user's key's is not an answer.
    pub fn get(&self, diff_id: &str, level: u32) -> Option<Compressed> {
        let k = self.key.as_ref()?;
        let entry_key = key(diff_id, level);
        let e = self
            .entries
            .lock()
            .expect("cache lock")
            .get(&entry_key)
            .cloned()?;
        (e.mac == mac(k, &entry_key, &e.digest, e.size)).then_some(e)
    }

    pub fn put(&self, diff_id: &str, level: u32, digest: &crate::oci::digest::Digest, size: u64) {
        let Some(k) = &self.key else { return };
        let entry_key = key(diff_id, level);
        let c = Compressed {
            digest: digest.clone(),
            size,
            used: now(),
            mac: mac(k, &entry_key, digest, size),
        };
        self.entries
            .lock()
            .expect("cache lock")
            .insert(entry_key, c);
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
        if !crate::cache::make_dir(dir) {
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
        let open = || GzCache::open_in(Some(dir.path().to_path_buf()), Some([7; 32]));
        let gz = crate::oci::digest::sha256(b"gz");
        let c = open();
        assert_eq!(c.get("sha256:a", 1), None);
        c.put("sha256:a", 1, &gz, 42);
        c.save();
        let again = open();
        let e = again.get("sha256:a", 1).unwrap();
        assert_eq!((e.digest.as_str(), e.size), (gz.as_str(), 42));
        assert_eq!(
            again.get("sha256:a", 6),
            None,
            "another level is another blob"
        );
        // One entry with a malformed digest is dropped; the others stay.
        let file = dir.path().join("compressed.json");
        let mut raw: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        raw["sha256:b gzip-1"] = serde_json::json!({"digest": "sha256:../x", "size": 1});
        std::fs::write(&file, raw.to_string()).unwrap();
        assert_eq!(open().get("sha256:a", 1).unwrap().digest, gz);
        std::fs::write(&file, b"{not json").unwrap();
        assert_eq!(open().get("sha256:a", 1), None);
    }

    #[test]
    fn hmac_is_rfc_4231() {
        let mut k = [0u8; 32];
        k[..20].fill(0x0b);
        assert_eq!(
            hmac(&k, b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
    }

    /// Finding 12: an entry not written under this user's key — planted, moved to another
    /// diff_id, or written without a key — is no answer; a cache that is off writes nothing.
    #[test]
    fn only_entries_made_with_the_users_key_are_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let at = Some(dir.path().to_path_buf());
        let (a, b) = ("sha256:aa", "sha256:bb");
        let gz = crate::oci::digest::sha256(b"gz");
        let mine = GzCache::open_in(at.clone(), Some([1; 32]));
        mine.put(a, 1, &gz, 42);
        mine.save();
        let file = dir.path().join("compressed.json");
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        // Another key (another user's, or a copied cache) trusts none of it.
        assert_eq!(GzCache::open_in(at.clone(), Some([2; 32])).get(a, 1), None);
        // The same entry moved to another diff_id, or pointed at another blob, is refused.
        let entry = v[&key(a, 1)].clone();
        v[&key(b, 1)] = entry.clone();
        v[&key(a, 1)]["digest"] = crate::oci::digest::sha256(b"foreign").to_string().into();
        std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
        let again = GzCache::open_in(at.clone(), Some([1; 32]));
        assert_eq!(again.get(b, 1), None);
        assert_eq!(again.get(a, 1), None);
        // Off: nothing read, nothing written.
        std::fs::remove_file(&file).unwrap();
        let off = GzCache::open_in(at, None);
        off.put(a, 1, &gz, 42);
        off.save();
        assert_eq!(off.get(a, 1), None);
        assert!(!file.exists());
    }
}
