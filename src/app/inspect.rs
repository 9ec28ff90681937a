//! Inspect: docker-inspect style facts of an image — its config and manifest — as JSON with
//! ibmcloud's field names; for a multi-platform image, those of one platform.

use std::sync::Arc;

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use super::{NotFound, Session};
use crate::client::Scope;
use crate::oci::digest::Digest;
use crate::oci::manifest::{Parsed, RawManifest};
use crate::oci::platform::Platform;
use crate::oci::reference::{ManifestRef, Reference};
use crate::store::Cached;

/// The facts of one image: the `-o json` object of image-inspect, and its `--format` row. The
/// config's own values are kept as the registry gave them (any JSON, null when absent).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Inspected {
    /// The config's digest, as docker's image ID.
    pub id: Digest,
    /// The digest of the manifest named (an index for a multi-platform image).
    pub digest: Digest,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    pub manifest_type: String,
    /// The digest of the image manifest described (a platform's, for an index).
    pub manifest_digest: Digest,
    pub platforms: Vec<String>,
    pub created: Value,
    pub author: Value,
    pub docker_version: Value,
    pub architecture: Value,
    pub os: Value,
    pub variant: Value,
    pub config: Value,
    #[serde(rename = "RootFS")]
    pub root_fs: Value,
    pub history: Value,
    /// Config and layers, compressed.
    pub size: u64,
    pub layers: Vec<Layer>,
}

/// One layer of an inspected image.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Layer {
    pub digest: Digest,
    pub size: u64,
    pub media_type: String,
}

/// The keys of an inspect object (`-o json`, and the fields of `--format`).
pub const FIELDS: &[&str] = &[
    "Id",
    "Digest",
    "RepoTags",
    "RepoDigests",
    "ManifestType",
    "ManifestDigest",
    "Platforms",
    "Created",
    "Author",
    "DockerVersion",
    "Architecture",
    "Os",
    "Variant",
    "Config",
    "RootFS",
    "History",
    "Size",
    "Layers",
];

/// The facts of each of `refs` (name as given, reference), in order; a failure goes to
/// `failed` as it happens, and the rest goes on.
pub async fn inspect_images(
    session: &Session,
    refs: &[(String, Reference)],
    platform: Option<&Platform>,
    failed: impl FnMut(&str, anyhow::Error),
) -> Vec<Inspected> {
    let op = |reg: Arc<Cached>, r: Reference| async move {
        inspect(&reg, &r, platform)
            .await
            .with_context(|| format!("cannot inspect {r}"))
    };
    let outcomes = super::multi::each(session, refs, op, failed).await;
    outcomes.into_iter().filter_map(Result::ok).collect()
}

/// The facts of `r` (for an index: of `platform`, else linux/amd64, else the first).
pub async fn inspect(
    reg: &Cached,
    r: &Reference,
    platform: Option<&Platform>,
) -> anyhow::Result<Inspected> {
    let scopes = [Scope::pull(&r.repository)];
    let top = match reg
        .get_manifest(&r.repository, &r.manifest_ref(), &scopes)
        .await
    {
        Ok(m) => m,
        Err(e) => return Err(super::explain_missing(reg, r, e).await),
    };
    let (image, platforms) = if top.is_index() {
        pick(reg, r, &top, platform, &scopes).await?
    } else {
        (top.clone(), Vec::new())
    };
    let parsed = image.parse()?;
    let Parsed::Image(m) = &parsed else {
        anyhow::bail!("{r}: nested index is not supported by image-inspect");
    };
    let config_digest = m.config.digest.clone();
    let cfg_bytes = reg
        .get_blob_bytes(&r.repository, &config_digest, 8 << 20, &scopes)
        .await?;
    let cfg: Value = serde_json::from_slice(&cfg_bytes).context("the image config is not JSON")?;
    // A single-platform image asked for with `--platform`: not found unless it is that
    // platform, as for pull.
    if let Some(want) = platform.filter(|_| !top.is_index()) {
        if !want.admits_config(&cfg) {
            return Err(NotFound {
                image: r.to_string(),
                message: format!(
                    "no manifest for platform {want} (it has: {} only)",
                    Platform::of_config(&cfg)
                ),
            }
            .into());
        }
    }
    let found = Found {
        top,
        image,
        platforms,
        config_digest,
    };
    Ok(facts(r, found, &parsed, &cfg))
}

