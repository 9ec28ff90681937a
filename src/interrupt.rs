//! Interrupts (SIGINT, SIGTERM, SIGHUP) as the library sees them: whether one arrived, so that
//! a final write stops while it can still be abandoned; whether a final write is under way, so
//! that the first interrupt lets it decide; and the staging paths that a second interrupt
//! removes before cr exits at once.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

static RAISED: AtomicBool = AtomicBool::new(false);
static FINAL_WRITES: AtomicUsize = AtomicUsize::new(0);
static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Record that an interrupt arrived.
pub fn raise() {
    RAISED.store(true, Ordering::SeqCst);
}

/// Whether an interrupt arrived.
pub fn raised() -> bool {
    RAISED.load(Ordering::SeqCst)
}

/// Whether a final write (a pull's commit) is under way: it then decides itself whether to
/// stop, and the command is not dropped under it.
pub fn in_final_write() -> bool {
    FINAL_WRITES.load(Ordering::SeqCst) > 0
}

/// A final write under way, while this lives.
pub struct FinalWrite(());

impl FinalWrite {
    pub fn begin() -> Self {
        FINAL_WRITES.fetch_add(1, Ordering::SeqCst);
        FinalWrite(())
    }
}

impl Drop for FinalWrite {
    fn drop(&mut self) {
        FINAL_WRITES.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A staging file or directory that a second interrupt removes, while this lives (its owner
/// removes it in the ordinary way; dropping this only forgets it).
#[derive(Debug)]
pub struct Staged(PathBuf);

impl Staged {
    pub fn register(path: &Path) -> Self {
        STAGING
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.to_path_buf());
        Staged(path.to_path_buf())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let mut list = STAGING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = list.iter().position(|p| *p == self.0) {
            list.swap_remove(i);
        }
    }
}

/// Remove every registered staging path (a second interrupt: cr exits right after). A path
/// renamed into place meanwhile is gone from its staging name, so nothing written is removed.
pub fn remove_staging() {
    let list = STAGING.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for p in list {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {
                let _ = std::fs::remove_dir_all(&p);
            }
            Ok(_) => {
                let _ = std::fs::remove_file(&p);
            }
            Err(_) => {}
        }
    }
}

/// A reader that fails once an interrupt arrived: a long copy in a final write stops there.
pub struct Checked<R>(pub R);

/// The error a `Checked` reader fails with.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Abandoned;

impl<R: std::io::Read> std::io::Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if raised() {
            return Err(std::io::Error::other(Abandoned));
        }
        self.0.read(buf)
    }
}

/// Deletions sent to a registry in this run, each with whether its answer came: an interrupted
/// run lists them, so that nobody is told "nothing happened" after a DELETE went out.
static DELETIONS: Mutex<Vec<(String, bool)>> = Mutex::new(Vec::new());

/// A DELETE on its way: recorded when sent, marked when answered, forgotten when refused.
pub struct Deletion(usize);

impl Deletion {
    /// `what`: the manifest, as `HOST/REPO@DIGEST`.
    pub fn sent(what: String) -> Self {
        let mut d = DELETIONS.lock().unwrap_or_else(|e| e.into_inner());
        d.push((what, false));
        Deletion(d.len() - 1)
    }

    /// The registry said it is done (or a check found it gone).
    pub fn answered(self) {
        if let Some(e) = DELETIONS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(self.0)
        {
            e.1 = true;
        }
    }

    /// The registry refused it: nothing was deleted.
    pub fn refused(self) {
        if let Some(e) = DELETIONS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(self.0)
        {
            e.0.clear();
        }
    }
}

/// The deletions sent so far (refused ones left out): each manifest and whether it was answered.
pub fn deletions() -> Vec<(String, bool)> {
    DELETIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(w, _)| !w.is_empty())
        .cloned()
        .collect()
}
