//! `cr referrers IMAGE`: what refers to an image (signatures, SBOMs, attestations), found
//! through the referrers API, the fallback tag schema and cosign's tags, recursively; like
//! `oras discover`.

use std::process::ExitCode;

use anyhow::Context;

use super::output::{print_rows, OutputArgs};
use crate::app::referrers;
use crate::app::Session;
use crate::config::Settings;
use crate::oci::digest;
use crate::oci::reference::Reference;

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
    a.out.check(referrers::Referrer::FIELDS)?;
    let r = Reference::parse(&a.image, &settings.registry)?;
    let session = Session::new(&settings);
    let found = referrers::discover(&session, &r, a.artifact_type.as_deref()).await?;
    print_rows(
        &a.out,
        &found,
        &["Digest", "ArtifactType", "Size", "Subject", "Annotations"],
        |x| {
            let ann = x
                .annotations
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(&v.to_string())))
                .collect::<Vec<_>>()
                .join(", ");
            vec![
                digest::short(&x.digest).to_string(),
                x.artifact_type.clone(),
                x.size.to_string(),
                digest::short(&x.subject).to_string(),
                ann,
            ]
        },
    )
    .context("printing referrers")?;
    Ok(ExitCode::SUCCESS)
}
