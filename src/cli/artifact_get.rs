//! `cr artifact-get REF`: write an artifact's files into a directory by their title
//! annotations, each verified while it streams (or the newest referrer of a type of an image,
//! with --artifact-type); prints each file written.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::output::emit_line;
use crate::app::artifact;
use crate::app::Session;
use crate::config::Settings;
use crate::oci::reference::Reference;

const EXAMPLES: &str = "EXAMPLES:
  cr artifact-get us.icr.io/team/app:v1 --artifact-type application/spdx+json -o sbom";

#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct ArtifactGetArgs {
    /// The artifact: [HOST/]REPO@DIGEST or [HOST/]REPO:TAG; with --artifact-type, the image
    /// whose referrers are searched.
    pub reference: String,
    /// Directory to write the files into (made when missing).
    #[arg(short = 'o', long = "output", value_name = "DIR", default_value = ".")]
    pub output: PathBuf,
    /// Take the newest referrer of this artifact type of the image REFERENCE.
    #[arg(long, value_name = "TYPE")]
    pub artifact_type: Option<String>,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

pub async fn run(settings: Settings, a: ArtifactGetArgs) -> anyhow::Result<ExitCode> {
    let r = Reference::parse(&a.reference, &settings.registry)?;
    let reg = Session::new(&settings).get(&r.registry).await?;
    let progress = super::progress::reporter(a.quiet);
    let got = artifact::get(reg, &r, a.artifact_type.as_deref(), &a.output, progress)
        .await
        .with_context(|| format!("cannot get the artifact {r}"))?;
    for f in &got.files {
        emit_line(&a.output.join(&f.title).display().to_string());
    }
    Ok(ExitCode::SUCCESS)
}
