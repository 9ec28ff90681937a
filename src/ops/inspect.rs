//! Inspect: docker-inspect style facts of an image — its config and manifest — as JSON with
//! ibmcloud's field names; for a multi-platform image, those of one platform.

use anyhow::Context;
use serde_json::{json, Value};

use super::NotFound;
use crate::image::manifest::{Parsed, RawManifest};
use crate::image::platform::Platform;
use crate::reference::{ManifestRef, Reference};
use crate::registry::{Registry, Scope};

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

/// The facts of `r` (for an index: of `platform`, else linux/amd64, else the first).
pub async fn inspect(
    reg: &Registry,
    r: &Reference,
    platform: Option<&Platform>,
) -> anyhow::Result<Value> {
    let scopes = [Scope::pull(&r.repository)];
    let top = match reg
        .get_manifest(&r.repository, &r.manifest_ref(), &scopes)
        .await
    {
        Ok(m) => m,
        Err(e) => return Err(super::explain_missing(reg, r, e).await),
    };
    let (image, platforms): (RawManifest, Vec<String>) = if top.is_index() {
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
        (
            reg.get_manifest(&r.repository, &ManifestRef::Digest(d), &scopes)
                .await?,
            platforms,
        )
    } else {
        (top.clone(), Vec::new())
    };
    let parsed = image.parse()?;
    let Parsed::Image(m) = &parsed else {
        anyhow::bail!("{r}: nested index is not supported by image-inspect");
    };
    let config_digest = m.config().digest().to_string();
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
    let layers: Vec<Value> = parsed
        .blobs()
        .iter()
        .skip(1)
        .map(|d| json!({"Digest": d.digest, "Size": d.size, "MediaType": d.media_type}))
        .collect();
    Ok(json!({
        "Id": config_digest,
        "Digest": top.digest,
        "RepoTags": r.tag.iter().map(|t| format!("{}:{t}", r.repo_name())).collect::<Vec<_>>(),
        "RepoDigests": [r.with_digest(&top.digest)],
        "ManifestType": top.media_type,
        "ManifestDigest": image.digest,
        "Platforms": platforms,
        "Created": cfg.get("created").cloned().unwrap_or(Value::Null),
        "Author": cfg.get("author").cloned().unwrap_or(Value::Null),
        "DockerVersion": cfg.get("docker_version").cloned().unwrap_or(Value::Null),
        "Architecture": cfg.get("architecture").cloned().unwrap_or(Value::Null),
        "Os": cfg.get("os").cloned().unwrap_or(Value::Null),
        "Variant": cfg.get("variant").cloned().unwrap_or(Value::Null),
        "Config": cfg.get("config").cloned().unwrap_or(Value::Null),
        "RootFS": cfg.get("rootfs").cloned().unwrap_or(Value::Null),
        "History": cfg.get("history").cloned().unwrap_or(Value::Null),
        "Size": parsed.image_size(),
        "Layers": layers,
    }))
}
