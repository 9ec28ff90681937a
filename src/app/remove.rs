//! Remove: delete a manifest by digest, which removes every tag on it in that repository (what
//! it takes and what it would break is worked out in `removal`). An image goes with its
//! referrers (signatures, SBOMs, their own referrers, cosign tags), and the fallback tag
//! indexes that listed them are rewritten without them or deleted when they empty.

use std::collections::HashSet;

use serde_json::Value;

use super::referrers::{self, Referrer};
use crate::client::referrers::fallback_tag;
use crate::client::{Code, Kind, RegistryError, Scope};
use crate::oci::digest::Digest;
use crate::oci::manifest::RawManifest;
use crate::oci::name::Repository;
use crate::oci::name::Tag;
use crate::oci::reference::ManifestRef;
use crate::oci::{digest as sha, media};
use crate::store::Cached;

/// How one deletion by digest went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    Done,
    /// Someone else deleted it first.
    Gone,
}

/// An image to delete and the referrers that go with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doomed {
    pub digest: Digest,
    /// Each referrer once, a subject always before its referrers.
    pub referrers: Vec<Referrer>,
}

/// A deletion that failed: which manifest or fallback index, and the registry's error.
#[derive(Debug, thiserror::Error)]
pub enum RemoveError {
    #[error("deleting {digest}")]
    Manifest {
        digest: Digest,
        #[source]
        source: RegistryError,
    },
    #[error("deleting referrer {digest} of {subject}")]
    Referrer {
        digest: Digest,
        subject: Digest,
        #[source]
        source: RegistryError,
    },
    #[error("updating the fallback tag index {tag}")]
    FallbackIndex {
        tag: String,
        #[source]
        source: RegistryError,
    },
}

impl RemoveError {
    /// The registry's error underneath (decisions are made on its kind).
    pub fn registry(&self) -> &RegistryError {
        match self {
            RemoveError::Manifest { source, .. }
            | RemoveError::Referrer { source, .. }
            | RemoveError::FallbackIndex { source, .. } => source,
        }
    }
}

