//! The transfer engine under push, pull, copy and cross-registry image-tag: plan the manifest
//! graph, skip blobs the destination has, mount within a registry, stream the rest
//! concurrently (largest first) with verification and retries, then child manifests, the top
//! manifest, and the tags.

pub mod docker;
pub mod endpoint;
pub mod gzcache;
pub mod plan;
pub mod progress;
pub mod stream;

use std::sync::Arc;

use futures_util::stream::{self as fstream, StreamExt, TryStreamExt};
use serde::Serialize;
use tokio::sync::Semaphore;

pub use endpoint::{Dest, Repo, Source};
use progress::{Outcome, Progress};

use crate::image::manifest::{Desc, ManifestError};
use crate::image::platform::Platform;
use crate::local::LocalError;
use crate::registry::retry::{decide, Decision};
use crate::registry::RegistryError;

/// Default blobs moved at once; chosen from bench/ (see docs/transfer.md).
pub const DEFAULT_JOBS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Registry(Box<RegistryError>),
    #[error(transparent)]
    Local(#[from] LocalError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{0}")]
    Verify(String),
    /// The registry refused the upload for its size or form; the next try uses smaller PATCHes.
    #[error(transparent)]
    Fallback(Box<RegistryError>),
    #[error("{image} has no manifest for platform {platform} (it has: {available})")]
    NoPlatform {
        image: String,
        platform: String,
        available: String,
    },
    #[error("not supported: {0}")]
    Unsupported(String),
}

impl TransferError {
    /// The wait a registry asked for (`Retry-After`), if any.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            TransferError::Registry(r) | TransferError::Fallback(r) => r.retry_after(),
            _ => None,
        }
    }
}

impl TransferError {
    /// The error that ended a blob's source: the registry's own when it was one.
    fn source(io: &std::io::Error) -> Self {
        match io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<RegistryError>())
        {
            Some(r) => TransferError::Registry(Box::new(r.clone())),
            None => TransferError::Verify(format!("reading the source failed: {io}")),
        }
    }
}

impl From<RegistryError> for TransferError {
    fn from(e: RegistryError) -> Self {
        TransferError::Registry(Box::new(e))
    }
}

pub struct Options {
    pub jobs: usize,
    pub platform: Option<Platform>,
    pub progress: Arc<dyn Progress>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: DEFAULT_JOBS,
            platform: None,
            progress: Arc::new(progress::Silent),
        }
    }
}

/// What a transfer did; the keys are the `-o json` fields.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Report {
    /// `HOST/REPO@sha256:…` (or the local destination).
    pub reference: String,
    pub digest: String,
    pub media_type: String,
    /// Manifests and blobs, in bytes.
    pub size: u64,
    pub tags: Vec<String>,
    pub blobs_moved: usize,
    pub blobs_skipped: usize,
    pub blobs_mounted: usize,
    pub bytes_moved: u64,
}

