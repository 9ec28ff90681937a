//! An in-memory store, source, target and catalog at once (one repository, with the referrers
//! API), for fast tests of the engine and of listings: blobs,
//! manifests and tags in maps; what a copy puts is staged and becomes visible on commit; every
//! request it receives is logged; a blob can be marked to be served corrupt.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use bytes::Bytes;
use futures_util::stream::{self, TryStreamExt};

use super::{ByteStream, Catalog, Fut, ListFut, Source, Target, TransferError};
use crate::client::error::{ApiError, Code};
use crate::client::RegistryError;
use crate::oci::digest::{sha256, Digest};
use crate::oci::manifest::{Descriptor, RawManifest};
use crate::oci::name::{Repository, Tag};
use crate::oci::reference::ManifestRef;

/// Blobs served in pieces of this size, so that a copy sees several.
const PIECE: usize = 4;

#[derive(Default)]
struct Content {
    blobs: HashMap<Digest, Bytes>,
    manifests: HashMap<Digest, RawManifest>,
    tags: HashMap<Tag, Digest>,
}

#[derive(Default)]
pub struct Memory {
    name: String,
    committed: Mutex<Content>,
    staged: Mutex<Content>,
    log: Mutex<Vec<String>>,
    corrupt: Mutex<HashSet<String>>,
}

fn not_found(what: &str) -> TransferError {
    TransferError::Verify(format!("{what}: not in the memory store"))
}

impl Memory {
    pub fn new(name: &str) -> Self {
        Memory {
            name: name.to_string(),
            ..Memory::default()
        }
    }

    /// Add a blob (committed); its descriptor.
    pub fn add_blob(&self, media_type: &str, bytes: &[u8]) -> Descriptor {
        let digest = sha256(bytes);
        let mut c = self.committed.lock().expect("memory lock");
        c.blobs
            .insert(digest.clone(), Bytes::copy_from_slice(bytes));
        Descriptor::new(media_type, digest, bytes.len() as u64)
    }

    /// Add a manifest (committed), tagged `tag` when given.
    pub fn add_manifest(&self, media_type: &str, json: &str, tag: Option<&str>) -> RawManifest {
        let bytes = Bytes::copy_from_slice(json.as_bytes());
        let m = RawManifest::new(bytes.clone(), media_type.into(), sha256(&bytes));
        let mut c = self.committed.lock().expect("memory lock");
        c.manifests.insert(m.digest.clone(), m.clone());
        if let Some(t) = tag {
            c.tags
                .insert(Tag::parse(t).expect("a test's tag"), m.digest.clone());
        }
        m
    }

    /// Serve `digest`'s bytes with their last byte changed.
    pub fn corrupt(&self, digest: &str) {
        self.corrupt
            .lock()
            .expect("memory lock")
            .insert(digest.into());
    }

    /// Every request received, in order (`has D`, `put_blob D`, `put_manifest REF`, `commit`).
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("memory lock").clone()
    }

    /// A committed blob's bytes.
    pub fn blob_bytes(&self, digest: &str) -> Option<Bytes> {
        let c = self.committed.lock().expect("memory lock");
        c.blobs.get(digest).cloned()
    }

    /// The committed digest of a tag.
    pub fn tagged(&self, tag: &str) -> Option<Digest> {
        let c = self.committed.lock().expect("memory lock");
        c.tags.get(tag).cloned()
    }

    /// Committed blobs and manifests, counted.
    pub fn counts(&self) -> (usize, usize) {
        let c = self.committed.lock().expect("memory lock");
        (c.blobs.len(), c.manifests.len())
    }

    fn note(&self, entry: String) {
        self.log.lock().expect("memory lock").push(entry);
    }
}

impl Source for Memory {
    fn describe(&self, reference: &ManifestRef) -> String {
        format!("memory:{}{}{reference}", self.name, reference.sep())
    }

    fn manifest<'a>(&'a self, reference: &'a ManifestRef) -> Fut<'a, RawManifest> {
        Box::pin(async move {
            let c = self.committed.lock().expect("memory lock");
            let digest = match reference {
                ManifestRef::Digest(d) => d.clone(),
                ManifestRef::Tag(t) => c.tags.get(t).cloned().ok_or_else(|| not_found(t))?,
            };
            c.manifests
                .get(&digest)
                .cloned()
                .ok_or_else(|| not_found(&digest))
        })
    }

    fn blob<'a>(&'a self, desc: &'a Descriptor) -> Fut<'a, ByteStream> {
        Box::pin(async move {
            let bytes = self
                .blob_bytes(&desc.digest)
                .ok_or_else(|| not_found(&desc.digest))?;
            let mut v = bytes.to_vec();
            if self
                .corrupt
                .lock()
                .expect("memory lock")
                .contains(desc.digest.as_str())
            {
                if let Some(last) = v.last_mut() {
                    *last ^= 1;
                }
            }
            let pieces: Vec<std::io::Result<Bytes>> = v
                .chunks(PIECE)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect();
            Ok(Box::pin(stream::iter(pieces)) as ByteStream)
        })
    }
}

impl Target for Memory {
    fn has_blob<'a>(&'a self, desc: &'a Descriptor) -> Fut<'a, bool> {
        Box::pin(async move {
            self.note(format!("has {}", desc.digest));
            let there = |c: &Content| c.blobs.contains_key(&desc.digest);
            Ok(there(&self.committed.lock().expect("memory lock"))
                || there(&self.staged.lock().expect("memory lock")))
        })
    }

