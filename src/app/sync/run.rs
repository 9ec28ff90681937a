//! Running a sync: the repositories under the source planned, every selected tag checked (a
//! HEAD on each side, many at once), then the images that need it copied a few at a time,
//! with their referrers. Progress goes to the caller's [`Observer`], each finished tag to its
//! [`Event`] callback; a failing image or repository does not stop the others.

use std::sync::Arc;

use futures_util::stream::{self, StreamExt};

use super::{Filter, How, Job, Spec, Synced};
use crate::app::Session;
use crate::engine::placed::Placed;
use crate::engine::progress::{Observer, Silent};
use crate::engine::Options;
use crate::oci::platform::Platform;

/// Tags checked at once (two HEADs each).
const CHECK_JOBS: usize = 32;

/// What to sync, and how.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    pub src: Spec,
    pub dst: Spec,
    pub filter: Filter,
    /// Only this platform of multi-platform images (default: every platform, byte-exact).
    pub platform: Option<Platform>,
    /// Blobs streamed at once.
    pub jobs: usize,
    /// Images in flight at once.
    pub images: usize,
    pub how: How,
}

/// What happens while [`run`] works.
pub enum Event<'a> {
    /// The repositories are listed: this many tags to sync, and the repositories that could
    /// not be listed (with why).
    Planned {
        images: usize,
        failures: &'a [(String, anyhow::Error)],
    },
    /// One tag is done (copied, up to date, would copy, or failed).
    Synced(&'a Synced),
}

/// What a sync did.
pub struct SyncReport {
    /// One per tag, in the order they finished.
    pub results: Vec<Synced>,
    /// The source repositories that could not be listed (or their destination), with why.
    pub repo_failures: Vec<(String, anyhow::Error)>,
}

/// Sync `req.src` into `req.dst`, bytes reported to `progress` (none: not reported). An
/// error only when the source's repositories cannot be listed (or a registry cannot be
/// reached); everything after that is in the report.
pub async fn run(
    clients: &Session,
    req: &SyncRequest,
    progress: Option<Arc<dyn Observer>>,
    on: &(dyn Fn(Event<'_>) + Sync),
) -> anyhow::Result<SyncReport> {
    let (src, dst) = (&req.src, &req.dst);
    let sreg = clients.get(&src.registry).await?;
    let dreg = clients.get(&dst.registry).await?;
    let (plans, repo_failures) = super::plan(&sreg, &dreg, src, dst, &req.filter)
        .await
        .map_err(|e| {
            e.context(format!(
                "cannot list the repositories of {}",
                src.describe()
            ))
        })?;
    let images = plans.iter().map(|p| p.selected.len()).sum();
    on(Event::Planned {
        images,
        failures: &repo_failures,
    });
    let new_repos = plans.iter().filter(|p| p.dst_new);
    let opts = Options {
        jobs: req.jobs,
        platform: req.platform.clone(),
        progress: progress.unwrap_or_else(|| Arc::new(Silent)),
        placed: Some(Arc::new(Placed::new(
            new_repos.map(|p| p.dst_repo.clone()).collect(),
        ))),
    };
    let (sreg, dreg, opts) = (&sreg, &dreg, &opts);
    let job = |p, tag| Job::new(sreg, dreg, p, tag);
    let jobs = plans
        .iter()
        .flat_map(|p| p.selected.iter().map(move |t| (p, t)));
    // First every tag is checked, then the images that need it are copied, `images` at a
    // time.
    let checked: Vec<_> = stream::iter(jobs)
        .map(|(p, tag)| async move { (p, tag, super::check(&job(p, tag), opts).await) })
        .buffer_unordered(CHECK_JOBS)
        .collect()
        .await;
    if opts.platform.is_none() {
        super::remember(
            sreg,
            checked.iter().filter_map(|(p, tag, c)| {
                c.as_ref().ok().map(|(d, _)| (*p, tag.as_str(), d.as_str()))
            }),
        );
    }
    let results: Vec<Synced> = stream::iter(checked)
        .map(|(p, tag, checked)| async move {
            let r = super::one(&job(p, tag), checked, opts, req.how).await;
            on(Event::Synced(&r));
            r
        })
        .buffer_unordered(req.images)
        .collect()
        .await;
    Ok(SyncReport {
        results,
        repo_failures,
    })
}
