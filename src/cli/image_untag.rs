//! `cr image-untag IMAGE…`: remove only the tag; the digest and its other tags stay (the work is
//! `ops::untag`: tag deletion, else the placeholder trick; a tag left on a placeholder by an
//! interrupted untag is finished and said so).

use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use super::exit::{self, usage};
use super::multi;
use super::output::OutputArgs;
use crate::config::Settings;
use crate::ops::untag::{untag, Method};
use crate::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct ImageUntagArgs {
    /// Images to untag: [HOST/]REPO:TAG (a tag is required).
    #[arg(required = true)]
    pub images: Vec<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

pub async fn run(settings: Settings, a: ImageUntagArgs) -> anyhow::Result<ExitCode> {
    a.out
        .check(&["Image", "Digest", "Untagged", "Method", "Error"])?;
    // Every name is checked before any request.
    let mut refs = Vec::new();
    for name in &a.images {
        let r = Reference::parse(name, &settings.registry)?;
        if r.tag.is_none() || r.digest.is_some() {
            return Err(usage(
                format!("{name}: a tag is required to untag"),
                "tag required: REPO:TAG (to delete by digest use cr image-rm)",
            ));
        }
        refs.push((name.clone(), r));
    }
    let results = multi::each(&settings, &refs, |reg, r| async move {
        let tag = r.tag.clone().expect("checked above");
        untag(&reg, &r, &tag)
            .await
            .with_context(|| format!("cannot untag {r}"))
    })
    .await;
    let codes = multi::codes(&results);
    let results: Vec<serde_json::Value> = refs
        .iter()
        .zip(results)
        .map(|((_, r), res)| match res {
            Ok((digest, method)) => {
                json!({"Image": r.to_string(), "Digest": digest, "Untagged": true, "Method": method.to_string()})
            }
            Err(f) => json!({"Image": r.to_string(), "Untagged": false, "Error": f.message}),
        })
        .collect();
    super::output::print_results(&a.out, &results, |v| {
        let image = v["Image"].as_str().unwrap_or("");
        let digest = v["Digest"].as_str().unwrap_or("");
        (v["Untagged"] == true).then(|| {
            if v["Method"] == Method::FinishedInterrupted.to_string() {
                format!("Untagged {image}: finished an untag that was interrupted (the tag was on placeholder {digest})")
            } else {
                format!("Untagged {image} (was {digest})")
            }
        })
    })?;
    exit::summarize(&codes, a.images.len())
}
