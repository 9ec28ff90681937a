//! The copy engine under push, pull, copy and cross-registry image-tag: one generic graph copy
//! from a [`Source`] to a [`Target`] (`store/`). Plan the manifest graph, skip blobs the
//! target has, mount within a registry, stream the rest concurrently (largest first) with
//! verification and retries, then child manifests, the top manifest, and the tags; every step
//! is told to the [`Observer`] as an event. Nothing here prints.

pub(crate) mod blob;
pub(crate) mod convert;
pub(crate) mod manifests;
pub(crate) mod placed;
pub(crate) mod plan;
pub mod progress;
pub(crate) mod stream;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::stream::{self as fstream, StreamExt, TryStreamExt};
use serde::Serialize;
use tokio::sync::Semaphore;

pub use crate::store::{docker, Repo, Source, Target, TransferError};
pub use blob::Sessions;
pub use progress::{Observer, Outcome};

use crate::client::transport::retrying::{with_retry_sink, RetrySink};
use crate::oci::digest::Digest;
use crate::oci::manifest::Descriptor;
use crate::oci::name::Tag;
use crate::oci::platform::Platform;
use crate::oci::reference::ManifestRef;

/// Default blobs moved at once; chosen from bench/ (see docs/transfer.md).
pub const DEFAULT_JOBS: usize = 4;

pub struct Options {
    pub jobs: usize,
    pub platform: Option<Platform>,
    /// Told every event of the copy (progress bars and lines are drawn from them).
    pub progress: Arc<dyn Observer>,
    /// Blobs placed at the destination registry earlier in this run (sync): mounted from
    /// there rather than moved again.
    pub placed: Option<Arc<placed::Placed>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: DEFAULT_JOBS,
            platform: None,
            progress: Arc::new(progress::Silent),
            placed: None,
        }
    }
}

/// What a transfer did; the keys are the `-o json` fields.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Report {
    /// `HOST/REPO@sha256:…` (or the local destination).
    pub reference: String,
    pub digest: Digest,
    pub media_type: String,
    /// Manifests and blobs, in bytes.
    pub size: u64,
    /// The names the image was stored under (tags; a local destination's own name).
    pub tags: Vec<String>,
    pub blobs_moved: usize,
    pub blobs_skipped: usize,
    pub blobs_mounted: usize,
    pub bytes_moved: u64,
    /// Every retry on the way, as printed on stderr.
    pub retries: Vec<String>,
    /// Referrers (signatures, SBOMs, attestations) copied with the image, by digest.
    pub referrers: Vec<Digest>,
    /// Destination cosign tags that differ from the source's: kept, not overwritten.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub referrers_kept: Vec<crate::app::referrers::Kept>,
}

/// Copy `reference` from `src` to `dst`, tagging it with each of `tags` (none: by digest only).
pub async fn transfer(
    src: &dyn Source,
    reference: &ManifestRef,
    dst: &dyn Target,
    tags: &[Tag],
    opts: &Options,
) -> Result<Report, TransferError> {
    copy(src, reference, dst, tags, opts, Write::default()).await
}

/// Like [`transfer`], with Docker-format manifests converted to OCI on the way (`--format
/// oci`): the digest changes, and a note says from what to what.
pub async fn transfer_as_oci(
    src: &dyn Source,
    reference: &ManifestRef,
    dst: &dyn Target,
    tags: &[Tag],
    opts: &Options,
) -> Result<Report, TransferError> {
    let write = Write {
        oci: true,
        ..Write::default()
    };
    copy(src, reference, dst, tags, opts, write).await
}

/// Copy `reference` from `src` to `dst` by digest only (no tag): the manifest must be
/// `expected`, checked before any blob moves (after them when the source re-encodes blobs:
/// the digest is known only then).
pub async fn transfer_to_digest(
    src: &dyn Source,
    reference: &ManifestRef,
    dst: &dyn Target,
    expected: &str,
    opts: &Options,
) -> Result<Report, TransferError> {
    let write = Write {
        expected: Some(expected),
        ..Write::default()
    };
    copy(src, reference, dst, &[], opts, write).await
}

/// The manifest about to be stored is the one a digest-named destination asked for.
fn check_digest(expected: Option<&str>, actual: &str) -> Result<(), TransferError> {
    match expected {
        Some(e) if e != actual => Err(TransferError::DestinationDigest {
            expected: e.to_string(),
            actual: actual.to_string(),
        }),
        _ => Ok(()),
    }
}

/// How the manifest is written: checked against a digest-named destination (`expected`),
/// Docker formats converted to OCI (`oci`).
#[derive(Default, Clone, Copy)]
pub struct Write<'a> {
    pub expected: Option<&'a str>,
    pub oci: bool,
}

