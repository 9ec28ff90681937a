//! `cr image-list` (one row per tag) and `cr image-digests` (one row per digest with its tags).

use std::collections::{BTreeMap, HashSet};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use serde_json::{json, Value};

use super::exit;
use super::output::{emit_line, human_size, print_rows, relative_time, OutputArgs};
use crate::config::Settings;
use crate::image::{digest, media, placeholder};
use crate::inventory::{Depth, Inventory, TaggedImage};
use crate::reference::ManifestRef;
use crate::registry::{Registry, Scope};

#[derive(Debug, clap::Args)]
pub struct ImageListArgs {
    /// Only images in this namespace or repository (NS or NS/REPO).
    #[arg(long, value_name = "NS[/REPO]")]
    pub restrict: Option<String>,
    /// Print only names: REPOSITORY:TAG (image-list) or REPOSITORY@DIGEST (image-digests).
    #[arg(short, long, conflicts_with_all = ["output", "format"])]
    pub quiet: bool,
    /// Show full digests and every tag (image-digests shows five and a count otherwise).
    #[arg(long)]
    pub no_trunc: bool,
    /// Add a Type column (OCI, OCI index, Docker v2, Docker list).
    #[arg(long)]
    pub show_type: bool,
    /// Also list referrer tags: `sha256-<hex>` fallback indexes and cosign `.sig`/`.att`/`.sbom`
    /// tags (signatures, SBOMs, attestations belong to their image and are hidden otherwise).
    #[arg(long)]
    pub all_tags: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

fn base_row(host: &str, i: &TaggedImage) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("Repository".into(), json!(format!("{host}/{}", i.repo)));
    m.insert("Digest".into(), json!(i.digest));
    m.insert(
        "Namespace".into(),
        json!(i.repo.split('/').next().unwrap_or("")),
    );
    m.insert(
        "Created".into(),
        json!(i.info.as_ref().and_then(|f| f.created)),
    );
    m.insert("Size".into(), json!(i.info.as_ref().map(|f| f.size)));
    m.insert("ManifestType".into(), json!(i.media_type));
    m
}

/// What the output needs fetched: names for `-q` (digests for image-digests), what the
/// `--format` template reads, everything for a table or JSON.
pub fn depth_for(a: &ImageListArgs, by_digest: bool) -> Depth {
    let least = if by_digest {
        Depth::Digests
    } else {
        Depth::Names
    };
    if a.quiet {
        return least;
    }
    let Some(fields) = a
        .out
        .format
        .as_deref()
        .and_then(super::template::fields_used)
    else {
        // A table, JSON, or a template that reads the whole row.
        return Depth::Full;
    };
    let needs = |names: &[&str]| fields.iter().any(|f| names.contains(&f.as_str()));
    if needs(&["Created", "Size"]) {
        Depth::Full
    } else if needs(&["Digest", "ManifestType", "Tags"]) {
        Depth::Digests
    } else {
        least
    }
}

/// Rows of `image-list`: keys are the `--format` field names.
pub fn list_rows(host: &str, images: &[TaggedImage]) -> Vec<Value> {
    images
        .iter()
        .map(|i| {
            let mut m = base_row(host, i);
            m.insert("Tag".into(), json!(i.tag));
            let mut ordered = serde_json::Map::new();
            for k in [
                "Repository",
                "Tag",
                "Digest",
                "Namespace",
                "Created",
                "Size",
                "ManifestType",
            ] {
                ordered.insert(k.into(), m.remove(k).unwrap_or(Value::Null));
            }
            Value::Object(ordered)
        })
        .collect()
}

/// Rows of `image-digests`: one per (repository, digest), with Tags.
pub fn digest_rows(host: &str, images: &[TaggedImage]) -> Vec<Value> {
    let mut groups: BTreeMap<(String, String), (Vec<String>, &TaggedImage)> = BTreeMap::new();
    for i in images {
        let Some(d) = &i.digest else { continue };
        groups
            .entry((i.repo.clone(), d.clone()))
            .or_insert_with(|| (Vec::new(), i))
            .0
            .push(i.tag.clone());
    }
    groups
        .into_values()
        .map(|(mut tags, i)| {
            tags.sort_by(|a, b| crate::reference::natural_order(a, b));
            let mut m = base_row(host, i);
            let mut ordered = serde_json::Map::new();
            ordered.insert(
                "Repository".into(),
                m.remove("Repository").unwrap_or_default(),
            );
            ordered.insert("Digest".into(), m.remove("Digest").unwrap_or_default());
            ordered.insert("Tags".into(), json!(tags));
            for (k, v) in m {
                ordered.insert(k, v);
            }
            Value::Object(ordered)
        })
        .collect()
}

/// The Digest cell of a tag left on a placeholder by an untag that was cut off.
const PLACEHOLDER_CELL: &str = "(placeholder: untag interrupted)";

