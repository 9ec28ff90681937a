//! The multi-image loop of image-inspect, image-untag and image-rm: each image in turn through
//! one operation, with the command's one registry client per host; a failure is reported and
//! the loop goes on, and the exit code sums them up (`exit::summarize`).

use std::future::Future;
use std::sync::Arc;

use super::exit;
use crate::app::Session;
use crate::config::Settings;
use crate::oci::reference::Reference;
use crate::store::Cached;

/// An image that failed; its error was printed already.
#[derive(Debug)]
pub struct Failed {
    pub code: u8,
    /// The whole error chain, for `-o json`.
    pub message: String,
}

/// Run `op` on each of `refs` (name as given, reference) in order.
pub async fn each<T, F, Fut>(
    settings: &Settings,
    refs: &[(String, Reference)],
    op: F,
) -> Vec<Result<T, Failed>>
where
    F: Fn(Arc<Cached>, Reference) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let clients = Session::new(settings);
    let mut out = Vec::with_capacity(refs.len());
    for (name, r) in refs {
        let res = match clients.get(&r.registry).await {
            Ok(reg) => op(reg, r.clone()).await,
            Err(e) => Err(e),
        };
        out.push(res.map_err(|e| Failed {
            code: exit::report(name, &e),
            message: format!("{e:#}"),
        }));
    }
    out
}

/// The exit codes of the failures.
pub fn codes<T>(results: &[Result<T, Failed>]) -> Vec<u8> {
    results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|f| f.code))
        .collect()
}
