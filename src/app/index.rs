//! Multi-platform indexes authored from images already in one registry (index-create,
//! index-add, index-rm): platforms read from the images' configs (or taken from the indexes
//! given), children mounted into the index's repository, canonical index bytes put under its
//! tags. Everything is read and checked before the first write.

use std::sync::Arc;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Session;
use crate::client::Scope;
use crate::engine::{self, Options, Repo};
use crate::oci::digest::Digest;
use crate::oci::manifest::RawManifest;
use crate::oci::media;
use crate::oci::name::Tag;
use crate::oci::platform::Platform;
use crate::oci::reference::{ManifestRef, Reference};

mod entries;
use crate::oci::name::Repository;
use crate::store::Cached;
use entries::{
    canonical, gather, index_entries, keep_platforms, merge, missing, prune, read, Entry,
};

/// Entries of one index at most (a source index's and the result's).
const MAX_ENTRIES: usize = 1024;

/// Bad input for an index, found before any write: exit 2, or 3 for a missing platform.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{image} is on {registry}, the index on {index_registry}: index-create works within one registry")]
    OtherRegistry {
        image: String,
        registry: String,
        index_registry: String,
    },
    #[error("platform {platform} is given twice: by {first} and by {second}")]
    Duplicate {
        platform: String,
        first: String,
        second: String,
    },
    #[error("{image} has no platform {platform} (it has: {available})")]
    MissingPlatform {
        image: String,
        platform: String,
        available: String,
    },
    #[error("{image}: {reason}")]
    Invalid {
        image: String,
        reason: String,
        hint: String,
    },
}

impl IndexError {
    /// A platform asked for is not there (exit 3); the others are bad input (exit 2).
    pub fn is_not_found(&self) -> bool {
        matches!(self, IndexError::MissingPlatform { .. })
    }

    pub fn hint(&self) -> Option<String> {
        Some(match self {
            IndexError::OtherRegistry {
                image,
                index_registry,
                ..
            } => format!(
                "copy it first (cr copy {image} {index_registry}/REPO:TAG) and name the copy"
            ),
            IndexError::Duplicate { .. } => "drop one of them, keep some platforms with --platform, or let the later one win with --replace".into(),
            IndexError::MissingPlatform { .. } => {
                "name a platform the image has (cr manifest-inspect shows them)".into()
            }
            IndexError::Invalid { hint, .. } if hint.is_empty() => return None,
            IndexError::Invalid { hint, .. } => hint.clone(),
        })
    }
}

fn invalid(image: impl ToString, reason: impl Into<String>, hint: impl Into<String>) -> IndexError {
    IndexError::Invalid {
        image: image.to_string(),
        reason: reason.into(),
        hint: hint.into(),
    }
}

/// What to build, beside the images.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Keep only these platforms of the sources (empty: all).
    pub platforms: Vec<Platform>,
    /// Index annotations.
    pub annotations: Vec<(String, String)>,
    /// A platform given twice: the later source wins (else refused).
    pub replace: bool,
    /// A Docker manifest list rather than an OCI index (index-create only).
    pub docker: bool,
    /// More tags for the index, beside the one it is named by.
    pub tags: Vec<Tag>,
}

/// What was written; the keys are the `-o json` fields.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Written {
    /// `HOST/REPO@sha256:…`
    pub reference: String,
    pub digest: Digest,
    pub media_type: String,
    /// Bytes of the index.
    pub size: u64,
    pub tags: Vec<Tag>,
    pub manifests: Vec<Child>,
    /// Child manifests copied in from other repositories, and their blobs.
    pub manifests_copied: usize,
    pub blobs_mounted: usize,
    pub blobs_moved: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Child {
    pub digest: Digest,
    /// `os/arch[/variant][:os.version]`, empty for an entry without a platform (attestations).
    pub platform: String,
    /// The source it came from, as named.
    pub source: String,
}

