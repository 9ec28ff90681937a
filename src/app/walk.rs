//! The one registry walk: repositories (catalog, restricted to a namespace or repository),
//! their tags, the digest each tag points at, and per-digest facts (type, compressed size,
//! creation time, an index's platforms), as deep as the caller asks — used by the listings,
//! the sync plan, rm's tag walk, retention and copy --all-tags. A walk fetches only what its
//! output needs (tag lists; HEADs for digests; manifests and configs by digest for facts),
//! requests run concurrently (bounded), each manifest or config digest is fetched at most
//! once, and a tag that may have moved is read by one rule ([`resolve_tag`]). Lists come from
//! a [`Catalog`] (the registry's own, unless [`Inventory::with_catalog`] says another);
//! manifests and configs through the content cache ([`Cached`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::stream::{self, StreamExt};
use tokio::sync::OnceCell;

use crate::client::{Kind, RegistryError, Scope};
use crate::oci::digest::Digest;
use crate::oci::manifest::{Parsed, RawManifest};
use crate::oci::name::{Repository, Tag};
use crate::oci::reference::ManifestRef;
use crate::store::{Cached, Catalog};

/// Requests in flight at once while listing.
pub const LIST_JOBS: usize = 32;
/// Configs larger than this are not read for their creation time.
const MAX_CONFIG: usize = 4 << 20;

/// How much a listing fetches: each level costs more requests than the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Depth {
    /// Tag lists only.
    Names,
    /// Plus one HEAD per tag (the digest and media type).
    Digests,
    /// Plus each manifest and config, fetched by digest once (and kept in the content cache).
    Full,
}

/// Facts about one manifest digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub media_type: String,
    /// Compressed size: config + layers; for an index the sum over its platforms.
    pub size: u64,
    /// Creation time (Unix seconds) from the config; for an index its newest platform's.
    pub created: Option<i64>,
    /// For an index: the digests of its manifests.
    pub children: Vec<Digest>,
}

/// One tag and, as deep as asked, what it points at.
#[derive(Debug, Clone)]
pub struct TaggedImage {
    pub repo: Repository,
    pub tag: Tag,
    /// From `Depth::Digests` on.
    pub digest: Option<Digest>,
    /// The media type the registry gave (from `Depth::Digests` on).
    pub media_type: Option<String>,
    /// From `Depth::Full` on.
    pub info: Option<ImageInfo>,
}

type Cell<T> = Arc<OnceCell<T>>;

/// A listing session against one registry, with its per-digest caches.
pub struct Inventory {
    /// Tags resolved, manifests and configs read, tag hints kept: the content cache in front
    /// of the registry.
    reg: Arc<Cached>,
    /// Where repositories and tags are listed (the registry, through `reg`, by default).
    lists: Arc<dyn Catalog>,
    /// Tags left out before any request is spent on them (referrer tags in a listing).
    skip: Option<fn(&str) -> bool>,
    /// Tags resolved to their digest only, whatever the depth (referrer tags in retention:
    /// named and resolved, never walked into).
    shallow: Option<fn(&str) -> bool>,
    infos: Mutex<HashMap<String, Cell<ImageInfo>>>,
    created: Mutex<HashMap<String, Cell<Option<i64>>>>,
    /// Every tag resolved by a GET in this session (no cache hints), and a listed tag that
    /// answers 404 is a problem rather than a tag deleted meanwhile: see [`Inventory::exact`].
    exact: bool,
    /// `--restrict NS/REPO` also takes the repositories nested under it (from the catalog).
    nested: bool,
    /// The tag list read by [`Inventory::repositories`] to see whether `NS/REPO` exists, used
    /// once by [`Inventory::tagged_images`] instead of listing the repository again.
    probed: Mutex<Option<(Repository, Vec<Tag>)>>,
}

fn cell<T>(map: &Mutex<HashMap<String, Cell<T>>>, key: &str) -> Cell<T> {
    map.lock()
        .expect("cache lock")
        .entry(key.to_string())
        .or_default()
        .clone()
}

/// The registry does not serve its catalog to this account (Docker Hub and GHCR have none):
/// a listing needs a repository named with `--restrict NS/REPO`, or `cr tag-list`.
#[derive(Debug, thiserror::Error)]
#[error("{host} has no catalog that {account} can list (HTTP {status}), so cr cannot find its {what} by itself: name a repository with --restrict NAMESPACE/REPO, or list one repository's tags with `cr tag-list {host}/NAMESPACE/REPO`")]
pub struct NoCatalog {
    pub host: String,
    pub account: crate::client::Account,
    pub status: u16,
    /// What was being listed: images, repositories, namespaces.
    pub what: String,
}

