//! The transfer engine under push, pull, copy and cross-registry image-tag: plan the manifest
//! graph, skip blobs the destination has, mount within a registry, stream the rest
//! concurrently (largest first) with verification and retries, then child manifests, the top
//! manifest, and the tags.

pub(crate) mod convert;
pub(crate) mod docker;
pub(crate) mod endpoint;
pub(crate) mod gzcache;
pub(crate) mod placed;
pub(crate) mod plan;
pub mod progress;
pub(crate) mod stream;

use std::sync::Arc;

use futures_util::stream::{self as fstream, StreamExt, TryStreamExt};
use serde::Serialize;
use tokio::sync::Semaphore;

pub use endpoint::{Dest, Repo, Source};
use progress::{Outcome, Progress};

use crate::client::retry::{decide, Budget, Decision};
use crate::client::RegistryError;
use crate::local::reader::LocalImage;
use crate::local::LocalError;
use crate::oci::manifest::{Desc, ManifestError};
use crate::oci::media;
use crate::oci::platform::Platform;
use crate::oci::reference::ManifestRef;

/// Default blobs moved at once; chosen from bench/ (see docs/transfer.md).
pub const DEFAULT_JOBS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Registry(Box<RegistryError>),
    /// The manifest the transfer was asked for could not be read at the source (a missing tag
    /// is explained from this, never from a missing platform or blob).
    #[error(transparent)]
    TopManifest(Box<RegistryError>),
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
    /// A destination named by digest (`REPO@sha256:…`) that is not the digest of the
    /// manifest pushed: nothing is stored under it.
    #[error("the destination names {expected}, but the manifest pushed is {actual}")]
    DestinationDigest { expected: String, actual: String },
    /// An index lists a manifest the source does not have (a platform deleted from under it).
    #[error("{image}: its index {index} lists {child}, which is missing")]
    MissingChild {
        image: String,
        index: String,
        child: String,
    },
    /// A blob of a multi-image run (sync) failed after its retries: every image that needs it
    /// fails with this, and the blob is not tried again.
    #[error("blob {digest} could not be copied: {reason}")]
    BlobFailed {
        digest: String,
        reason: Arc<TransferError>,
    },
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

impl TransferError {
    /// A failure to read the requested manifest itself.
    pub(crate) fn of_the_top(self) -> Self {
        match self {
            TransferError::Registry(r) => TransferError::TopManifest(r),
            other => other,
        }
    }

