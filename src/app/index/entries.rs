//! The entries of an index being built: each source's descriptors (an image's platform read
//! from its config, an index's own list), checked, filtered by platform, merged (one image per
//! platform), and written as canonical JSON.

use std::sync::Arc;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde_json::{Map, Value};

use super::{invalid, IndexError, MAX_ENTRIES};
use crate::client::Scope;
use crate::oci::digest::Digest;
use crate::oci::manifest::RawManifest;
use crate::oci::media;
use crate::oci::name::Repository;
use crate::oci::platform::Platform;
use crate::oci::reference::Reference;
use crate::store::Cached;

/// Configs larger than this are not read (they are a few KiB).
const MAX_CONFIG: usize = 4 << 20;
/// The annotation of a buildx attestation manifest naming the image it is about.
const REFERENCE_DIGEST: &str = "vnd.docker.reference.digest";

/// One descriptor of the index being built, with where it came from.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) desc: Map<String, Value>,
    /// The descriptor's digest, parsed where the entry was read.
    digest: Digest,
    pub(super) from: String,
    pub(super) repo: Repository,
}

impl Entry {
    pub(super) fn text(&self, k: &str) -> &str {
        self.desc.get(k).and_then(Value::as_str).unwrap_or("")
    }
    pub(super) fn digest(&self) -> &Digest {
        &self.digest
    }
    fn platform_text(&self, k: &str) -> &str {
        self.desc
            .get("platform")
            .and_then(|p| p.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    /// The platform as users write it; None for `unknown/unknown` or none (attestations).
    pub(super) fn platform(&self) -> Option<Platform> {
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
    pub(super) fn key(&self) -> Option<String> {
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

pub(super) async fn read(reg: &Cached, r: &Reference) -> anyhow::Result<RawManifest> {
    let scopes = [Scope::pull(&r.repository)];
    match reg
        .get_manifest(&r.repository, &r.manifest_ref(), &scopes)
        .await
    {
        Ok(m) => Ok(m),
        Err(e) => Err(crate::app::explain_missing(reg, r, e).await),
    }
}

/// The entries of every source, in order (read eight at a time).
pub(super) async fn gather(reg: &Arc<Cached>, srcs: &[Reference]) -> anyhow::Result<Vec<Entry>> {
    let lists: Vec<Vec<Entry>> = stream::iter(srcs.iter())
        .map(|s| entries_of(reg, s))
        .buffered(8)
        .try_collect()
        .await?;
    Ok(lists.into_iter().flatten().collect())
}

/// What one source contributes: an index its entries, an image itself with the platform
/// its config says.
async fn entries_of(reg: &Cached, src: &Reference) -> anyhow::Result<Vec<Entry>> {
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
    desc.insert("digest".into(), m.digest.to_string().into());
    desc.insert("size".into(), (m.bytes.len() as u64).into());
    desc.insert("platform".into(), platform);
    Ok(vec![Entry {
        desc,
        digest: m.digest.clone(),
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
pub(super) fn index_entries(m: &RawManifest, from: &Reference) -> Result<Vec<Entry>, IndexError> {
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
            let digest = Digest::parse(text("digest"))
                .ok()
                .filter(|_| desc.get("size").is_some_and(Value::is_u64))
                .ok_or_else(|| bad("lists an entry without a valid digest and size"))?;
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
                digest,
                from: from.to_string(),
                repo: from.repository.clone(),
            })
        })
        .collect()
}

/// Only the platforms asked for (each must be there), with their attestations.
pub(super) fn keep_platforms(
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

pub(super) fn missing(image: String, p: &Platform, entries: &[Entry]) -> IndexError {
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
pub(super) fn merge(entries: Vec<Entry>, replace: bool) -> Result<Vec<Entry>, IndexError> {
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
pub(super) fn prune(mut entries: Vec<Entry>) -> Vec<Entry> {
    let digests: std::collections::HashSet<String> =
        entries.iter().map(|e| e.digest().to_string()).collect();
    entries.retain(|e| e.refers_to().is_none_or(|d| digests.contains(d)));
    entries
}

/// JSON with every object's keys in byte order and no whitespace: the same index, the same
/// bytes, the same digest.
pub(super) fn canonical(v: &Value) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(digest: char, platform: Option<&str>, from: &str) -> Entry {
        let mut desc = Map::new();
        desc.insert("mediaType".into(), media::OCI_MANIFEST.into());
        let d = format!("sha256:{}", digest.to_string().repeat(64));
        desc.insert("digest".into(), d.clone().into());
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
            digest: Digest::fake(&d),
            from: from.into(),
            repo: Repository::parse("ns/r").unwrap(),
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
