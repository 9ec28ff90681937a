//! `cr image-list` (one row per tag) and `cr image-digests` (one row per digest with its tags).

use std::process::ExitCode;

use anyhow::Context;

use super::exit;
use super::output::{emit_line, human_size, print_rows, relative_time, OutputArgs};
use crate::app::images::{self, digest_rows, list_rows, DigestRow, ListRequest, Listing, TagRow};
use crate::app::walk::Depth;
use crate::app::Session;
use crate::config::Settings;
use crate::oci::{digest, media};

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

/// What the output needs fetched (the fields a `--format` template reads).
fn depth_for(a: &ImageListArgs, by_digest: bool) -> Depth {
    let fields = a
        .out
        .format
        .as_deref()
        .and_then(super::template::fields_used);
    images::depth(by_digest, a.quiet, fields.as_deref())
}

/// The Digest cell of a tag left on a placeholder by an untag that was cut off.
const PLACEHOLDER_CELL: &str = "(placeholder: untag interrupted)";

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
    let req = ListRequest {
        restrict: a.restrict.clone(),
        all_tags: a.all_tags,
        depth: depth_for(&a, by_digest),
    };
    let listing = images::list(&Session::new(&settings), &settings.registry, &req).await?;
    print(&a, by_digest, &listing).context("printing images")?;
    let codes: Vec<u8> = (listing.problems.into_iter())
        .map(|p| exit::report("listing", &anyhow::Error::new(p)))
        .collect();
    let total = codes.len() + listing.images.len();
    exit::summarize(&codes, total.max(codes.len() + 1))
}

/// Names (`-q`), or the rows as a table, JSON or through `--format`.
fn print(a: &ImageListArgs, by_digest: bool, l: &Listing) -> anyhow::Result<()> {
    let (host, images) = (l.host.as_str(), &l.images);
    match (a.quiet, by_digest) {
        (true, true) => digest_rows(host, images)
            .iter()
            .for_each(|r| emit_line(&format!("{}@{}", r.repository, r.digest))),
        (true, false) => list_rows(host, images)
            .iter()
            .for_each(|r| emit_line(&format!("{}:{}", r.repository, r.tag))),
        (false, true) => print_rows(
            &a.out,
            &digest_rows(host, images),
            &header(a, "Tags"),
            |r| {
                let tags: Vec<&str> = r.tags.iter().map(String::as_str).collect();
                let first = [r.repository.clone(), tags_cell(&tags, a.no_trunc)];
                let f = (r.namespace.as_str(), r.created, r.size, &r.manifest_type);
                cells(a, l, first, &r.digest, f)
            },
        )?,
        (false, false) => print_rows(&a.out, &list_rows(host, images), &header(a, "Tag"), |r| {
            let first = [r.repository.clone(), r.tag.clone()];
            let f = (r.namespace.as_str(), r.created, r.size, &r.manifest_type);
            cells(a, l, first, r.digest.as_deref().unwrap_or(""), f)
        })?,
    }
    Ok(())
}

fn header(a: &ImageListArgs, tags: &'static str) -> Vec<&'static str> {
    let mut header = vec!["Repository", tags, "Digest", "Namespace", "Created", "Size"];
    if a.show_type {
        header.push("Type");
    }
    header
}

/// A row's cells: its first two (name, tags), then the facts both commands show (namespace,
/// created, size, manifest type).
fn cells(
    a: &ImageListArgs,
    l: &Listing,
    first: [String; 2],
    d: &str,
    (ns, created, size, mt): (&str, Option<i64>, Option<u64>, &Option<String>),
) -> Vec<String> {
    let digest = if l.placeholders.contains(d) {
        PLACEHOLDER_CELL.to_string()
    } else if a.no_trunc {
        d.to_string()
    } else {
        digest::short(d).to_string()
    };
    let now = jiff::Timestamp::now().as_second();
    let mut cells = Vec::from(first);
    cells.extend([
        digest,
        ns.to_string(),
        relative_time(created, now),
        human_size(size.unwrap_or(0)),
    ]);
    if a.show_type {
        cells.push(media::short_name(mt.as_deref().unwrap_or("")).to_string());
    }
    cells
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
        use crate::app::walk::{ImageInfo, TaggedImage};
        use crate::cli::output::{keys_of, to_json};
        let i = TaggedImage {
            repo: "ns/app".into(),
            tag: "v1".parse().unwrap(),
            digest: Some(crate::oci::digest::Digest::fake(&format!(
                "sha256:{}",
                "a".repeat(64)
            ))),
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
        let json = to_json(&digests, false);
        let want = format!(
            r#"[{{"Repository":"h:5000/ns/app","Digest":"sha256:{}","Tags":["v1"],"Namespace":"ns","Created":7,"Size":42,"ManifestType":"{}"}}]"#,
            "a".repeat(64),
            media::OCI_MANIFEST
        );
        assert_eq!(json, want);
    }
}
