//! Progress as plain events from the engine; the CLI decides how to draw them.

use crate::oci::manifest::Desc;

/// What happened to one blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Streamed from the source to the destination.
    Moved,
    /// The destination had it already.
    Skipped,
    /// Mounted from another repository of the same registry.
    Mounted,
}

pub trait Progress: Send + Sync {
    /// The plan is known: this many bytes in blobs to consider.
    fn planned(&self, _blobs: usize, _bytes: u64) {}
    fn blob_start(&self, _desc: &Desc) {}
    fn blob_bytes(&self, _digest: &str, _n: u64) {}
    /// A blob transfer starts over (new upload session); its bytes so far are forgotten.
    fn blob_restart(&self, _desc: &Desc) {}
    fn blob_done(&self, _desc: &Desc, _outcome: Outcome) {}
    fn finish(&self) {}
}

/// No progress at all.
pub struct Silent;
impl Progress for Silent {}