    fn put_blob<'a>(
        &'a self,
        desc: &'a Descriptor,
        bytes: ByteStream,
        _session: Option<url::Url>,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            self.note(format!("put_blob {}", desc.digest));
            let parts: Vec<Bytes> = bytes
                .try_collect()
                .await
                .map_err(|e| TransferError::Verify(e.to_string()))?;
            let mut s = self.staged.lock().expect("memory lock");
            s.blobs.insert(desc.digest.clone(), parts.concat().into());
            Ok(())
        })
    }

    fn put_manifest<'a>(&'a self, m: &'a RawManifest, reference: ManifestRef) -> Fut<'a, bool> {
        Box::pin(async move {
            self.note(format!("put_manifest {reference}"));
            let mut s = self.staged.lock().expect("memory lock");
            s.manifests.insert(m.digest.clone(), m.clone());
            if let ManifestRef::Tag(t) = reference {
                s.tags.insert(t, m.digest.clone());
            }
            Ok(false)
        })
    }

    fn commit<'a>(&'a self, _top: &'a RawManifest, _tracked: bool) -> Fut<'a, ()> {
        Box::pin(async move {
            self.note("commit".into());
            let staged = std::mem::take(&mut *self.staged.lock().expect("memory lock"));
            let mut c = self.committed.lock().expect("memory lock");
            c.blobs.extend(staged.blobs);
            c.manifests.extend(staged.manifests);
            c.tags.extend(staged.tags);
            Ok(())
        })
    }

    fn result_name(&self, digest: &str) -> String {
        format!("memory:{}@{digest}", self.name)
    }
}

/// One repository, named as the store; its referrers listed as by a registry with the API.
impl Catalog for Memory {
    fn repositories(&self) -> ListFut<'_, Vec<Repository>> {
        // A name outside the grammar is not listed, as a registry's catalog skips it.
        Box::pin(async move { Ok(Repository::parse(&self.name).into_iter().collect()) })
    }

    fn tags<'a>(&'a self, repo: &'a Repository) -> ListFut<'a, Vec<Tag>> {
        Box::pin(async move {
            self.repository(repo, "list tags")?;
            let c = self.committed.lock().expect("memory lock");
            let mut tags: Vec<Tag> = c.tags.keys().cloned().collect();
            tags.sort();
            Ok(tags)
        })
    }

    fn referrers<'a>(
        &'a self,
        repo: &'a Repository,
        subject: &'a Digest,
    ) -> ListFut<'a, Option<Vec<serde_json::Value>>> {
        Box::pin(async move {
            self.repository(repo, "list referrers")?;
            let c = self.committed.lock().expect("memory lock");
            let mut found: Vec<serde_json::Value> = c
                .manifests
                .values()
                .filter_map(crate::client::referrers::referrer_descriptor)
                .filter(|(s, _)| s == subject)
                .map(|(_, d)| d)
                .collect();
            found.sort_by_key(|d| d["digest"].as_str().map(str::to_string));
            Ok(Some(found))
        })
    }
}

impl Memory {
    /// `repo` is this store's repository; else the registry's answer for an unknown name.
    fn repository(&self, repo: &Repository, what: &str) -> Result<(), RegistryError> {
        if repo.as_str() == self.name {
            return Ok(());
        }
        Err(RegistryError::Api {
            what: format!("{what} of {repo}"),
            host: "memory".into(),
            status: 404,
            errors: vec![ApiError {
                code: Code::NameUnknown,
                message: "repository name not known to registry".into(),
            }],
            account: None,
            op: crate::client::Operation::Other,
            scope: None,
            insufficient_scope: false,
            retry_after: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Kind;
    use crate::oci::media;

    /// The memory store lists its one repository, its tags, and a manifest's referrers (and
    /// none of another's); another repository is not found, as at a registry.
    #[tokio::test]
    async fn lists_as_a_catalog() {
        let m = Memory::new("ns/app");
        let config = m.add_blob(media::OCI_CONFIG, b"{}");
        let image = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{}","size":2}},"layers":[]}}"#,
            media::OCI_MANIFEST,
            media::OCI_CONFIG,
            config.digest
        );
        let subject = m.add_manifest(media::OCI_MANIFEST, &image, Some("v1"));
        m.add_manifest(media::OCI_MANIFEST, &image, Some("latest"));
        let sbom = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","artifactType":"application/spdx+json","config":{{"mediaType":"{}","digest":"{}","size":2}},"layers":[],"subject":{{"mediaType":"{}","digest":"{}","size":{}}}}}"#,
            media::OCI_MANIFEST,
            media::OCI_CONFIG,
            config.digest,
            media::OCI_MANIFEST,
            subject.digest,
            subject.bytes.len()
        );
        let referrer = m.add_manifest(media::OCI_MANIFEST, &sbom, None);

        assert_eq!(m.repositories().await.unwrap(), ["ns/app"]);
        assert_eq!(
            m.tags(&crate::oci::name::Repository::parse("ns/app").unwrap())
                .await
                .unwrap(),
            ["latest", "v1"]
        );
        let e = m
            .tags(&crate::oci::name::Repository::parse("ns/other").unwrap())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), Kind::NotFound);
        let found = m
            .referrers(
                &crate::oci::name::Repository::parse("ns/app").unwrap(),
                &subject.digest,
            )
            .await
            .unwrap();
        let found = found.expect("the memory store has the referrers API");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["digest"], referrer.digest.as_str());
        assert_eq!(found[0]["artifactType"], "application/spdx+json");
        let none = m
            .referrers(
                &crate::oci::name::Repository::parse("ns/app").unwrap(),
                &referrer.digest,
            )
            .await
            .unwrap();
        assert_eq!(none, Some(Vec::new()));
    }
}
