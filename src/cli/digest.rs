//! `cr digest IMAGE`: the manifest digest of an image, from a HEAD request (a GET only when
//! the registry's answer has no digest); with `--platform`, that platform's child of an index.

use std::process::ExitCode;

use super::output::emit_line;
use crate::app::Session;
use crate::config::Settings;
use crate::oci::platform::Platform;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
#[command(after_long_help = "EXAMPLES:
  cr digest myns/app:1                          sha256:… of the tag (one HEAD request)
  cr digest --platform linux/amd64 myns/app:1   the linux/amd64 manifest of an index")]
pub struct DigestArgs {
    /// Image name: REPO[:TAG] or REPO@DIGEST.
    pub image: String,
    /// For a multi-platform image, the platform whose manifest digest to print.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<Platform>,
}

pub async fn run(settings: Settings, a: DigestArgs) -> anyhow::Result<ExitCode> {
    let r = Reference::parse(&a.image, &settings.registry)?;
    let reg = Session::new(&settings).get(&r.registry).await?;
    let d = crate::app::getters::digest(&reg, &r, a.platform.as_ref())
        .await
        .map_err(|e| e.context(format!("cannot get the digest of {r}")))?;
    if d.by_get && a.platform.is_none() && settings.client.debug {
        eprintln!(
            "note: {}'s HEAD answer had no Docker-Content-Digest; the digest was computed from a GET",
            r.registry
        );
    }
    emit_line(&d.digest);
    Ok(ExitCode::SUCCESS)
}
