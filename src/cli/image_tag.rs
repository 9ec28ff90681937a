//! `cr image-tag SRC DST`: point DST at SRC's manifest, byte for byte. Same repository: one
//! manifest PUT. Same registry: blobs mounted (uploaded where a mount is refused). Another
//! registry: copied through the transfer engine.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use super::exit::usage;
use super::output::OutputArgs;
use crate::config::Settings;
use crate::ops::Clients;
use crate::reference::Reference;
use crate::transfer::Options;

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

pub async fn run(settings: Settings, a: ImageTagArgs) -> anyhow::Result<ExitCode> {
    a.out.check(&[
        "Source",
        "Target",
        "Digest",
        "BlobsMounted",
        "BlobsMoved",
        "Referrers",
    ])?;
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
    let t = crate::ops::tag::tag(
        &Clients::new(settings.registry_options()),
        &src,
        &dst,
        &tag,
        &opts,
        a.no_referrers,
    )
    .await
    .with_context(|| format!("cannot tag {src} as {dst}"))?;
    let (digest, mounted, moved) = (t.digest, t.blobs_mounted, t.blobs_moved);
    let v = json!({"Source": src.to_string(), "Target": dst.to_string(), "Digest": digest, "BlobsMounted": mounted, "BlobsMoved": moved, "Referrers": t.referrers, "ReferrersKept": t.referrers_kept});
    super::output::print_one(&a.out, &v, || format!("{dst}@{digest}"))?;
    Ok(super::copy::kept(&t.referrers_kept))
}
