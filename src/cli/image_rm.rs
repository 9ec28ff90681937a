//! `cr image-rm IMAGE…`: delete manifests by digest (no tag means `:latest`), which removes every
//! tag on them in that repository; say which tags went. Names are resolved first and grouped by
//! digest, so each manifest is deleted once however many of its tags were named. A manifest
//! that a tagged index lists (a platform of a multi-arch image) is refused unless `--force`;
//! an image's referrers (signatures, SBOMs) go with it unless `--keep-referrers`. Copies in
//! other repositories stay. `--dry-run` only says what would go.

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use serde::Serialize;

use super::exit::{self, usage};
use super::multi;
use super::output::OutputArgs;
use crate::app::removal::{self, HeldByIndex, TagHead};
use crate::app::remove::delete_doomed;
use crate::app::NotFound;
use crate::client::{Kind, Scope};
use crate::config::Settings;
use crate::oci::digest::Digest;
use crate::oci::name::Repository;
use crate::oci::name::Tag;
use crate::oci::reference::Reference;
use crate::store::Cached;

#[derive(Debug, clap::Args)]
pub struct ImageRmArgs {
    /// Images to delete: [HOST/]REPO[:TAG] or [HOST/]REPO@DIGEST.
    #[arg(required = true)]
    pub images: Vec<String>,
    /// Say what would be deleted, delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Delete a manifest even when a tagged index lists it (that multi-arch image breaks).
    #[arg(long)]
    pub force: bool,
    /// Keep the image's referrers (signatures, SBOMs, attestations) instead of deleting them.
    #[arg(long)]
    pub keep_referrers: bool,
    #[command(flatten)]
    pub out: OutputArgs,
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

    /// The line for people: what went (or would go), with its tags and referrers.
    fn human(&self, dry_run: bool) -> String {
        let verb = if dry_run { "Would delete" } else { "Deleted" };
        let tags = if self.tags.is_empty() {
            "none".to_string()
        } else {
            self.tags.join(", ")
        };
        let mut line = format!("{verb} {}@{} (tags: {tags})", self.repository, self.digest);
        for r in &self.referrers {
            line.push_str(&format!("\n  with its referrer {r}"));
        }
        line
    }
}

/// One manifest to delete, with the first name that asked for it.
struct Group {
    reg: Arc<Cached>,
    first: Reference,
    digest: Digest,
}

pub async fn run(settings: Settings, a: ImageRmArgs) -> anyhow::Result<ExitCode> {
    a.out.check(RmRow::FIELDS)?;
    let mut refs = Vec::new();
    for name in &a.images {
        let mut r = Reference::parse(name, &settings.registry)?;
        if r.tag.is_none() && r.digest.is_none() {
            r.tag = Some(Tag::latest());
        }
        refs.push((name.clone(), r));
    }
    if refs.is_empty() {
        return Err(usage("no image given", "cr image-rm REPO:TAG"));
    }
    // Every name is resolved before anything is deleted: two tags of one digest are one
    // deletion, not a deletion and a "not found".
    let resolved = multi::each(&settings, &refs, |reg, r| async move {
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
        Ok((reg, r, digest))
    })
    .await;
    let mut codes = multi::codes(&resolved);
    let mut groups: Vec<Group> = Vec::new();
    for (reg, r, digest) in resolved.into_iter().flatten() {
        let same = |g: &Group| {
            g.first.registry == r.registry
                && g.first.repository == r.repository
                && g.digest == digest
        };
        if !groups.iter().any(same) {
            groups.push(Group {
                reg,
                first: r,
                digest,
            });
        }
    }
    let mut heads: HashMap<(String, Repository), Vec<TagHead>> = HashMap::new();
    let mut rows = Vec::new();
    for g in &groups {
        match remove_one(&a, g, &mut heads).await {
            Ok(row) => rows.push(row),
            Err(e) => codes.push(exit::report(&g.first.to_string(), &e)),
        }
    }
    super::output::print_results(&a.out, &rows, |r| Some(r.human(a.dry_run)))?;
    exit::summarize(&codes, a.images.len())
}

/// Plan and (unless dry) delete one manifest with its referrers; its result row.
async fn remove_one(
    a: &ImageRmArgs,
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
    let plan = removal::plan(&g.reg, repo, &g.digest, repo_heads, a.keep_referrers)
        .await
        .with_context(what)?;
    if let Some((index, tags)) = plan.held_by.first() {
        let held = HeldByIndex {
            image: r.with_digest(&g.digest),
            index: index.clone(),
            tags: tags.clone(),
        };
        if !a.force {
            return Err(held.into());
        }
        eprintln!("warning: {held}; deleting it anyway (--force)");
    }
    if !a.dry_run {
        let all: HashSet<String> = repo_heads.iter().map(|h| h.tag.clone()).collect();
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
        deleted: !a.dry_run,
        referrers: plan
            .doomed
            .referrers
            .into_iter()
            .map(|x| x.digest)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_keys_are_the_format_fields() {
        let row = RmRow {
            image: "h/ns/app:v1".into(),
            repository: "h/ns/app".into(),
            digest: Digest::fake("sha256:d"),
            tags: vec!["v1".into(), "v2".into()],
            deleted: false,
            referrers: vec![Digest::fake("sha256:s")],
        };
        assert_eq!(crate::cli::output::keys_of(&row), RmRow::FIELDS);
        assert_eq!(
            crate::cli::output::to_json(&row, false),
            r#"{"Image":"h/ns/app:v1","Repository":"h/ns/app","Digest":"sha256:d","Tags":["v1","v2"],"Deleted":false,"Referrers":["sha256:s"]}"#
        );
        assert_eq!(
            row.human(true),
            "Would delete h/ns/app@sha256:d (tags: v1, v2)\n  with its referrer sha256:s"
        );
    }
}
