//! `cr copy SRC DST`: registry to registry (one image, or `--all-tags` for a repository).

use std::process::ExitCode;

use super::exit::{self, usage};
use super::transfer::{kept, TransferArgs};
use crate::app::copy::CopyRequest;
use crate::app::Session;
use crate::config::Settings;
use crate::oci::reference::Reference;

/// `--format`: the manifest format written at the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ManifestFormat {
    /// Docker-format manifests converted to OCI (the digest changes)
    Oci,
}

#[derive(Debug, clap::Args)]
pub struct CopyArgs {
    /// Source image: [HOST/]REPO[:TAG|@DIGEST] (with --all-tags: [HOST/]REPO).
    pub src: String,
    /// Destination: [HOST/]REPO[:TAG] (default tag: the source's), or [HOST/]REPO@DIGEST: by
    /// digest only, no tag (the digest must be the source's).
    pub dst: String,
    /// Copy every tag of the source repository.
    #[arg(long)]
    pub all_tags: bool,
    /// Do not copy the image's referrers (signatures, SBOMs, attestations).
    #[arg(long)]
    pub no_referrers: bool,
    /// Convert Docker-format manifests to OCI, for registries that take OCI only (the digest
    /// changes; referrers are not copied).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ManifestFormat>,
    #[command(flatten)]
    pub t: TransferArgs,
}

pub async fn run(settings: Settings, a: CopyArgs) -> anyhow::Result<ExitCode> {
    let src = Reference::parse(&a.src, &settings.registry)?;
    let dst = Reference::parse(&a.dst, &settings.registry)?;
    if dst.digest.is_some() && dst.tag.is_some() {
        return Err(usage(
            format!("destination {dst} has a tag and a digest"),
            "name the destination by tag (REPO:TAG) or by digest (REPO@sha256:…)",
        ));
    }
    let by_digest = dst.digest.is_some();
    if (a.all_tags || by_digest) && a.format.is_some() {
        return Err(usage(
            "--format oci converts one image to a tag (its digest changes)",
            "copy the tags one by one: cr copy --format oci SRC:TAG DST:TAG",
        ));
    }
    if a.all_tags && (src.tag.is_some() || src.digest.is_some() || dst.tag.is_some() || by_digest) {
        return Err(usage(
            "--all-tags copies a whole repository",
            "give repositories without tags: cr copy --all-tags SRC_REPO DST_REPO",
        ));
    }
    let session = Session::new(&settings);
    let req = CopyRequest {
        src: &src,
        dst: &dst,
        no_referrers: a.no_referrers,
        as_oci: a.format == Some(ManifestFormat::Oci),
    };
    let opts = || a.t.options();
    if !a.all_tags {
        let r = crate::app::copy::image(&session, &req, opts).await?;
        a.t.print(std::slice::from_ref(&r));
        return Ok(kept(&r.referrers_kept));
    }
    let results = crate::app::copy::repository(&session, &req, opts).await?;
    let (mut reports, mut codes) = (Vec::new(), Vec::new());
    let total = results.len();
    for (t, r) in results {
        match r {
            // One line per tag: HOST/REPO:TAG@sha256:…
            Ok(r) => reports.push(r),
            Err(e) => codes.push(exit::report(
                &format!("{}:{t}", src.repo_name()),
                &anyhow::Error::new(e),
            )),
        }
    }
    a.t.print(&reports);
    let kept_any: Vec<_> = reports
        .iter()
        .flat_map(|r| r.referrers_kept.clone())
        .collect();
    if codes.is_empty() {
        return Ok(kept(&kept_any));
    }
    exit::summarize(&codes, total)
}