/// Move one blob: skip, mount, or stream with verification and retries.
async fn move_blob(
    src: &Source,
    dst: &Dest,
    desc: &Desc,
    progress: &Arc<dyn Progress>,
    slots: &Arc<Semaphore>,
) -> Result<Outcome, TransferError> {
    if dst.has_blob(desc).await? {
        return Ok(Outcome::Skipped);
    }
    let mut session = match dst.try_mount(src, desc).await? {
        Some(None) => return Ok(Outcome::Mounted),
        Some(Some(url)) => Some(url),
        None => None,
    };
    // Bytes from a registry are always hashed; a push from local files is verified by the
    // registry on commit.
    let hash = matches!(src, Source::Registry(_)) || matches!(dst, Dest::Local(_));
    let mut started = false;
    // Upload sessions are the attempts here; the source's own requests have budgets of their
    // own, and a source that failed after them is not tried again.
    let sessions = match dst {
        Dest::Registry(d) => Some((d.reg.clone(), d.reg.policy().budget())),
        Dest::Local(_) => None,
    };
    let mut attempt = sessions.as_ref().and_then(|(_, b)| b.take()).unwrap_or(1);
    loop {
        let verdict = stream::Verdict::default();
        let slot = slots.clone().acquire_owned().await.ok();
        if !started {
            started = true;
            progress.blob_start(desc);
        }
        let raw = src.blob(desc).await?;
        let bytes = stream::verified(
            raw,
            desc.clone(),
            progress.clone(),
            verdict.clone(),
            hash,
            slot,
        );
        let e = match dst.upload(desc, bytes, session.take()).await {
            Ok(()) => return Ok(Outcome::Moved),
            Err(e) => e,
        };
        match verdict.failure() {
            Some(stream::Failure::Corrupt(msg)) => return Err(TransferError::Verify(msg)),
            Some(stream::Failure::Source(io)) => return Err(TransferError::source(&io)),
            None => {}
        }
        let Some((reg, budget)) = &sessions else {
            return Err(e);
        };
        let wait = match &e {
            TransferError::Fallback(_) => None,
            TransferError::Registry(r) => match decide(r, true) {
                Decision::NewSession(wait) | Decision::Retry(wait) => wait,
                Decision::Stop => return Err(e),
                Decision::Smaller => None,
            },
            _ => return Err(e),
        };
        // Smaller pieces are bounded by the smallest size, not counted as an attempt.
        if !matches!(e, TransferError::Fallback(_)) {
            let Some(next) = budget.take() else {
                return Err(e);
            };
            let what = format!("upload blob {}", desc.digest);
            reg.note_retry(&what, &e.to_string(), next, budget.of());
            progress.blob_restart(desc);
            tokio::time::sleep(reg.policy().delay(attempt - 1, wait)).await;
            attempt = next;
        } else {
            progress.blob_restart(desc);
        }
    }
}

/// Copy `reference` from `src` to `dst`, tagging it with each of `tags` (none: by digest only).
pub async fn transfer(
    src: &Source,
    reference: &str,
    dst: &Dest,
    tags: &[String],
    opts: &Options,
) -> Result<Report, TransferError> {
    let plan = plan::plan(src, reference, opts.platform.as_ref()).await?;
    opts.progress.planned(plan.blobs.len(), plan.blob_bytes());
    // `jobs` blobs stream at once; as many again may be checked, mounted, or waiting for the
    // registry to commit what they sent (a registry on disk syncs each blob before it answers).
    let jobs = opts.jobs.max(1);
    let slots = Arc::new(Semaphore::new(jobs));
    let outcomes: Vec<(Outcome, u64)> = fstream::iter(plan.blobs.iter())
        .map(|d| {
            let slots = slots.clone();
            async move {
                let o = move_blob(src, dst, d, &opts.progress, &slots).await?;
                opts.progress.blob_done(d, o);
                Ok::<_, TransferError>((o, d.size))
            }
        })
        .buffer_unordered(jobs * 2)
        .try_collect()
        .await?;
    fstream::iter(plan.children.iter())
        .map(|m| dst.put_manifest(m, &m.digest))
        .buffer_unordered(opts.jobs.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    if tags.is_empty() {
        dst.put_manifest(&plan.top, &plan.top.digest).await?;
    }
    for t in tags {
        dst.put_manifest(&plan.top, t).await?;
    }
    opts.progress.finish();
    let count = |o: Outcome| outcomes.iter().filter(|(x, _)| *x == o).count();
    Ok(Report {
        reference: dst.result_name(&plan.top.digest),
        digest: plan.top.digest.clone(),
        media_type: plan.top.media_type.clone(),
        size: plan.size(),
        tags: tags.to_vec(),
        blobs_moved: count(Outcome::Moved),
        blobs_skipped: count(Outcome::Skipped),
        blobs_mounted: count(Outcome::Mounted),
        bytes_moved: outcomes
            .iter()
            .filter(|(o, _)| *o == Outcome::Moved)
            .map(|(_, s)| s)
            .sum(),
    })
}
