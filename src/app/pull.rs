//! Pull as a library call: a registry image to a local OCI layout, oci-archive or
//! docker-archive (one platform: the one asked, else linux/amd64, else the index's first),
//! written under temporary names and renamed into place only once everything is verified.

use anyhow::Context;

use super::Session;
use crate::client::Scope;
use crate::engine::{self, Options, Repo, Report};
use crate::interrupt::FinalWrite;
use crate::local::writer::LayoutWriter;
use crate::local::{Kind, LocalRef};
use crate::oci::name::Tag;
use crate::oci::platform::Platform;
use crate::oci::reference::Reference;
use crate::store::Cached;

/// A pulled image.
pub struct Pulled {
    /// What was copied; its reference is `HOST/REPO@sha256:…`.
    pub report: Report,
    /// An existing docker-archive was replaced.
    pub replaced: bool,
    /// An interrupt came during the final write, too late to abandon it: the destination
    /// holds the image.
    pub interrupted: bool,
    /// Keeps the command from being dropped by an interrupt until the result is said.
    pub writing: FinalWrite,
}

/// The platform a docker-archive (one platform) takes of an index: linux/amd64, else the
/// index's first; None for an image.
async fn index_platform(reg: &Cached, src: &Reference) -> anyhow::Result<Option<Platform>> {
    let scopes = [Scope::pull(&src.repository)];
    let top = match reg
        .get_manifest(&src.repository, &src.manifest_ref(), &scopes)
        .await
    {
        Ok(m) => m,
        Err(e) => {
            let e = super::explain_missing(reg, src, e).await;
            return Err(e.context(format!("cannot pull {src}")));
        }
    };
    if !top.is_index() {
        return Ok(None);
    }
    Ok(top.parse()?.pick_platform(None).and_then(|(_, p)| p))
}

/// Pull `src` into `dst`. The transfer options are made once the registry client is ready
/// (a progress display starts drawing when it is made). Everything local is checked before the
/// first request: the environment the write reads, the name given to the image, and the
/// destination (a path of another kind is refused untouched).
pub async fn pull(
    session: &Session,
    src: &Reference,
    dst: &LocalRef,
    opts: impl FnOnce() -> Options,
) -> anyhow::Result<Pulled> {
    crate::local::check_env()?;
    dst.check_destination_name()
        .with_context(|| format!("cannot pull to {dst}"))?;
    let src_tag = src.tag.clone().unwrap_or_else(Tag::latest);
    // A docker archive names the image by reference (`REPO:TAG`); a layout by tag.
    // The name the report gives: the archive's reference, the layout's ref name.
    let shown = match (dst.kind, &dst.tag) {
        (Kind::DockerArchive, None) => format!("{}:{src_tag}", src.repo_name()),
        (_, Some(t)) => t.clone(),
        (_, None) => src_tag.to_string(),
    };
    let (tag, repo_tag) = match (dst.kind, &dst.tag) {
        (Kind::DockerArchive, _) => (src_tag.clone(), Some(shown.clone())),
        // A layout's ref name may be any OCI ref name (`alpine:3.18`): the writer names the
        // image by what was given; the engine's tag is then the source's.
        (_, Some(t)) => (Tag::parse(t).unwrap_or_else(|_| src_tag.clone()), None),
        (_, None) => (src_tag, None),
    };
    let writer = LayoutWriter::new(dst.clone(), repo_tag)
        .with_context(|| format!("cannot pull to {dst}"))?;
    let reg = session.get(&src.registry).await?;
    let mut opts = opts();
    if dst.kind == Kind::DockerArchive && opts.platform.is_none() {
        opts.platform = index_platform(&reg, src).await?;
    }
    let source = Repo {
        reg: reg.clone(),
        repo: src.repository.clone(),
    };
    let tags = std::slice::from_ref(&tag);
    let mut report =
        match engine::transfer(&source, &src.manifest_ref(), &writer, tags, &opts).await {
            Ok(r) => r,
            Err(e) => {
                let e = super::explain_transfer(&reg, src, e).await;
                return Err(e.context(format!("cannot pull {src}")));
            }
        };
    // From here an interrupt is left to the final write, which stops while it can, and to the
    // caller, which says truthfully what was written.
    let writing = FinalWrite::begin();
    let written = writer
        .commit()
        .await
        .with_context(|| format!("cannot write {dst}"))?;
    report.reference = format!("{}@{}", src.repo_name(), report.digest);
    report.tags = vec![shown];
    Ok(Pulled {
        report,
        replaced: written.replaced,
        interrupted: crate::interrupt::raised(),
        writing,
    })
}
