//! The content cache in front of a registry client ([`Cached`]): manifests and small blobs
//! read by digest from the cache once the registry confirmed in this run that the repository
//! holds them, filled from what the client fetched, and the tag hints a listing keeps. The
//! HTTP client never touches the cache; every other request passes through to it unchanged.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::future::BoxFuture;

use super::{Catalog, ListFut};
use crate::cache::Cache;
use crate::client::manifest::ManifestHead;
use crate::client::{Kind, Registry, RegistryError, Scope};
use crate::oci::digest::Digest;
use crate::oci::manifest::{detect_media_type, RawManifest};
use crate::oci::name::{Repository, Tag};
use crate::oci::reference::ManifestRef;

/// A store with the content cache in front of its content-addressed reads. For a registry
/// client, the reads are [`Cached::get_manifest`], [`Cached::head_manifest`] (which confirms
/// what the registry says a repository holds), [`Cached::resolve_digest`],
/// [`Cached::get_blob_bytes`] and [`Cached::referrers_by_tag`]; every other endpoint is the
/// client's own (through `Deref`). Without a cache (`--no-cache`) each read is one request, as
/// the client's.
pub struct Cached<S = Registry> {
    inner: S,
    cache: Option<Arc<Cache>>,
}

impl<S> Deref for Cached<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.inner
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for Cached<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached")
            .field("inner", &self.inner)
            .field("cache", &self.cache.is_some())
            .finish()
    }
}

impl<S> Cached<S> {
    /// `inner` with the content cache `cache` (None: every read goes to `inner`).
    pub fn new(inner: S, cache: Option<Arc<Cache>>) -> Self {
        Cached { inner, cache }
    }

    /// The content cache this store reads and fills, if any.
    pub fn cache(&self) -> Option<&Arc<Cache>> {
        self.cache.as_ref()
    }
}

/// Listings are not cached: each is asked of the store.
impl<S: Catalog> Catalog for Cached<S> {
    fn repositories(&self) -> ListFut<'_, Vec<Repository>> {
        self.inner.repositories()
    }

    fn tags<'a>(&'a self, repo: &'a Repository) -> ListFut<'a, Vec<Tag>> {
        self.inner.tags(repo)
    }

    fn catalog_unavailable<'a>(&'a self, e: &'a RegistryError) -> BoxFuture<'a, bool> {
        self.inner.catalog_unavailable(e)
    }

    fn referrers<'a>(
        &'a self,
        repo: &'a Repository,
        subject: &'a Digest,
    ) -> ListFut<'a, Option<Vec<serde_json::Value>>> {
        self.inner.referrers(repo, subject)
    }
}

impl Cached<Registry> {
    /// Under `--debug`, say that a content-addressed read came from the cache.
    fn trace(&self, what: &str, digest: &str) {
        if self.inner.debug() {
            crate::notice::status(&format!(
                "cache: {what} {digest} read from the content cache (no request)"
            ));
        }
    }

    /// GET a manifest by tag or digest (see [`Registry::fetch_manifest`]). By digest, the
    /// content cache answers once this registry confirmed that `repo` holds it (when not yet:
    /// one HEAD; a no sends the GET, and its answer counts). What is fetched is kept.
    pub async fn get_manifest(
        &self,
        repo: &Repository,
        reference: &ManifestRef,
        scopes: &[Scope],
    ) -> Result<RawManifest, RegistryError> {
        if let (ManifestRef::Digest(d), Some(cache)) = (reference, &self.cache) {
            if cache.contains(d) && !cache.is_confirmed(&self.name, repo, d) {
                // A no (or an error) is left to the GET below to say, as the registry says it.
                let _ = self.head_manifest(repo, reference, scopes).await;
            }
            if let Some(bytes) = cache.get_in(&self.name, repo, d) {
                self.trace("manifest", d);
                let media_type = detect_media_type(&bytes, None);
                let m = RawManifest::new(bytes.into(), media_type, d.clone());
                self.confirm_parts(repo, &m);
                return Ok(m);
            }
        }
        let m = self.inner.fetch_manifest(repo, reference, scopes).await?;
        match reference {
            // A fallback tag index lists referrers another run may have deleted since: it
            // confirms only itself, never what it lists.
            ManifestRef::Tag(t) if crate::client::referrers::is_fallback_tag(t) => {
                if let Some(cache) = &self.cache {
                    cache.put(&m.digest, &m.bytes);
                    cache.confirm(&self.name, repo, &m.digest);
                }
            }
            _ => self.keep(repo, &m),
        }
        Ok(m)
    }

