//! `cr push SRC DST`: a local image (OCI layout, oci-archive, docker-archive) to a registry.

use std::process::ExitCode;

use super::exit::usage;
use super::transfer::TransferArgs;
use crate::app::push::PushRequest;
use crate::app::Session;
use crate::config::Settings;
use crate::local::LocalRef;
use crate::oci::reference::Reference;

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
    let req = PushRequest {
        src: &lref,
        src_name: &a.src,
        dst: &dst,
        gzip: a.compression == Compression::Gzip,
        as_oci: a.format.is_some(),
    };
    let report = crate::app::push::push(&Session::new(&settings), &req, || a.t.options()).await?;
    a.t.print(&[report]);
    Ok(ExitCode::SUCCESS)
}
