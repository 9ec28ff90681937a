//! Sync: mirror a registry, a namespace or a repository into another registry (or a path
//! there). Tags are selected by regular expressions; an image is copied only when the
//! destination tag does not already point at the same digest (then it costs a HEAD on each
//! side and nothing else); blobs are placed once per destination registry and mounted into
//! the other repositories; images move in parallel, referrers with their images; a failing
//! image or repository does not stop the others.

pub mod run;

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;

use crate::app::walk::{self, Inventory};
use crate::client::{Kind, RegistryError, Scope};
use crate::engine::{self, Options, Repo, TransferError};
use crate::oci::digest::Digest;
use crate::oci::manifest::Parsed;
use crate::oci::name::Repository;
use crate::oci::name::Tag;
use crate::oci::reference::{is_host, normalise_host, validate_repository, ManifestRef};
use crate::store::Cached;

/// `HOST`, `HOST/NS` or `HOST/NS/REPO` (the host may be left out for the target registry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub registry: String,
    /// The path below the host; empty for a whole registry.
    pub path: String,
}

impl Spec {
    /// A first component that looks like a host (see [`is_host`]) must parse as one.
    pub fn parse(s: &str, default_registry: &str) -> Result<Spec, String> {
        let s = s.trim().trim_end_matches('/');
        let host = |h: &str| normalise_host(h).map_err(|e| e.to_string());
        let (registry, path) = match s.split_once('/') {
            Some((first, rest)) if is_host(first) => (host(first)?, rest.to_string()),
            None if is_host(s) => (host(s)?, String::new()),
            _ => (default_registry.to_string(), s.to_string()),
        };
        if !path.is_empty() {
            validate_repository(&path).map_err(|e| e.to_string())?;
        }
        Ok(Spec { registry, path })
    }

    pub fn describe(&self) -> String {
        if self.path.is_empty() {
            self.registry.clone()
        } else {
            format!("{}/{}", self.registry, self.path)
        }
    }
}

/// Where a source repository goes. Every destination lies under what DST names: a bare
/// registry keeps the full source path (`src/team` → `dst`: `team/app` → `team/app`); below a
/// destination path, the path below the source spec is kept (`src/team` → `dst/mirror`:
/// `team/app` → `mirror/app`), and the repository SRC names becomes DST's path itself.
/// Whether `dst` lies strictly inside what `src` syncs (same registry, below its path; any
/// path below a whole registry): its copies would be read back as sources.
pub fn inside(dst: &Spec, src: &Spec) -> bool {
    src.registry == dst.registry
        && dst.path != src.path
        && (src.path.is_empty() || dst.path.starts_with(&format!("{}/", src.path)))
}

pub fn dest_repo(src: &Spec, repo: &str, dst: &Spec) -> String {
    if dst.path.is_empty() {
        return repo.to_string();
    }
    let below = if src.path.is_empty() {
        repo
    } else if repo == src.path {
        ""
    } else {
        repo.strip_prefix(&format!("{}/", src.path)).unwrap_or(repo)
    };
    if below.is_empty() {
        dst.path.clone()
    } else {
        format!("{}/{below}", dst.path)
    }
}

/// Which tags are synced: those matching `tags` (all when absent) and not `exclude`;
/// referrer tags (`sha256-…`) travel with their subjects instead.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub tags: Option<regex::Regex>,
    pub exclude: Option<regex::Regex>,
}

impl Filter {
    pub fn wants(&self, tag: &str) -> bool {
        !super::referrers::is_referrer_tag(tag)
            && self.tags.as_ref().is_none_or(|r| r.is_match(tag))
            && !self.exclude.as_ref().is_some_and(|r| r.is_match(tag))
    }
}

/// What happened to one tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Copied,
    UpToDate,
    WouldCopy,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Copied => "copied",
            Status::UpToDate => "up to date",
            Status::WouldCopy => "would copy",
            Status::Failed => "failed",
        }
    }
}

/// One tag's result; the keys are the `-o json` fields.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Synced {
    pub source: String,
    pub destination: String,
    pub tag: String,
    pub status: Status,
    pub digest: Option<Digest>,
    pub blobs_moved: usize,
    pub blobs_mounted: usize,
    pub bytes_moved: u64,
    pub referrers: Vec<Digest>,
    /// Destination cosign tags that differ from the source's, kept (not with `--force`).
    pub referrers_kept: Vec<super::referrers::Kept>,
    pub error: Option<String>,
    /// The blob whose failure (after its retries) failed this image, when that is why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_blob: Option<String>,
}