/// Does `repo` fall under `--restrict NS[/REPO]`?
pub fn restricted(repo: &str, restrict: &str) -> bool {
    let r = restrict.trim_matches('/');
    repo == r || repo.starts_with(&format!("{r}/"))
}

impl Inventory {
    pub fn new(reg: Arc<Cached>) -> Self {
        Inventory {
            lists: reg.clone(),
            reg,
            skip: None,
            shallow: None,
            infos: Mutex::default(),
            created: Mutex::default(),
            exact: false,
            nested: false,
            probed: Mutex::default(),
        }
    }

    /// A session for decisions that delete: at `Depth::Full` each tag is resolved by a GET
    /// (never by a HEAD against a cached hint, which a stale registry answer could fool), and
    /// a tag the listing names but that answers 404 is returned as a problem.
    pub fn exact(reg: Arc<Cached>) -> Self {
        Inventory {
            exact: true,
            ..Inventory::new(reg)
        }
    }

    /// List repositories and tags from `lists` instead of the registry (a store that stands
    /// for it; tests list a memory store). Tags are still resolved against the registry.
    pub fn with_catalog(mut self, lists: Arc<dyn Catalog>) -> Self {
        self.lists = lists;
        self
    }

    /// NS/REPO restrictions include the repositories nested under it: the catalog is read.
    pub fn nested(mut self, nested: bool) -> Self {
        self.nested = nested;
        self
    }

    /// Resolve the tags `shallow` says to their digest only, however deep the walk.
    pub fn shallow(mut self, shallow: fn(&str) -> bool) -> Self {
        self.shallow = Some(shallow);
        self
    }

    /// Leave out the tags `skip` says, before any request is made for them.
    pub fn skipping(mut self, skip: fn(&str) -> bool) -> Self {
        self.skip = Some(skip);
        self
    }

    /// Repositories of the catalog under `restrict`. A `restrict` of the form NS/REPO that
    /// names an existing repository (its tag list answers) is that repository alone, and the
    /// catalog is not read: registries without one (GHCR, Docker Hub) list it all the same;
    /// unless `nested` asks for the repositories under it too (sync, retention --recursive).
    /// When the catalog is forbidden or absent and `restrict` names a repository, that
    /// repository alone (a `restrict` outside the repository grammar is then an error).
    pub async fn repositories(
        &self,
        restrict: Option<&str>,
    ) -> Result<Vec<Repository>, RegistryError> {
        if let Some(r) = restrict
            .map(|r| r.trim_matches('/'))
            .filter(|r| r.contains('/') && !self.nested)
            .and_then(|r| Repository::parse(r).ok())
        {
            if let Ok(tags) = self.lists.tags(&r).await {
                *self.probed.lock().expect("probe lock") = Some((r.clone(), tags));
                return Ok(vec![r]);
            }
        }
        match self.lists.repositories().await {
            Ok(mut all) => {
                if let Some(r) = restrict {
                    all.retain(|repo| restricted(repo, r));
                }
                all.sort();
                Ok(all)
            }
            Err(e)
                if restrict.is_some_and(|r| r.contains('/'))
                    && (matches!(e.kind(), Kind::Unauthorized | Kind::Denied)
                        || self.lists.catalog_unavailable(&e).await) =>
            {
                let r = restrict.unwrap_or_default().trim_matches('/');
                Repository::parse(r)
                    .map(|r| vec![r])
                    .map_err(|e| self.reg.invalid(e))
            }
            Err(e) => Err(e),
        }
    }

