//! `cr image-tag SRC DST`: point DST at SRC's manifest, byte for byte. Same repository: one
//! manifest PUT. Same registry: blobs mounted (uploaded where a mount is refused). Another
//! registry: copied through the transfer engine.

use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::exit::usage;
use super::output::OutputArgs;
use crate::app::referrers::Kept;
use crate::app::Session;
use crate::config::Settings;
use crate::engine::Options;
use crate::oci::digest::Digest;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct ImageTagArgs {
    /// Source: [HOST/]REPO:TAG or [HOST/]REPO@DIGEST.
    pub src: String,
    /// New name: [HOST/]REPO:TAG.
    pub dst: String,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// To another registry: do not copy the image's referrers (signatures, SBOMs).
    #[arg(long)]
    pub no_referrers: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// What tagging did: the `-o json` object and `--format` row.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagRow<'a> {
    pub source: String,
    pub target: String,
    pub digest: &'a Digest,
    pub blobs_mounted: usize,
    pub blobs_moved: usize,
    pub referrers: &'a [Digest],
    pub referrers_kept: &'a [Kept],
}

impl TagRow<'_> {
    /// The keys of a row, in order.
    pub const FIELDS: &'static [&'static str] = &[
        "Source",
        "Target",
        "Digest",
        "BlobsMounted",
        "BlobsMoved",
        "Referrers",
        "ReferrersKept",
    ];
}

pub async fn run(settings: Settings, a: ImageTagArgs) -> anyhow::Result<ExitCode> {
    a.out.check(TagRow::FIELDS)?;
    let src = Reference::parse(&a.src, &settings.registry)?;
    let dst = Reference::parse(&a.dst, &settings.registry)?;
    if dst.digest.is_some() {
        return Err(usage(
            format!("the target {} names a digest", a.dst),
            "tag required: the target is REPO:TAG",
        ));
    }
    let Some(tag) = dst.tag.clone() else {
        return Err(usage(
            format!("the target {} has no tag", a.dst),
            "tag required: the target is REPO:TAG",
        ));
    };
    let opts = Options {
        progress: super::progress::reporter(a.quiet),
        ..Options::default()
    };
    let t = crate::app::tag::tag(
        &Session::new(&settings),
        &src,
        &dst,
        &tag,
        &opts,
        a.no_referrers,
    )
    .await
    .with_context(|| format!("cannot tag {src} as {dst}"))?;
    let row = TagRow {
        source: src.to_string(),
        target: dst.to_string(),
        digest: &t.digest,
        blobs_mounted: t.blobs_mounted,
        blobs_moved: t.blobs_moved,
        referrers: &t.referrers,
        referrers_kept: &t.referrers_kept,
    };
    super::output::print_one(&a.out, &row, || format!("{dst}@{}", t.digest))?;
    Ok(super::transfer::kept(&t.referrers_kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::{keys_of, to_json};

    #[test]
    fn row_keys_are_the_format_fields() {
        let referrers = [Digest::fake("sha256:s")];
        let kept = [Kept {
            tag: "h/r:sha256-x.sig".into(),
            destination: Digest::fake("sha256:a"),
            source: Digest::fake("sha256:b"),
        }];
        let row = TagRow {
            source: "h/r:1".into(),
            target: "h/r:2".into(),
            digest: &Digest::fake("sha256:d"),
            blobs_mounted: 2,
            blobs_moved: 1,
            referrers: &referrers,
            referrers_kept: &kept,
        };
        assert_eq!(keys_of(&row), TagRow::FIELDS);
        assert_eq!(
            to_json(&row, false),
            r#"{"Source":"h/r:1","Target":"h/r:2","Digest":"sha256:d","BlobsMounted":2,"BlobsMoved":1,"Referrers":["sha256:s"],"ReferrersKept":[{"Tag":"h/r:sha256-x.sig","Destination":"sha256:a","Source":"sha256:b"}]}"#
        );
    }
}