/// One repository to sync: its tags (all of them, for referrer lookups) and those selected.
pub struct RepoPlan {
    pub src_repo: Repository,
    pub dst_repo: Repository,
    pub all_tags: HashSet<Tag>,
    pub selected: Vec<Tag>,
    pub dst_tags: HashSet<Tag>,
    /// The destination repository did not exist.
    pub dst_new: bool,
    /// The digests the source tags had at the last listing or sync (content cache hints).
    pub src_hints: std::collections::HashMap<String, String>,
}

/// The repositories under `src` with their tags, and the repositories that could not be
/// listed (with the error).
pub async fn plan(
    sreg: &Arc<Cached>,
    dreg: &Arc<Cached>,
    src: &Spec,
    dst: &Spec,
    filter: &Filter,
) -> Result<(Vec<RepoPlan>, Vec<(String, anyhow::Error)>), anyhow::Error> {
    let inv = Inventory::new(sreg.clone()).nested(true);
    let dst_inv = Inventory::new(dreg.clone());
    let restrict = (!src.path.is_empty()).then_some(src.path.as_str());
    let repos = inv.repositories(restrict).await?;
    // A source namespace or repository with nothing under it is a mistyped name, not an
    // empty mirror: "not found" (exit 3), not "0 copied".
    if repos.is_empty() && !src.path.is_empty() {
        return Err(super::NotFound {
            image: src.describe(),
            message: format!("no repository {} or below it on {}", src.path, src.registry),
        }
        .into());
    }
    let results: Vec<_> = stream::iter(repos)
        .map(|repo| {
            let (inv, dst_inv) = (&inv, &dst_inv);
            async move {
                // The destination path joined with what lies below the source's: checked as
                // one repository name (it may grow past the length limit).
                let name = dest_repo(src, &repo, dst);
                let (tags, dst_tags) = match Repository::parse(&name) {
                    Ok(d) => {
                        let (t, dt) = futures_util::join!(inv.tags(&repo), dst_inv.tags(&d));
                        let dt = match dt {
                            Ok(dt) => Ok((d, false, dt)),
                            // Not there yet: the sync makes it.
                            Err(e) if e.kind() == Kind::NotFound => Ok((d, true, Vec::new())),
                            Err(e) => Err(e),
                        };
                        (t, dt)
                    }
                    Err(e) => (
                        inv.tags(&repo).await,
                        Err(RegistryError::Invalid {
                            host: dst.registry.clone(),
                            message: e.to_string(),
                        }),
                    ),
                };
                (repo, name, tags, dst_tags)
            }
        })
        .buffered(16)
        .collect()
        .await;
    let mut plans = Vec::new();
    let mut failed = Vec::new();
    for (repo, dst_name, tags, dst_tags) in results {
        let (tags, (dst_repo, dst_new, dst_tags)) = match (tags, dst_tags) {
            (Ok(t), Ok(d)) => (t, d),
            (Err(e), _) => {
                let e = anyhow::Error::new(e).context(format!("cannot list the tags of {repo}"));
                failed.push((repo.into_string(), e));
                continue;
            }
            (_, Err(e)) => {
                let e = anyhow::Error::new(e).context(format!(
                    "cannot list the tags of {dst_name} at the destination"
                ));
                failed.push((repo.into_string(), e));
                continue;
            }
        };
        let mut selected: Vec<Tag> = tags.iter().filter(|t| filter.wants(t)).cloned().collect();
        selected.sort_by(|a, b| crate::oci::reference::natural_order(a, b));
        plans.push(RepoPlan {
            dst_repo,
            all_tags: tags.into_iter().collect(),
            selected,
            dst_tags: dst_tags.into_iter().collect(),
            dst_new,
            src_hints: sreg.tag_hints(&repo),
            src_repo: repo,
        });
    }
    Ok((plans, failed))
}