/// The image manifest of an index for `platform` (else linux/amd64, else the first), with the
/// index's platforms.
async fn pick(
    reg: &Cached,
    r: &Reference,
    top: &RawManifest,
    platform: Option<&Platform>,
    scopes: &[Scope],
) -> anyhow::Result<(RawManifest, Vec<String>)> {
    let parsed = top.parse()?;
    let platforms: Vec<String> = parsed
        .children()
        .iter()
        .filter_map(|(_, p)| p.as_ref().map(|p| p.to_string()))
        .collect();
    let (d, _) = parsed
        .pick_platform(platform)
        .map(|(d, p)| (d.digest, p))
        .ok_or_else(|| NotFound {
            image: r.to_string(),
            message: format!(
                "no manifest for platform {} (it has: {})",
                platform.map(|p| p.to_string()).unwrap_or_default(),
                platforms.join(", ")
            ),
        })?;
    let image = reg
        .get_manifest(&r.repository, &ManifestRef::Digest(d), scopes)
        .await?;
    Ok((image, platforms))
}

/// What was read of an image: the manifest named, the image manifest described, the index's
/// platforms, the config's digest.
struct Found {
    top: RawManifest,
    image: RawManifest,
    platforms: Vec<String>,
    config_digest: Digest,
}

/// The facts of an image read, `parsed` being its image manifest and `cfg` its config.
fn facts(r: &Reference, f: Found, parsed: &Parsed, cfg: &Value) -> Inspected {
    let layers = parsed
        .blobs()
        .into_iter()
        .skip(1)
        .map(|d| Layer {
            digest: d.digest,
            size: d.size,
            media_type: d.media_type,
        })
        .collect();
    let field = |k: &str| cfg.get(k).cloned().unwrap_or(Value::Null);
    Inspected {
        id: f.config_digest,
        repo_tags: r
            .tag
            .iter()
            .map(|t| format!("{}:{t}", r.repo_name()))
            .collect(),
        repo_digests: vec![r.with_digest(&f.top.digest)],
        digest: f.top.digest,
        manifest_type: f.top.media_type,
        manifest_digest: f.image.digest,
        platforms: f.platforms,
        created: field("created"),
        author: field("author"),
        docker_version: field("docker_version"),
        architecture: field("architecture"),
        os: field("os"),
        variant: field("variant"),
        config: field("config"),
        root_fs: field("rootfs"),
        history: field("history"),
        size: parsed.image_size(),
        layers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_format_fields() {
        let v = Inspected {
            id: Digest::fake("sha256:c"),
            digest: Digest::fake("sha256:i"),
            repo_tags: vec!["h/r:1".into()],
            repo_digests: vec!["h/r@sha256:i".into()],
            manifest_type: "application/vnd.oci.image.index.v1+json".into(),
            manifest_digest: Digest::fake("sha256:m"),
            platforms: vec!["linux/amd64".into()],
            created: Value::Null,
            author: Value::Null,
            docker_version: Value::Null,
            architecture: "amd64".into(),
            os: "linux".into(),
            variant: Value::Null,
            config: serde_json::json!({"Labels": {"a": "b"}}),
            root_fs: Value::Null,
            history: Value::Null,
            size: 3,
            layers: vec![Layer {
                digest: Digest::fake("sha256:l"),
                size: 2,
                media_type: "t".into(),
            }],
        };
        let json = serde_json::to_value(&v).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, FIELDS);
        let layer: Vec<&str> = json["Layers"][0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(layer, ["Digest", "Size", "MediaType"]);
        assert_eq!(json["Config"]["Labels"]["a"], "b");
    }
}
