//! `cr image-untag IMAGE…`: remove only the tag; the digest and its other tags stay. Tag
//! deletion first; on registries without it (distribution 2.x: 400/405) a unique placeholder is
//! pushed to the tag and deleted by digest. If deletion is refused, the tag is restored.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use super::exit::{self, usage};
use super::output::OutputArgs;
use crate::config::Settings;
use crate::image::{media, placeholder};
use crate::reference::Reference;
use crate::registry::{Kind, Registry, RegistryError, Scope};

#[derive(Debug, clap::Args)]
pub struct ImageUntagArgs {
    /// Images to untag: [HOST/]REPO:TAG (a tag is required).
    #[arg(required = true)]
    pub images: Vec<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Whether a failed tag DELETE means "not supported here, use the placeholder".
fn unsupported(e: &RegistryError) -> bool {
    matches!(e.status(), Some(400) | Some(405))
        || e.has_code(crate::registry::Code::Unsupported)
        || e.has_code(crate::registry::Code::DigestInvalid)
}

async fn untag(reg: &Registry, r: &Reference, tag: &str) -> anyhow::Result<(String, &'static str)> {
    let repo = &r.repository;
    let scopes = [Scope::push_delete(repo)];
    let original = reg.get_manifest(repo, tag, &scopes).await?;
    match reg.delete_manifest(repo, tag, &scopes).await {
        Ok(()) => return Ok((original.digest, "tag deletion")),
        Err(e) if unsupported(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let p = placeholder::build(&r.to_string(), media::is_docker(&original.media_type));
    reg.upload_bytes(repo, p.config.clone(), &scopes).await?;
    reg.upload_bytes(repo, p.layer.clone(), &scopes).await?;
    reg.put_manifest(repo, tag, &p.manifest, &scopes).await?;
    if let Err(e) = reg.delete_manifest(repo, &p.manifest.digest, &scopes).await {
        // Never leave the tag on the placeholder: put the original back.
        let restored = reg.put_manifest(repo, tag, &original, &scopes).await;
        let state = if restored.is_ok() {
            "the tag was left unchanged"
        } else {
            "restoring the tag failed too"
        };
        let why = if e.kind() == Kind::Unsupported {
            "the registry refuses manifest deletion (deletion disabled)"
        } else {
            "deleting the placeholder failed"
        };
        return Err(anyhow::Error::new(e).context(format!("{why}; {state}")));
    }
    Ok((original.digest, "placeholder"))
}

pub async fn run(settings: Settings, a: ImageUntagArgs) -> anyhow::Result<ExitCode> {
    // Every name is checked before any request.
    let mut refs = Vec::new();
    for name in &a.images {
        let r = Reference::parse(name, &settings.registry)?;
        let Some(tag) = r.tag.clone().filter(|_| r.digest.is_none()) else {
            return Err(usage(
                format!("{name}: a tag is required to untag"),
                "tag required: REPO:TAG (to delete by digest use cr image-rm)",
            ));
        };
        refs.push((name, r, tag));
    }
    let mut codes = Vec::new();
    let mut results = Vec::new();
    for (name, r, tag) in refs {
        let res = async {
            let reg = Registry::connect(&settings, &r.registry).await?;
            untag(&reg, &r, &tag)
                .await
                .with_context(|| format!("cannot untag {r}"))
        }
        .await;
        match res {
            Ok((digest, method)) => {
                eprintln!("untagged {r} ({method})");
                results.push(json!({"Image": r.to_string(), "Digest": digest, "Untagged": true}));
            }
            Err(e) => {
                codes.push(exit::report(name, &e));
                results.push(
                    json!({"Image": r.to_string(), "Untagged": false, "Error": format!("{e:#}")}),
                );
            }
        }
    }
    super::output::print_results(&a.out, &results, |v| {
        (v["Untagged"] == true).then(|| {
            format!(
                "Untagged {} (was {})",
                v["Image"].as_str().unwrap_or(""),
                v["Digest"].as_str().unwrap_or("")
            )
        })
    })?;
    exit::summarize(&codes, a.images.len())
}