/// The digest the destination should end up with for `tag`: the source's, or with a platform
/// the platform's manifest.
async fn wanted(
    src: &Repo,
    plan: &RepoPlan,
    tag: &Tag,
    opts: &Options,
) -> Result<Option<Digest>, anyhow::Error> {
    let scopes = [Scope::pull(&src.repo)];
    // The walk's rule: a HEAD when the tag's last digest is in the content cache (it is read
    // from there if the tag did not move), else one GET, which fills the cache for the copy.
    let hint = plan.src_hints.get(tag.as_str()).map(String::as_str);
    let head = src.reg.hinted(hint);
    let digest = match walk::resolve_tag(&src.reg, &src.repo, tag, head).await {
        Ok(found) => found.map(|f| f.digest),
        Err(e) if e.kind() == Kind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let Some(digest) = digest else {
        return Ok(None);
    };
    let Some(want) = &opts.platform else {
        return Ok(Some(digest));
    };
    let m = src
        .reg
        .get_manifest(&src.repo, &ManifestRef::digest(&digest), &scopes)
        .await?;
    match m.parse()? {
        p @ Parsed::Index(_) => Ok(p.pick_platform(Some(want)).map(|(d, _)| d.digest)),
        Parsed::Image(_) => Ok(Some(digest)),
    }
}

/// Whether `tag` needs copying: the digest the destination should have, and whether it has
/// it already (a HEAD on each side; none at the destination when the tag is not there).
pub async fn check(job: &Job<'_>, opts: &Options) -> Result<(Digest, bool), anyhow::Error> {
    let Job {
        src,
        dst,
        plan,
        tag,
    } = job;
    let Some(digest) = wanted(src, plan, tag, opts).await? else {
        anyhow::bail!(
            "{}/{}:{tag} is gone from the source",
            src.reg.name,
            src.repo
        );
    };
    let current = if plan.dst_tags.contains(*tag) {
        dst.reg
            .resolve_digest(&dst.repo, &ManifestRef::tag(tag), &[Scope::pull(&dst.repo)])
            .await?
    } else {
        None
    };
    let up_to_date = current.as_deref() == Some(digest.as_str());
    Ok((digest, up_to_date))
}

/// One tag to sync: its repository's plan, and the source and destination repositories.
pub struct Job<'a> {
    pub src: Repo,
    pub dst: Repo,
    pub plan: &'a RepoPlan,
    pub tag: &'a Tag,
}

impl<'a> Job<'a> {
    /// `tag` of `plan`'s repository, from `src` to `dst`.
    pub fn new(src: &Arc<Cached>, dst: &Arc<Cached>, plan: &'a RepoPlan, tag: &'a Tag) -> Self {
        Job {
            src: Repo {
                reg: src.clone(),
                repo: plan.src_repo.clone(),
            },
            dst: Repo {
                reg: dst.clone(),
                repo: plan.dst_repo.clone(),
            },
            plan,
            tag,
        }
    }
}

/// How each tag is synced.
#[derive(Debug, Clone, Copy, Default)]
pub struct How {
    /// Say what would be copied, copy nothing.
    pub dry_run: bool,
    /// Copy the referrers (signatures, SBOMs, attestations) with their images.
    pub referrers: bool,
    /// Overwrite destination cosign tags that differ from the source's.
    pub force: bool,
}

