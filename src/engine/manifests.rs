//! Storing the manifests of a copy once its blobs are there: the child manifests of an index
//! by digest, then the top manifest by digest or under each tag, healing a registry that lost
//! the link of a blob it was sent (see [`put_healing`]).

use std::sync::Arc;

use futures_util::stream::{self as fstream, StreamExt, TryStreamExt};
use tokio::sync::Semaphore;

use super::blob::move_blob;
use super::plan::Plan;
use super::{Options, TransferError};
use crate::oci::manifest::{Descriptor, RawManifest};
use crate::oci::name::Tag;
use crate::oci::reference::ManifestRef;
use crate::store::{Source, Target};

/// Store the children, then the top manifest (by digest when there are no tags); true when
/// the target said it indexed the top manifest's subject.
pub(super) async fn put_all(
    src: &dyn Source,
    dst: &dyn Target,
    plan: &Plan,
    tags: &[Tag],
    opts: &Options,
    slots: &Arc<Semaphore>,
) -> Result<bool, TransferError> {
    let put = |m, r: ManifestRef| {
        let blobs = &plan.blobs;
        async move {
            let tracked = put_healing(src, dst, m, r.clone(), blobs, opts, slots).await?;
            match &r {
                ManifestRef::Tag(t) => opts.progress.tag_put(t, &m.digest),
                ManifestRef::Digest(_) => opts.progress.manifest_put(m),
            }
            Ok::<_, TransferError>(tracked)
        }
    };
    fstream::iter(plan.children.iter())
        .map(|m| put(m, ManifestRef::digest(&m.digest)))
        .buffer_unordered(opts.jobs.max(1))
        .try_collect::<Vec<bool>>()
        .await?;
    let mut tracked = false;
    if tags.is_empty() {
        tracked |= put(&plan.top, ManifestRef::digest(&plan.top.digest)).await?;
    }
    for t in tags {
        tracked |= put(&plan.top, ManifestRef::tag(t)).await?;
    }
    Ok(tracked)
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
    src: &dyn Source,
    dst: &dyn Target,
    m: &RawManifest,
    reference: ManifestRef,
    blobs: &[Descriptor],
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
        if let Some(d) = dst.repo() {
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
