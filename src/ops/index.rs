//! Multi-platform indexes authored from images already in one registry (index-create,
//! index-add, index-rm): platforms read from the images' configs (or taken from the indexes
//! given), children mounted into the index's repository, canonical index bytes put under its
//! tags. Everything is read and checked before the first write.

use std::sync::Arc;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::{Map, Value};

use super::Clients;
use crate::image::manifest::RawManifest;
use crate::image::media;
use crate::image::platform::Platform;
use crate::reference::{validate_digest, ManifestRef, Reference};
use crate::registry::{Registry, Scope};
use crate::transfer::{self, Dest, Options, Repo, Source};

/// Configs larger than this are not read (they are a few KiB).
const MAX_CONFIG: usize = 4 << 20;
/// Entries of one index at most (a source index's and the result's).
const MAX_ENTRIES: usize = 1024;
/// The annotation of a buildx attestation manifest naming the image it is about.
const REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";

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
    pub tags: Vec<String>,
}

/// What was written; the keys are the `-o json` fields.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Written {
    /// `HOST/REPO@sha256:…`
    pub reference: String,
    pub digest: String,
    pub media_type: String,
    /// Bytes of the index.
    pub size: u64,
    pub tags: Vec<String>,
    pub manifests: Vec<Child>,
    /// Child manifests copied in from other repositories, and their blobs.
    pub manifests_copied: usize,
    pub blobs_mounted: usize,
    pub blobs_moved: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Child {
    pub digest: String,
    /// `os/arch[/variant][:os.version]`, empty for an entry without a platform (attestations).
    pub platform: String,
    /// The source it came from, as named.
    pub source: String,
}

/// One descriptor of the index being built, with where it came from.
#[derive(Debug, Clone)]
struct Entry {
    desc: Map<String, Value>,
    from: String,
    repo: String,
}