    /// Every tag of `repos`, with what `depth` asks for. Failures of single repositories or
    /// tags are returned beside the images, not fatal.
    pub async fn tagged_images(
        &self,
        repos: &[Repository],
        depth: Depth,
    ) -> (Vec<TaggedImage>, Vec<RegistryError>) {
        // Tag lists and the tags' requests form one pipeline: the first repository's tags are
        // resolved while the next repositories are listed, so the registry is never idle.
        let hints_on = depth == Depth::Full && !self.exact;
        let list_problems = Mutex::new(Vec::new());
        let lists = stream::iter(repos.iter().cloned())
            .map(|repo| async move {
                let tags = self.tags(&repo).await;
                (repo, tags)
            })
            .buffered(LIST_JOBS / 4);
        let jobs = lists.flat_map(|(repo, tags)| {
            let tags = match tags {
                Ok(t) => t,
                Err(e) => {
                    if e.kind() != Kind::NotFound {
                        list_problems.lock().expect("problems lock").push(e);
                    }
                    Vec::new()
                }
            };
            let hints = Arc::new(if hints_on {
                self.reg.tag_hints(&repo)
            } else {
                HashMap::new()
            });
            let skip = self.skip;
            stream::iter(
                tags.into_iter()
                    .filter(move |t| !skip.is_some_and(|f| f(t)))
                    .map(move |t| (repo.clone(), t, hints.clone())),
            )
        });
        let results: Vec<_> = jobs
            .map(|(repo, tag, hints)| async move {
                let hint = hints.get(tag.as_str()).map(String::as_str);
                let (repo_name, tag_name) = (repo.clone(), tag.clone());
                let depth = match self.shallow {
                    Some(f) if f(&tag) => depth.min(Depth::Digests),
                    _ => depth,
                };
                match self.tagged(repo, tag, depth, hint).await {
                    // A listed tag whose manifest is not there is a problem, not a deletion.
                    Ok(None) => Err(RegistryError::Protocol {
                        what: format!("check manifest {repo_name}:{tag_name}"),
                        host: self.reg.name.clone(),
                        message: "the tag is listed but its manifest is not found (HTTP 404)"
                            .into(),
                    }),
                    other => other,
                }
            })
            .buffer_unordered(LIST_JOBS)
            .collect()
            .await;
        let mut problems = list_problems.into_inner().expect("problems lock");
        let mut images = Vec::new();
        for r in results {
            match r {
                Ok(Some(i)) => images.push(i),
                Ok(None) => {}
                // A listed tag that cannot be read is reported, never dropped silently.
                Err(e) => problems.push(e),
            }
        }
        images.sort_by(|a, b| {
            a.repo
                .cmp(&b.repo)
                .then_with(|| crate::oci::reference::natural_order(&a.tag, &b.tag))
        });
        if hints_on {
            let mut by_repo: HashMap<&Repository, HashMap<String, String>> = HashMap::new();
            for i in &images {
                if let Some(d) = &i.digest {
                    by_repo
                        .entry(&i.repo)
                        .or_default()
                        .insert(i.tag.to_string(), d.to_string());
                }
            }
            for (repo, hints) in by_repo {
                self.reg.set_tag_hints(repo, &hints);
            }
        }
        (images, problems)
    }

    /// The tags of `repo` (the list read to see that a restricted repository exists, when it
    /// was, is used once rather than read again). A repository that is not there is an error
    /// of kind `NotFound`.
    pub async fn tags(&self, repo: &Repository) -> Result<Vec<Tag>, RegistryError> {
        let probed = {
            let mut p = self.probed.lock().expect("probe lock");
            match p.take() {
                Some((r, tags)) if r == *repo => Some(tags),
                other => {
                    *p = other;
                    None
                }
            }
        };
        match probed {
            Some(tags) => Ok(tags),
            None => self.lists.tags(repo).await,
        }
    }

    /// One tag, resolved as deep as asked (None: its manifest is not there). Digests: one
    /// HEAD (a GET only where the registry's HEAD gives none). Facts: [`resolve_tag`]'s rule
    /// (a HEAD when the tag's last known digest is in the content cache, then nothing else
    /// while it still matches; else one GET by tag); then the config (and an index's
    /// platforms) by digest, each once.
    async fn tagged(
        &self,
        repo: Repository,
        tag: Tag,
        depth: Depth,
        hint: Option<&str>,
    ) -> Result<Option<TaggedImage>, RegistryError> {
        let mut image = TaggedImage {
            repo,
            tag,
            digest: None,
            media_type: None,
            info: None,
        };
        if depth == Depth::Names {
            return Ok(Some(image));
        }
        let repo = &image.repo.clone();
        let head = depth == Depth::Digests || self.reg.hinted(hint);
        let Some(found) = resolve_tag(&self.reg, repo, &image.tag, head).await? else {
            return Ok(None);
        };
        image.media_type = found.media_type;
        if depth == Depth::Full {
            let info = self
                .info(repo, &found.digest, found.manifest.as_ref())
                .await?;
            image.media_type = Some(info.media_type.clone());
            image.info = Some(info);
        }
        image.digest = Some(found.digest);
        Ok(Some(image))
    }

