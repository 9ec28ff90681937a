//! What a registry holds: repositories (catalog, restricted to a namespace or repository),
//! their tags, the digest each tag points at, and per-digest facts (type, compressed size,
//! creation time). Requests run concurrently (bounded) and each manifest or config digest is
//! fetched once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::stream::{self, StreamExt};
use tokio::sync::OnceCell;

use crate::image::manifest::{Parsed, RawManifest};
use crate::reference::ManifestRef;
use crate::registry::{Kind, Registry, RegistryError, Scope};

/// Requests in flight at once while listing.
pub const LIST_JOBS: usize = 32;
/// Configs larger than this are not read for their creation time.
const MAX_CONFIG: usize = 4 << 20;

/// Facts about one manifest digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub media_type: String,
    /// Compressed size: config + layers; for an index the sum over its platforms.
    pub size: u64,
    /// Creation time (Unix seconds) from the config; for an index from its first platform.
    pub created: Option<i64>,
}

/// One tag and what it points at.
#[derive(Debug, Clone)]
pub struct TaggedImage {
    pub repo: String,
    pub tag: String,
    pub digest: String,
    pub info: ImageInfo,
}

type Cell<T> = Arc<OnceCell<T>>;

/// A listing session against one registry, with its per-digest caches.
pub struct Inventory {
    reg: Arc<Registry>,
    infos: Mutex<HashMap<String, Cell<ImageInfo>>>,
    created: Mutex<HashMap<String, Cell<Option<i64>>>>,
}

fn cell<T>(map: &Mutex<HashMap<String, Cell<T>>>, key: &str) -> Cell<T> {
    map.lock()
        .expect("cache lock")
        .entry(key.to_string())
        .or_default()
        .clone()
}

/// Does `repo` fall under `--restrict NS[/REPO]`?
pub fn restricted(repo: &str, restrict: &str) -> bool {
    let r = restrict.trim_matches('/');
    repo == r || repo.starts_with(&format!("{r}/"))
}

impl Inventory {
    pub fn new(reg: Arc<Registry>) -> Self {
        Inventory {
            reg,
            infos: Mutex::default(),
            created: Mutex::default(),
        }
    }

    /// Repositories of the catalog under `restrict`. When the catalog is forbidden and
    /// `restrict` names a repository, that repository alone.
    pub async fn repositories(&self, restrict: Option<&str>) -> Result<Vec<String>, RegistryError> {
        match self.reg.catalog().await {
            Ok(mut all) => {
                if let Some(r) = restrict {
                    all.retain(|repo| restricted(repo, r));
                }
                all.sort();
                Ok(all)
            }
            Err(e)
                if matches!(e.kind(), Kind::Unauthorized | Kind::Denied)
                    && restrict.is_some_and(|r| r.contains('/')) =>
            {
                Ok(vec![restrict
                    .unwrap_or_default()
                    .trim_matches('/')
                    .to_string()])
            }
            Err(e) => Err(e),
        }
    }

    /// Every tag of `repos` with its digest and facts. Failures of single repositories or tags
    /// are returned beside the images, not fatal.
    pub async fn tagged_images(&self, repos: &[String]) -> (Vec<TaggedImage>, Vec<RegistryError>) {
        let mut problems = Vec::new();
        let tag_lists: Vec<_> = stream::iter(repos.iter().cloned())
            .map(|repo| async move {
                let tags = self.reg.tags(&repo).await;
                (repo, tags)
            })
            .buffer_unordered(LIST_JOBS)
            .collect()
            .await;
        let mut pairs = Vec::new();
        for (repo, tags) in tag_lists {
            match tags {
                Ok(t) => pairs.extend(t.into_iter().map(|t| (repo.clone(), t))),
                Err(e) if e.kind() == Kind::NotFound => {}
                Err(e) => problems.push(e),
            }
        }
        let results: Vec<_> = stream::iter(pairs)
            .map(|(repo, tag)| async move {
                let scopes = [Scope::pull(&repo)];
                let m = self
                    .reg
                    .get_manifest(&repo, &ManifestRef::tag(&tag), &scopes)
                    .await?;
                let info = self.info(&repo, &m).await?;
                Ok::<_, RegistryError>(TaggedImage {
                    digest: m.digest,
                    repo,
                    tag,
                    info,
                })
            })
            .buffer_unordered(LIST_JOBS)
            .collect()
            .await;
        let mut images = Vec::new();
        for r in results {
            match r {
                Ok(i) => images.push(i),
                // A tag deleted between the listing and the fetch is simply gone.
                Err(e) if e.kind() == Kind::NotFound => {}
                Err(e) => problems.push(e),
            }
        }
        images.sort_by(|a, b| {
            a.repo
                .cmp(&b.repo)
                .then_with(|| crate::reference::natural_order(&a.tag, &b.tag))
        });
        (images, problems)
    }