    /// Whether the failure belongs to the blob rather than to one repository (a denied or
    /// missing repository fails that repository's images only).
    fn of_the_blob(&self) -> bool {
        match self {
            TransferError::Registry(r) => !matches!(
                r.kind(),
                crate::client::Kind::NotFound
                    | crate::client::Kind::Unauthorized
                    | crate::client::Kind::Denied
            ),
            TransferError::BlobFailed { .. } => false,
            _ => true,
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
    pub digest: String,
    pub media_type: String,
    /// Manifests and blobs, in bytes.
    pub size: u64,
    pub tags: Vec<String>,
    pub blobs_moved: usize,
    pub blobs_skipped: usize,
    pub blobs_mounted: usize,
    pub bytes_moved: u64,
    /// Every retry on the way, as printed on stderr.
    pub retries: Vec<String>,
    /// Referrers (signatures, SBOMs, attestations) copied with the image, by digest.
    pub referrers: Vec<String>,
    /// Destination cosign tags that differ from the source's: kept, not overwritten.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub referrers_kept: Vec<crate::app::referrers::Kept>,
}

/// The upload sessions a blob may use, drawn from the destination's policy: after a failed
/// session, whether to go on (the wait done, the retry said) or give up with the error.
struct Sessions {
    reg: Option<Arc<crate::client::Registry>>,
    budget: Option<Budget>,
    attempt: u32,
}

impl Sessions {
    fn new(dst: &Dest) -> Self {
        let reg = match dst {
            Dest::Registry(d) => Some(d.reg.clone()),
            Dest::Local(_) => None,
        };
        let budget = reg.as_ref().map(|r| r.policy().budget());
        let attempt = budget.as_ref().and_then(Budget::take).unwrap_or(1);
        Sessions {
            reg,
            budget,
            attempt,
        }
    }

    /// After session `self.attempt` failed with `e`: Ok to try again, or the error to stop
    /// with. A source that failed (after its own retries) or corrupt content ends it here.
    async fn again(
        &mut self,
        e: TransferError,
        verdict: &stream::Verdict,
        desc: &Desc,
        progress: &Arc<dyn Progress>,
    ) -> Result<(), TransferError> {
        match verdict.failure() {
            Some(stream::Failure::Corrupt(msg)) => return Err(TransferError::Verify(msg)),
            Some(stream::Failure::Source(io)) => return Err(TransferError::source(&io)),
            None => {}
        }
        let (Some(reg), Some(budget)) = (&self.reg, &self.budget) else {
            return Err(e);
        };
        let wait = match &e {
            // Smaller pieces are bounded by the smallest size, not counted as an attempt.
            TransferError::Fallback(_) => {
                progress.blob_restart(desc);
                return Ok(());
            }
            // A refusal for size or form became `Fallback` in `upload` when smaller pieces
            // were still possible; here it is final, like every other permanent refusal (a
            // read-only registry's 405 on opening an upload session is not retried).
            TransferError::Registry(r) => match decide(r, true) {
                Decision::NewSession(wait) | Decision::Retry(wait) => wait,
                Decision::Smaller | Decision::Stop => return Err(e),
            },
            _ => return Err(e),
        };
        let Some(next) = budget.take() else {
            return Err(e);
        };
        let what = format!("upload blob {}", desc.digest);
        reg.note_retry(&what, &e.to_string(), next, budget.of());
        progress.blob_restart(desc);
        tokio::time::sleep(reg.policy().delay(self.attempt - 1, wait)).await;
        self.attempt = next;
        Ok(())
    }
}

/// Move one blob: skip, mount, or stream with verification and retries. `check`: ask the
/// destination first whether it has the blob (pointless in a repository that did not exist
/// when the run began).
async fn move_blob(
    src: &Source,
    dst: &Dest,
    desc: &Desc,
    progress: &Arc<dyn Progress>,
    slots: &Arc<Semaphore>,
    check: bool,
) -> Result<Outcome, TransferError> {
    if check && dst.has_blob(desc).await? {
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
    progress.blob_start(desc);
    let mut sessions = Sessions::new(dst);
    loop {
        let verdict = stream::Verdict::default();
        let slot = slots.clone().acquire_owned().await.ok();
        let raw = src.blob(desc).await?;
        let bytes = stream::verified(
            raw,
            desc.clone(),
            progress.clone(),
            verdict.clone(),
            hash,
            slot,
        );
        match dst.upload(desc, bytes, session.take()).await {
            Ok(()) => return Ok(Outcome::Moved),
            // A commit whose answer was lost or refused may have stored the blob all the
            // same: HEAD it before sending it again.
            Err(TransferError::Registry(_))
                if verdict.failure().is_none() && dst.has_blob(desc).await.unwrap_or(false) =>
            {
                return Ok(Outcome::Moved);
            }
            Err(e) => sessions.again(e, &verdict, desc, progress).await?,
        }
    }
}

/// Move one blob in a run that places blobs once per destination registry: the first image
/// that needs it moves it (or finds it there); the others wait for that and mount it from the
/// repository that has it.
async fn move_placed(
    placed: &placed::Placed,
    src: &Source,
    dst: &Dest,
    desc: &Desc,
    progress: &Arc<dyn Progress>,
    slots: &Arc<Semaphore>,
) -> Result<Outcome, TransferError> {
    let Dest::Registry(d) = dst else {
        return move_blob(src, dst, desc, progress, slots, true).await;
    };
    if let Some(e) = placed.failure(&desc.digest) {
        return Err(e);
    }
    let cell = placed.cell(&desc.digest);
    let mut mine = None;
    let holder = cell
        .get_or_try_init(|| async {
            // Those waiting on an image that failed the blob fail with it, untried.
            if let Some(e) = placed.failure(&desc.digest) {
                return Err(e);
            }
            let check = !placed.is_new(&d.repo);
            match move_blob(src, dst, desc, progress, slots, check).await {
                Ok(o) => mine = Some(o),
                Err(e) if e.of_the_blob() => return Err(placed.fail(&desc.digest, e)),
                Err(e) => return Err(e),
            }
            Ok::<_, TransferError>(d.repo.clone())
        })
        .await?;
    if let Some(o) = mine {
        return Ok(o);
    }
    if *holder == d.repo {
        return Ok(Outcome::Skipped);
    }
    // One mount per repository and blob: docker-registry's filesystem driver can tear the
    // link file when the same blob is linked into the same repository twice at once.
    let here = placed.cell(&format!("{}@{}", d.repo, desc.digest));
    let mut mine = None;
    here.get_or_try_init(|| async {
        let scopes = [
            crate::client::Scope::pull(holder),
            crate::client::Scope::push(&d.repo),
        ];
        let o = match d
            .reg
            .mount_blob(&d.repo, &desc.digest, holder, &scopes)
            .await?
        {
            crate::client::blob::Mount::Mounted => Outcome::Mounted,
            crate::client::blob::Mount::Upload(_) => {
                move_blob(src, dst, desc, progress, slots, true).await?
            }
        };
        mine = Some(o);
        Ok::<_, TransferError>(d.repo.clone())
    })
    .await?;
    Ok(mine.unwrap_or(Outcome::Skipped))
}

/// Store a manifest. A registry that answers `MANIFEST_BLOB_UNKNOWN` (a blob sent earlier is
/// not linked in the repository: docker-registry's link files can tear when processes write
/// the same blob into one repository at once) has each of `blobs` checked (HEAD), the missing
/// ones placed again, and the manifest stored once more, after a backoff. docker-registry
/// rewrites a link file on every mount or upload of that blob into the repository, so another
/// process placing the same blobs can tear one link after another (its answer is then
/// `DIGEST_INVALID` for the torn link as well as `MANIFEST_BLOB_UNKNOWN`): the check and the
/// PUT go again, a few times at most ([`HEAL_ROUNDS`]).
async fn put_healing(
    src: &Source,
    dst: &Dest,
    m: &crate::oci::manifest::RawManifest,
    reference: ManifestRef,
    blobs: &[Desc],
    opts: &Options,
    slots: &Arc<Semaphore>,
) -> Result<bool, TransferError> {
    let mut round = 0;
    loop {
        let e = match dst.put_manifest(m, reference.clone()).await {
            Err(TransferError::Registry(e))
                if e.has_code(crate::client::Code::ManifestBlobUnknown) && round < HEAL_ROUNDS =>
            {
                e
            }
            other => return other,
        };
        if let Dest::Registry(d) = dst {
            let what = format!("put manifest {}", m.digest);
            let policy = d.reg.policy();
            d.reg
                .note_retry(&what, &e.to_string(), round + 2, HEAL_ROUNDS + 1);
            tokio::time::sleep(policy.delay(round, None)).await;
        }
        for b in blobs {
            if !dst.has_blob(b).await? {
                let o = move_blob(src, dst, b, &opts.progress, slots, false).await?;
                opts.progress.blob_done(b, o);
            }
        }
        round += 1;
    }
}

/// Times a manifest refused for a blob the repository does not hold is stored again.
const HEAL_ROUNDS: u32 = 3;

/// Move one layer of a legacy docker archive, compressed as it streams: skipped without
/// compressing when an earlier push remembered its digest and the repository has it.
async fn move_layer(
    img: &LocalImage,
    dst: &Dest,
    layer: &docker::Layer,
    level: u32,
    cache: &gzcache::GzCache,
    progress: &Arc<dyn Progress>,
    slots: &Arc<Semaphore>,
) -> Result<(Desc, Outcome), TransferError> {
    let gz = |digest: String, size: u64| Desc {
        media_type: media::DOCKER_LAYER_GZIP.into(),
        digest,
        size,
    };
    let raw = layer.raw();
    if let Some(known) = cache.get(&layer.diff_id, level) {
        let desc = gz(known.digest, known.size);
        if dst.has_blob(&desc).await? {
            cache.put(&layer.diff_id, level, &desc.digest, desc.size);
            return Ok((desc, Outcome::Skipped));
        }
    }
    progress.blob_start(&raw);
    let mut sessions = Sessions::new(dst);
    loop {
        let verdict = stream::Verdict::default();
        let slot = slots.clone().acquire_owned().await.ok();
        let c = docker::compress(img, layer, level, progress.clone())?;
        let bytes = stream::watched(c.bytes, verdict.clone(), slot);
        match dst.upload_unknown(bytes, c.result.clone()).await {
            Ok(digest) => {
                let size = c.result.lock().expect("lock").as_ref().map_or(0, |r| r.1);
                cache.put(&layer.diff_id, level, &digest, size);
                return Ok((gz(digest, size), Outcome::Moved));
            }
            Err(e) => sessions.again(e, &verdict, &raw, progress).await?,
        }
    }
}

/// What moves: the blobs of the plan, and, for a legacy docker archive pushed with gzip, its
/// layers whose digests become known as they stream.
enum Item<'a> {
    Blob(&'a Desc),
    Layer(&'a docker::Layer),
}

/// Copy `reference` from `src` to `dst`, tagging it with each of `tags` (none: by digest only).
pub async fn transfer(
    src: &Source,
    reference: &ManifestRef,
    dst: &Dest,
    tags: &[String],
    opts: &Options,
) -> Result<Report, TransferError> {
    transfer_with(src, reference, dst, tags, opts, Write::default()).await
}

/// Like [`transfer`], with Docker-format manifests converted to OCI on the way (`--format
/// oci`): the digest changes, and a note says from what to what.
pub async fn transfer_as_oci(
    src: &Source,
    reference: &ManifestRef,
    dst: &Dest,
    tags: &[String],
    opts: &Options,
) -> Result<Report, TransferError> {
    transfer_with(
        src,
        reference,
        dst,
        tags,
        opts,
        Write {
            oci: true,
            ..Write::default()
        },
    )
    .await
}

/// Copy `reference` from `src` to `dst` by digest only (no tag): the manifest must be
/// `expected`, checked before any blob moves.
pub async fn transfer_to_digest(
    src: &Source,
    reference: &ManifestRef,
    dst: &Dest,
    expected: &str,
    opts: &Options,
) -> Result<Report, TransferError> {
    let write = Write {
        expected: Some(expected),
        ..Write::default()
    };
    transfer_with(src, reference, dst, &[], opts, write).await
}

/// Push a legacy docker archive, compressing its layers at gzip `level` (1: fastest). With
/// `expected` (and no tags) the manifest goes by digest only and must be that one; it is known
/// once the layers are compressed, so the check comes after they moved, before the manifest.
/// With `oci`, the manifest is written as OCI (`--format oci`).
pub async fn push_compressed(
    img: LocalImage,
    dst: &Dest,
    tags: &[String],
    expected: Option<&str>,
    oci: bool,
    opts: &Options,
    level: u32,
) -> Result<Report, TransferError> {
    let top = ManifestRef::digest(&img.top_digest()?);
    let src = Source::Local(Box::new(img));
    let write = Write {
        gzip: Some(level),
        expected,
        oci,
    };
    transfer_with(&src, &top, dst, tags, opts, write).await
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

/// How the manifest is written: a legacy docker archive's layers compressed at `gzip`, the
/// manifest checked against a digest-named destination (`expected`), Docker formats converted
/// to OCI (`oci`).
#[derive(Default, Clone, Copy)]
struct Write<'a> {
    gzip: Option<u32>,
    expected: Option<&'a str>,
    oci: bool,
}

async fn transfer_with(
    src: &Source,
    reference: &ManifestRef,
    dst: &Dest,
    tags: &[String],
    opts: &Options,
    write: Write<'_>,
) -> Result<Report, TransferError> {
    let Write {
        gzip,
        expected,
        oci,
    } = write;
    let mut plan = plan::plan(src, reference, opts.platform.as_ref()).await?;
    // A legacy docker archive pushed with gzip: its config moves as a blob, its layers are
    // compressed on the way, and the manifest is written once their digests are known.
    let layers: Vec<docker::Layer> = match (src, gzip) {
        (Source::Local(img), Some(_)) => img
            .docker
            .as_ref()
            .map(|d| d.layers.clone())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let config = if layers.is_empty() {
        None
    } else {
        let config = plan.config().ok_or_else(|| {
            TransferError::Unsupported("a docker archive without a config".into())
        })?;
        plan.blobs.retain(|b| b.digest == config.digest);
        Some(config)
    };
    if config.is_none() {
        check_digest(expected, &plan.top.digest)?;
    }
    let planned = layers
        .iter()
        .fold(plan.blob_bytes(), |t, l| t.saturating_add(l.size));
    opts.progress
        .planned(plan.blobs.len() + layers.len(), planned);
    // `jobs` blobs stream at once; as many again may be checked, mounted, or waiting for the
    // registry to commit what they sent (a registry on disk syncs each blob before it answers).
    let jobs = opts.jobs.max(1);
    let slots = Arc::new(Semaphore::new(jobs));
    // The compressed-layer memory is on with the content cache (not under `--no-cache`).
    let memory = matches!(dst, Dest::Registry(r) if r.reg.cache().is_some());
    let cache = gzcache::GzCache::open(memory);
    let items = plan
        .blobs
        .iter()
        .map(Item::Blob)
        .chain(layers.iter().map(Item::Layer))
        .enumerate();
    let moved: Result<Vec<(usize, Desc, Outcome)>, TransferError> = fstream::iter(items)
        .map(|(i, item)| {
            let (slots, cache) = (slots.clone(), &cache);
            async move {
                let (d, o) = match (item, src) {
                    (Item::Blob(d), _) => {
                        let o = match &opts.placed {
                            Some(p) => move_placed(p, src, dst, d, &opts.progress, &slots).await?,
                            None => move_blob(src, dst, d, &opts.progress, &slots, true).await?,
                        };
                        opts.progress.blob_done(d, o);
                        (d.clone(), o)
                    }
                    // A layer the archive holds gzip-compressed moves as it is.
                    (Item::Layer(l), Source::Local(_)) if l.gzip.is_some() => {
                        let d = l.raw();
                        let o = move_blob(src, dst, &d, &opts.progress, &slots, true).await?;
                        opts.progress.blob_done(&d, o);
                        (d, o)
                    }
                    (Item::Layer(l), Source::Local(img)) => {
                        let level = gzip.unwrap_or(1);
                        let r = move_layer(img, dst, l, level, cache, &opts.progress, &slots);
                        let (d, o) = r.await?;
                        opts.progress.blob_done(&l.raw(), o);
                        (d, o)
                    }
                    (Item::Layer(_), Source::Registry(_)) => {
                        return Err(TransferError::Unsupported(
                            "compressing layers of a registry image".into(),
                        ))
                    }
                };
                Ok::<_, TransferError>((i, d, o))
            }
        })
        .buffer_unordered(jobs * 2)
        .try_collect()
        .await;
    cache.save();
    let mut moved = moved?;
    moved.sort_by_key(|(i, _, _)| *i);
    let moved: Vec<(Desc, Outcome)> = moved.into_iter().map(|(_, d, o)| (d, o)).collect();
    if let Some(config) = &config {
        let layers: Vec<Desc> = moved.iter().skip(1).map(|(d, _)| d.clone()).collect();
        plan.top = docker::manifest(config, &layers);
        plan.blobs = moved.iter().map(|(d, _)| d.clone()).collect();
        check_digest(expected, &plan.top.digest)?;
    }
    if oci {
        if let Some((before, after)) = convert::to_oci(&mut plan)? {
            crate::notice::note(&format!(
                "converted to OCI: {after} (was {before}); the digest changes"
            ));
        }
    }
    let put = |m, r| put_healing(src, dst, m, r, &plan.blobs, opts, &slots);
    fstream::iter(plan.children.iter())
        .map(|m| put(m, ManifestRef::digest(&m.digest)))
        .buffer_unordered(jobs)
        .try_collect::<Vec<bool>>()
        .await?;
    let mut tracked = false;
    if tags.is_empty() {
        tracked |= put(&plan.top, ManifestRef::digest(&plan.top.digest)).await?;
    }
    for t in tags {
        tracked |= put(&plan.top, ManifestRef::tag(t)).await?;
    }
    dst.index_referrer(&plan.top, tracked).await?;
    opts.progress.finish();
    let count = |o: Outcome| moved.iter().filter(|(_, x)| *x == o).count();
    Ok(Report {
        reference: dst.result_name(&plan.top.digest),
        digest: plan.top.digest.clone(),
        media_type: plan.top.media_type.clone(),
        size: plan.size(),
        tags: tags.to_vec(),
        blobs_moved: count(Outcome::Moved),
        blobs_skipped: count(Outcome::Skipped),
        blobs_mounted: count(Outcome::Mounted),
        bytes_moved: moved
            .iter()
            .filter(|(_, o)| *o == Outcome::Moved)
            .fold(0u64, |t, (d, _)| t.saturating_add(d.size)),
        retries: dst.take_retries(src),
        referrers: Vec::new(),
        referrers_kept: Vec::new(),
    })
}
