//! The content cache: manifests fetched by digest and small blobs (configs) kept on disk under
//! their digest, verified on every read (a corrupt entry is dropped and fetched again),
//! bounded in size (the least recently used packs go first) and shared safely by concurrent
//! processes. Beside them, per repository, the digest each tag had when last listed: only a
//! hint, always checked with a HEAD, that says whether a HEAD is worth sending.
//!
//! Storage: each run that fetched something writes one pack file (its entries, then an index
//! of them, then a footer) to a temporary name and renames it into place, so a reader sees
//! whole packs only and a listing of thousands of images creates one file, not thousands.
//! When packs hold the same key, the newest wins.
//!
//! The directory is cr's own (`dir`): one that is another user's, writable by others, or a
//! link below the root turns the cache off for the run, with a warning. Only files named as cr
//! names its packs and temporary files are read or removed, never through a link, and the
//! indexes loaded are bounded (per pack and in all), so a crafted pack costs no memory.
//!
//! A digest is a name, not a permission: an entry is served for `registry/repo@digest` only
//! once that registry said in this run that the repository holds it (`confirm`).

mod dir;
pub use dir::UnsafeDir;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use crate::oci::digest;
use crate::oci::reference::validate_digest;

/// Entries larger than this are neither stored nor read (manifests are at most 8 MiB).
const MAX_ENTRY: u64 = 8 << 20;
/// A pack's index is at most this large (a pack is written with no more entries).
const MAX_INDEX: u64 = 4 << 20;
/// The indexes of all packs loaded in a run are at most this large together; older packs
/// beyond it are not read (and go first when pruning).
const INDEX_BUDGET: u64 = 8 << 20;
/// Packs loaded at most (the newest).
const MAX_LOAD: usize = 2 * MAX_PACKS;
/// An index entry (`["sha512:…",offset,length],`) takes at most this many bytes; entries are
/// never empty, so an index larger than this times the bytes before it describes no pack.
const MAX_INDEX_ENTRY: u64 = 200;
/// More packs than this are merged into one when a run ends.
const MAX_PACKS: usize = 32;
/// Pending entries are written out as a pack once they reach this size.
const PACK_AT: u64 = 32 << 20;
/// Temporary files older than this were left by a process that died; pruning removes them.
const STALE_TEMP: Duration = Duration::from_secs(3600);
const MAGIC: &[u8; 8] = b"CRPACK1\n";

/// cr's cache directory: `CR_CACHE_DIR`, else the user's cache directory `/cr`. The content
/// cache lives in `content/` below it, the compressed-layer memory in `compressed.json`.
/// None when there is none, or when it (or `content/`, `content/packs/`) is not cr's own:
/// then a warning says why, once, and the run uses no cache.
pub fn root() -> Option<PathBuf> {
    static ROOT: OnceLock<Option<PathBuf>> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = std::env::var_os("CR_CACHE_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| dirs::cache_dir().map(|d| d.join("cr")))?;
        match check_tree(&root) {
            Ok(()) => Some(root),
            Err(e) => {
                crate::notice::warning(&format!(
                    "the cache is not used in this run: {e} (cr keeps its cache only in a directory of yours that no one else can write)"
                ));
                None
            }
        }
    })
    .clone()
}

/// The root and the directories cr makes below it are cr's own (those that exist).
fn check_tree(root: &Path) -> Result<(), UnsafeDir> {
    dir::check_root(root)?;
    dir::check_below(&root.join("content"))?;
    dir::check_below(&root.join("content").join("packs"))
}

/// Open a file of the cache for reading: a regular file of the user's, never through a link.
pub(crate) fn open_file(path: &Path) -> Option<fs::File> {
    dir::open_file(path)
}

/// Make a directory of the cache (mode 0700) and check it is cr's own.
pub(crate) fn make_dir(root: &Path) -> bool {
    dir::make_private(root).is_ok() && dir::check_root(root).is_ok()
}

/// A content-addressed store under one directory.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    max_bytes: u64,
    /// The packs present when first read, newest first, and where each key is.
    index: OnceLock<Mutex<Index>>,
    /// Entries fetched by this process, written as a pack on `flush` (or drop).
    pending: Mutex<Pending>,
    /// Keys read and verified by this process: a copy fetched anyway need not be stored.
    good: Mutex<HashSet<String>>,
    /// `registry/repo@digest` the registry said in this run that it holds.
    confirmed: Mutex<HashSet<String>>,
}