/// What deleting `digest` from `repo` takes with it: its referrers, recursively, except those
/// in `keep` and those a tag holds that does not go with them (and whatever refers only
/// through them). `tags`: the repository's tags when known (absent fallback and cosign tags
/// then cost no request); `tagged`: what each of them points at, when known.
pub async fn doomed(
    reg: &Cached,
    repo: &Repository,
    digest: &Digest,
    tags: Option<&HashSet<Tag>>,
    tagged: &[(Tag, Digest)],
    keep: &HashSet<Digest>,
) -> Result<Doomed, RegistryError> {
    let found = referrers::all(reg, repo, vec![digest.clone()], tags).await?;
    // `all` lists a subject before its referrers: a referrer goes only when its subject goes.
    let mut going: HashSet<&str> = HashSet::from([digest.as_str()]);
    let mut out = Vec::new();
    for r in &found {
        if !going.contains(r.subject.as_str()) || keep.contains(&r.digest) {
            continue;
        }
        // One found by a cosign tag is bound only by that tag's name: another tag on it that
        // does not go with it (an image's tag, the cosign tag of a subject that stays: a
        // shared SBOM) keeps it. One whose manifest names the subject goes with the subject.
        let held = r.found_by == "cosign"
            && tagged.iter().any(|(t, d)| {
                *d == r.digest
                    && !referrers::referrer_tag_subject(t)
                        .is_some_and(|s| going.contains(s.as_str()))
            });
        if held {
            continue;
        }
        // Only a referrer whose own manifest names that subject goes with it: a fallback index
        // (or referrers answer) listing some other image never gets that image deleted.
        let m = match reg
            .get_manifest(repo, &ManifestRef::digest(&r.digest), &[Scope::pull(repo)])
            .await
        {
            Ok(m) => m,
            Err(e) if e.kind() == Kind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if !referrers::bound(r, &m) {
            crate::notice::warning(&format!(
                "{}/{repo}@{}: not deleted with {}: listed as its referrer, but its manifest does not name it",
                reg.name, r.digest, r.subject
            ));
            continue;
        }
        going.insert(r.digest.as_str());
        out.push(r.clone());
    }
    Ok(Doomed {
        digest: digest.clone(),
        referrers: out,
    })
}

/// What [`delete_doomed`] did: the image and each referrer (in the order deleted).
#[derive(Debug, Clone)]
pub struct DeletedWith {
    pub image: Deleted,
    pub referrers: Vec<(Referrer, Deleted)>,
}

/// Delete `d.digest` from `repo` with its referrers (found by [`doomed`]): the image first, so
/// that an image the registry refuses to delete (an immutable tag, a 403) keeps its
/// signatures; then its referrers, deepest first; then the fallback tag indexes of everything
/// deleted are rewritten without the deleted entries (deleted when empty). A failure after
/// the image leaves referrers without their subject, which nothing reads. `tags` as for
/// [`doomed`].
pub async fn delete_doomed(
    reg: &Cached,
    repo: &Repository,
    d: &Doomed,
    tags: Option<&HashSet<Tag>>,
) -> Result<DeletedWith, RemoveError> {
    let own_index = subjects_index(reg, repo, &d.digest, tags).await;
    let image = delete_digest(reg, repo, &d.digest)
        .await
        .map_err(|source| RemoveError::Manifest {
            digest: d.digest.clone(),
            source,
        })?;
    let mut done = Vec::new();
    for r in d.referrers.iter().rev() {
        let how = delete_digest(reg, repo, &r.digest)
            .await
            .map_err(|source| RemoveError::Referrer {
                digest: r.digest.clone(),
                subject: r.subject.clone(),
                source,
            })?;
        done.push((r.clone(), how));
    }
    let gone: HashSet<&Digest> = std::iter::once(&d.digest)
        .chain(d.referrers.iter().map(|r| &r.digest))
        .collect();
    let indexes = gone
        .iter()
        .map(|subject| fallback_tag(subject))
        .filter(|tag| tags.is_none_or(|t| t.contains(tag.as_str())))
        .chain(own_index);
    for tag in indexes {
        prune_fallback_index(reg, repo, &tag, &gone)
            .await
            .map_err(|source| RemoveError::FallbackIndex {
                tag: tag.into_string(),
                source,
            })?;
    }
    Ok(DeletedWith {
        image,
        referrers: done,
    })
}

/// Delete the manifest `digest` from `repo` (every tag on it goes with it). A registry that
/// refuses to delete a digest while tags point at it (Artifact Registry / GCR:
/// `GOOGLE_MANIFEST_DANGLING_TAG`) has those tags deleted first (`DELETE …/manifests/TAG`),
/// then the digest again.
pub async fn delete_digest(
    reg: &Cached,
    repo: &Repository,
    digest: &Digest,
) -> Result<Deleted, RegistryError> {
    let scopes = [Scope::pull_delete(repo)];
    let target = ManifestRef::digest(digest);
    let e = match reg.delete_manifest(repo, &target, &scopes).await {
        Ok(()) => return Ok(Deleted::Done),
        Err(e) if e.kind() == Kind::NotFound => return gone_or_kept(reg, repo, &target).await,
        Err(e) if e.has_code(Code::Other(DANGLING_TAG.into())) => e,
        Err(e) => return Err(e),
    };
    let tags = super::removal::resolve_tags(reg, repo).await?;
    let on_it: Vec<&Tag> = tags
        .iter()
        .filter(|t| t.digest == *digest)
        .map(|t| &t.tag)
        .collect();
    if on_it.is_empty() {
        return Err(e);
    }
    for tag in on_it {
        match reg
            .delete_manifest(repo, &ManifestRef::tag(tag), &scopes)
            .await
        {
            Ok(()) => {}
            Err(e) if e.kind() == Kind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    match reg.delete_manifest(repo, &target, &scopes).await {
        Ok(()) => Ok(Deleted::Done),
        Err(e) if e.kind() == Kind::NotFound => Ok(Deleted::Gone),
        Err(e) => Err(e),
    }
}

/// A 404 to a DELETE by digest: gone (someone deleted it first), unless a HEAD still finds it
/// (Quay answers 404 for an untagged manifest it will not delete: never reported as deleted).
async fn gone_or_kept(
    reg: &Cached,
    repo: &Repository,
    target: &ManifestRef,
) -> Result<Deleted, RegistryError> {
    let scopes = [Scope::pull(repo)];
    match reg.head_manifest(repo, target, &scopes).await? {
        None => Ok(Deleted::Gone),
        Some(_) => Err(RegistryError::UntaggedKept {
            what: format!("delete manifest {repo}{}{target}", target.sep()),
            host: reg.name.clone(),
        }),
    }
}

/// Artifact Registry's (and GCR's) refusal to delete a digest that tags point at.
const DANGLING_TAG: &str = "GOOGLE_MANIFEST_DANGLING_TAG";

/// The fallback tag index `tag` without the entries in `gone`: put back when some remain,
/// deleted (by its digest) when none do; left alone when absent or not an index.
/// The fallback tag index of the subject `digest` names, when it is a referrer deleted on its
/// own (not with its subject) and that index is there: read before the deletion, to take it
/// out of that index after. Costs one GET only in a repository with a fallback tag index.
async fn subjects_index(
    reg: &Cached,
    repo: &Repository,
    digest: &Digest,
    tags: Option<&HashSet<Tag>>,
) -> Option<Tag> {
    if tags.is_some_and(|t| {
        !t.iter()
            .any(|t| crate::client::referrers::is_fallback_tag(t))
    }) {
        return None;
    }
    let m = reg
        .get_manifest(repo, &ManifestRef::digest(digest), &[Scope::pull(repo)])
        .await
        .ok()?;
    let (subject, _) = crate::client::referrers::referrer_descriptor(&m)?;
    let tag = fallback_tag(&subject);
    tags.is_none_or(|t| t.contains(tag.as_str())).then_some(tag)
}

async fn prune_fallback_index(
    reg: &Cached,
    repo: &Repository,
    tag: &Tag,
    gone: &HashSet<&Digest>,
) -> Result<(), RegistryError> {
    let scopes = [Scope::push_delete(repo)];
    let old = match reg
        .get_manifest(repo, &ManifestRef::tag(tag), &scopes)
        .await
    {
        Ok(m) => m,
        Err(e) if e.kind() == Kind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let Some(mut index) = serde_json::from_slice::<Value>(&old.bytes)
        .ok()
        .filter(|v| v.get("manifests").is_some_and(Value::is_array))
    else {
        return Ok(());
    };
    let list = index["manifests"].as_array_mut().expect("an array");
    let before = list.len();
    list.retain(|e| {
        !e["digest"]
            .as_str()
            .is_some_and(|d| gone.iter().any(|g| g.as_str() == d))
    });
    if list.len() == before {
        return Ok(());
    }
    if list.is_empty() {
        delete_digest(reg, repo, &old.digest).await?;
        return Ok(());
    }
    let bytes = serde_json::to_vec(&index).expect("JSON");
    let raw = RawManifest::new(
        bytes.clone().into(),
        media::OCI_INDEX.into(),
        sha::sha256(&bytes),
    );
    reg.put_manifest(repo, &ManifestRef::tag(tag), &raw, &scopes)
        .await?;
    Ok(())
}
