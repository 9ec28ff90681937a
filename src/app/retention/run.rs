//! Running a retention over the repositories of a namespace (or one repository): every
//! repository planned ([`Retention::plan`], what a caller shows and asks about), then each
//! planned again, narrowed to what was shown, its kept tags checked once more, and its images
//! deleted ([`Retention::apply`]). Deletions are reported as [`Event`]s; the `-o json` rows
//! are [`RepoRow`]s.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Context;
use futures_util::stream::{self, StreamExt};

use super::{Image, Plan, Reason, Rule};
use crate::app::referrers::{self, is_referrer_tag};
use crate::app::remove::{self, DeletedWith, Doomed, RemoveError};
use crate::app::walk::{Depth, Inventory};
use crate::app::NotFound;
use crate::client::{Kind, RegistryError, Scope};
use crate::oci::digest::Digest;
use crate::oci::name::{Repository, Tag};
use crate::oci::reference::{is_host, normalise_host, validate_repository, ManifestRef};
use crate::store::Cached;

/// Deletions in flight at once.
const DELETE_JOBS: usize = 16;
/// Repositories planned at once (each lists its tags and resolves them 32 at a time).
const PLAN_JOBS: usize = 4;

/// What to run a retention on, and how.
#[derive(Debug, Clone)]
pub struct RetentionRequest {
    /// The registry host, as the images are named (`host:port`).
    pub host: String,
    /// NAMESPACE (every repository under it) or NAMESPACE/REPO (that repository only).
    pub path: String,
    pub rule: Rule,
    /// With NAMESPACE/REPO: also the repositories nested under it.
    pub recursive: bool,
    /// Keep the referrers of deleted images.
    pub keep_referrers: bool,
}

/// A retention target that does not parse.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{0}")]
    Host(String),
    #[error("{0}")]
    Path(String),
}

/// `HOST/NS[/REPO]` or `NS[/REPO]` as (host, path), the path validated.
pub fn split_target(target: &str, default: &str) -> Result<(String, String), TargetError> {
    let t = target.trim().trim_end_matches('/');
    let (host, path) = match t.split_once('/') {
        Some((first, rest)) if is_host(first) => {
            let host = normalise_host(first).map_err(|e| TargetError::Host(e.to_string()))?;
            (host, rest.to_string())
        }
        _ => (default.to_string(), t.to_string()),
    };
    validate_repository(&path).map_err(|e| TargetError::Path(e.to_string()))?;
    Ok((host, path))
}

/// Why a retention could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The repositories could not be listed.
    #[error(transparent)]
    Catalog(RegistryError),
    /// No repository in scope.
    #[error(transparent)]
    NotFound(NotFound),
}

/// One repository's plan (or why it could not be planned), with its tags at planning time.
pub struct RepoPlan {
    pub repo: Repository,
    pub plan: Result<Plan, anyhow::Error>,
    pub tags: HashSet<Tag>,
}

/// One repository's plan and, where it was carried out, how each deletion went.
pub struct RepoRun {
    pub plan: RepoPlan,
    pub outcomes: HashMap<Digest, Result<DeletedWith, RemoveError>>,
}

/// What happens while [`Retention::apply`] runs.
pub enum Event<'a> {
    /// An image the plan deleted is kept: a kept or protected tag points at it now.
    Moved {
        repo: &'a Repository,
        image: &'a Image,
    },
    /// An image was deleted, with these referrers.
    Deleted {
        repo: &'a Repository,
        image: &'a Image,
        with: &'a DeletedWith,
    },
}

/// A retention over the repositories in scope of one request.
pub struct Retention {
    reg: Arc<Cached>,
    inv: Inventory,
    req: RetentionRequest,
    repos: Vec<Repository>,
}