    /// Facts about a manifest digest, computed once per digest: the manifest by digest (from
    /// the content cache when there), its config, and for an index each platform's.
    pub async fn info(
        &self,
        repo: &Repository,
        digest: &Digest,
        fetched: Option<&RawManifest>,
    ) -> Result<ImageInfo, RegistryError> {
        let c = cell(&self.infos, digest);
        c.get_or_try_init(|| async {
            let m = match fetched {
                Some(m) => m.clone(),
                None => {
                    self.reg
                        .get_manifest(repo, &ManifestRef::digest(digest), &[Scope::pull(repo)])
                        .await?
                }
            };
            let parsed = m.parse().map_err(|e| self.protocol(repo, e.to_string()))?;
            match &parsed {
                Parsed::Image(im) => Ok(ImageInfo {
                    media_type: m.media_type.clone(),
                    size: parsed.image_size(),
                    created: self.created(repo, &im.config.digest).await,
                    children: Vec::new(),
                }),
                Parsed::Index(_) => {
                    let children: Vec<Digest> = parsed
                        .children()
                        .iter()
                        .map(|(d, _)| d.digest.clone())
                        .collect();
                    let infos: Vec<_> = stream::iter(children.iter())
                        .map(|d| Box::pin(self.info(repo, d, None)))
                        .buffered(8)
                        .collect()
                        .await;
                    let mut size = 0u64;
                    let mut created: Option<i64> = None;
                    for (info, child) in infos.into_iter().zip(&children) {
                        // A platform that is gone breaks the index: said as such, with its
                        // digest, never taken for a missing tag.
                        let info = info.map_err(|e| match e.kind() {
                            Kind::NotFound => self.protocol(
                                repo,
                                format!("index {digest} lists {child}, which is missing"),
                            ),
                            _ => e,
                        })?;
                        size = info.size.saturating_add(size);
                        created = created.max(info.created);
                    }
                    Ok(ImageInfo {
                        media_type: m.media_type.clone(),
                        size,
                        created,
                        children,
                    })
                }
            }
        })
        .await
        .cloned()
    }

    /// Creation time from a config blob, fetched once per digest; None when unreadable.
    async fn created(&self, repo: &Repository, config_digest: &Digest) -> Option<i64> {
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

    fn protocol(&self, repo: &Repository, message: String) -> RegistryError {
        RegistryError::Protocol {
            what: format!("read manifest in {repo}"),
            host: self.reg.name.clone(),
            message,
        }
    }
}

/// The tags of the repository `r` names, in natural order (`cr tag-list`): a repository that
/// is not there is [`super::NotFound`] (exit 3).
pub async fn tag_names(
    reg: &Arc<Cached>,
    r: &crate::oci::reference::Reference,
) -> anyhow::Result<Vec<Tag>> {
    let mut tags = match Inventory::new(reg.clone()).tags(&r.repository).await {
        Ok(t) => t,
        Err(e) if e.kind() == Kind::NotFound => {
            return Err(super::NotFound {
                image: r.repo_name(),
                message: format!("no repository {} on {}", r.repository, r.registry),
            }
            .into())
        }
        Err(e) => {
            return Err(
                anyhow::Error::new(e).context(format!("cannot list the tags of {}", r.repo_name()))
            )
        }
    };
    tags.sort_by(|a, b| crate::oci::reference::natural_order(a, b));
    Ok(tags)
}

/// Every tag of one repository with its digest and media type (one HEAD per tag, 16 at a
/// time), sorted by name: the walk at `Depth::Digests` for one repository, when what it
/// decides needs every tag (rm). A tag deleted meanwhile is left out; the first other
/// failure is returned (a repository that is not there: `NotFound`).
pub async fn tag_digests(
    reg: &Cached,
    repo: &Repository,
) -> Result<Vec<TaggedImage>, RegistryError> {
    let tags = reg.tags(repo).await?;
    let found: Vec<_> = stream::iter(tags)
        .map(|tag| async move {
            let found = match resolve_tag(reg, repo, &tag, true).await {
                Ok(f) => f,
                Err(e) if e.kind() == Kind::NotFound => None,
                Err(e) => return Err(e),
            };
            Ok(found.map(|f| TaggedImage {
                repo: repo.clone(),
                tag,
                digest: Some(f.digest),
                media_type: f.media_type,
                info: None,
            }))
        })
        .buffer_unordered(LIST_JOBS / 2)
        .collect()
        .await;
    let mut out = Vec::new();
    for f in found {
        out.extend(f?);
    }
    out.sort_by(|a, b| a.tag.cmp(&b.tag));
    Ok(out)
}

/// What a tag points at: its digest, the media type the registry gave, and the manifest
/// when it was fetched by tag.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub digest: Digest,
    pub media_type: Option<String>,
    pub manifest: Option<RawManifest>,
}

