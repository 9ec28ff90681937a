//! Copy of a whole repository: every tag of the source (names outside the grammar were
//! dropped with a warning by the tag list), each through the one transfer engine, going on past
//! a failing tag.

use crate::reference::ManifestRef;
use crate::transfer::{self, Dest, Options, Report, Source, TransferError};

/// Copy every tag of `src`'s repository to `dst`; one result per tag, in tag-list order.
pub async fn all_tags(
    src: &Source,
    dst: &Dest,
    opts: &Options,
) -> anyhow::Result<Vec<(String, Result<Report, TransferError>)>> {
    let Source::Registry(s) = src else {
        anyhow::bail!("--all-tags copies from a registry repository");
    };
    let mut tags = s.reg.tags(&s.repo).await?;
    tags.sort_by(|a, b| crate::reference::natural_order(a, b));
    let mut out = Vec::with_capacity(tags.len());
    for t in tags {
        let tag = ManifestRef::tag(&t);
        let r = transfer::transfer(src, &tag, dst, std::slice::from_ref(&t), opts).await;
        out.push((t, r));
    }
    Ok(out)
}