impl Retention {
    /// [`Retention::open`] with the session's client for `req.host`; a catalog the registry
    /// does not serve (or a refused login) is explained.
    pub async fn start(
        session: &crate::app::Session,
        req: RetentionRequest,
    ) -> anyhow::Result<Self> {
        let reg = session.get(&req.host).await?;
        match Self::open(reg.clone(), req).await {
            Ok(r) => Ok(r),
            Err(OpenError::Catalog(e)) => {
                Err(crate::app::images::catalog_error(&reg, e, "repositories").await)
            }
            Err(OpenError::NotFound(e)) => Err(e.into()),
        }
    }

    /// List the repositories in scope (every tag is resolved by a GET in this run, and a
    /// listed tag that cannot be resolved leaves its repository alone).
    pub async fn open(reg: Arc<Cached>, req: RetentionRequest) -> Result<Self, OpenError> {
        // Referrer tags are named and resolved (what each points at decides which referrers
        // go), never walked into: a fallback index listing a referrer deleted since must not
        // stop the repository's retention.
        let inv = Inventory::exact(reg.clone())
            .nested(req.recursive)
            .shallow(is_referrer_tag);
        let mut repos = inv
            .repositories(Some(&req.path))
            .await
            .map_err(OpenError::Catalog)?;
        // NAMESPACE/REPO is that repository alone; nested ones only with --recursive.
        if req.path.contains('/') && !req.recursive {
            repos.retain(|r| *r == req.path);
        }
        if repos.is_empty() {
            return Err(OpenError::NotFound(NotFound {
                image: format!("{}/{}", req.host, req.path),
                message: format!("no repository on {} under {}", req.host, req.path),
            }));
        }
        Ok(Retention {
            reg,
            inv,
            req,
            repos,
        })
    }

    pub fn repositories(&self) -> &[Repository] {
        &self.repos
    }

    /// Every repository's plan, deleting nothing.
    pub async fn plan(&self) -> Vec<RepoPlan> {
        stream::iter(self.repos.clone())
            .map(|repo| self.plan_repo(repo))
            .buffered(PLAN_JOBS)
            .collect()
            .await
    }