/// Sync one tag, checked already by [`check`].
pub async fn one(
    job: &Job<'_>,
    checked: Result<(Digest, bool), anyhow::Error>,
    opts: &Options,
    how: How,
) -> Synced {
    let (src, dst, tag) = (&job.src, &job.dst, job.tag);
    let mut out = Synced {
        source: format!("{}/{}:{tag}", src.reg.name, src.repo),
        destination: format!("{}/{}:{tag}", dst.reg.name, dst.repo),
        tag: tag.to_string(),
        status: Status::Failed,
        digest: None,
        blobs_moved: 0,
        blobs_mounted: 0,
        bytes_moved: 0,
        referrers: Vec::new(),
        referrers_kept: Vec::new(),
        error: None,
        failed_blob: None,
    };
    let result = match checked {
        Ok((digest, up_to_date)) => {
            out.digest = Some(digest.clone());
            apply(job, &digest, up_to_date, opts, how, &mut out).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(status) => out.status = status,
        Err(e) => {
            out.status = Status::Failed;
            out.failed_blob = e.chain().find_map(|c| match c.downcast_ref() {
                Some(TransferError::BlobFailed { digest, .. }) => Some(digest.clone()),
                _ => None,
            });
            out.error = Some(format!("{e:#}"));
        }
    }
    out
}

async fn apply(
    job: &Job<'_>,
    digest: &Digest,
    up_to_date: bool,
    opts: &Options,
    how: How,
    out: &mut Synced,
) -> Result<Status, anyhow::Error> {
    let (src, dst, plan, tag) = (&job.src, &job.dst, job.plan, job.tag);
    if how.dry_run {
        return Ok(if up_to_date {
            Status::UpToDate
        } else {
            Status::WouldCopy
        });
    }
    let source = src.clone();
    let dest = dst.clone();
    let status = if up_to_date {
        Status::UpToDate
    } else {
        let reference = match &opts.platform {
            Some(_) => ManifestRef::tag(tag),
            None => ManifestRef::digest(digest),
        };
        let tags = std::slice::from_ref(tag);
        let r = engine::transfer(&source, &reference, &dest, tags, opts).await?;
        out.blobs_moved = r.blobs_moved;
        out.blobs_mounted = r.blobs_mounted;
        out.bytes_moved = r.bytes_moved;
        Status::Copied
    };
    if how.referrers {
        let all = Some(&plan.all_tags);
        let copied = super::referrers::copy(src, dst, digest, all, opts, how.force)
            .await
            .map_err(|e| anyhow::Error::new(e).context("copying its referrers"))?;
        out.referrers = copied.digests;
        out.referrers_kept = copied.kept;
    }
    Ok(status)
}

/// Remember the source digests seen, so that the next run sends a HEAD where it can.
pub fn remember<'a>(
    sreg: &Cached,
    checked: impl Iterator<Item = (&'a RepoPlan, &'a str, &'a str)>,
) {
    if sreg.cache().is_none() {
        return;
    }
    let mut by_repo: std::collections::HashMap<
        &Repository,
        std::collections::HashMap<String, String>,
    > = Default::default();
    for (p, tag, digest) in checked {
        by_repo
            .entry(&p.src_repo)
            .or_insert_with(|| p.src_hints.clone())
            .insert(tag.to_string(), digest.to_string());
    }
    for (repo, hints) in by_repo {
        sreg.set_tag_hints(repo, &hints);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> Spec {
        Spec::parse(s, "localhost:5000").unwrap()
    }

    #[test]
    fn a_destination_inside_the_source_is_found() {
        let inside = |d: &str, s: &str| inside(&spec(d), &spec(s));
        assert!(inside("reg:5000/ov/app", "reg:5000/ov"));
        assert!(inside("reg:5000/mirror", "reg:5000"));
        assert!(!inside("reg:5000/ov2", "reg:5000/ov"));
        assert!(!inside("reg:5000/ov", "reg:5000/ov/app"));
        assert!(!inside("other:5000/ov/app", "reg:5000/ov"));
        assert!(!inside("reg:5000/ov", "reg:5000/ov"));
    }

    #[test]
    fn specs_and_destinations() {
        assert_eq!(
            spec("reg:5000"),
            Spec {
                registry: "reg:5000".into(),
                path: String::new()
            }
        );
        assert_eq!(spec("reg:5000/team").path, "team");
        assert_eq!(spec("team/app").registry, "localhost:5000");
        assert!(Spec::parse("reg:5000/Team", "x").is_err());
        assert_eq!(spec("REG.example:05000/team").registry, "reg.example:5000");
        for evil in [
            "evil.example#.icr.io/team",
            "evil.example?.icr.io",
            "evil.example\\.icr.io/ns",
            "x.icr.io:pw@evil.example/ns",
            "https://reg.example/team",
        ] {
            assert!(Spec::parse(evil, "x").is_err(), "{evil}");
        }
        let (r, ns, repo) = (spec("a:1"), spec("a:1/team"), spec("a:1/team/app"));
        let (d, dp) = (spec("b:2"), spec("b:2/mirror"));
        // The table in docs/commands/sync.md, row by row.
        assert_eq!(dest_repo(&r, "team/app", &d), "team/app");
        assert_eq!(dest_repo(&r, "team/app", &dp), "mirror/team/app");
        assert_eq!(dest_repo(&ns, "team/app", &d), "team/app");
        assert_eq!(dest_repo(&ns, "team/app", &dp), "mirror/app");
        assert_eq!(dest_repo(&ns, "team/x/y", &dp), "mirror/x/y");
        assert_eq!(dest_repo(&ns, "team", &dp), "mirror");
        assert_eq!(dest_repo(&repo, "team/app", &d), "team/app");
        assert_eq!(dest_repo(&repo, "team/app/sub", &d), "team/app/sub");
        assert_eq!(dest_repo(&repo, "team/app", &dp), "mirror");
        assert_eq!(dest_repo(&repo, "team/app/sub", &dp), "mirror/sub");
        // Every destination lies under what DST names.
        for s in [&r, &ns, &repo] {
            for rp in ["team/app", "team/app/sub", "team/x/y"] {
                let d = dest_repo(s, rp, &dp);
                assert!(d == "mirror" || d.starts_with("mirror/"), "{rp}: {d}");
            }
        }
    }

    #[test]
    fn filters() {
        let f = Filter {
            tags: Some(regex::Regex::new("^v").unwrap()),
            exclude: Some(regex::Regex::new("-rc$").unwrap()),
        };
        assert!(f.wants("v1"));
        assert!(!f.wants("v2-rc"));
        assert!(!f.wants("latest"));
        assert!(!Filter::default().wants(&format!("sha256-{}.sig", "a".repeat(64))));
    }
}
