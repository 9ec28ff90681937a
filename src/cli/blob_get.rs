//! `cr blob-get REPO@DIGEST [-o FILE]`: one blob, streamed and verified against its digest;
//! a file appears only once every byte matched, and a terminal gets no binary unless `-o -`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::exit::usage;
use crate::app::getters::GetError;
use crate::app::Session;
use crate::config::Settings;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct BlobGetArgs {
    /// The blob: REPO@DIGEST (a layer or config digest from `cr manifest-inspect`).
    pub blob: String,
    /// Write to FILE (created only when the digest matched); `-` for standard output, also on
    /// a terminal.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub async fn run(settings: Settings, a: BlobGetArgs) -> anyhow::Result<ExitCode> {
    let r = Reference::parse(&a.blob, &settings.registry)?;
    let Some(digest) = r.digest.clone() else {
        return Err(usage(
            format!(
                "{} names no blob: blob-get takes REPO@DIGEST",
                crate::text::escape(&a.blob)
            ),
            "cr manifest-inspect IMAGE lists the config and layer digests; then cr blob-get REPO@sha256:…",
        ));
    };
    // The file to write, or None for standard output.
    let file = match a.output.as_deref() {
        Some(p) if p.as_os_str() == "-" => None,
        Some(p) => Some(p),
        None => {
            if std::io::stdout().is_terminal() {
                return Err(usage(
                    "refusing to write a blob (binary data) to the terminal",
                    "write it to a file with -o FILE, pipe it, or force it with -o -",
                ));
            }
            None
        }
    };
    let reg = Session::new(&settings).get(&r.registry).await?;
    let what = || format!("cannot get blob {digest} from {}", r.repo_name());
    if let Some(path) = file {
        crate::app::getters::blob_to_file(&reg, &r.repository, &digest, path)
            .await
            .map_err(|e| e.context(what()))?;
    } else {
        let mut out = std::io::stdout().lock();
        let r =
            crate::app::getters::blob_to(&reg, &r.repository, &digest, &mut out, Path::new("-"))
                .await;
        if let Err(e) = r {
            // A reader that stopped early (`| head -c 512`) ends cr quietly, as elsewhere.
            if let Some(GetError::Write { source, .. }) = e.downcast_ref::<GetError>() {
                if source.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(ExitCode::SUCCESS);
                }
            }
            return Err(e.context(what()));
        }
    }
    Ok(ExitCode::SUCCESS)
}