    /// Facts about a manifest, computed once per digest.
    pub async fn info(&self, repo: &str, m: &RawManifest) -> Result<ImageInfo, RegistryError> {
        let c = cell(&self.infos, &m.digest);
        c.get_or_try_init(|| async {
            let parsed = m.parse().map_err(|e| self.protocol(repo, e.to_string()))?;
            match &parsed {
                Parsed::Image(im) => Ok(ImageInfo {
                    media_type: m.media_type.clone(),
                    size: parsed.image_size(),
                    created: self.created(repo, im.config().digest().as_ref()).await,
                }),
                Parsed::Index(_) => {
                    let children = parsed.children();
                    let infos: Vec<_> = stream::iter(children.iter())
                        .map(|(d, _)| self.child_info(repo, &d.digest))
                        .buffered(8)
                        .collect()
                        .await;
                    let mut size = 0;
                    let mut created = None;
                    for (i, info) in infos.into_iter().enumerate() {
                        let info = info?;
                        size = info.size.saturating_add(size);
                        if i == 0 {
                            created = info.created;
                        }
                    }
                    Ok(ImageInfo {
                        media_type: m.media_type.clone(),
                        size,
                        created,
                    })
                }
            }
        })
        .await
        .cloned()
    }

    /// Facts about an index's child (an image manifest), fetched by digest.
    async fn child_info(&self, repo: &str, digest: &str) -> Result<ImageInfo, RegistryError> {
        let c = cell(&self.infos, digest);
        c.get_or_try_init(|| async {
            let m = self
                .reg
                .get_manifest(repo, &ManifestRef::digest(digest), &[Scope::pull(repo)])
                .await?;
            let parsed = m.parse().map_err(|e| self.protocol(repo, e.to_string()))?;
            let created = match &parsed {
                Parsed::Image(im) => self.created(repo, im.config().digest().as_ref()).await,
                Parsed::Index(_) => None,
            };
            Ok(ImageInfo {
                media_type: m.media_type.clone(),
                size: parsed.image_size(),
                created,
            })
        })
        .await
        .cloned()
    }

    /// Creation time from a config blob, fetched once per digest; None when unreadable.
    async fn created(&self, repo: &str, config_digest: &str) -> Option<i64> {
        let c = cell(&self.created, config_digest);
        *c.get_or_init(|| async {
            let bytes = self
                .reg
                .get_blob_bytes(repo, config_digest, MAX_CONFIG, &[Scope::pull(repo)])
                .await
                .ok()?;
            created_of(&bytes)
        })
        .await
    }

    fn protocol(&self, repo: &str, message: String) -> RegistryError {
        RegistryError::Protocol {
            what: format!("read manifest in {repo}"),
            host: self.reg.name.clone(),
            message,
        }
    }
}

/// The `created` field of a config, as Unix seconds.
pub fn created_of(config: &[u8]) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_slice(config).ok()?;
    let s = v.get("created")?.as_str()?;
    s.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restrict_matches_prefix_components() {
        assert!(restricted("ns/a", "ns"));
        assert!(restricted("ns/a", "ns/a"));
        assert!(restricted("ns/a/b", "ns/a"));
        assert!(!restricted("nsx/a", "ns"));
        assert!(!restricted("ns/ab", "ns/a"));
    }

    #[test]
    fn created_parses_rfc3339() {
        assert_eq!(
            created_of(br#"{"created":"1970-01-01T00:01:00.5Z"}"#),
            Some(60)
        );
        assert_eq!(
            created_of(br#"{"created":"2024-03-01T10:00:00+01:00"}"#),
            Some(1709283600)
        );
        assert_eq!(created_of(b"{}"), None);
    }
}