/// The one rule for reading a tag that may have moved. With `head` (the digest is all that is
/// needed, or [`Cached::hinted`] says the manifest is cached): one HEAD, and a GET only where
/// the HEAD gives no valid digest; None when the HEAD answers 404. Without: one GET by tag,
/// which also fills the content cache (a 404 is returned as the error it is).
pub async fn resolve_tag(
    reg: &Cached,
    repo: &Repository,
    tag: &Tag,
    head: bool,
) -> Result<Option<Resolved>, RegistryError> {
    let scopes = [Scope::pull(repo)];
    let reference = ManifestRef::tag(tag);
    if !head {
        let m = reg.get_manifest(repo, &reference, &scopes).await?;
        return Ok(Some(Resolved {
            digest: m.digest.clone(),
            media_type: Some(m.media_type.clone()),
            manifest: Some(m),
        }));
    }
    let Some(found) = reg.head_manifest(repo, &reference, &scopes).await? else {
        return Ok(None);
    };
    let digest = match found.digest {
        Some(d) => d,
        None => reg.get_manifest(repo, &reference, &scopes).await?.digest,
    };
    Ok(Some(Resolved {
        digest,
        media_type: found.media_type.filter(|m| !m.is_empty()),
        manifest: None,
    }))
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

    /// The walk's listing goes through its `Catalog`: repositories (whole, by namespace, and
    /// NS/REPO probed by its tag list), tags in natural order with referrer tags skipped, and a
    /// repository that is not there listed as empty; the registry receives no request.
    #[tokio::test]
    async fn names_are_listed_through_the_catalog() {
        use crate::client::transport::fake::{Fake, Reply};
        use crate::store::memory::Memory;
        let fake = Fake::new(|_, _| Reply::status(404));
        let reg = Arc::new(Cached::new(
            fake.registry(&crate::client::Options::default(), None),
            None,
        ));
        let mem = Arc::new(Memory::new("ns/app"));
        let sig = format!("sha256-{}.sig", "a".repeat(64));
        for (i, t) in ["v10", "latest", "v2", sig.as_str()].iter().enumerate() {
            mem.add_manifest("application/json", &format!("{{\"n\":{i}}}"), Some(t));
        }
        let inv = || Inventory::new(reg.clone()).with_catalog(mem.clone());
        assert_eq!(inv().repositories(None).await.unwrap(), ["ns/app"]);
        assert_eq!(inv().repositories(Some("ns")).await.unwrap(), ["ns/app"]);
        assert!(inv().repositories(Some("other")).await.unwrap().is_empty());
        assert!(inv()
            .repositories(Some("ns/gone"))
            .await
            .unwrap()
            .is_empty());

        let walk = inv().skipping(crate::app::referrers::is_referrer_tag);
        let repos = walk.repositories(Some("ns/app/")).await.unwrap();
        assert_eq!(repos, ["ns/app"]);
        let gone = Repository::parse("ns/gone").unwrap();
        let (images, problems) = walk
            .tagged_images(&[repos[0].clone(), gone], Depth::Names)
            .await;
        assert!(problems.is_empty(), "{problems:?}");
        let got: Vec<(&str, &str)> = images.iter().map(|i| (&*i.repo, &*i.tag)).collect();
        assert_eq!(
            got,
            [("ns/app", "latest"), ("ns/app", "v2"), ("ns/app", "v10")]
        );
        assert!(images
            .iter()
            .all(|i| i.digest.is_none() && i.info.is_none()));
        let all = inv()
            .tags(&crate::oci::name::Repository::parse("ns/app").unwrap())
            .await
            .unwrap();
        assert_eq!(all.len(), 4, "{all:?}");
        assert!(all.iter().any(|t| *t == sig));
        assert!(fake.seen().is_empty(), "no request: {:?}", fake.seen());
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