/// The digests (of those listed with their facts) that are cr placeholders: a placeholder is
/// under a kilobyte, so only images that small are looked at (manifest and config, each once).
async fn placeholders(reg: &Registry, images: &[TaggedImage]) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut found = HashSet::new();
    for i in images {
        let (Some(d), Some(info)) = (&i.digest, &i.info) else {
            continue;
        };
        if info.size > 2 * placeholder::MAX_CONFIG as u64 || !seen.insert(d.clone()) {
            continue;
        }
        let scopes = [Scope::pull(&i.repo)];
        let Ok(m) = reg
            .get_manifest(&i.repo, &ManifestRef::digest(d), &scopes)
            .await
        else {
            continue;
        };
        if crate::ops::untag::is_placeholder(reg, &i.repo, &m, &scopes).await {
            found.insert(d.clone());
        }
    }
    found
}

/// How many tags a Tags cell shows before `… +N` (all with `--no-trunc`).
const TAGS_SHOWN: usize = 5;

/// `t1, t2, t3, t4, t5, … +1995`, or every tag with `--no-trunc`.
fn tags_cell(tags: &[&str], no_trunc: bool) -> String {
    if no_trunc || tags.len() <= TAGS_SHOWN {
        return tags.join(", ");
    }
    format!(
        "{}, … +{}",
        tags[..TAGS_SHOWN].join(", "),
        tags.len() - TAGS_SHOWN
    )
}

pub async fn run(
    settings: Settings,
    a: ImageListArgs,
    by_digest: bool,
) -> anyhow::Result<ExitCode> {
    let mut fields = vec!["Repository", "Digest", "Namespace", "Created", "Size"];
    fields.extend(["ManifestType", if by_digest { "Tags" } else { "Tag" }]);
    a.out.check(&fields)?;
    let reg = Arc::new(Registry::connect(&settings.registry_options(), &settings.registry).await?);
    let mut inv = Inventory::new(reg.clone());
    if !a.all_tags {
        inv = inv.skipping(crate::ops::referrers::is_referrer_tag);
    }
    let restrict = a
        .restrict
        .as_deref()
        .map(|r| r.trim_start_matches(&format!("{}/", reg.name)).to_string());
    let repos = inv.repositories(restrict.as_deref()).await;
    let repos = match repos {
        Ok(r) => r,
        Err(e) => return Err(super::namespace_list::catalog_error(&reg, e, "images").await),
    };
    if repos.is_empty() {
        if let Some(r) = &restrict {
            eprintln!("note: no repository on {} matches --restrict {r}", reg.name);
        }
    }
    let (images, problems) = inv.tagged_images(&repos, depth_for(&a, by_digest)).await;
    let placeholders = placeholders(&reg, &images).await;
    let host = reg.name.as_str();
    let rows = if by_digest {
        digest_rows(host, &images)
    } else {
        list_rows(host, &images)
    };
    let now = jiff::Timestamp::now().as_second();
    if a.quiet {
        for r in &rows {
            let name = r["Repository"].as_str().unwrap_or("");
            if by_digest {
                emit_line(&format!("{name}@{}", r["Digest"].as_str().unwrap_or("")));
            } else {
                emit_line(&format!("{name}:{}", r["Tag"].as_str().unwrap_or("")));
            }
        }
    } else {
        let mut header = vec![
            "Repository",
            if by_digest { "Tags" } else { "Tag" },
            "Digest",
            "Namespace",
            "Created",
            "Size",
        ];
        if a.show_type {
            header.push("Type");
        }
        print_rows(&a.out, &rows, &header, |r| {
            let d = r["Digest"].as_str().unwrap_or("");
            let mut cells = vec![
                r["Repository"].as_str().unwrap_or("").to_string(),
                if by_digest {
                    let tags: Vec<&str> = r["Tags"]
                        .as_array()
                        .map(|t| t.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    tags_cell(&tags, a.no_trunc)
                } else {
                    r["Tag"].as_str().unwrap_or("").to_string()
                },
                if placeholders.contains(d) {
                    PLACEHOLDER_CELL.to_string()
                } else if a.no_trunc {
                    d.to_string()
                } else {
                    digest::short(d).to_string()
                },
                r["Namespace"].as_str().unwrap_or("").to_string(),
                relative_time(r["Created"].as_i64(), now),
                human_size(r["Size"].as_u64().unwrap_or(0)),
            ];
            if a.show_type {
                cells.push(media::short_name(r["ManifestType"].as_str().unwrap_or("")).to_string());
            }
            cells
        })
        .context("printing images")?;
    }
    if problems.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let mut codes = Vec::new();
    for p in problems {
        codes.push(exit::report("listing", &anyhow::Error::new(p)));
    }
    let total = codes.len() + images.len();
    exit::summarize(&codes, total.max(codes.len() + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_tag_cells_are_cut() {
        let tags: Vec<String> = (1..=2000).map(|i| format!("t{i}")).collect();
        let refs: Vec<&str> = tags.iter().map(String::as_str).collect();
        assert_eq!(tags_cell(&refs, false), "t1, t2, t3, t4, t5, … +1995");
        assert_eq!(tags_cell(&refs, true).matches(", ").count(), 1999);
        assert_eq!(tags_cell(&refs[..3], false), "t1, t2, t3");
    }
}
