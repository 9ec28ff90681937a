//! `cr push SRC DST`: a local image (OCI layout, oci-archive, docker-archive) to a registry.

use std::process::ExitCode;

use anyhow::Context;

use super::copy::TransferArgs;
use super::exit::usage;
use crate::app::Session;
use crate::config::Settings;
use crate::engine::{self, Repo, Source};
use crate::local::reader::LocalImage;
use crate::local::LocalRef;
use crate::oci::name::Tag;
use crate::oci::reference::Reference;
use crate::store::DockerArchive;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    /// gzip uncompressed docker-archive layers while they stream (fast level)
    Gzip,
    /// push layers as they are in the archive
    None,
}

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// Local image: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF], or a path.
    pub src: String,
    /// Destination: [HOST/]REPO[:TAG] (default tag: the one recorded locally, else latest), or
    /// [HOST/]REPO@DIGEST: by digest only, no tag (the digest must be the image's).
    pub dst: String,
    /// How to push the uncompressed layers of a docker-archive.
    #[arg(long, value_enum, default_value_t = Compression::Gzip)]
    pub compression: Compression,
    /// Convert Docker-format manifests to OCI, for registries that take OCI only (the digest
    /// changes).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<super::copy::ManifestFormat>,
    #[command(flatten)]
    pub t: TransferArgs,
}

/// A push whose source is not a local path but looks like a registry image: the arguments
/// are swapped (the destination is local), or a registry-to-registry copy was meant.
fn mistake(src: &str, dst: &str, settings: &Settings) -> Option<anyhow::Error> {
    Reference::parse(src, &settings.registry).ok()?;
    if crate::local::LocalRef::parse(dst, false).is_ok() || has_local_prefix(dst) {
        return Some(usage(
            format!("{src} is not a local image, and {dst} is: the arguments look swapped"),
            format!("cr push LOCAL-IMAGE REGISTRY-IMAGE, e.g. cr push {dst} {src}"),
        ));
    }
    Some(usage(
        format!("{src} is not a local image (no such file or directory) but a registry image"),
        format!("to copy between registries use: cr copy {src} {dst}"),
    ))
}

/// Whether a name starts with one of the local kinds (`oci:`, `oci-archive:`, `docker-archive:`).
pub fn has_local_prefix(s: &str) -> bool {
    ["oci:", "oci-archive:", "docker-archive:"]
        .iter()
        .any(|p| s.starts_with(p))
}

pub async fn run(settings: Settings, a: PushArgs) -> anyhow::Result<ExitCode> {
    if has_local_prefix(&a.dst) {
        return Err(usage(
            format!("{} is a local image: the arguments look swapped", a.dst),
            format!(
                "cr push LOCAL-IMAGE REGISTRY-IMAGE, e.g. cr push {} {}",
                a.dst, a.src
            ),
        ));
    }
    let dst = Reference::parse(&a.dst, &settings.registry)?;
    if dst.digest.is_some() && dst.tag.is_some() {
        return Err(usage(
            format!("destination {dst} has a tag and a digest"),
            "push to a tag (REPO:TAG) or by digest (REPO@sha256:…)",
        ));
    }
    if dst.digest.is_some() && a.format.is_some() {
        return Err(usage(
            format!("--format oci changes the digest, so it cannot be pushed to {dst}"),
            "push to a tag (REPO:TAG) with --format oci",
        ));
    }
    let lref = match LocalRef::parse(&a.src, false) {
        Ok(l) => l,
        Err(e @ crate::local::LocalError::Missing { .. }) => {
            return Err(mistake(&a.src, &a.dst, &settings).unwrap_or_else(|| {
                anyhow::Error::new(e).context(format!("cannot push {}", a.src))
            }))
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot push {}", a.src))),
    };
    let img = tokio::task::spawn_blocking(move || LocalImage::open(lref))
        .await?
        .with_context(|| format!("cannot push {}", a.src))?;
    let expected = dst.digest.clone();
    let tags = match (dst.tag.clone(), &expected) {
        (_, Some(_)) => Vec::new(),
        (Some(t), None) => vec![t],
        (None, None) => vec![img
            .recorded_tag()
            .with_context(|| format!("cannot push {}", a.src))?
            .map(|t| Tag::parse(&t))
            .transpose()
            .with_context(|| format!("cannot push {}", a.src))?
            .unwrap_or_else(Tag::latest)],
    };
    let reg = Session::new(&settings).get(&dst.registry).await?;
    let dest = Repo {
        reg,
        repo: dst.repository.to_string(),
    };
    let opts = a.t.options();
    let oci = a.format.is_some();
    let top = crate::oci::reference::ManifestRef::digest(&img.top_digest()?);
    // A docker archive's uncompressed layers are compressed as they stream (gzip level 1),
    // remembered between runs with the content cache.
    let src: Box<dyn Source> = if img.docker.is_some() && a.compression == Compression::Gzip {
        let remember = dest.reg.cache().is_some();
        Box::new(DockerArchive::new(img, 1, remember))
    } else {
        Box::new(img)
    };
    let src = src.as_ref();
    let report = match (&expected, oci) {
        (Some(d), _) => engine::transfer_to_digest(src, &top, &dest, d, &opts).await,
        (None, true) => engine::transfer_as_oci(src, &top, &dest, &tags, &opts).await,
        (None, false) => engine::transfer(src, &top, &dest, &tags, &opts).await,
    }
    .with_context(|| format!("cannot push {} to {dst}", a.src))?;
    a.t.print(&[report]);
    Ok(ExitCode::SUCCESS)
}
