//! `cr manifest-inspect IMAGE`: the manifest bytes exactly as stored (digest-verified).

use std::process::ExitCode;

use anyhow::Context;

use super::output::emit;
use crate::config::Settings;
use crate::reference::Reference;
use crate::registry::{Registry, Scope};

#[derive(Debug, clap::Args)]
pub struct ManifestInspectArgs {
    /// Image name: REPO[:TAG] or REPO@DIGEST.
    pub image: String,
}

pub async fn run(settings: Settings, a: ManifestInspectArgs) -> anyhow::Result<ExitCode> {
    let r = Reference::parse(&a.image, &settings.registry)?;
    let reg = Registry::connect(&settings, &r.registry).await?;
    let m = reg
        .get_manifest(
            &r.repository,
            r.manifest_ref(),
            &[Scope::pull(&r.repository)],
        )
        .await
        .with_context(|| format!("cannot inspect {r}"))?;
    emit(&String::from_utf8_lossy(&m.bytes));
    Ok(ExitCode::SUCCESS)
}
