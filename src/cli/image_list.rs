//! `cr image-list` (one row per tag) and `cr image-digests` (one row per digest with its tags).

use std::collections::{BTreeMap, HashSet};
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::exit;
use super::output::{emit_line, human_size, print_rows, relative_time, OutputArgs};
use crate::app::walk::{Depth, Inventory, TaggedImage};
use crate::app::Session;
use crate::client::Scope;
use crate::config::Settings;
use crate::oci::digest::Digest;
use crate::oci::reference::ManifestRef;
use crate::oci::{digest, media, placeholder};
use crate::store::Cached;

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

/// An `image-list` row, one per tag: its keys are the `-o json` keys and `--format` fields.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagRow {
    pub repository: String,
    pub tag: String,
    pub digest: Option<Digest>,
    pub namespace: String,
    pub created: Option<i64>,
    pub size: Option<u64>,
    pub manifest_type: Option<String>,
}

impl TagRow {
    /// The keys of a row, in order.
    pub const FIELDS: &[&str] = &[
        "Repository",
        "Tag",
        "Digest",
        "Namespace",
        "Created",
        "Size",
        "ManifestType",
    ];
}

/// An `image-digests` row, one per (repository, digest) with its tags.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DigestRow {
    pub repository: String,
    pub digest: Digest,
    pub tags: Vec<String>,
    pub namespace: String,
    pub created: Option<i64>,
    pub size: Option<u64>,
    pub manifest_type: Option<String>,
}

impl DigestRow {
    /// The keys of a row, in order.
    pub const FIELDS: &[&str] = &[
        "Repository",
        "Digest",
        "Tags",
        "Namespace",
        "Created",
        "Size",
        "ManifestType",
    ];
}

fn namespace(i: &TaggedImage) -> String {
    i.repo.split('/').next().unwrap_or("").to_string()
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

/// Rows of `image-list`.
pub fn list_rows(host: &str, images: &[TaggedImage]) -> Vec<TagRow> {
    images
        .iter()
        .map(|i| TagRow {
            repository: format!("{host}/{}", i.repo),
            tag: i.tag.clone(),
            digest: i.digest.clone(),
            namespace: namespace(i),
            created: i.info.as_ref().and_then(|f| f.created),
            size: i.info.as_ref().map(|f| f.size),
            manifest_type: i.media_type.clone(),
        })
        .collect()
}

/// Rows of `image-digests`: one per (repository, digest), with Tags.
pub fn digest_rows(host: &str, images: &[TaggedImage]) -> Vec<DigestRow> {
    let mut groups: BTreeMap<(String, Digest), (Vec<String>, &TaggedImage)> = BTreeMap::new();
    for i in images {
        let Some(d) = &i.digest else { continue };
        groups
            .entry((i.repo.clone(), d.clone()))
            .or_insert_with(|| (Vec::new(), i))
            .0
            .push(i.tag.clone());
    }
    groups
        .into_iter()
        .map(|((repo, digest), (mut tags, i))| {
            tags.sort_by(|a, b| crate::oci::reference::natural_order(a, b));
            DigestRow {
                repository: format!("{host}/{repo}"),
                digest,
                tags,
                namespace: namespace(i),
                created: i.info.as_ref().and_then(|f| f.created),
                size: i.info.as_ref().map(|f| f.size),
                manifest_type: i.media_type.clone(),
            }
        })
        .collect()
}

/// The Digest cell of a tag left on a placeholder by an untag that was cut off.
const PLACEHOLDER_CELL: &str = "(placeholder: untag interrupted)";

/// The digests (of those listed with their facts) that are cr placeholders: a placeholder is
/// under a kilobyte, so only images that small are looked at (manifest and config, each once).
async fn placeholders(reg: &Cached, images: &[TaggedImage]) -> HashSet<Digest> {
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
        if crate::app::untag::is_placeholder(reg, &i.repo, &m, &scopes).await {
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
    a.out.check(if by_digest {
        DigestRow::FIELDS
    } else {
        TagRow::FIELDS
    })?;
    let reg = Session::new(&settings).get(&settings.registry).await?;
    let mut inv = Inventory::new(reg.clone());
    if !a.all_tags {
        inv = inv.skipping(crate::app::referrers::is_referrer_tag);
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
    if a.quiet {
        if by_digest {
            for r in digest_rows(host, &images) {
                emit_line(&format!("{}@{}", r.repository, r.digest));
            }
        } else {
            for r in list_rows(host, &images) {
                emit_line(&format!("{}:{}", r.repository, r.tag));
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
        let now = jiff::Timestamp::now().as_second();
        // The cells after the first two (name and tags), the same for both commands.
        let facts = |d: &str, ns: &str, created, size: Option<u64>, mt: &Option<String>| {
            let mut cells = vec![
                if placeholders.contains(d) {
                    PLACEHOLDER_CELL.to_string()
                } else if a.no_trunc {
                    d.to_string()
                } else {
                    digest::short(d).to_string()
                },
                ns.to_string(),
                relative_time(created, now),
                human_size(size.unwrap_or(0)),
            ];
            if a.show_type {
                cells.push(media::short_name(mt.as_deref().unwrap_or("")).to_string());
            }
            cells
        };
        if by_digest {
            print_rows(&a.out, &digest_rows(host, &images), &header, |r| {
                let tags: Vec<&str> = r.tags.iter().map(String::as_str).collect();
                let mut cells = vec![r.repository.clone(), tags_cell(&tags, a.no_trunc)];
                cells.extend(facts(
                    &r.digest,
                    &r.namespace,
                    r.created,
                    r.size,
                    &r.manifest_type,
                ));
                cells
            })
        } else {
            print_rows(&a.out, &list_rows(host, &images), &header, |r| {
                let mut cells = vec![r.repository.clone(), r.tag.clone()];
                cells.extend(facts(
                    r.digest.as_deref().unwrap_or(""),
                    &r.namespace,
                    r.created,
                    r.size,
                    &r.manifest_type,
                ));
                cells
            })
        }
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

    #[test]
    fn row_keys_are_the_format_fields() {
        use crate::app::walk::ImageInfo;
        use crate::cli::output::keys_of;
        let i = TaggedImage {
            repo: "ns/app".into(),
            tag: "v1".into(),
            digest: Some(Digest::fake(&format!("sha256:{}", "a".repeat(64)))),
            media_type: Some(media::OCI_MANIFEST.into()),
            info: Some(ImageInfo {
                media_type: media::OCI_MANIFEST.into(),
                size: 42,
                created: Some(7),
                children: Vec::new(),
            }),
        };
        let list = list_rows("h:5000", std::slice::from_ref(&i));
        assert_eq!(keys_of(&list[0]), TagRow::FIELDS);
        let digests = digest_rows("h:5000", &[i]);
        assert_eq!(keys_of(&digests[0]), DigestRow::FIELDS);
        let json = crate::cli::output::to_json(&digests, false);
        let want = format!(
            r#"[{{"Repository":"h:5000/ns/app","Digest":"sha256:{}","Tags":["v1"],"Namespace":"ns","Created":7,"Size":42,"ManifestType":"{}"}}]"#,
            "a".repeat(64),
            media::OCI_MANIFEST
        );
        assert_eq!(json, want);
    }
}
