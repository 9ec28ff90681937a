//! Copy between registries: one image (to a tag, to a digest only, or converted to OCI), or a
//! whole repository: every tag of the source (names outside the grammar were dropped with a
//! warning by the tag list), each through the one transfer engine with its referrers (their
//! own `sha256-…` tags travel with their subjects), going on past a failing tag.

use std::collections::HashSet;

use anyhow::Context;

use super::referrers::is_referrer_tag;
use super::walk::Inventory;
use super::Session;
use crate::engine::{self, Options, Repo, Report, TransferError};
use crate::oci::name::Tag;
use crate::oci::reference::{ManifestRef, Reference};

/// Copy every tag of `src`'s repository to `dst` (with referrers unless `no_referrers`); one
/// result per tag, in natural order.
pub async fn all_tags(
    src: &Repo,
    dst: &Repo,
    opts: &Options,
    no_referrers: bool,
) -> anyhow::Result<Vec<(Tag, Result<Report, TransferError>)>> {
    let s = src;
    let mut tags = Inventory::new(s.reg.clone()).tags(&s.repo).await?;
    let all: HashSet<Tag> = tags.iter().cloned().collect();
    // Referrer tags are not images: they travel with their subjects, or (--no-referrers) not
    // at all.
    tags.retain(|t| !is_referrer_tag(t));
    tags.sort_by(|a, b| crate::oci::reference::natural_order(a, b));
    let mut out = Vec::with_capacity(tags.len());
    for tag in tags {
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
        out.push((tag, r));
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

/// A copy from one registry image (or repository) to another.
#[derive(Debug, Clone, Copy)]
pub struct CopyRequest<'a> {
    pub src: &'a Reference,
    /// By tag (default: the source's, else `latest`), or by digest only (the source's).
    pub dst: &'a Reference,
    /// Leave the referrers (signatures, SBOMs, attestations) behind.
    pub no_referrers: bool,
    /// Convert Docker-format manifests to OCI (the digest changes; no referrers).
    pub as_oci: bool,
}

/// The source and destination repositories of `req`, with one client per host.
async fn repos(session: &Session, req: &CopyRequest<'_>) -> anyhow::Result<(Repo, Repo)> {
    let (s, d) = (req.src, req.dst);
    let (sreg, dreg) = (
        session.get(&s.registry).await?,
        session.get(&d.registry).await?,
    );
    Ok((
        Repo {
            reg: sreg,
            repo: s.repository.clone(),
        },
        Repo {
            reg: dreg,
            repo: d.repository.clone(),
        },
    ))
}

/// Copy one image: to the destination's tag (default: the source's, else `latest`), to its
/// digest only, or converted to OCI; with referrers unless asked not to. A missing source is
/// explained (closest tags). The transfer options are made once the registry clients are
/// ready (a progress display starts drawing when it is made).
pub async fn image(
    session: &Session,
    req: &CopyRequest<'_>,
    opts: impl FnOnce() -> Options,
) -> anyhow::Result<Report> {
    let (src, dst) = (req.src, req.dst);
    let (source, dest) = repos(session, req).await?;
    let opts = &opts();
    let tag = (dst.tag.clone().or(src.tag.clone())).unwrap_or_else(Tag::latest);
    let reference = src.manifest_ref();
    let no_referrers = req.no_referrers;
    let copied = match (&dst.digest, req.as_oci) {
        (Some(d), _) => one_to_digest(&source, &reference, &dest, d, opts, no_referrers).await,
        (None, true) => {
            let tags = [tag.clone()];
            engine::transfer_as_oci(&source, &reference, &dest, &tags, opts).await
        }
        (None, false) => one(&source, &reference, &dest, &tag, opts, no_referrers).await,
    };
    match copied {
        Ok(r) => Ok(r),
        Err(e) => {
            let e = super::explain_transfer(&source.reg, src, e).await;
            Err(e.context(format!("cannot copy {src} to {dst}")))
        }
    }
}

/// Copy every tag of the source repository ([`all_tags`]); each report names its destination
/// `HOST/REPO:TAG@sha256:…`. The transfer options are made as [`image`] makes them.
pub async fn repository(
    session: &Session,
    req: &CopyRequest<'_>,
    opts: impl FnOnce() -> Options,
) -> anyhow::Result<Vec<(Tag, Result<Report, TransferError>)>> {
    let (source, dest) = repos(session, req).await?;
    let opts = &opts();
    let mut results = all_tags(&source, &dest, opts, req.no_referrers)
        .await
        .with_context(|| format!("cannot list the tags of {}", req.src))?;
    for (t, r) in &mut results {
        if let Ok(r) = r {
            r.reference = format!("{}:{t}@{}", req.dst.repo_name(), r.digest);
        }
    }
    Ok(results)
}