    /// Each repository planned again (the plan `shown`, when given, may be old: only what it
    /// deleted too is deleted), its kept tags checked once more, then its deletions.
    pub async fn apply(
        &self,
        shown: Option<Vec<RepoPlan>>,
        on: &(dyn Fn(Event<'_>) + Sync),
    ) -> Vec<RepoRun> {
        let mut shown: Option<HashMap<Repository, RepoPlan>> =
            shown.map(|s| s.into_iter().map(|p| (p.repo.clone(), p)).collect());
        stream::iter(self.repos.clone())
            .map(|repo| {
                let first = shown.as_mut().and_then(|s| s.remove(repo.as_str()));
                self.run_repo(repo, first, on)
            })
            .buffered(PLAN_JOBS)
            .collect()
            .await
    }

    /// Plan one repository, check its kept tags again, delete what is still to go.
    async fn run_repo(
        &self,
        repo: Repository,
        first: Option<RepoPlan>,
        on: &(dyn Fn(Event<'_>) + Sync),
    ) -> RepoRun {
        let mut p = self.plan_repo(repo).await;
        if let Some(first) = first {
            p.plan = narrow(first.plan, p.plan);
        }
        let plan = match p.plan {
            Ok(plan) if !plan.delete.is_empty() => plan,
            other => {
                p.plan = other;
                return RepoRun::planned(p);
            }
        };
        let plan = match self.recheck(&p.repo, plan).await {
            Ok(plan) => plan,
            Err(e) => {
                p.plan = Err(e);
                return RepoRun::planned(p);
            }
        };
        let (reg, repo, tags, with) = (&self.reg, &p.repo, &p.tags, &plan.referrers);
        for (image, _) in plan.kept.iter().filter(|(_, r)| *r == Reason::Moved) {
            on(Event::Moved { repo, image });
        }
        let outcomes = stream::iter(plan.delete.iter())
            .map(|img| async move {
                let d = Doomed {
                    digest: img.digest.clone(),
                    referrers: with.get(&img.digest).cloned().unwrap_or_default(),
                };
                let r = remove::delete_doomed(reg, repo, &d, Some(tags)).await;
                if let Ok(w) = &r {
                    on(Event::Deleted {
                        repo,
                        image: img,
                        with: w,
                    });
                }
                (img.digest.clone(), r)
            })
            .buffer_unordered(DELETE_JOBS)
            .collect()
            .await;
        p.plan = Ok(plan);
        RepoRun { plan: p, outcomes }
    }

    async fn plan_repo(&self, repo: Repository) -> RepoPlan {
        let (tagged, problems) = self
            .inv
            .tagged_images(std::slice::from_ref(&repo), Depth::Full)
            .await;
        let tags: HashSet<Tag> = tagged.iter().map(|t| t.tag.clone()).collect();
        // A repository where any tag could not be resolved is left alone: an image missing
        // from the ranking could make an older one look recent, and a protected tag missing
        // from it would protect nothing.
        let plan = match problems.into_iter().next() {
            Some(e) => Err(anyhow::Error::new(e)),
            None => self.plan_tagged(&repo, &tagged, &tags).await,
        };
        RepoPlan {
            plan: plan
                .with_context(|| format!("cannot plan retention in {repo}; nothing deleted there")),
            repo,
            tags,
        }
    }

    /// The plan for a repository's resolved tags: the rule, everything under its tagged
    /// indexes kept, and the referrers each deleted image takes with it (never one of a kept
    /// image).
    async fn plan_tagged(
        &self,
        repo: &Repository,
        tagged: &[crate::app::walk::TaggedImage],
        tags: &HashSet<Tag>,
    ) -> anyhow::Result<Plan> {
        let (mut images, direct) = super::images_of(tagged);
        // A placeholder left by an interrupted untag is not an image: it neither counts among
        // the newest nor is deleted (`cr image-untag` finishes it).
        let placeholders = crate::app::images::placeholders(&self.reg, tagged).await;
        images.retain(|i| !placeholders.contains(&i.digest));
        let under = super::descendants(&self.inv, repo, direct).await?;
        let mut plan = super::plan(images, &under, &self.req.rule);
        if plan.delete.is_empty() || self.req.keep_referrers {
            return Ok(plan);
        }
        let kept: Vec<Digest> = plan
            .kept
            .iter()
            .map(|(i, _)| i.digest.clone())
            .chain(under)
            .collect();
        let mut keep: HashSet<Digest> = kept.iter().cloned().collect();
        keep.extend(
            referrers::all(&self.reg, repo, kept, Some(tags))
                .await?
                .into_iter()
                .map(|r| r.digest),
        );
        let on: Vec<(Tag, Digest)> = tagged
            .iter()
            .filter_map(|t| Some((t.tag.clone(), t.digest.clone()?)))
            .collect();
        for img in &plan.delete {
            let d = remove::doomed(&self.reg, repo, &img.digest, Some(tags), &on, &keep).await?;
            plan.referrers.insert(d.digest, d.referrers);
        }
        Ok(plan)
    }

    /// Just before the deletions: every tag that was on a kept image or matches `--keep-tag`
    /// is resolved again (a HEAD; a GET confirms when the HEAD disagrees with the plan). An
    /// image such a tag points at now is kept ("tag moved during the run"), with its
    /// referrers; a tag whose HEAD and GET still disagree leaves the repository alone.
    async fn recheck(&self, repo: &Repository, mut plan: Plan) -> anyhow::Result<Plan> {
        let scopes = [Scope::pull(repo)];
        let planned: HashMap<&str, &str> = plan
            .kept
            .iter()
            .map(|(i, _)| i)
            .chain(&plan.delete)
            .flat_map(|i| i.tags.iter().map(|t| (t.as_str(), i.digest.as_str())))
            .collect();
        let kept_tags: HashSet<&str> = plan
            .kept
            .iter()
            .flat_map(|(i, _)| i.tags.iter().map(Tag::as_str))
            .collect();
        let now = match self.reg.tags(repo).await {
            Ok(t) => t,
            Err(e) if e.kind() == Kind::NotFound => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let rule = &self.req.rule;
        let watched: Vec<Tag> = now
            .into_iter()
            .filter(|t| !is_referrer_tag(t))
            .filter(|t| {
                kept_tags.contains(t.as_str())
                    || rule.keep_tag.as_ref().is_some_and(|re| re.is_match(t))
            })
            .collect();
        let (reg, planned, scopes) = (&self.reg, &planned, &scopes);
        let found: Vec<anyhow::Result<Option<Digest>>> = stream::iter(watched)
            .map(|t| async move {
                let r = ManifestRef::tag(&t);
                let head = reg
                    .head_manifest(repo, &r, scopes)
                    .await
                    .map_err(anyhow::Error::new)?;
                let Some(head) = head else { return Ok(None) };
                if head.digest.is_some()
                    && head.digest.as_ref().map(|d| d.as_str()) == planned.get(t.as_str()).copied()
                {
                    return Ok(None);
                }
                let m = match reg.get_manifest(repo, &r, scopes).await {
                    Ok(m) => m,
                    Err(e) if e.kind() == Kind::NotFound => return Ok(None),
                    Err(e) => return Err(e.into()),
                };
                // Which answer is stale cannot be told: nothing is deleted on either's word.
                match head.digest {
                    Some(h) if h != m.digest => Err(anyhow::Error::new(Unresolvable {
                        tag: format!("{}/{repo}:{t}", reg.name),
                        head: h,
                        get: m.digest,
                    })),
                    _ => Ok(Some(m.digest)),
                }
            })
            .buffer_unordered(crate::app::walk::LIST_JOBS / 2)
            .collect()
            .await;
        let mut moved = HashSet::new();
        for f in found {
            moved.extend(f?);
        }
        let (stay, go): (Vec<Image>, Vec<Image>) = plan
            .delete
            .into_iter()
            .partition(|i| moved.contains(&i.digest));
        for i in &stay {
            plan.referrers.remove(&i.digest);
        }
        plan.delete = go;
        plan.kept
            .extend(stay.into_iter().map(|i| (i, Reason::Moved)));
        // A referrer a tag now names stays, with whatever refers to it.
        for list in plan.referrers.values_mut() {
            let mut dropped: HashSet<Digest> = HashSet::new();
            list.retain(|r| {
                let keep = moved.contains(&r.digest) || dropped.contains(&r.subject);
                if keep {
                    dropped.insert(r.digest.clone());
                }
                !keep
            });
        }
        Ok(plan)
    }
}

/// A protected tag answered two ways just before the deletions: the HEAD names one digest and
/// the GET another (a stale cache on either side). The repository is left alone.
#[derive(Debug, thiserror::Error)]
#[error("{tag} is answered inconsistently: HEAD names {head}, GET names {get} (a stale cache in front of the registry?); nothing deleted there: run again later")]
pub struct Unresolvable {
    pub tag: String,
    pub head: Digest,
    pub get: Digest,
}

/// Images and referrers the plans delete.
pub fn count(plans: &[RepoPlan]) -> (usize, usize) {
    plans
        .iter()
        .filter_map(|p| p.plan.as_ref().ok())
        .fold((0, 0), |(i, r), p| {
            (
                i + p.delete.len(),
                r + p.referrers.values().map(Vec::len).sum::<usize>(),
            )
        })
}

/// The second plan, deleting only what the first one (the one shown) deleted too; a
/// repository that failed either time is left alone.
fn narrow(
    first: Result<Plan, anyhow::Error>,
    again: Result<Plan, anyhow::Error>,
) -> Result<Plan, anyhow::Error> {
    match (first, again) {
        (Ok(a), Ok(mut b)) => {
            let (delete, changed): (Vec<_>, Vec<_>) = b
                .delete
                .into_iter()
                .partition(|i| a.delete.iter().any(|x| x.digest == i.digest));
            for i in &changed {
                b.referrers.remove(&i.digest);
            }
            b.delete = delete;
            b.kept
                .extend(changed.into_iter().map(|i| (i, Reason::Changed)));
            Ok(b)
        }
        (_, Err(e)) | (Err(e), _) => Err(e),
    }
}
