//! Tag: point a new tag at an image. Within one repository only the manifest is put again
//! (same bytes, same digest); across repositories or registries the image is moved by the
//! transfer engine (mounting blobs within a registry), so the digest is the same after.

use std::sync::Arc;

use super::Session;
use crate::client::Scope;
use crate::engine::{self, Options, Repo};
use crate::oci::digest::Digest;
use crate::oci::name::Tag;
use crate::oci::reference::{ManifestRef, Reference};

/// What tagging did.
#[derive(Debug, Clone)]
pub struct Tagged {
    pub digest: Digest,
    pub blobs_mounted: usize,
    pub blobs_moved: usize,
    /// Referrers copied with it (to another registry).
    pub referrers: Vec<Digest>,
    /// Destination cosign tags kept (they differ from the source's).
    pub referrers_kept: Vec<super::referrers::Kept>,
}

/// Tag `src` as `dst:tag`; to another registry, with the image's referrers unless
/// `no_referrers`.
pub async fn tag(
    clients: &Session,
    src: &Reference,
    dst: &Reference,
    tag: &Tag,
    opts: &Options,
    no_referrers: bool,
) -> anyhow::Result<Tagged> {
    let sreg = clients.get(&src.registry).await?;
    let dreg = clients.get(&dst.registry).await?;
    if Arc::ptr_eq(&sreg, &dreg) && src.repository == dst.repository {
        let scopes = [Scope::push(&dst.repository)];
        let m = sreg
            .get_manifest(&src.repository, &src.manifest_ref(), &scopes)
            .await?;
        dreg.put_manifest(&dst.repository, &ManifestRef::tag(tag), &m, &scopes)
            .await?;
        return Ok(Tagged {
            digest: m.digest,
            blobs_mounted: 0,
            blobs_moved: 0,
            referrers: Vec::new(),
            referrers_kept: Vec::new(),
        });
    }
    let other_registry = !Arc::ptr_eq(&sreg, &dreg);
    let source = Repo {
        reg: sreg,
        repo: src.repository.clone(),
    };
    let dest = Repo {
        reg: dreg,
        repo: dst.repository.clone(),
    };
    let tags = [tag.clone()];
    let r = engine::transfer(&source, &src.manifest_ref(), &dest, &tags, opts).await?;
    let referrers = if other_registry && !no_referrers {
        super::referrers::copy_with_tags(&source, &dest, &r.digest, opts, false).await?
    } else {
        Default::default()
    };
    Ok(Tagged {
        digest: r.digest,
        blobs_mounted: r.blobs_mounted,
        blobs_moved: r.blobs_moved,
        referrers: referrers.digests,
        referrers_kept: referrers.kept,
    })
}