/// The one graph copy: plan, blobs, manifests, commit; each step told to `opts.progress`.
pub async fn copy(
    src: &dyn Source,
    reference: &ManifestRef,
    dst: &dyn Target,
    tags: &[Tag],
    opts: &Options,
    write: Write<'_>,
) -> Result<Report, TransferError> {
    // Every retry of the copy's requests is an event of its observer.
    let progress = opts.progress.clone();
    let sink: RetrySink = Arc::new(move |note| progress.retried(note));
    with_retry_sink(sink, copy_with(src, reference, dst, tags, opts, write)).await
}

async fn copy_with(
    src: &dyn Source,
    reference: &ManifestRef,
    dst: &dyn Target,
    tags: &[Tag],
    opts: &Options,
    write: Write<'_>,
) -> Result<Report, TransferError> {
    let mut plan = plan::plan(src, reference, opts.platform.as_ref()).await?;
    // A source that re-encodes blobs (a docker archive's layers, compressed) gives the
    // manifest's digest only once they moved.
    let encoder = src
        .encoder()
        .filter(|e| plan.blobs.iter().any(|b| e.encodes(b)));
    if encoder.is_none() {
        check_digest(write.expected, &plan.top.digest)?;
    }
    opts.progress.planned(plan.blobs.len(), plan.blob_bytes());
    // `jobs` blobs stream at once; as many again may be checked, mounted, or waiting for the
    // registry to commit what they sent (a registry on disk syncs each blob before it answers).
    let slots = Arc::new(Semaphore::new(opts.jobs.max(1)));
    let moved = move_all(src, dst, &plan.blobs, opts, &slots).await;
    if let Some(e) = src.encoder() {
        e.save();
    }
    let moved = moved?;
    if let Some(e) = encoder {
        let encoded: HashMap<Digest, Descriptor> = plan
            .blobs
            .iter()
            .zip(&moved)
            .map(|(raw, (to, _))| (raw.digest.clone(), to.clone()))
            .collect();
        plan.top = e.manifest(&plan.top, &encoded)?;
        plan.blobs = moved.iter().map(|(d, _)| d.clone()).collect();
        check_digest(write.expected, &plan.top.digest)?;
    }
    if write.oci {
        if let Some((before, after)) = convert::to_oci(&mut plan)? {
            crate::notice::note(&format!(
                "converted to OCI: {after} (was {before}); the digest changes"
            ));
        }
    }
    let tracked = manifests::put_all(src, dst, &plan, tags, opts, &slots).await?;
    dst.commit(&plan.top, tracked).await?;
    opts.progress.finish();
    let count = |o: Outcome| moved.iter().filter(|(_, x)| *x == o).count();
    let mut retries = src.take_retries();
    retries.extend(dst.take_retries());
    Ok(Report {
        reference: dst.result_name(&plan.top.digest),
        digest: plan.top.digest.clone(),
        media_type: plan.top.media_type.clone(),
        size: plan.size(),
        tags: tags.iter().map(Tag::to_string).collect(),
        blobs_moved: count(Outcome::Moved),
        blobs_skipped: count(Outcome::Skipped),
        blobs_mounted: count(Outcome::Mounted),
        bytes_moved: moved
            .iter()
            .filter(|(_, o)| *o == Outcome::Moved)
            .fold(0u64, |t, (d, _)| t.saturating_add(d.size)),
        retries,
        referrers: Vec::new(),
        referrers_kept: Vec::new(),
    })
}

/// Move every blob of the plan, `jobs` at a time; each as stored (a re-encoded blob's new
/// descriptor) with what happened, in the plan's order.
async fn move_all(
    src: &dyn Source,
    dst: &dyn Target,
    blobs: &[Descriptor],
    opts: &Options,
    slots: &Arc<Semaphore>,
) -> Result<Vec<(Descriptor, Outcome)>, TransferError> {
    let one = |i: usize, d| async move {
        let p = &opts.progress;
        let (to, o) = match src.encoder() {
            Some(e) if e.encodes(d) => blob::move_encoded(e, dst, d, p, slots).await?,
            _ => {
                let o = match &opts.placed {
                    Some(pl) => blob::move_placed(pl, src, dst, d, p, slots).await?,
                    None => blob::move_blob(src, dst, d, p, slots, true).await?,
                };
                (d.clone(), o)
            }
        };
        p.blob_done(d, o);
        Ok::<_, TransferError>((i, to, o))
    };
    let mut moved: Vec<(usize, Descriptor, Outcome)> = fstream::iter(blobs.iter().enumerate())
        .map(|(i, d)| one(i, d))
        .buffer_unordered(opts.jobs.max(1) * 2)
        .try_collect()
        .await?;
    moved.sort_by_key(|(i, _, _)| *i);
    Ok(moved.into_iter().map(|(_, d, o)| (d, o)).collect())
}
