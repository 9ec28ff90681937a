//! `cr manifest-inspect IMAGE`: the manifest bytes exactly as stored (digest-verified); on a
//! terminal, control characters in them are shown escaped.

use std::process::ExitCode;

use super::output::{emit, emit_bytes};
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
    let reg = Registry::connect(&settings.registry_options(), &r.registry).await?;
    let m = match reg
        .get_manifest(
            &r.repository,
            &r.manifest_ref(),
            &[Scope::pull(&r.repository)],
        )
        .await
    {
        Ok(m) => m,
        Err(e) => {
            let e = crate::ops::explain_missing(&reg, &r, e).await;
            return Err(e.context(format!("cannot inspect {r}")));
        }
    };
    // Exact bytes for a script (it may hash them); escaped on a terminal, which would act on
    // control characters a registry put there.
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        emit(&String::from_utf8_lossy(&m.bytes));
    } else {
        emit_bytes(&m.bytes);
    }
    Ok(ExitCode::SUCCESS)
}
