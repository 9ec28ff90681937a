//! `cr image-inspect IMAGE…`: docker-inspect style JSON of each image's config and manifest.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::{json, Value};

use super::exit;
use super::output::{emit, emit_json, render};
use crate::config::Settings;
use crate::image::manifest::{Parsed, RawManifest};
use crate::image::platform::Platform;
use crate::reference::Reference;
use crate::registry::{Registry, Scope};

#[derive(Debug, clap::Args)]
pub struct ImageInspectArgs {
    /// Images: REPO[:TAG] or REPO@DIGEST.
    #[arg(required = true)]
    pub images: Vec<String>,
    /// For a multi-platform image, the platform to describe (default linux/amd64, else the first).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<Platform>,
    /// Go template applied to each image, e.g. '{{ .Id }}'.
    #[arg(long, value_name = "TEMPLATE")]
    pub format: Option<String>,
}

async fn inspect(
    reg: &Registry,
    r: &Reference,
    platform: Option<&Platform>,
) -> anyhow::Result<Value> {
    let scopes = [Scope::pull(&r.repository)];
    let top = reg
        .get_manifest(&r.repository, r.manifest_ref(), &scopes)
        .await?;
    let (image, platforms): (RawManifest, Vec<String>) = if top.is_index() {
        let parsed = top.parse()?;
        let platforms = parsed
            .children()
            .iter()
            .filter_map(|(_, p)| p.as_ref().map(|p| p.to_string()))
            .collect();
        let (d, _) = parsed
            .pick_platform(platform)
            .map(|(d, p)| (d.digest, p))
            .ok_or_else(|| {
                exit::usage(
                    format!(
                        "{r} has no manifest for platform {}",
                        platform.map(|p| p.to_string()).unwrap_or_default()
                    ),
                    "see the platforms with `cr manifest-inspect`",
                )
            })?;
        (
            reg.get_manifest(&r.repository, &d, &scopes).await?,
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

pub async fn run(settings: Settings, a: ImageInspectArgs) -> anyhow::Result<ExitCode> {
    let mut out = Vec::new();
    let mut codes = Vec::new();
    for name in &a.images {
        let res = async {
            let r = Reference::parse(name, &settings.registry)?;
            let reg = Registry::connect(&settings, &r.registry).await?;
            inspect(&reg, &r, a.platform.as_ref())
                .await
                .with_context(|| format!("cannot inspect {r}"))
        }
        .await;
        match res {
            Ok(v) => out.push(v),
            Err(e) => codes.push(exit::report(name, &e)),
        }
    }
    if let Some(t) = &a.format {
        let mut s = String::new();
        for v in &out {
            s.push_str(&render(t, v)?);
            s.push('\n');
        }
        emit(&s);
    } else if !out.is_empty() || codes.is_empty() {
        emit_json(&out);
    }
    exit::summarize(&codes, a.images.len())
}
