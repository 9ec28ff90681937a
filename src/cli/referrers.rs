//! `cr referrers IMAGE`: what refers to an image (signatures, SBOMs, attestations), found
//! through the referrers API, the fallback tag schema and cosign's tags, recursively; like
//! `oras discover`.

use std::collections::HashSet;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;

use super::output::{print_rows, OutputArgs};
use crate::config::Settings;
use crate::image::digest;
use crate::ops::referrers;
use crate::reference::Reference;
use crate::registry::{Registry, Scope};

#[derive(Debug, clap::Args)]
pub struct ReferrersArgs {
    /// The image: [HOST/]REPO[:TAG|@DIGEST].
    pub image: String,
    /// Only referrers of this artifact type (e.g. application/spdx+json).
    #[arg(long, value_name = "TYPE")]
    pub artifact_type: Option<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

pub async fn run(settings: Settings, a: ReferrersArgs) -> anyhow::Result<ExitCode> {
    a.out.check(&[
        "Subject",
        "Digest",
        "MediaType",
        "ArtifactType",
        "Size",
        "Annotations",
        "FoundBy",
        "Tag",
    ])?;
    let r = Reference::parse(&a.image, &settings.registry)?;
    let reg = Registry::connect(&settings.registry_options(), &r.registry).await?;
    let repo = &r.repository;
    let scopes = [Scope::pull(repo)];
    let subject = match reg.get_manifest(repo, &r.manifest_ref(), &scopes).await {
        Ok(m) => m.digest,
        Err(e) => {
            let e = crate::ops::explain_missing(&reg, &r, e).await;
            return Err(e.context(format!("cannot list the referrers of {r}")));
        }
    };
    let tags: HashSet<String> = reg
        .tags(repo)
        .await
        .with_context(|| format!("cannot list the tags of {}", r.repo_name()))?
        .into_iter()
        .collect();
    let roots = referrers::subjects(&reg, repo, &subject).await;
    let mut found = referrers::all(&reg, repo, roots, Some(&tags))
        .await
        .with_context(|| format!("cannot list the referrers of {r}"))?;
    if let Some(t) = &a.artifact_type {
        found.retain(|x| &x.artifact_type == t);
    }
    let rows: Vec<Value> = found
        .iter()
        .map(|x| serde_json::to_value(x).expect("JSON"))
        .collect();
    print_rows(
        &a.out,
        &rows,
        &["Digest", "ArtifactType", "Size", "Subject", "Annotations"],
        |v| {
            let ann = v["Annotations"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(&v.to_string())))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            vec![
                digest::short(v["Digest"].as_str().unwrap_or("")).to_string(),
                v["ArtifactType"].as_str().unwrap_or("").to_string(),
                v["Size"].to_string(),
                digest::short(v["Subject"].as_str().unwrap_or("")).to_string(),
                ann,
            ]
        },
    )
    .context("printing referrers")?;
    Ok(ExitCode::SUCCESS)
}
