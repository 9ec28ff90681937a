//! `image-rm` as a library call: names resolved first and grouped by digest (each manifest is
//! deleted once however many of its tags were named), each manifest planned (`removal::plan`),
//! refused when a tagged index lists it unless forced, then deleted with its referrers
//! (unless dry); a failure is handed to the caller as it happens and the rest goes on.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::Context;
use serde::Serialize;

use super::removal::{self, HeldByIndex, TagHead};
use super::remove::delete_doomed;
use super::{NotFound, Session};
use crate::client::{Kind, Scope};
use crate::oci::digest::Digest;
use crate::oci::name::{Repository, Tag};
use crate::oci::reference::Reference;
use crate::store::Cached;

/// How to remove.
#[derive(Debug, Clone, Copy, Default)]
pub struct RmOptions {
    /// Say what would be deleted, delete nothing.
    pub dry_run: bool,
    /// Delete a manifest even when a tagged index lists it.
    pub force: bool,
    /// Keep the image's referrers instead of deleting them.
    pub keep_referrers: bool,
}

/// The result of one deleted (or, dry, doomed) manifest: the `-o json` object and `--format` row.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RmRow {
    pub image: String,
    pub repository: String,
    pub digest: Digest,
    pub tags: Vec<String>,
    pub deleted: bool,
    pub referrers: Vec<Digest>,
}

impl RmRow {
    /// The keys of a row, in order.
    pub const FIELDS: &[&str] = &[
        "Image",
        "Repository",
        "Digest",
        "Tags",
        "Deleted",
        "Referrers",
    ];
}

/// One manifest to delete, with the first name that asked for it.
struct Group {
    reg: Arc<Cached>,
    first: Reference,
    digest: Digest,
}

/// Remove the images `refs` (name as given, reference with a tag or digest): one row per
/// manifest removed (or, dry, doomed). Each failure goes to `failed` as it happens, with what
/// failed (the name as given, or the first name of a manifest): the names that fail to
/// resolve first, then the manifests.
pub async fn remove_images(
    session: &Session,
    refs: &[(String, Reference)],
    opts: RmOptions,
    mut failed: impl FnMut(&str, anyhow::Error),
) -> Vec<RmRow> {
    let mut groups: Vec<Group> = Vec::new();
    // Every name is resolved before anything is deleted: two tags of one digest are one
    // deletion, not a deletion and a "not found".
    for (name, r) in refs {
        let (reg, digest) = match resolve(session, r).await {
            Ok(x) => x,
            Err(e) => {
                failed(name, e);
                continue;
            }
        };
        let same = |g: &Group| {
            g.first.registry == r.registry
                && g.first.repository == r.repository
                && g.digest == digest
        };
        if !groups.iter().any(same) {
            let first = r.clone();
            groups.push(Group { reg, first, digest });
        }
    }
    let mut heads: HashMap<(String, Repository), Vec<TagHead>> = HashMap::new();
    let mut rows = Vec::new();
    for g in &groups {
        match remove_one(opts, g, &mut heads).await {
            Ok(row) => rows.push(row),
            Err(e) => failed(&g.first.to_string(), e),
        }
    }
    rows
}

/// The registry client and the digest `r` names.
async fn resolve(session: &Session, r: &Reference) -> anyhow::Result<(Arc<Cached>, Digest)> {
    let reg = session.get(&r.registry).await?;
    let scopes = [Scope::pull(&r.repository)];
    let reference = r.manifest_ref();
    let digest = reg
        .resolve_digest(&r.repository, &reference, &scopes)
        .await
        .with_context(|| format!("cannot remove {r}"))?
        .ok_or_else(|| NotFound {
            image: r.to_string(),
            message: format!("no manifest {reference} in {}", r.repo_name()),
        })?;
    Ok((reg, digest))
}

/// Plan and (unless dry) delete one manifest with its referrers; its result row. A tagged
/// index that lists it is a warning when forced, else the failure.
async fn remove_one(
    opts: RmOptions,
    g: &Group,
    heads: &mut HashMap<(String, Repository), Vec<TagHead>>,
) -> anyhow::Result<RmRow> {
    let r = &g.first;
    let repo = &r.repository;
    let what = || format!("cannot remove {}", r.with_digest(&g.digest));
    let key = (r.registry.clone(), repo.clone());
    if !heads.contains_key(&key) {
        let h = removal::resolve_tags(&g.reg, repo)
            .await
            .with_context(what)?;
        heads.insert(key.clone(), h);
    }
    let repo_heads = &heads[&key];
    let plan = removal::plan(&g.reg, repo, &g.digest, repo_heads, opts.keep_referrers)
        .await
        .with_context(what)?;
    if let Some((index, tags)) = plan.held_by.first() {
        let held = HeldByIndex {
            image: r.with_digest(&g.digest),
            index: index.clone(),
            tags: tags.clone(),
        };
        if !opts.force {
            return Err(held.into());
        }
        crate::notice::warning(&format!("{held}; deleting it anyway (--force)"));
    }
    if !opts.dry_run {
        let all: HashSet<Tag> = repo_heads.iter().map(|h| h.tag.clone()).collect();
        delete_doomed(&g.reg, repo, &plan.doomed, Some(&all))
            .await
            .map_err(|e| {
                let hint = if e.registry().kind() == Kind::Unsupported {
                    "; the registry has deletion disabled"
                } else {
                    ""
                };
                anyhow::Error::new(e).context(format!("{}{hint}", what()))
            })?;
        // The repository's tags changed: a later group there resolves them again.
        heads.remove(&key);
    }
    Ok(RmRow {
        image: r.to_string(),
        repository: r.repo_name(),
        digest: g.digest.clone(),
        tags: plan.tags,
        deleted: !opts.dry_run,
        referrers: plan
            .doomed
            .referrers
            .into_iter()
            .map(|x| x.digest)
            .collect(),
    })
}
