//! Copy of a whole repository: every tag of the source (names outside the grammar were
//! dropped with a warning by the tag list), each through the one transfer engine with its
//! referrers (their own `sha256-…` tags travel with their subjects), going on past a failing
//! tag.

use std::collections::HashSet;

use super::referrers::is_referrer_tag;
use super::walk::Inventory;
use crate::engine::{self, Options, Repo, Report, TransferError};
use crate::oci::name::Tag;
use crate::oci::reference::ManifestRef;

/// Copy every tag of `src`'s repository to `dst` (with referrers unless `no_referrers`); one
/// result per tag, in natural order.
pub async fn all_tags(
    src: &Repo,
    dst: &Repo,
    opts: &Options,
    no_referrers: bool,
) -> anyhow::Result<Vec<(String, Result<Report, TransferError>)>> {
    let s = src;
    let mut tags = Inventory::new(s.reg.clone()).tags(&s.repo).await?;
    let all: HashSet<String> = tags.iter().cloned().collect();
    // Referrer tags are not images: they travel with their subjects, or (--no-referrers) not
    // at all.
    tags.retain(|t| !is_referrer_tag(t));
    tags.sort_by(|a, b| crate::oci::reference::natural_order(a, b));
    let mut out = Vec::with_capacity(tags.len());
    // The tag list's names passed the tag grammar where they were read.
    for (t, tag) in tags
        .into_iter()
        .filter_map(|t| Tag::parse(&t).ok().map(|g| (t, g)))
    {
        let reference = ManifestRef::tag(&tag);
        let mut r = engine::transfer(src, &reference, dst, std::slice::from_ref(&tag), opts).await;
        if let (Ok(rep), false) = (&mut r, no_referrers) {
            match super::referrers::copy(s, dst, &rep.digest, Some(&all), opts, false).await {
                Ok(copied) => {
                    rep.referrers = copied.digests;
                    rep.referrers_kept = copied.kept;
                }
                Err(e) => r = Err(e),
            }
        }
        out.push((t, r));
    }
    Ok(out)
}

/// Copy one image (with its referrers unless `no_referrers`).
pub async fn one(
    src: &Repo,
    reference: &ManifestRef,
    dst: &Repo,
    tag: &Tag,
    opts: &Options,
    no_referrers: bool,
) -> Result<Report, TransferError> {
    let r = engine::transfer(src, reference, dst, std::slice::from_ref(tag), opts).await?;
    with_referrers(src, dst, r, opts, no_referrers).await
}

/// Copy one image by digest only, no tag (with its referrers unless `no_referrers`): its
/// manifest must be `digest`, checked before any blob moves.
pub async fn one_to_digest(
    src: &Repo,
    reference: &ManifestRef,
    dst: &Repo,
    digest: &str,
    opts: &Options,
    no_referrers: bool,
) -> Result<Report, TransferError> {
    let r = engine::transfer_to_digest(src, reference, dst, digest, opts).await?;
    with_referrers(src, dst, r, opts, no_referrers).await
}

async fn with_referrers(
    src: &Repo,
    dst: &Repo,
    mut r: Report,
    opts: &Options,
    no_referrers: bool,
) -> Result<Report, TransferError> {
    if !no_referrers {
        let copied = super::referrers::copy_with_tags(src, dst, &r.digest, opts, false).await?;
        r.referrers = copied.digests;
        r.referrers_kept = copied.kept;
    }
    Ok(r)
}