/// `index-create DST SRC…`: an index of `srcs`' platforms, put as `dst` (tag, else latest)
/// and under `req.tags`.
pub async fn create(
    clients: &Session,
    dst: &Reference,
    srcs: &[Reference],
    req: &Request,
) -> anyhow::Result<Written> {
    let tag = index_tag(dst)?;
    same_registry(dst, srcs)?;
    let reg = clients.get(&dst.registry).await?;
    let entries = keep_platforms(gather(&reg, srcs).await?, &req.platforms, srcs)?;
    let entries = prune(merge(entries, req.replace)?);
    let mut base = Map::new();
    base.insert("schemaVersion".into(), 2.into());
    let mt = if req.docker {
        media::DOCKER_LIST
    } else {
        media::OCI_INDEX
    };
    base.insert("mediaType".into(), mt.into());
    write(&reg, dst, &tag, base, entries, req).await
}

/// `index-add INDEX SRC…`: the index with `srcs`' platforms added, under the same tag.
pub async fn add(
    clients: &Session,
    index: &Reference,
    srcs: &[Reference],
    req: &Request,
) -> anyhow::Result<Written> {
    let tag = index_tag(index)?;
    same_registry(index, srcs)?;
    let reg = clients.get(&index.registry).await?;
    let (base, old) = existing(&reg, index).await?;
    let new = keep_platforms(gather(&reg, srcs).await?, &req.platforms, srcs)?;
    let entries = prune(merge(old.into_iter().chain(new).collect(), req.replace)?);
    write(&reg, index, &tag, base, entries, req).await
}

/// `index-rm INDEX --platform P…`: the index without those platforms, under the same tag.
pub async fn remove(
    clients: &Session,
    index: &Reference,
    platforms: &[Platform],
    req: &Request,
) -> anyhow::Result<Written> {
    let tag = index_tag(index)?;
    let reg = clients.get(&index.registry).await?;
    let (base, mut entries) = existing(&reg, index).await?;
    for p in platforms {
        if !entries
            .iter()
            .any(|e| e.platform().is_some_and(|have| p.matches(&have)))
        {
            return Err(missing(index.to_string(), p, &entries).into());
        }
    }
    entries.retain(|e| {
        !e.platform()
            .is_some_and(|have| platforms.iter().any(|p| p.matches(&have)))
    });
    write(&reg, index, &tag, base, prune(entries), req).await
}

/// The tag an index is written under: its own, else latest; a digest names no place.
fn index_tag(r: &Reference) -> Result<Tag, IndexError> {
    match (&r.tag, &r.digest) {
        (Some(t), _) => Ok(t.clone()),
        (None, None) => Ok(Tag::latest()),
        (None, Some(_)) => Err(invalid(
            r,
            "an index is written under a tag, not a digest",
            "name it REPO:TAG",
        )),
    }
}

fn same_registry(dst: &Reference, srcs: &[Reference]) -> Result<(), IndexError> {
    match srcs.iter().find(|s| s.registry != dst.registry) {
        Some(s) => Err(IndexError::OtherRegistry {
            image: s.to_string(),
            registry: s.registry.clone(),
            index_registry: dst.registry.clone(),
        }),
        None => Ok(()),
    }
}

/// The index named by `r`: its document without `manifests`, and its entries.
async fn existing(reg: &Cached, r: &Reference) -> anyhow::Result<(Map<String, Value>, Vec<Entry>)> {
    let m = read(reg, r).await?;
    if !m.is_index() {
        return Err(invalid(
            r,
            format!(
                "is a single image ({}), not an index",
                media::short_name(&m.media_type)
            ),
            format!(
                "make an index of it with cr index-create {}:TAG {r}",
                r.repo_name()
            ),
        )
        .into());
    }
    let entries = index_entries(&m, r)?;
    let mut base: Map<String, Value> = serde_json::from_slice(&m.bytes)?;
    base.remove("manifests");
    Ok((base, entries))
}

