//! `cr image-rm IMAGE…`: delete a manifest by digest (no tag means `:latest`), which removes
//! every tag on it in that repository; say which tags went with it. Copies in other
//! repositories stay. `--dry-run` only says what would go.

use std::process::ExitCode;

use anyhow::Context;
use futures_util::stream::{self, StreamExt};
use serde_json::json;

use super::exit::{self, usage};
use super::output::OutputArgs;
use crate::config::Settings;
use crate::reference::Reference;
use crate::registry::{Kind, Registry, Scope};

#[derive(Debug, clap::Args)]
pub struct ImageRmArgs {
    /// Images to delete: [HOST/]REPO[:TAG] or [HOST/]REPO@DIGEST.
    #[arg(required = true)]
    pub images: Vec<String>,
    /// Say what would be deleted, delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// The tags of `repo` that point at `digest`.
pub async fn tags_of(
    reg: &Registry,
    repo: &str,
    digest: &str,
    scopes: &[Scope],
) -> anyhow::Result<Vec<String>> {
    let tags = match reg.tags(repo).await {
        Ok(t) => t,
        Err(e) if e.kind() == Kind::NotFound => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let found: Vec<Option<String>> = stream::iter(tags)
        .map(|t| async move {
            match reg.resolve_digest(repo, &t, scopes).await {
                Ok(Some(d)) if d == digest => Some(t),
                _ => None,
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut out: Vec<String> = found.into_iter().flatten().collect();
    out.sort();
    Ok(out)
}

async fn remove(reg: &Registry, r: &Reference, dry_run: bool) -> anyhow::Result<serde_json::Value> {
    let repo = &r.repository;
    let scopes = if dry_run {
        vec![Scope::pull(repo)]
    } else {
        vec![Scope::pull_delete(repo)]
    };
    let reference = r.manifest_ref();
    let digest = reg
        .resolve_digest(repo, reference, &scopes)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{r} not found: no manifest {reference} in {}",
                r.repo_name()
            )
        })?;
    let tags = tags_of(reg, repo, &digest, &scopes).await?;
    if !dry_run {
        reg.delete_manifest(repo, &digest, &scopes)
            .await
            .map_err(|e| {
                let hint = if e.kind() == Kind::Unsupported {
                    "; the registry has deletion disabled"
                } else {
                    ""
                };
                anyhow::Error::new(e).context(format!("deleting {}{hint}", r.with_digest(&digest)))
            })?;
    }
    Ok(json!({"Image": r.to_string(), "Digest": digest, "Tags": tags, "Deleted": !dry_run}))
}

pub async fn run(settings: Settings, a: ImageRmArgs) -> anyhow::Result<ExitCode> {
    let mut refs = Vec::new();
    for name in &a.images {
        let mut r = Reference::parse(name, &settings.registry)?;
        if r.tag.is_none() && r.digest.is_none() {
            r.tag = Some("latest".into());
        }
        refs.push((name, r));
    }
    if refs.is_empty() {
        return Err(usage("no image given", "cr image-rm REPO:TAG"));
    }
    let mut codes = Vec::new();
    let mut results = Vec::new();
    for (name, r) in refs {
        let res = async {
            let reg = Registry::connect(&settings, &r.registry).await?;
            remove(&reg, &r, a.dry_run)
                .await
                .with_context(|| format!("cannot remove {r}"))
        }
        .await;
        match res {
            Ok(v) => results.push(v),
            Err(e) => {
                let code = exit::report(name, &e);
                codes.push(
                    if e.to_string().contains("not found") && code == exit::FAILURE {
                        exit::NOT_FOUND
                    } else {
                        code
                    },
                );
            }
        }
    }
    super::output::print_results(&a.out, &results, |v| {
        let tags: Vec<&str> = v["Tags"]
            .as_array()
            .map(|t| t.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        let verb = if a.dry_run { "Would delete" } else { "Deleted" };
        let image = v["Image"].as_str().unwrap_or("");
        let repo = image.split('@').next().unwrap_or(image);
        let repo = repo
            .rsplit_once(':')
            .filter(|(_, t)| !t.contains('/'))
            .map(|(b, _)| b)
            .unwrap_or(repo);
        let tags = if tags.is_empty() {
            "none".to_string()
        } else {
            tags.join(", ")
        };
        Some(format!(
            "{verb} {repo}@{} (tags: {tags})",
            v["Digest"].as_str().unwrap_or("")
        ))
    })?;
    exit::summarize(&codes, a.images.len())
}
