//! What a copy tells as it goes: events from the engine, in order (planned; per blob: started,
//! bytes, restarted, done as moved, skipped or mounted; retries; manifests and tags put;
//! finished). cli/ draws bars, lines and reports from them; the engine never prints.

pub use crate::client::transport::retrying::RetryNote;
use crate::oci::digest::Digest;
use crate::oci::manifest::{Descriptor, RawManifest};

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

/// Told the events of a copy; every event has a default that ignores it.
pub trait Observer: Send + Sync {
    /// The plan is known: this many blobs, and bytes in blobs, to consider.
    fn planned(&self, _blobs: usize, _bytes: u64) {}
    /// A blob starts moving (not told for one skipped or mounted).
    fn blob_start(&self, _desc: &Descriptor) {}
    /// `n` more bytes of the blob `digest` went by.
    fn blob_bytes(&self, _digest: &Digest, _n: u64) {}
    /// A blob transfer starts over (new upload session); its bytes so far are forgotten.
    fn blob_restart(&self, _desc: &Descriptor) {}
    /// The engine tries `what` again (attempt `attempt` of `of`) after `cause`.
    /// A request, an upload session or a manifest put is tried again (every retry of the
    /// transfer's requests, said by the client). Not drawn: said to the notice sink.
    fn retried(&self, note: &RetryNote) {
        crate::notice::status(&note.to_string());
    }
    /// A blob is at the target: moved, skipped (already there) or mounted.
    fn blob_done(&self, _desc: &Descriptor, _outcome: Outcome) {}
    /// A manifest was stored by digest.
    fn manifest_put(&self, _m: &RawManifest) {}
    /// The top manifest was stored under `tag`.
    fn tag_put(&self, _tag: &str, _digest: &str) {}
    fn finish(&self) {}
}

/// No progress at all.
pub struct Silent;
impl Observer for Silent {}