    /// HEAD a manifest (see [`Registry::check_manifest`]); None when it does not exist. What
    /// the registry says `repo` holds is confirmed in the cache.
    pub async fn head_manifest(
        &self,
        repo: &Repository,
        reference: &ManifestRef,
        scopes: &[Scope],
    ) -> Result<Option<ManifestHead>, RegistryError> {
        let head = self.inner.check_manifest(repo, reference, scopes).await?;
        let (Some(cache), Some(h)) = (&self.cache, &head) else {
            return Ok(head);
        };
        if let Some(m) = &h.manifest {
            // A registry without HEAD: the GET that answered is kept like any other.
            self.keep(repo, m);
            return Ok(head);
        }
        // The registry says `repo` holds this digest (for a digest asked: that one, unless it
        // names another).
        let said = h.digest.clone();
        let held = match reference {
            ManifestRef::Digest(d) => said.is_none_or(|s| s == *d).then(|| d.clone()),
            ManifestRef::Tag(_) => said,
        };
        if let Some(d) = held {
            cache.confirm(&self.name, repo, &d);
        }
        Ok(head)
    }

    /// The digest a tag points at: HEAD, or GET where HEAD gives no digest.
    pub async fn resolve_digest(
        &self,
        repo: &Repository,
        reference: &ManifestRef,
        scopes: &[Scope],
    ) -> Result<Option<Digest>, RegistryError> {
        if let ManifestRef::Digest(d) = reference {
            return Ok(self
                .head_manifest(repo, reference, scopes)
                .await?
                .map(|_| d.clone()));
        }
        match self.head_manifest(repo, reference, scopes).await {
            Ok(Some(ManifestHead {
                digest: Some(d), ..
            })) => return Ok(Some(d)),
            Ok(None) => return Ok(None),
            _ => {}
        }
        match self.get_manifest(repo, reference, scopes).await {
            Ok(m) => Ok(Some(m.digest)),
            Err(e) if e.kind() == Kind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A small blob (a config) in memory, verified against its digest: from the content
    /// cache only as an answer for `repo` (the config of a manifest this registry served for
    /// it, or a blob it sent for it before), else fetched and kept.
    pub async fn get_blob_bytes(
        &self,
        repo: &Repository,
        digest: &Digest,
        limit: usize,
        scopes: &[Scope],
    ) -> Result<Bytes, RegistryError> {
        let cached = self
            .cache
            .as_ref()
            .and_then(|c| c.get_in(&self.name, repo, digest));
        if let Some(bytes) = cached {
            if bytes.len() <= limit {
                self.trace("blob", digest);
                return Ok(bytes.into());
            }
        }
        let buf = self
            .inner
            .fetch_blob_bytes(repo, digest, limit, scopes)
            .await?;
        if let Some(cache) = &self.cache {
            cache.put(digest, &buf);
            cache.confirm(&self.name, repo, digest);
        }
        Ok(buf)
    }

    /// The descriptors listed by the fallback tag of `subject` (none when there is no tag).
    /// The index read is kept, so the referrers it lists are confirmed for `repo`.
    pub async fn referrers_by_tag(
        &self,
        repo: &Repository,
        subject: &Digest,
        scopes: &[Scope],
    ) -> Result<Vec<serde_json::Value>, RegistryError> {
        let tag = ManifestRef::Tag(crate::client::referrers::fallback_tag(subject));
        match self.get_manifest(repo, &tag, scopes).await {
            Ok(m) => Ok(serde_json::from_slice::<serde_json::Value>(&m.bytes)
                .map(|v| crate::client::referrers::valid_descriptors(&v))
                .unwrap_or_default()),
            Err(e) if e.kind() == Kind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// The digest each tag of `repo` had when last listed (empty without a cache): only a
    /// hint, always checked with a HEAD.
    pub fn tag_hints(&self, repo: &Repository) -> HashMap<String, String> {
        self.cache
            .as_ref()
            .map(|c| c.tag_hints(&self.name, repo))
            .unwrap_or_default()
    }

    /// Remember the digest each tag of `repo` has now (nothing without a cache).
    pub fn set_tag_hints(&self, repo: &Repository, hints: &HashMap<String, String>) {
        if let Some(c) = &self.cache {
            c.set_tag_hints(&self.name, repo, hints);
        }
    }

    /// Whether a tag's last known digest (`hint`, from [`Cached::tag_hints`]) is in the
    /// content cache: then a HEAD is worth sending, as the manifest is read from the cache
    /// while the tag still points at it.
    pub fn hinted(&self, hint: Option<&str>) -> bool {
        self.cache
            .as_ref()
            .is_some_and(|c| hint.is_some_and(|h| c.contains(h)))
    }

    /// A manifest the registry served for `repo`: kept, and confirmed there with its parts.
    fn keep(&self, repo: &Repository, m: &RawManifest) {
        if let Some(cache) = &self.cache {
            cache.put(&m.digest, &m.bytes);
            cache.confirm(&self.name, repo, &m.digest);
        }
        self.confirm_parts(repo, m);
    }

    /// What a manifest `repo` holds refers to is in `repo` too (a registry keeps an image's
    /// config and an index's manifests with it): its config and child manifests may be read
    /// from the content cache for `repo` without asking again.
    fn confirm_parts(&self, repo: &Repository, m: &RawManifest) {
        let (Some(cache), Ok(parsed)) = (&self.cache, m.parse()) else {
            return;
        };
        let parts = parsed
            .blobs()
            .into_iter()
            .take(1)
            .chain(parsed.children().into_iter().map(|(d, _)| d));
        for d in parts {
            cache.confirm(&self.name, repo, &d.digest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::transport::fake::{Fake, Reply, Seen};
    use crate::client::Options;
    use crate::oci::digest::sha256;
    use crate::oci::media;

    const CONFIG: &str =
        r#"{"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z"}"#;

    /// An image manifest whose config is [`CONFIG`], and both digests.
    fn image() -> (Digest, String, Digest) {
        let config = sha256(CONFIG.as_bytes());
        let m = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{config}","size":{}}},"layers":[]}}"#,
            media::OCI_MANIFEST,
            media::OCI_CONFIG,
            CONFIG.len()
        );
        (sha256(m.as_bytes()), m, config)
    }

    /// A registry holding the image in `ns/app` (by digest, and as tag `v1`) and nothing in
    /// any other repository.
    fn registry() -> Arc<Fake> {
        let (digest, manifest, config) = image();
        Fake::new(move |s, _| {
            let path = s.url.path();
            let held = path == format!("/v2/ns/app/manifests/{digest}")
                || path == "/v2/ns/app/manifests/v1";
            if held {
                let h = [
                    ("content-type", media::OCI_MANIFEST),
                    ("docker-content-digest", digest.as_str()),
                ];
                let body = if s.method == reqwest::Method::HEAD {
                    ""
                } else {
                    &manifest
                };
                return Reply::with(200, &h, body);
            }
            if path == format!("/v2/ns/app/blobs/{config}") {
                return Reply::with(200, &[], CONFIG);
            }
            if path == "/v2/" {
                return Reply::status(200);
            }
            Reply::with(404, &[], r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#)
        })
    }

    fn repo(name: &str) -> crate::oci::name::Repository {
        crate::oci::name::Repository::parse(name).unwrap()
    }

    /// The requests for manifests and blobs, as `METHOD path`.
    fn requests(seen: &[Seen]) -> Vec<String> {
        seen.iter()
            .filter(|s| s.url.path() != "/v2/")
            .map(|s| format!("{} {}", s.method, s.url.path()))
            .collect()
    }

    fn cached(fake: &Arc<Fake>, cache: Option<Arc<Cache>>) -> Cached {
        Cached::new(fake.registry(&Options::default(), None), cache)
    }

    /// A fallback tag index lists referrers that may have been deleted since: reading it
    /// confirms only itself, so a listed manifest in the cache still costs a HEAD (whose 404
    /// the GET then says), where a platform index confirms its children.
    #[tokio::test]
    async fn a_fallback_index_confirms_only_itself() {
        let (digest, manifest, _) = image();
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"{digest}","size":{}}}]}}"#,
            media::OCI_INDEX,
            media::OCI_MANIFEST,
            manifest.len()
        );
        let fallback = format!("sha256-{}", "a".repeat(64));
        let (idx, fb) = (index.clone(), fallback.clone());
        let fake = Fake::new(move |s, _| {
            let path = s.url.path();
            if path == format!("/v2/ns/gone/manifests/{fb}")
                || path == "/v2/ns/gone/manifests/multi"
            {
                return Reply::with(200, &[("content-type", media::OCI_INDEX)], &idx);
            }
            if path == "/v2/" {
                return Reply::status(200);
            }
            Reply::with(404, &[], r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#)
        });
        let dir = tempfile::tempdir().unwrap();
        let cache = Arc::new(Cache::new(dir.path().join("content"), 1 << 20));
        cache.put(&digest, manifest.as_bytes());
        let reg = cached(&fake, Some(cache));
        let scopes = [Scope::pull("ns/gone")];
        let tag = |t: &str| ManifestRef::tag(&crate::oci::name::Tag::parse(t).unwrap());
        reg.get_manifest(&repo("ns/gone"), &tag(&fallback), &scopes)
            .await
            .unwrap();
        let e = reg
            .get_manifest(&repo("ns/gone"), &ManifestRef::digest(&digest), &scopes)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), Kind::NotFound);
        // A platform index (any other tag) vouches for its children: served from the cache.
        reg.get_manifest(&repo("ns/gone"), &tag("multi"), &scopes)
            .await
            .unwrap();
        let m = reg
            .get_manifest(&repo("ns/gone"), &ManifestRef::digest(&digest), &scopes)
            .await
            .unwrap();
        assert_eq!(&m.bytes[..], manifest.as_bytes());
        assert_eq!(
            requests(&fake.seen()),
            [
                format!("GET /v2/ns/gone/manifests/{fallback}"),
                format!("HEAD /v2/ns/gone/manifests/{digest}"),
                format!("GET /v2/ns/gone/manifests/{digest}"),
                "GET /v2/ns/gone/manifests/multi".to_string(),
            ]
        );
    }

