//! `cr image-list` (one row per tag) and `cr image-digests` (one row per digest with its tags).

use std::process::ExitCode;

use anyhow::Context;

use super::exit;
use super::output::{emit_line, print_rows, OutputArgs};
use crate::app::images::{self, digest_rows, list_rows, DigestRow, ListRequest, Listing, TagRow};
use crate::app::walk::Depth;
use crate::app::Session;
use crate::config::Settings;
use table::{cells, header, tags_cell};

mod table;

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
    // One moment for every row's relative time.
    let now = jiff::Timestamp::now().as_second();
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
                cells(a, l, now, first, &r.digest, f)
            },
        )?,
        (false, false) => print_rows(&a.out, &list_rows(host, images), &header(a, "Tag"), |r| {
            let first = [r.repository.clone(), r.tag.clone()];
            let f = (r.namespace.as_str(), r.created, r.size, &r.manifest_type);
            cells(a, l, now, first, r.digest.as_deref().unwrap_or(""), f)
        })?,
    }
    Ok(())
}
