//! Push as a library call: a local image (OCI layout, oci-archive, docker-archive) to a
//! registry, to a tag (default: the one recorded locally, else `latest`), to its digest only,
//! or converted to OCI.

use anyhow::Context;

use super::Session;
use crate::engine::{self, Options, Repo, Report, Source};
use crate::local::reader::LocalImage;
use crate::local::LocalRef;
use crate::oci::name::Tag;
use crate::oci::reference::{ManifestRef, Reference};
use crate::store::DockerArchive;

/// A push of one local image.
#[derive(Debug, Clone, Copy)]
pub struct PushRequest<'a> {
    /// The local image, and its name as given (for messages).
    pub src: &'a LocalRef,
    pub src_name: &'a str,
    /// By tag, or by digest only (the image's).
    pub dst: &'a Reference,
    /// gzip a docker-archive's uncompressed layers as they stream (else push them as they are).
    pub gzip: bool,
    /// Convert Docker-format manifests to OCI (the digest changes).
    pub as_oci: bool,
}

/// Push `req.src` to `req.dst`. The transfer options are made once the registry client is
/// ready (a progress display starts drawing when it is made).
pub async fn push(
    session: &Session,
    req: &PushRequest<'_>,
    opts: impl FnOnce() -> Options,
) -> anyhow::Result<Report> {
    let (name, dst) = (req.src_name, req.dst);
    let lref = req.src.clone();
    let img = tokio::task::spawn_blocking(move || LocalImage::open(lref))
        .await?
        .with_context(|| format!("cannot push {name}"))?;
    let expected = dst.digest.clone();
    let tags = match (dst.tag.clone(), &expected) {
        (_, Some(_)) => Vec::new(),
        (Some(t), None) => vec![t],
        (None, None) => vec![img
            .recorded_tag()
            .with_context(|| format!("cannot push {name}"))?
            .map(|t| Tag::parse(&t))
            .transpose()
            .with_context(|| format!("cannot push {name}"))?
            .unwrap_or_else(Tag::latest)],
    };
    let reg = session.get(&dst.registry).await?;
    let dest = Repo {
        reg,
        repo: dst.repository.clone(),
    };
    let opts = &opts();
    let top = ManifestRef::digest(&img.top_digest()?);
    // A docker archive's uncompressed layers are compressed as they stream (gzip level 1),
    // remembered between runs with the content cache.
    let src: Box<dyn Source> = if img.docker.is_some() && req.gzip {
        let remember = dest.reg.cache().is_some();
        Box::new(DockerArchive::new(img, 1, remember))
    } else {
        Box::new(img)
    };
    let src = src.as_ref();
    match (&expected, req.as_oci) {
        (Some(d), _) => engine::transfer_to_digest(src, &top, &dest, d, opts).await,
        (None, true) => engine::transfer_as_oci(src, &top, &dest, &tags, opts).await,
        (None, false) => engine::transfer(src, &top, &dest, &tags, opts).await,
    }
    .with_context(|| format!("cannot push {name} to {dst}"))
}
