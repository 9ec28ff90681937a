//! `cr image-rm IMAGE…`: delete a manifest by digest (no tag means `:latest`), which removes
//! every tag on it in that repository; say which tags went with it. Copies in other
//! repositories stay. `--dry-run` only says what would go.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use super::exit::{self, usage};
use super::multi;
use super::output::OutputArgs;
use crate::config::Settings;
use crate::ops::remove::remove;
use crate::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct ImageRmArgs {
    /// Images to delete: [HOST/]REPO[:TAG] or [HOST/]REPO@DIGEST.
    #[arg(required = true)]
    pub images: Vec<String>,
    /// Say what would be deleted, delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

pub async fn run(settings: Settings, a: ImageRmArgs) -> anyhow::Result<ExitCode> {
    a.out.check(&["Image", "Digest", "Tags", "Deleted"])?;
    let mut refs = Vec::new();
    for name in &a.images {
        let mut r = Reference::parse(name, &settings.registry)?;
        if r.tag.is_none() && r.digest.is_none() {
            r.tag = Some("latest".into());
        }
        refs.push((name.clone(), r));
    }
    if refs.is_empty() {
        return Err(usage("no image given", "cr image-rm REPO:TAG"));
    }
    let dry_run = a.dry_run;
    let results = multi::each(&settings, &refs, |reg, r| async move {
        let removed = remove(&reg, &r, dry_run)
            .await
            .with_context(|| format!("cannot remove {r}"))?;
        Ok(json!({"Image": r.to_string(), "Digest": removed.digest, "Tags": removed.tags, "Deleted": !dry_run}))
    })
    .await;
    let codes = multi::codes(&results);
    let results: Vec<serde_json::Value> = results.into_iter().filter_map(Result::ok).collect();
    super::output::print_results(&a.out, &results, |v| {
        let tags: Vec<&str> = v["Tags"]
            .as_array()
            .map(|t| t.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        let verb = if a.dry_run { "Would delete" } else { "Deleted" };
        let image = v["Image"].as_str().unwrap_or("");
        let repo = image.split('@').next().unwrap_or(image);
        let repo = repo
            .rsplit_once(':')
            .filter(|(_, t)| !t.contains('/'))
            .map(|(b, _)| b)
            .unwrap_or(repo);
        let tags = if tags.is_empty() {
            "none".to_string()
        } else {
            tags.join(", ")
        };
        Some(format!(
            "{verb} {repo}@{} (tags: {tags})",
            v["Digest"].as_str().unwrap_or("")
        ))
    })?;
    exit::summarize(&codes, a.images.len())
}
