//! `cr manifest-inspect IMAGE`: the manifest bytes exactly as stored (digest-verified); with
//! `--platform`, those of that platform's child of an index. On a terminal, control
//! characters in them are shown escaped.

use std::process::ExitCode;

use super::output::{emit, emit_bytes};
use crate::app::Session;
use crate::config::Settings;
use crate::oci::platform::Platform;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct ManifestInspectArgs {
    /// Image name: REPO[:TAG] or REPO@DIGEST.
    pub image: String,
    /// For a multi-platform image, print the manifest of this platform instead of the index.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<Platform>,
}

pub async fn run(settings: Settings, a: ManifestInspectArgs) -> anyhow::Result<ExitCode> {
    let r = Reference::parse(&a.image, &settings.registry)?;
    let reg = Session::new(&settings).get(&r.registry).await?;
    let m = crate::app::getters::manifest(&reg, &r, a.platform.as_ref())
        .await
        .map_err(|e| e.context(format!("cannot inspect {r}")))?;
    // Exact bytes for a script (it may hash them); escaped on a terminal, which would act on
    // control characters a registry put there.
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        emit(&String::from_utf8_lossy(&m.bytes));
    } else {
        emit_bytes(&m.bytes);
    }
    Ok(ExitCode::SUCCESS)
}