impl Entry {
    fn text(&self, k: &str) -> &str {
        self.desc.get(k).and_then(Value::as_str).unwrap_or("")
    }
    fn digest(&self) -> &str {
        self.text("digest")
    }
    fn platform_text(&self, k: &str) -> &str {
        self.desc
            .get("platform")
            .and_then(|p| p.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    /// The platform as users write it; None for `unknown/unknown` or none (attestations).
    fn platform(&self) -> Option<Platform> {
        let (os, arch) = (self.platform_text("os"), self.platform_text("architecture"));
        if os.is_empty() || arch.is_empty() || os == "unknown" {
            return None;
        }
        let variant = Some(self.platform_text("variant")).filter(|v| !v.is_empty());
        Some(Platform {
            os: os.into(),
            arch: arch.into(),
            variant: variant.map(str::to_string),
        })
    }
    /// What makes two entries the same platform: `os/arch[/variant][:os.version]`.
    fn key(&self) -> Option<String> {
        let mut k = self.platform()?.to_string();
        let v = self.platform_text("os.version");
        if !v.is_empty() {
            k = format!("{k}:{v}");
        }
        Some(k)
    }
    /// The image an attestation manifest is about.
    fn refers_to(&self) -> Option<&str> {
        self.desc
            .get("annotations")?
            .get(REFERENCE_DIGEST)?
            .as_str()
    }
}

/// `index-create DST SRC…`: an index of `srcs`' platforms, put as `dst` (tag, else latest)
/// and under `req.tags`.
pub async fn create(
    clients: &Clients,
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
    clients: &Clients,
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
    clients: &Clients,
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
fn index_tag(r: &Reference) -> Result<String, IndexError> {
    match (&r.tag, &r.digest) {
        (Some(t), _) => Ok(t.clone()),
        (None, None) => Ok("latest".into()),
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
async fn existing(
    reg: &Registry,
    r: &Reference,
) -> anyhow::Result<(Map<String, Value>, Vec<Entry>)> {
    let m = read(reg, r).await?;
    if !m.is_index() {
        return Err(invalid(
            r,
            format!("is not an index but {}", media::short_name(&m.media_type)),
            format!("make one with cr index-create {} {r}", r.repo_name()),
        )
        .into());
    }
    let entries = index_entries(&m, r)?;
    let mut base: Map<String, Value> = serde_json::from_slice(&m.bytes)?;
    base.remove("manifests");
    Ok((base, entries))
}

async fn read(reg: &Registry, r: &Reference) -> anyhow::Result<RawManifest> {
    let scopes = [Scope::pull(&r.repository)];
    match reg
        .get_manifest(&r.repository, &r.manifest_ref(), &scopes)
        .await
    {
        Ok(m) => Ok(m),
        Err(e) => Err(super::explain_missing(reg, r, e).await),
    }
}

/// The entries of every source, in order (read eight at a time).
async fn gather(reg: &Arc<Registry>, srcs: &[Reference]) -> anyhow::Result<Vec<Entry>> {
    let lists: Vec<Vec<Entry>> = stream::iter(srcs.iter())
        .map(|s| entries_of(reg, s))
        .buffered(8)
        .try_collect()
        .await?;
    Ok(lists.into_iter().flatten().collect())
}

/// What one source contributes: an index its entries, an image itself with the platform
/// its config says.
async fn entries_of(reg: &Registry, src: &Reference) -> anyhow::Result<Vec<Entry>> {
    let m = read(reg, src).await?;
    if m.is_index() {
        return Ok(index_entries(&m, src)?);
    }
    let Some(config) = m.parse()?.blobs().into_iter().next() else {
        return Err(invalid(src, "its manifest names no config", "").into());
    };
    let scopes = [Scope::pull(&src.repository)];
    let bytes = reg
        .get_blob_bytes(&src.repository, &config.digest, MAX_CONFIG, &scopes)
        .await?;
    let cfg: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let Some(platform) = platform_of_config(&cfg) else {
        return Err(invalid(
            src,
            format!("its config {} names no os and architecture", config.digest),
            "only images with a platform can be listed in an index",
        )
        .into());
    };
    let mut desc = Map::new();
    desc.insert("mediaType".into(), m.media_type.clone().into());
    desc.insert("digest".into(), m.digest.clone().into());
    desc.insert("size".into(), (m.bytes.len() as u64).into());
    desc.insert("platform".into(), platform);
    Ok(vec![Entry {
        desc,
        from: src.to_string(),
        repo: src.repository.clone(),
    }])
}

/// The platform fields of an image config, as an index descriptor writes them.
fn platform_of_config(cfg: &Value) -> Option<Value> {
    let text = |k: &str| cfg.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let mut p = Map::new();
    p.insert("architecture".into(), text("architecture")?.into());
    p.insert("os".into(), text("os")?.into());
    for k in ["os.version", "variant"] {
        if let Some(v) = text(k) {
            p.insert(k.into(), v.into());
        }
    }
    if let Some(f) = cfg.get("os.features").filter(|f| {
        f.as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string))
    }) {
        p.insert("os.features".into(), f.clone());
    }
    Some(Value::Object(p))
}

/// The descriptors of an index, checked: image manifests (no nested index), valid digests.
fn index_entries(m: &RawManifest, from: &Reference) -> Result<Vec<Entry>, IndexError> {
    let bad = |why: &str| invalid(from, format!("its index {} {why}", m.digest), "");
    let doc: Value = serde_json::from_slice(&m.bytes).map_err(|_| bad("is not JSON"))?;
    let list = doc
        .get("manifests")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("has no manifests list"))?;
    if list.len() > MAX_ENTRIES {
        return Err(bad(&format!("lists more than {MAX_ENTRIES} manifests")));
    }
    list.iter()
        .map(|d| {
            let desc = d
                .as_object()
                .ok_or_else(|| bad("lists an entry that is not an object"))?;
            let text = |k: &str| desc.get(k).and_then(Value::as_str).unwrap_or("");
            if validate_digest(text("digest")).is_err()
                || !desc.get("size").is_some_and(Value::is_u64)
            {
                return Err(bad("lists an entry without a valid digest and size"));
            }
            if !media::is_manifest(text("mediaType")) {
                return Err(invalid(
                    from,
                    format!(
                        "it lists {} of type {:?}: only image manifests can be children",
                        text("digest"),
                        text("mediaType")
                    ),
                    "name the images themselves",
                ));
            }
            Ok(Entry {
                desc: desc.clone(),
                from: from.to_string(),
                repo: from.repository.clone(),
            })
        })
        .collect()
}

/// Only the platforms asked for (each must be there), with their attestations.
fn keep_platforms(
    entries: Vec<Entry>,
    wanted: &[Platform],
    srcs: &[Reference],
) -> Result<Vec<Entry>, IndexError> {
    if wanted.is_empty() {
        return Ok(entries);
    }
    for w in wanted {
        if !entries
            .iter()
            .any(|e| e.platform().is_some_and(|p| w.matches(&p)))
        {
            let names: Vec<String> = srcs.iter().map(|s| s.to_string()).collect();
            return Err(missing(names.join(", "), w, &entries));
        }
    }
    Ok(entries
        .into_iter()
        .filter(|e| match e.platform() {
            Some(p) => wanted.iter().any(|w| w.matches(&p)),
            None => e.refers_to().is_some(),
        })
        .collect())
}

fn missing(image: String, p: &Platform, entries: &[Entry]) -> IndexError {
    let have: Vec<String> = entries.iter().filter_map(Entry::key).collect();
    IndexError::MissingPlatform {
        image,
        platform: p.to_string(),
        available: if have.is_empty() {
            "none".into()
        } else {
            have.join(", ")
        },
    }
}

/// One entry per platform: the same image twice is kept once; two images for one platform
/// are refused, or with `replace` the later one takes the earlier one's place.
fn merge(entries: Vec<Entry>, replace: bool) -> Result<Vec<Entry>, IndexError> {
    let mut out: Vec<Entry> = Vec::new();
    for e in entries {
        let Some(key) = e.key() else {
            if !out
                .iter()
                .any(|o| o.digest() == e.digest() && o.key().is_none())
            {
                out.push(e);
            }
            continue;
        };
        match out.iter().position(|o| o.key().as_ref() == Some(&key)) {
            None => out.push(e),
            Some(i) if out[i].digest() == e.digest() => {}
            Some(i) if replace => out[i] = e,
            Some(i) => {
                return Err(IndexError::Duplicate {
                    platform: key,
                    first: out[i].from.clone(),
                    second: e.from,
                })
            }
        }
    }
    Ok(out)
}

/// Attestations whose image is no longer listed go with it.
fn prune(mut entries: Vec<Entry>) -> Vec<Entry> {
    let digests: std::collections::HashSet<String> =
        entries.iter().map(|e| e.digest().to_string()).collect();
    entries.retain(|e| e.refers_to().is_none_or(|d| digests.contains(d)));
    entries
}

/// JSON with every object's keys in byte order and no whitespace: the same index, the same
/// bytes, the same digest.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Check the result, bring children from other repositories, and put the index.
async fn write(
    reg: &Arc<Registry>,
    dst: &Reference,
    tag: &str,
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
    let digest = crate::image::digest::sha256(&bytes);
    let index = RawManifest::new(bytes.into(), media_type.into(), digest.clone());
    let (copied, mounted, moved) = place(reg, &dst.repository, &entries).await?;
    let mut tags = vec![tag.to_string()];
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
                digest: e.digest().into(),
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
    reg: &Arc<Registry>,
    repo: &str,
    entries: &[Entry],
) -> Result<(usize, usize, usize), transfer::TransferError> {
    let mut seen = std::collections::HashSet::new();
    let foreign: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.repo != repo && seen.insert(e.digest().to_string()))
        .collect();
    let dest = Dest::Registry(Repo {
        reg: reg.clone(),
        repo: repo.to_string(),
    });
    let opts = Options::default();
    let reports: Vec<transfer::Report> = stream::iter(foreign)
        .map(|e| {
            let (dest, opts) = (&dest, &opts);
            async move {
                let src = Source::Registry(Repo {
                    reg: reg.clone(),
                    repo: e.repo.clone(),
                });
                transfer::transfer(&src, &ManifestRef::digest(e.digest()), dest, &[], opts).await
            }
        })
        .buffer_unordered(4)
        .try_collect()
        .await?;
    let sum = |f: fn(&transfer::Report) -> usize| reports.iter().map(f).sum();
    Ok((
        reports.len(),
        sum(|r| r.blobs_mounted),
        sum(|r| r.blobs_moved),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(digest: char, platform: Option<&str>, from: &str) -> Entry {
        let mut desc = Map::new();
        desc.insert("mediaType".into(), media::OCI_MANIFEST.into());
        desc.insert(
            "digest".into(),
            format!("sha256:{}", digest.to_string().repeat(64)).into(),
        );
        desc.insert("size".into(), 10.into());
        if let Some(p) = platform {
            let p: Platform = p.parse().unwrap();
            let mut v = serde_json::json!({"os": p.os, "architecture": p.arch});
            if let Some(var) = p.variant {
                v["variant"] = var.into();
            }
            desc.insert("platform".into(), v);
        }
        Entry {
            desc,
            from: from.into(),
            repo: "ns/r".into(),
        }
    }

    #[test]
    fn duplicates_are_refused_or_replaced_in_place() {
        let a = entry('a', Some("linux/amd64"), "one");
        let b = entry('b', Some("linux/arm64"), "two");
        let c = entry('c', Some("linux/amd64"), "three");
        let e = merge(vec![a.clone(), b.clone(), c.clone()], false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "platform linux/amd64 is given twice: by one and by three"
        );
        let got = merge(vec![a.clone(), b.clone(), c.clone()], true).unwrap();
        let digests: Vec<&str> = got.iter().map(|e| &e.digest()[7..8]).collect();
        assert_eq!(digests, ["c", "b"]);
        // The same image twice is no conflict.
        assert_eq!(merge(vec![a.clone(), a, b], false).unwrap().len(), 2);
    }

    #[test]
    fn attestations_follow_their_image() {
        let a = entry('a', Some("linux/amd64"), "one");
        let mut att = entry('d', None, "one");
        att.desc.insert(
            "annotations".into(),
            serde_json::json!({REFERENCE_DIGEST: a.digest()}),
        );
        let b = entry('b', Some("linux/arm64"), "two");
        let kept = keep_platforms(
            vec![a.clone(), att.clone(), b.clone()],
            &["linux/arm64".parse().unwrap()],
            &[],
        )
        .unwrap();
        assert_eq!(prune(kept).len(), 1);
        assert_eq!(prune(vec![att.clone(), b.clone()]).len(), 1);
        assert_eq!(prune(vec![a, att, b]).len(), 3);
    }

    #[test]
    fn canonical_bytes_sort_keys_without_whitespace() {
        let v = serde_json::json!({"z": 1, "a": {"y": [{"b": 2, "a": 1}], "x": "s"}});
        let bytes = serde_json::to_vec(&canonical(&v)).unwrap();
        assert_eq!(bytes, br#"{"a":{"x":"s","y":[{"a":1,"b":2}]},"z":1}"#);
    }

    #[test]
    fn config_platform_fields() {
        let cfg = serde_json::json!({"os": "windows", "architecture": "amd64", "os.version": "10.0.17763.1", "os.features": ["win32k"], "variant": ""});
        let p = platform_of_config(&cfg).unwrap();
        assert_eq!(
            p,
            serde_json::json!({"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.1", "os.features": ["win32k"]})
        );
        assert!(platform_of_config(&serde_json::json!({"os": "linux"})).is_none());
    }
}
