//! Remove: delete a manifest by digest, which removes every tag on it in that repository;
//! find those tags first so that the user is told which went with it.

use futures_util::stream::{self, StreamExt};

use super::NotFound;
use crate::reference::{ManifestRef, Reference};
use crate::registry::{Kind, Registry, Scope};

/// What a removal did (or, dry, would do).
#[derive(Debug, Clone)]
pub struct Removed {
    pub digest: String,
    /// The tags of the repository that pointed at it, sorted.
    pub tags: Vec<String>,
}

/// The tags of `repo` that point at `digest` (one HEAD per tag, 16 at a time).
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
            match reg
                .resolve_digest(repo, &ManifestRef::tag(&t), scopes)
                .await
            {
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

/// Delete the manifest `r` names (by digest), or with `dry_run` only find what would go.
pub async fn remove(reg: &Registry, r: &Reference, dry_run: bool) -> anyhow::Result<Removed> {
    let repo = &r.repository;
    let scopes = if dry_run {
        vec![Scope::pull(repo)]
    } else {
        vec![Scope::pull_delete(repo)]
    };
    let reference = r.manifest_ref();
    let digest = reg
        .resolve_digest(repo, &reference, &scopes)
        .await?
        .ok_or_else(|| NotFound {
            image: r.to_string(),
            message: format!("no manifest {reference} in {}", r.repo_name()),
        })?;
    let tags = tags_of(reg, repo, &digest, &scopes).await?;
    if !dry_run {
        reg.delete_manifest(repo, &ManifestRef::digest(&digest), &scopes)
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
    Ok(Removed { digest, tags })
}
