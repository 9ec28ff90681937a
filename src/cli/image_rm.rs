//! `cr image-rm IMAGE…`: delete manifests by digest (no tag means `:latest`), which removes every
//! tag on them in that repository; say which tags went. Names are resolved first and grouped by
//! digest, so each manifest is deleted once however many of its tags were named. A manifest
//! that a tagged index lists (a platform of a multi-arch image) is refused unless `--force`;
//! an image's referrers (signatures, SBOMs) go with it unless `--keep-referrers`. Copies in
//! other repositories stay. `--dry-run` only says what would go.

use std::process::ExitCode;

use super::exit::{self, usage};
use super::output::OutputArgs;
use crate::app::rm::{remove_images, RmOptions, RmRow};
use crate::app::Session;
use crate::config::Settings;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct ImageRmArgs {
    /// Images to delete: [HOST/]REPO[:TAG] or [HOST/]REPO@DIGEST.
    #[arg(required = true)]
    pub images: Vec<String>,
    /// Say what would be deleted, delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Delete a manifest even when a tagged index lists it (that multi-arch image breaks).
    #[arg(long)]
    pub force: bool,
    /// Keep the image's referrers (signatures, SBOMs, attestations) instead of deleting them.
    #[arg(long)]
    pub keep_referrers: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// The line for people: what went (or would go), with its tags and referrers.
fn human(row: &RmRow, dry_run: bool) -> String {
    let verb = if dry_run { "Would delete" } else { "Deleted" };
    let tags = if row.tags.is_empty() {
        "none".to_string()
    } else {
        row.tags.join(", ")
    };
    let mut line = format!("{verb} {}@{} (tags: {tags})", row.repository, row.digest);
    for r in &row.referrers {
        line.push_str(&format!("\n  with its referrer {r}"));
    }
    line
}

pub async fn run(settings: Settings, a: ImageRmArgs) -> anyhow::Result<ExitCode> {
    a.out.check(RmRow::FIELDS)?;
    let mut refs = Vec::new();
    for name in &a.images {
        let mut r = Reference::parse(name, &settings.registry)?;
        if r.tag.is_none() && r.digest.is_none() {
            r.tag = Some(crate::oci::name::Tag::latest());
        }
        refs.push((name.clone(), r));
    }
    if refs.is_empty() {
        return Err(usage("no image given", "cr image-rm REPO:TAG"));
    }
    let opts = RmOptions {
        dry_run: a.dry_run,
        force: a.force,
        keep_referrers: a.keep_referrers,
    };
    let mut codes = Vec::new();
    let failed = |what: &str, e| codes.push(exit::report(what, &e));
    let rows = remove_images(&Session::new(&settings), &refs, opts, failed).await;
    super::output::print_results(&a.out, &rows, |r| Some(human(r, a.dry_run)))?;
    exit::summarize(&codes, a.images.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_keys_are_the_format_fields() {
        let row = RmRow {
            image: "h/ns/app:v1".into(),
            repository: "h/ns/app".into(),
            digest: crate::oci::digest::Digest::fake("sha256:d"),
            tags: vec!["v1".into(), "v2".into()],
            deleted: false,
            referrers: vec![crate::oci::digest::Digest::fake("sha256:s")],
        };
        assert_eq!(crate::cli::output::keys_of(&row), RmRow::FIELDS);
        assert_eq!(
            crate::cli::output::to_json(&row, false),
            r#"{"Image":"h/ns/app:v1","Repository":"h/ns/app","Digest":"sha256:d","Tags":["v1","v2"],"Deleted":false,"Referrers":["sha256:s"]}"#
        );
        assert_eq!(
            human(&row, true),
            "Would delete h/ns/app@sha256:d (tags: v1, v2)\n  with its referrer sha256:s"
        );
    }
}