    /// An entry in the cache is served for a repository only once the registry confirmed in
    /// this run that the repository holds it: a repository that does not gets the GET, and its
    /// 404; one that does costs one HEAD, then nothing; its config comes with it.
    #[tokio::test]
    async fn serves_from_the_cache_only_where_the_registry_confirmed_it() {
        let (digest, manifest, config) = image();
        let dir = tempfile::tempdir().unwrap();
        let cache = Arc::new(Cache::new(dir.path().join("content"), 1 << 20));
        cache.put(&digest, manifest.as_bytes());
        cache.put(&config, CONFIG.as_bytes());
        let fake = registry();
        let reg = cached(&fake, Some(cache));
        let (pull_other, pull_app) = ([Scope::pull("ns/other")], [Scope::pull("ns/app")]);
        let by_digest = ManifestRef::digest(&digest);

        let e = reg
            .get_manifest(&repo("ns/other"), &by_digest, &pull_other)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), Kind::NotFound);
        let e = reg
            .get_blob_bytes(&repo("ns/other"), &config, 1 << 20, &pull_other)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), Kind::NotFound);
        assert_eq!(
            requests(&fake.seen()),
            [
                format!("HEAD /v2/ns/other/manifests/{digest}"),
                format!("GET /v2/ns/other/manifests/{digest}"),
                format!("GET /v2/ns/other/blobs/{config}"),
            ]
        );

        let m = reg
            .get_manifest(&repo("ns/app"), &by_digest, &pull_app)
            .await
            .unwrap();
        assert_eq!(
            (&m.bytes[..], m.digest.as_str()),
            (manifest.as_bytes(), &*digest)
        );
        let again = reg
            .get_manifest(&repo("ns/app"), &by_digest, &pull_app)
            .await
            .unwrap();
        assert_eq!(&again.bytes[..], manifest.as_bytes());
        let c = reg
            .get_blob_bytes(&repo("ns/app"), &config, 1 << 20, &pull_app)
            .await
            .unwrap();
        assert_eq!(&c[..], CONFIG.as_bytes());
        // One HEAD confirmed the manifest; it and its config were read from the cache.
        let seen = requests(&fake.seen());
        assert_eq!(seen[3..], [format!("HEAD /v2/ns/app/manifests/{digest}")]);
    }

    /// A manifest fetched by tag is kept and confirmed with its config: read again by digest,
    /// neither costs a request. Without a cache every read is a request.
    #[tokio::test]
    async fn keeps_what_it_fetched_and_without_a_cache_always_asks() {
        let (digest, manifest, config) = image();
        let dir = tempfile::tempdir().unwrap();
        let cache = Arc::new(Cache::new(dir.path().join("content"), 1 << 20));
        let pull = [Scope::pull("ns/app")];
        let by_digest = ManifestRef::digest(&digest);
        for with_cache in [true, false] {
            let fake = registry();
            let reg = cached(&fake, with_cache.then(|| cache.clone()));
            let m = reg
                .get_manifest(&repo("ns/app"), &ManifestRef::parse("v1").unwrap(), &pull)
                .await
                .unwrap();
            assert_eq!(m.digest, digest);
            let m = reg
                .get_manifest(&repo("ns/app"), &by_digest, &pull)
                .await
                .unwrap();
            assert_eq!(&m.bytes[..], manifest.as_bytes());
            reg.get_blob_bytes(&repo("ns/app"), &config, 1 << 20, &pull)
                .await
                .unwrap();
            let mut want = vec!["GET /v2/ns/app/manifests/v1".to_string()];
            if with_cache {
                // The config was never fetched here, so it costs its GET once; then nothing.
                want.push(format!("GET /v2/ns/app/blobs/{config}"));
                reg.get_blob_bytes(&repo("ns/app"), &config, 1 << 20, &pull)
                    .await
                    .unwrap();
            } else {
                want.push(format!("GET /v2/ns/app/manifests/{digest}"));
                want.push(format!("GET /v2/ns/app/blobs/{config}"));
            }
            assert_eq!(requests(&fake.seen()), want, "with cache: {with_cache}");
        }
    }

    /// Tag hints live in the cache: none without one, and a hint counts only when its
    /// manifest is cached.
    #[test]
    fn tag_hints_need_the_cache() {
        let (digest, manifest, _) = image();
        let dir = tempfile::tempdir().unwrap();
        let cache = Arc::new(Cache::new(dir.path().join("content"), 1 << 20));
        let fake = registry();
        let hints: HashMap<String, String> = [("v1".to_string(), digest.to_string())].into();
        let none = cached(&fake, None);
        none.set_tag_hints(&repo("ns/app"), &hints);
        assert!(none.tag_hints(&repo("ns/app")).is_empty());
        assert!(!none.hinted(Some(&digest)));
        let reg = cached(&fake, Some(cache.clone()));
        reg.set_tag_hints(&repo("ns/app"), &hints);
        assert_eq!(reg.tag_hints(&repo("ns/app")), hints);
        assert!(reg.tag_hints(&repo("ns/other")).is_empty());
        assert!(!reg.hinted(Some(&digest)));
        cache.put(&digest, manifest.as_bytes());
        assert!(reg.hinted(Some(&digest)) && !reg.hinted(None));
        assert!(fake.seen().is_empty());
    }
}