/// Check the result, bring children from other repositories, and put the index.
async fn write(
    reg: &Arc<Cached>,
    dst: &Reference,
    tag: &Tag,
    mut base: Map<String, Value>,
    entries: Vec<Entry>,
    req: &Request,
) -> anyhow::Result<Written> {
    let docker = base.get("mediaType").and_then(Value::as_str) == Some(media::DOCKER_LIST);
    if entries.is_empty() {
        return Err(invalid(
            dst,
            "no manifest would be left in the index",
            "keep at least one platform",
        )
        .into());
    }
    if entries.len() > MAX_ENTRIES {
        return Err(invalid(dst, format!("more than {MAX_ENTRIES} manifests"), "").into());
    }
    if docker {
        if let Some(e) = entries
            .iter()
            .find(|e| e.text("mediaType") != media::DOCKER_MANIFEST)
        {
            return Err(invalid(
                &e.from,
                format!(
                    "{} is {}: a Docker manifest list lists Docker v2 manifests only",
                    e.digest(),
                    media::short_name(e.text("mediaType"))
                ),
                "drop --docker: an OCI index lists both kinds",
            )
            .into());
        }
        if !req.annotations.is_empty() {
            return Err(invalid(
                dst,
                "a Docker manifest list has no annotations",
                "drop --docker, or the annotations",
            )
            .into());
        }
    }
    if !req.annotations.is_empty() {
        let notes = base
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(notes) = notes.as_object_mut() else {
            return Err(invalid(dst, "its annotations are not an object", "").into());
        };
        for (k, v) in &req.annotations {
            notes.insert(k.clone(), v.clone().into());
        }
    }
    let manifests: Vec<Value> = entries
        .iter()
        .map(|e| Value::Object(e.desc.clone()))
        .collect();
    base.insert("manifests".into(), manifests.into());
    let bytes = serde_json::to_vec(&canonical(&Value::Object(base)))?;
    let media_type = if docker {
        media::DOCKER_LIST
    } else {
        media::OCI_INDEX
    };
    let digest = crate::oci::digest::sha256(&bytes);
    let index = RawManifest::new(bytes.into(), media_type.into(), digest.clone());
    let (copied, mounted, moved) = place(reg, &dst.repository, &entries).await?;
    let mut tags = vec![tag.clone()];
    tags.extend(req.tags.iter().filter(|t| *t != tag).cloned());
    let scopes = [Scope::push(&dst.repository)];
    for t in &tags {
        reg.put_manifest(&dst.repository, &ManifestRef::tag(t), &index, &scopes)
            .await?;
    }
    Ok(Written {
        reference: dst.with_digest(&digest),
        digest,
        media_type: media_type.into(),
        size: index.bytes.len() as u64,
        tags,
        manifests: entries
            .iter()
            .map(|e| Child {
                digest: e.digest().clone(),
                platform: e.key().unwrap_or_default(),
                source: e.from.clone(),
            })
            .collect(),
        manifests_copied: copied,
        blobs_mounted: mounted,
        blobs_moved: moved,
    })
}

/// Children from other repositories of the registry, put by digest into `repo` (their blobs
/// mounted, or copied where a mount is refused): how many, blobs mounted, blobs moved.
async fn place(
    reg: &Arc<Cached>,
    repo: &Repository,
    entries: &[Entry],
) -> Result<(usize, usize, usize), engine::TransferError> {
    let mut seen = std::collections::HashSet::new();
    let foreign: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.repo != *repo && seen.insert(e.digest().to_string()))
        .collect();
    let dest = Repo {
        reg: reg.clone(),
        repo: repo.clone(),
    };
    let opts = Options::default();
    let reports: Vec<engine::Report> = stream::iter(foreign)
        .map(|e| {
            let (dest, opts) = (&dest, &opts);
            async move {
                let src = Repo {
                    reg: reg.clone(),
                    repo: e.repo.clone(),
                };
                engine::transfer(&src, &ManifestRef::digest(e.digest()), dest, &[], opts).await
            }
        })
        .buffer_unordered(4)
        .try_collect()
        .await?;
    let sum = |f: fn(&engine::Report) -> usize| reports.iter().map(f).sum();
    Ok((
        reports.len(),
        sum(|r| r.blobs_mounted),
        sum(|r| r.blobs_moved),
    ))
}
