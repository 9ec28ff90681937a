//! `cr config IMAGE`: an image's config blob, exactly as stored (digest-verified); an index
//! needs `--platform` (refused with a usage error listing its platforms).

use std::process::ExitCode;

use super::exit::usage;
use super::output::{emit, emit_bytes};
use crate::app::getters::GetError;
use crate::app::Session;
use crate::config::Settings;
use crate::oci::platform::Platform;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
#[command(after_long_help = "EXAMPLES:
  cr config myns/app:1                           the config JSON, byte for byte
  cr config --platform linux/amd64 myns/app:1    one platform's config of an index")]
pub struct ConfigArgs {
    /// Image name: REPO[:TAG] or REPO@DIGEST.
    pub image: String,
    /// For a multi-platform image, the platform whose config to print (required for an index).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<Platform>,
}

pub async fn run(settings: Settings, a: ConfigArgs) -> anyhow::Result<ExitCode> {
    let r = Reference::parse(&a.image, &settings.registry)?;
    let reg = Session::new(&settings).get(&r.registry).await?;
    let bytes = match crate::app::getters::config(&reg, &r, a.platform.as_ref()).await {
        Ok(b) => b,
        Err(e) => {
            if let Some(GetError::NeedPlatform { platforms, .. }) = e.downcast_ref::<GetError>() {
                let first = platforms
                    .first()
                    .map(String::as_str)
                    .unwrap_or("linux/amd64");
                return Err(usage(
                    e.to_string(),
                    format!(
                        "cr config --platform {first} {}",
                        crate::text::escape(&a.image)
                    ),
                ));
            }
            return Err(e.context(format!("cannot get the config of {r}")));
        }
    };
    // Exact bytes for a script; escaped on a terminal, which would act on control characters.
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        emit(&String::from_utf8_lossy(&bytes));
    } else {
        emit_bytes(&bytes);
    }
    Ok(ExitCode::SUCCESS)
}
