//! The multi-image loop of image-inspect and image-untag: each image in turn through one
//! operation, with the session's one registry client per host; a failure is handed to the
//! caller as it happens and the loop goes on.

use std::future::Future;
use std::sync::Arc;

use super::Session;
use crate::oci::reference::Reference;
use crate::store::Cached;

/// Run `op` on each of `refs` (name as given, reference) in order: one outcome per image, a
/// failure as its whole error chain (for `-o json`) after the error went to `failed` with the
/// name as given.
pub async fn each<T, F, Fut>(
    session: &Session,
    refs: &[(String, Reference)],
    op: F,
    mut failed: impl FnMut(&str, anyhow::Error),
) -> Vec<Result<T, String>>
where
    F: Fn(Arc<Cached>, Reference) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut out = Vec::with_capacity(refs.len());
    for (name, r) in refs {
        let res = match session.get(&r.registry).await {
            Ok(reg) => op(reg, r.clone()).await,
            Err(e) => Err(e),
        };
        out.push(res.map_err(|e| {
            let message = format!("{e:#}");
            failed(name, e);
            message
        }));
    }
    out
}