#[derive(Debug, Default)]
struct Index {
    packs: Vec<Pack>,
    /// key → (pack, offset, length)
    map: HashMap<String, (usize, u64, u64)>,
}

#[derive(Debug)]
struct Pack {
    path: PathBuf,
    file: Arc<fs::File>,
    /// An entry was read from it: its time is refreshed at flush (least recently used).
    used: bool,
}

/// An entry in a pack: key, pack file, offset, length.
type Located = (String, Arc<fs::File>, u64, u64);

#[derive(Debug, Default)]
struct Pending {
    entries: Vec<(String, Vec<u8>)>,
    keys: HashMap<String, usize>,
    bytes: u64,
}

impl Cache {
    /// A cache in `dir` holding at most `max_bytes`. The directory is made (mode 0700: cached
    /// manifests may be private) when the first pack is written.
    pub fn new(dir: PathBuf, max_bytes: u64) -> Self {
        Cache {
            dir,
            max_bytes,
            index: OnceLock::new(),
            pending: Mutex::new(Pending::default()),
            good: Mutex::default(),
            confirmed: Mutex::default(),
        }
    }

    /// The content directory, its root and its packs are cr's own (checked at each use: a
    /// directory made meanwhile by someone else is refused too).
    fn safe(&self) -> bool {
        self.dir.parent().is_none_or(|r| dir::check_root(r).is_ok())
            && dir::check_below(&self.dir).is_ok()
            && dir::check_below(&self.packs_dir()).is_ok()
    }

    fn confirmed_key(registry: &str, repo: &str, d: &str) -> String {
        format!("{registry}/{repo}@{d}")
    }

    /// `registry` said (a HEAD or GET answered, or a manifest it served lists it) that `repo`
    /// holds `d`: the cached copy may answer for it from now on.
    pub fn confirm(&self, registry: &str, repo: &str, d: &str) {
        if validate_digest(d).is_ok() {
            self.confirmed
                .lock()
                .expect("cache lock")
                .insert(Self::confirmed_key(registry, repo, d));
        }
    }

    /// Whether `registry` said in this run that `repo` holds `d`.
    pub fn is_confirmed(&self, registry: &str, repo: &str, d: &str) -> bool {
        self.confirmed
            .lock()
            .expect("cache lock")
            .contains(&Self::confirmed_key(registry, repo, d))
    }

    /// The bytes stored for `d` as an answer for `registry/repo`: only once the registry
    /// confirmed that the repository holds it (a digest read anywhere else proves nothing).
    pub fn get_in(&self, registry: &str, repo: &str, d: &str) -> Option<Vec<u8>> {
        if !self.is_confirmed(registry, repo, d) {
            return None;
        }
        self.get(d)
    }

    fn packs_dir(&self) -> PathBuf {
        self.dir.join("packs")
    }

    fn index(&self) -> &Mutex<Index> {
        self.index.get_or_init(|| Mutex::new(self.load()))
    }

