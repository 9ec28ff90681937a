//! `cr image-inspect IMAGE…`: docker-inspect style JSON of each image's config and manifest.

use std::process::ExitCode;

use super::exit;
use super::output::{emit, emit_json, render_rows, values};
use crate::app::inspect::inspect_images;
use crate::app::Session;
use crate::config::Settings;
use crate::oci::platform::Platform;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct ImageInspectArgs {
    /// Images: REPO[:TAG] or REPO@DIGEST.
    #[arg(required = true)]
    pub images: Vec<String>,
    /// For a multi-platform image, the platform to describe (default linux/amd64, else the first).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<Platform>,
    /// Go template applied to each image, e.g. '{{ .Id }}'.
    #[arg(long, value_name = "TEMPLATE")]
    pub format: Option<String>,
}

pub async fn run(settings: Settings, a: ImageInspectArgs) -> anyhow::Result<ExitCode> {
    if let Some(t) = &a.format {
        super::template::check(t, crate::app::inspect::FIELDS)?;
    }
    let refs = a
        .images
        .iter()
        .map(|n| Ok((n.clone(), Reference::parse(n, &settings.registry)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut codes = Vec::new();
    let failed = |what: &str, e| codes.push(exit::report(what, &e));
    let session = Session::new(&settings);
    let out = inspect_images(&session, &refs, a.platform.as_ref(), failed).await;
    if let Some(t) = &a.format {
        emit(&render_rows(t, &values(&out))?);
    } else if !out.is_empty() || codes.is_empty() {
        emit_json(&out);
    }
    exit::summarize(&codes, a.images.len())
}
