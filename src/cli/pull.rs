//! `cr pull SRC DST`: a registry image to a local OCI layout, oci-archive or docker-archive,
//! written under temporary names and renamed into place only once everything is verified.

use std::process::ExitCode;

use anyhow::Context;

use super::push::has_local_prefix;
use super::transfer::TransferArgs;
use crate::app::Session;
use crate::config::Settings;
use crate::local::{Kind, LocalRef};
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
    let pulled =
        crate::app::pull::pull(&Session::new(&settings), &src, &dst, || a.t.options()).await?;
    if pulled.interrupted {
        // Too late to abandon: the destination holds the image; exit 0 says so too.
        let what = if dst.kind == Kind::OciDir {
            "the layout"
        } else {
            "the archive"
        };
        eprintln!(
            "interrupted after {what} was written: {}",
            crate::text::escape(&pulled.report.reference)
        );
    }
    if !a.t.quiet {
        let verb = if pulled.replaced { "replaced" } else { "wrote" };
        eprintln!("{verb} {dst}");
    }
    a.t.print(&[pulled.report]);
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