    /// Read the packs' indexes, newest first (a key's newest copy wins), within the budget.
    fn load(&self) -> Index {
        if !self.safe() {
            return Index::default();
        }
        // Newest written first (the name starts with its creation time in nanoseconds; the
        // modification time only says when it was last used). Regular files only.
        let mut found: Vec<(u128, PathBuf)> = fs::read_dir(self.packs_dir())
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| {
                        let born = pack_born(&e.file_name().to_string_lossy())?;
                        e.file_type().ok()?.is_file().then(|| (born, e.path()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.sort_by(|a, b| b.cmp(a));
        let mut idx = Index::default();
        let mut budget = INDEX_BUDGET;
        for (_, path) in found.into_iter().take(MAX_LOAD) {
            let Some(file) = dir::open_file(&path) else {
                continue;
            };
            let Some(entries) = read_index(&file, &mut budget) else {
                continue;
            };
            let n = idx.packs.len();
            for (key, off, len) in entries {
                idx.map.entry(key).or_insert((n, off, len));
            }
            idx.packs.push(Pack {
                path,
                file: Arc::new(file),
                used: false,
            });
        }
        idx
    }

    /// The bytes of `key`, unverified, and the pack they came from (None: this process's).
    fn read(&self, key: &str) -> Option<(Vec<u8>, Option<usize>)> {
        if let Some(b) = self.pending_get(key) {
            return Some((b, None));
        }
        let (p, file, off, len) = {
            let idx = self.index().lock().expect("cache index lock");
            let &(p, off, len) = idx.map.get(key)?;
            (p, idx.packs[p].file.clone(), off, len)
        };
        let mut buf = vec![0u8; len as usize];
        read_at(&file, &mut buf, off).ok()?;
        Some((buf, Some(p)))
    }

    /// A good entry was read from pack `p`: keep that pack as recently used.
    fn mark_used(&self, p: Option<usize>) {
        if let Some(p) = p {
            self.index().lock().expect("cache index lock").packs[p].used = true;
        }
    }

    fn pending_get(&self, key: &str) -> Option<Vec<u8>> {
        let p = self.pending.lock().expect("cache pending lock");
        p.keys.get(key).map(|&i| p.entries[i].1.clone())
    }

    /// The bytes stored for digest `d`, if present and they still hash to it. A mismatching
    /// entry is dropped (and its next copy, fetched again, shadows it). Not an answer for a
    /// repository: registry reads go through `get_in`.
    pub fn get(&self, d: &str) -> Option<Vec<u8>> {
        validate_digest(d).ok()?;
        let (buf, pack) = self.read(d)?;
        if digest::of_like(d, &buf) != d {
            self.index().lock().expect("cache index lock").map.remove(d);
            return None;
        }
        self.mark_used(pack);
        self.good.lock().expect("cache lock").insert(d.to_string());
        Some(buf)
    }

    /// Whether digest `d` is stored (unverified: `get` verifies).
    pub fn contains(&self, d: &str) -> bool {
        self.pending
            .lock()
            .expect("cache pending lock")
            .keys
            .contains_key(d)
            || self
                .index()
                .lock()
                .expect("cache index lock")
                .map
                .contains_key(d)
    }

    /// Keep `bytes` under digest `d` if they hash to it. Failures are ignored: the cache only
    /// saves requests. A copy in an older pack that was not read (and so not verified) in
    /// this run may be corrupt: the new copy is kept and shadows it.
    pub fn put(&self, d: &str, bytes: &[u8]) {
        if validate_digest(d).is_err()
            || bytes.is_empty()
            || bytes.len() as u64 > MAX_ENTRY.min(self.max_bytes)
            || digest::of_like(d, bytes) != d
            || self.good.lock().expect("cache lock").contains(d)
            || self
                .pending
                .lock()
                .expect("cache pending lock")
                .keys
                .contains_key(d)
        {
            return;
        }
        self.add(d.to_string(), bytes.to_vec());
    }

    fn add(&self, key: String, bytes: Vec<u8>) {
        let full = {
            let mut p = self.pending.lock().expect("cache pending lock");
            p.bytes += bytes.len() as u64;
            match p.keys.get(&key) {
                Some(&i) => p.entries[i].1 = bytes,
                None => {
                    let i = p.entries.len();
                    p.keys.insert(key.clone(), i);
                    p.entries.push((key, bytes));
                }
            }
            p.bytes >= PACK_AT.min(self.max_bytes / 2)
        };
        if full {
            self.write_pending();
        }
    }

    fn hint_key(registry: &str, repo: &str) -> String {
        let h = digest::sha256(format!("{registry}/{repo}").as_bytes());
        format!("tags/{}", &h[7..])
    }

    /// The digests the tags of `registry/repo` had when last listed (a hint to be checked).
    pub fn tag_hints(&self, registry: &str, repo: &str) -> HashMap<String, String> {
        let Some((buf, pack)) = self.read(&Self::hint_key(registry, repo)) else {
            return HashMap::new();
        };
        self.mark_used(pack);
        let map: HashMap<String, String> = serde_json::from_slice(&buf).unwrap_or_default();
        map.into_iter()
            .filter(|(_, d)| validate_digest(d).is_ok())
            .collect()
    }

    /// Remember the digests of the tags of `registry/repo`.
    pub fn set_tag_hints(&self, registry: &str, repo: &str, hints: &HashMap<String, String>) {
        if self.tag_hints(registry, repo) == *hints {
            return;
        }
        if let Ok(bytes) = serde_json::to_vec(hints) {
            if (bytes.len() as u64) <= MAX_ENTRY {
                self.add(Self::hint_key(registry, repo), bytes);
            }
        }
    }

    /// Write what this process added as one pack, refresh the time of the packs it read, and
    /// (when it used the cache at all) keep the bound.
    pub fn flush(&self) {
        let many = self
            .index
            .get()
            .is_some_and(|i| i.lock().expect("cache index lock").packs.len() > MAX_PACKS);
        let wrote = if many {
            self.compact()
        } else {
            self.write_pending()
        };
        if let Some(idx) = self.index.get() {
            for p in idx.lock().expect("cache index lock").packs.iter_mut() {
                if std::mem::take(&mut p.used) {
                    let _ = p.file.set_modified(SystemTime::now());
                }
            }
        }
        if wrote || self.index.get().is_some() {
            self.prune();
        }
    }

    /// Write the pending entries as a pack; true when one was written.
    fn write_pending(&self) -> bool {
        let entries = {
            let mut p = self.pending.lock().expect("cache pending lock");
            std::mem::take(&mut *p).entries
        };
        !entries.is_empty() && self.write_pack(entries.into_iter())
    }

    /// Too many packs: write every live entry (each key's newest copy, verified, then this
    /// process's own) into one pack, streamed, and remove the packs it replaces.
    fn compact(&self) -> bool {
        let pending = {
            let mut p = self.pending.lock().expect("cache pending lock");
            std::mem::take(&mut *p).entries
        };
        let (old, live) = {
            let idx = self.index().lock().expect("cache index lock");
            let own: std::collections::HashSet<&str> =
                pending.iter().map(|(k, _)| k.as_str()).collect();
            let old: Vec<PathBuf> = idx.packs.iter().map(|p| p.path.clone()).collect();
            let live: Vec<Located> = idx
                .map
                .iter()
                .filter(|(k, _)| !own.contains(k.as_str()))
                .map(|(k, &(p, off, len))| (k.clone(), idx.packs[p].file.clone(), off, len))
                .collect();
            (old, live)
        };
        let kept = live.into_iter().filter_map(|(key, file, off, len)| {
            let mut buf = vec![0u8; len as usize];
            read_at(&file, &mut buf, off).ok()?;
            let good = validate_digest(&key).is_err() || digest::of_like(&key, &buf) == key;
            good.then_some((key, buf))
        });
        if !self.write_pack(kept.chain(pending)) {
            return false;
        }
        for path in old {
            let _ = fs::remove_file(path);
        }
        true
    }

    /// Write `entries` as one pack (to a temporary file renamed into place); entries beyond
    /// what an index of `MAX_INDEX` can list are left out.
    fn write_pack(&self, entries: impl Iterator<Item = (String, Vec<u8>)>) -> bool {
        let dir = self.packs_dir();
        if dir::make_private(&dir).is_err() || !self.safe() {
            return false;
        }
        let Ok(mut tmp) = tempfile::Builder::new()
            .prefix(".tmp-")
            .rand_bytes(6)
            .tempfile_in(&dir)
        else {
            return false;
        };
        let mut index = Vec::new();
        let mut off = 0u64;
        let mut index_size = 2u64;
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        for (key, bytes) in entries {
            let entry_size = key.len() as u64 + 48;
            if bytes.is_empty() || index_size + entry_size > MAX_INDEX {
                continue;
            }
            index_size += entry_size;
            if w.write_all(&bytes).is_err() {
                return false;
            }
            index.push((key, off, bytes.len() as u64));
            off += bytes.len() as u64;
        }
        if index.is_empty() {
            return false;
        }
        let Ok(idx_bytes) = serde_json::to_vec(&index) else {
            return false;
        };
        let ok = w.write_all(&idx_bytes).is_ok()
            && w.write_all(&(idx_bytes.len() as u64).to_le_bytes()).is_ok()
            && w.write_all(MAGIC).is_ok()
            && w.flush().is_ok();
        drop(w);
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let name = format!(
            "{nanos}-{}-{:08x}.pack",
            std::process::id(),
            fastrand::u32(..)
        );
        ok && tmp.persist(dir.join(name)).is_ok()
    }

    /// Remove the least recently used packs until the cache holds at most its bound, and
    /// temporary files left by dead processes. Another process removing the same files at the
    /// same time is harmless (a pack still open is read to the end).
    pub fn prune(&self) {
        let now = SystemTime::now();
        let mut packs = Vec::new();
        let mut total = 0u64;
        if !self.safe() {
            return;
        }
        let Ok(rd) = fs::read_dir(self.packs_dir()) else {
            return;
        };
        for e in rd.flatten() {
            // Only cr's own names, and regular files (not links: the entry's own metadata).
            let name = e.file_name().to_string_lossy().into_owned();
            let temp = is_temp_name(&name);
            if !temp && pack_born(&name).is_none() {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            if !meta.file_type().is_file() {
                continue;
            }
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if temp {
                if now.duration_since(modified).unwrap_or_default() > STALE_TEMP {
                    let _ = fs::remove_file(e.path());
                }
                continue;
            }
            total += meta.len();
            packs.push((modified, meta.len(), e.path()));
        }
        packs.sort();
        for (_, len, path) in packs {
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
    }
}

/// When a pack named as cr names them (`NANOS-PID-RANDOM.pack`) was written.
fn pack_born(name: &str) -> Option<u128> {
    let mut parts = name.strip_suffix(".pack")?.split('-');
    let (born, pid, rand) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    let ours = parts.next().is_none()
        && digits(born, 38)
        && digits(pid, 10)
        && rand.len() == 8
        && rand.bytes().all(|b| b.is_ascii_hexdigit());
    ours.then(|| born.parse().ok()).flatten()
}

/// A temporary file as cr names them (`.tmp-` and six letters or digits).
fn is_temp_name(name: &str) -> bool {
    name.strip_prefix(".tmp-")
        .is_some_and(|r| r.len() == 6 && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A pack's index: (key, offset, length) of each entry, checked against the file's size;
/// None when the footer or index is not cr's, or the index is larger than its pack could
/// need or than what is left of `budget` (then it is not read at all).
fn read_index(file: &fs::File, budget: &mut u64) -> Option<Vec<(String, u64, u64)>> {
    let size = file.metadata().ok()?.len();
    if size < 16 {
        return None;
    }
    let mut footer = [0u8; 16];
    read_at(file, &mut footer, size - 16).ok()?;
    if &footer[8..] != MAGIC {
        return None;
    }
    let idx_len = u64::from_le_bytes(footer[..8].try_into().ok()?);
    if idx_len > MAX_INDEX || idx_len > size - 16 || idx_len > *budget {
        return None;
    }
    let data_end = size - 16 - idx_len;
    if idx_len > data_end.saturating_mul(MAX_INDEX_ENTRY) {
        return None;
    }
    *budget -= idx_len;
    let mut buf = vec![0u8; idx_len as usize];
    read_at(file, &mut buf, data_end).ok()?;
    let entries: Vec<(String, u64, u64)> = serde_json::from_slice(&buf).ok()?;
    let valid_key = |k: &str| {
        validate_digest(k).is_ok()
            || k.strip_prefix("tags/")
                .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    Some(
        entries
            .into_iter()
            .filter(|(k, off, len)| {
                valid_key(k)
                    && *len > 0
                    && *len <= MAX_ENTRY
                    && off.checked_add(*len).is_some_and(|end| end <= data_end)
            })
            .collect(),
    )
}

#[cfg(unix)]
fn read_at(file: &fs::File, buf: &mut [u8], off: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, off)
}

#[cfg(not(unix))]
fn read_at(file: &fs::File, buf: &mut [u8], off: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = file.try_clone()?;
    f.seek(SeekFrom::Start(off))?;
    f.read_exact(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize, size: usize) -> (String, Vec<u8>) {
        let b = vec![b'a' + (n % 26) as u8; size + n];
        (digest::sha256(&b).into_string(), b)
    }

    fn packs(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = fs::read_dir(dir.join("packs"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn stores_verifies_and_drops_corrupt_entries() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("c");
        let (d, b) = entry(1, 1000);
        {
            let c = Cache::new(dir.clone(), 1 << 20);
            assert_eq!(c.get(&d), None);
            c.put(&d, &b);
            // Bytes that do not hash to the digest, or names that are not digests, are refused.
            c.put(&entry(2, 10).0, b"other");
            c.put("sha256:../../x", b"x");
            let hints: HashMap<String, String> = [("v1".to_string(), d.clone())].into();
            c.set_tag_hints("reg", "ns/app", &hints);
        }
        let c = Cache::new(dir.clone(), 1 << 20);
        assert_eq!(c.get(&d).as_deref(), Some(&b[..]));
        assert_eq!(c.get(&entry(2, 10).0), None);
        assert_eq!(c.tag_hints("reg", "ns/app")["v1"], d);
        assert!(c.tag_hints("reg", "ns/other").is_empty());
        drop(c);
        // Corrupt the entry's bytes: it is dropped, and a fresh copy shadows it.
        let p = &packs(&dir)[0];
        let mut bytes = fs::read(p).unwrap();
        bytes[..100].fill(b'X');
        fs::write(p, &bytes).unwrap();
        let c = Cache::new(dir.clone(), 1 << 20);
        assert_eq!(c.get(&d), None);
        assert!(!c.contains(&d));
        c.put(&d, &b);
        drop(c);
        assert_eq!(packs(&dir).len(), 2);
        let c = Cache::new(dir.clone(), 1 << 20);
        assert_eq!(c.get(&d).as_deref(), Some(&b[..]));
        // A file that is not a pack is ignored.
        fs::write(dir.join("packs/junk.pack"), b"not a pack at all, no footer").unwrap();
        assert_eq!(Cache::new(dir, 1 << 20).get(&d).as_deref(), Some(&b[..]));
    }

    #[test]
    fn many_packs_are_merged_into_one() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("c");
        let mut ds = Vec::new();
        for n in 0..(MAX_PACKS + 3) {
            let c = Cache::new(dir.clone(), 1 << 30);
            let (d, b) = entry(n, 100);
            c.put(&d, &b);
            let hints: HashMap<String, String> = [("v".to_string(), d.clone())].into();
            c.set_tag_hints("reg", "ns/app", &hints);
            ds.push(d);
        }
        // The run that found more than MAX_PACKS packs merged them (with its own entries).
        assert!(packs(&dir).len() < 5, "{}", packs(&dir).len());
        let c = Cache::new(dir, 1 << 30);
        assert!(ds.iter().all(|d| c.get(d).is_some()));
        assert_eq!(
            c.tag_hints("reg", "ns/app")["v"],
            ds[MAX_PACKS + 2],
            "the newest hint"
        );
    }

    #[test]
    fn prune_keeps_the_bound_dropping_least_recently_used_packs() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("c");
        let mut ds = Vec::new();
        for n in 0..5 {
            let c = Cache::new(dir.clone(), 1 << 30);
            let (d, b) = entry(n, 2000);
            c.put(&d, &b);
            drop(c);
            ds.push(d);
            let p = packs(&dir)
                .into_iter()
                .find(|p| {
                    fs::metadata(p)
                        .unwrap()
                        .modified()
                        .unwrap()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .unwrap()
                        .as_secs()
                        > 10_000
                })
                .unwrap();
            fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1000 + n as u64))
                .unwrap();
        }
        // Entry 0 is read again: its pack becomes the most recent.
        let c = Cache::new(dir.clone(), 7_000);
        assert!(c.get(&ds[0]).is_some());
        c.flush();
        c.prune();
        drop(c);
        let size: u64 = packs(&dir)
            .iter()
            .map(|p| fs::metadata(p).unwrap().len())
            .sum();
        assert!(size <= 7_000, "{size}");
        let c = Cache::new(dir, 1 << 30);
        let kept: Vec<bool> = ds.iter().map(|d| c.get(d).is_some()).collect();
        assert_eq!(kept, [true, false, false, true, true], "oldest out first");
    }

    /// Finding 10: pruning removes cr's packs and stale temporary files only; a file cr did
    /// not name, or a link, stays; a linked `packs` directory is neither read nor pruned.
    #[cfg(unix)]
    #[test]
    fn prune_removes_only_crs_own_files() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("c");
        let c = Cache::new(dir.clone(), 1 << 30);
        let (d, b) = entry(1, 5000);
        c.put(&d, &b);
        drop(c);
        let p = dir.join("packs");
        fs::write(p.join("notes.txt"), vec![b'n'; 9000]).unwrap();
        fs::write(p.join("1-2-zzzzzzzz.pack"), vec![b'n'; 9000]).unwrap();
        std::os::unix::fs::symlink(p.join("notes.txt"), p.join("5-5-0000000a.pack")).unwrap();
        Cache::new(dir.clone(), 10).prune();
        let mut left: Vec<String> = fs::read_dir(&p)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["1-2-zzzzzzzz.pack", "5-5-0000000a.pack", "notes.txt"]
        );
        // packs/ a link to a directory holding a pack: not read, not pruned.
        let other = t.path().join("other");
        fs::rename(&p, &other).unwrap();
        let c = Cache::new(dir.clone(), 1 << 30);
        c.put(&d, &b);
        drop(c);
        let mine = packs(&dir);
        fs::remove_dir_all(dir.join("packs")).unwrap();
        fs::create_dir(dir.join("packs")).unwrap();
        let name = mine[0].file_name().unwrap();
        fs::write(other.join(name), b"x").unwrap();
        fs::remove_dir(dir.join("packs")).unwrap();
        std::os::unix::fs::symlink(&other, dir.join("packs")).unwrap();
        let c = Cache::new(dir.clone(), 1 << 30);
        assert_eq!(c.get(&d), None);
        c.put(&d, &b);
        drop(c);
        Cache::new(dir.clone(), 0).prune();
        assert!(other.join(name).exists());
        assert_eq!(
            fs::read_dir(&other).unwrap().count(),
            4,
            "nothing written there"
        );
    }

    /// Finding 11: an entry answers for a repository only once confirmed for it.
    #[test]
    fn entries_answer_only_for_confirmed_repositories() {
        let t = tempfile::tempdir().unwrap();
        let c = Cache::new(t.path().join("c"), 1 << 20);
        let (d, b) = entry(3, 100);
        c.put(&d, &b);
        assert!(c.contains(&d));
        assert_eq!(c.get_in("reg", "ns/a", &d), None);
        c.confirm("reg", "ns/a", &d);
        assert_eq!(c.get_in("reg", "ns/a", &d).as_deref(), Some(&b[..]));
        assert_eq!(c.get_in("reg", "ns/b", &d), None);
        assert_eq!(c.get_in("other", "ns/a", &d), None);
    }

    /// Finding 15: an index over the per-pack cap, over the budget left, or larger than its
    /// entries could need is not read.
    #[test]
    fn oversized_indexes_are_not_read() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("c");
        let c = Cache::new(dir.clone(), 1 << 30);
        let (d, b) = entry(4, 100);
        c.put(&d, &b);
        drop(c);
        let file = fs::File::open(&packs(&dir)[0]).unwrap();
        let mut budget = INDEX_BUDGET;
        assert_eq!(read_index(&file, &mut budget).unwrap().len(), 1);
        assert!(budget < INDEX_BUDGET);
        let mut none = 10;
        assert!(read_index(&file, &mut none).is_none(), "over the budget");
        // A footer claiming an index that dwarfs its entry region.
        let fake = dir.join("packs/9-9-0000000a.pack");
        let mut bytes = vec![b'x'; 10];
        let idx = format!("[[\"{d}\",0,1]{}]", " ".repeat(3000));
        bytes.extend_from_slice(idx.as_bytes());
        bytes.extend_from_slice(&(idx.len() as u64).to_le_bytes());
        bytes.extend_from_slice(MAGIC);
        fs::write(&fake, bytes).unwrap();
        let mut budget = INDEX_BUDGET;
        assert!(read_index(&fs::File::open(&fake).unwrap(), &mut budget).is_none());
        assert_eq!(budget, INDEX_BUDGET);
    }
}
