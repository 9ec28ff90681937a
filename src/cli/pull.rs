//! `cr pull SRC DST`: a registry image to a local OCI layout, oci-archive or docker-archive,
//! written under temporary names and renamed into place only once everything is verified.

use std::process::ExitCode;

use anyhow::Context;

use super::copy::TransferArgs;
use super::push::has_local_prefix;
use crate::app::Session;
use crate::client::Scope;
use crate::config::Settings;
use crate::engine::{self, Repo};
use crate::local::writer::LayoutWriter;
use crate::local::{Kind, LocalRef};
use crate::oci::name::Tag;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// Source image: [HOST/]REPO[:TAG|@DIGEST].
    pub src: String,
    /// Destination: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF], or a path
    /// (a .tar path is a docker-archive, anything else an OCI layout).
    pub dst: String,
    #[command(flatten)]
    pub t: TransferArgs,
}

pub async fn run(settings: Settings, a: PullArgs) -> anyhow::Result<ExitCode> {
    if has_local_prefix(&a.src) {
        return Err(super::exit::usage(
            format!("{} is a local image: the arguments look swapped", a.src),
            format!(
                "cr pull REGISTRY-IMAGE LOCAL-IMAGE, e.g. cr pull {} {}",
                a.dst, a.src
            ),
        ));
    }
    if looks_like_registry_image(&a.dst) {
        return Err(super::exit::usage(
            format!("{} names a registry image, not a local one", a.dst),
            format!(
                "to copy between registries use cr copy {} {}; to write a local layout at that path, say oci:{}",
                a.src, a.dst, a.dst
            ),
        ));
    }
    let src = Reference::parse(&a.src, &settings.registry)?;
    let dst = LocalRef::parse(&a.dst, true).with_context(|| format!("cannot pull to {}", a.dst))?;
    let reg = Session::new(&settings).get(&src.registry).await?;
    let mut opts = a.t.options();
    if dst.kind == Kind::DockerArchive && opts.platform.is_none() {
        // A docker-archive holds one platform: take linux/amd64, else the index's first.
        let top = reg
            .get_manifest(
                &src.repository,
                &src.manifest_ref(),
                &[Scope::pull(&src.repository)],
            )
            .await;
        let top = match top {
            Ok(m) => m,
            Err(e) => {
                let e = crate::app::explain_missing(&reg, &src, e).await;
                return Err(e.context(format!("cannot pull {src}")));
            }
        };
        if top.is_index() {
            opts.platform = top.parse()?.pick_platform(None).and_then(|(_, p)| p);
        }
    }
    let src_tag = src.tag.clone().unwrap_or_else(Tag::latest);
    // A docker archive names the image by reference (`REPO:TAG`); a layout by tag.
    let (tag, repo_tag) = match (dst.kind, &dst.tag) {
        (Kind::DockerArchive, t) => (
            src_tag.clone(),
            Some(
                t.clone()
                    .unwrap_or_else(|| format!("{}:{src_tag}", src.repo_name())),
            ),
        ),
        (_, Some(t)) => (Tag::parse(t)?, None),
        (_, None) => (src_tag, None),
    };
    let writer = LayoutWriter::new(dst.clone(), repo_tag)
        .with_context(|| format!("cannot pull to {dst}"))?;
    let source = Repo {
        reg: reg.clone(),
        repo: src.repository.to_string(),
    };
    let moved = engine::transfer(
        &source,
        &src.manifest_ref(),
        &writer,
        std::slice::from_ref(&tag),
        &opts,
    )
    .await;
    let mut report = match moved {
        Ok(r) => r,
        Err(e) => {
            let e = crate::app::explain_transfer(&reg, &src, e).await;
            return Err(e.context(format!("cannot pull {src}")));
        }
    };
    // From here an interrupt is left to the final write, which stops while it can, and to the
    // lines below, which say truthfully what was written.
    let _writing = crate::interrupt::FinalWrite::begin();
    let written = writer
        .commit()
        .await
        .with_context(|| format!("cannot write {dst}"))?;
    report.reference = format!("{}@{}", src.repo_name(), report.digest);
    if crate::interrupt::raised() {
        // Too late to abandon: the destination holds the image; exit 0 says so too.
        let what = if dst.kind == Kind::OciDir {
            "the layout"
        } else {
            "the archive"
        };
        eprintln!(
            "interrupted after {what} was written: {}",
            crate::text::escape(&report.reference)
        );
    }
    if !a.t.quiet {
        let verb = if written.replaced {
            "replaced"
        } else {
            "wrote"
        };
        eprintln!("{verb} {dst}");
    }
    a.t.print(&[report]);
    Ok(ExitCode::SUCCESS)
}

/// A destination without a local prefix that does not exist and reads as an image with a
/// registry host (`HOST[:PORT]/REPO[:TAG]`): the user meant `cr copy`.
fn looks_like_registry_image(dst: &str) -> bool {
    if has_local_prefix(dst) || std::path::Path::new(dst).exists() {
        return false;
    }
    let Some((first, _)) = dst.split_once('/') else {
        return false;
    };
    !first.starts_with('.')
        && crate::oci::reference::is_host(first)
        && Reference::parse(dst, "localhost").is_ok()
}
