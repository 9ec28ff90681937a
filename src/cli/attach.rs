//! `cr attach IMAGE FILE…`: push files as an OCI 1.1 artifact whose subject is IMAGE (an SBOM,
//! a signature, a report), one layer per file titled by its name; prints the artifact's
//! `HOST/REPO@sha256:…`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::exit::usage;
use super::output::{emit_json, emit_line, OutputKind};
use crate::app::artifact::{self, ArtifactError, AttachSpec};
use crate::app::Session;
use crate::config::Settings;
use crate::oci::reference::Reference;

const EXAMPLES: &str = "EXAMPLES:
  cr attach us.icr.io/team/app:v1 sbom.spdx.json --artifact-type application/spdx+json";

#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct AttachArgs {
    /// The image the artifact is about: [HOST/]REPO[:TAG|@DIGEST] (a tag is resolved to its digest).
    pub image: String,
    /// Files to attach: one layer each, titled by the file's name.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The artifact's type, a media type (e.g. application/spdx+json).
    #[arg(long, value_name = "TYPE", value_parser = media_type)]
    pub artifact_type: String,
    /// An annotation on the artifact manifest (repeatable).
    #[arg(long = "annotation", value_name = "KEY=VALUE", value_parser = annotation)]
    pub annotations: Vec<(String, String)>,
    /// The media type of each file's layer.
    #[arg(long, value_name = "MEDIATYPE", default_value = artifact::DEFAULT_FILE_TYPE,
          value_parser = media_type)]
    pub file_type: String,
    /// Refuse a file larger than this before anything is sent: bytes, or with K, M or G (KiB, MiB, GiB).
    #[arg(long, value_name = "SIZE", default_value = "512M", value_parser = size)]
    pub max_size: u64,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Output: table (the reference line, default) or json.
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<OutputKind>,
}

fn media_type(s: &str) -> Result<String, String> {
    match artifact::media_type_problem(s) {
        None => Ok(s.to_string()),
        Some(p) => Err(format!("not a media type (TYPE/SUBTYPE): {p}")),
    }
}

fn annotation(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err("expected KEY=VALUE".into()),
    }
}

fn size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, shift) = match t.char_indices().last() {
        Some((i, c)) if c.eq_ignore_ascii_case(&'k') => (&t[..i], 10),
        Some((i, c)) if c.eq_ignore_ascii_case(&'m') => (&t[..i], 20),
        Some((i, c)) if c.eq_ignore_ascii_case(&'g') => (&t[..i], 30),
        _ => (t, 0),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1u64 << shift))
        .ok_or_else(|| "expected bytes, or a number with K, M or G".into())
}

pub async fn run(settings: Settings, a: AttachArgs) -> anyhow::Result<ExitCode> {
    let r = Reference::parse(&a.image, &settings.registry)?;
    let spec = AttachSpec {
        artifact_type: a.artifact_type.clone(),
        files: a.files.clone(),
        file_type: a.file_type.clone(),
        annotations: a.annotations.iter().cloned().collect(),
        max_size: a.max_size,
    };
    // Every file is checked before the first request.
    let checked = artifact::check_files(&spec.files, spec.max_size).map_err(usage_error);
    checked.with_context(|| format!("cannot attach to {r}"))?;
    let reg = Session::new(&settings).get(&r.registry).await?;
    let opts = crate::engine::Options {
        progress: super::progress::reporter(a.quiet),
        ..Default::default()
    };
    let done = artifact::attach(reg, &r, &spec, &opts)
        .await
        .map_err(usage_error)
        .with_context(|| format!("cannot attach to {r}"))?;
    if a.output == Some(OutputKind::Json) {
        emit_json(&done);
    } else {
        emit_line(&done.reference);
    }
    Ok(ExitCode::SUCCESS)
}

/// A file that cannot be attached as it is: a usage error (exit 2), with what to do.
fn usage_error(e: anyhow::Error) -> anyhow::Error {
    match e.downcast_ref::<ArtifactError>() {
        Some(ae @ ArtifactError::TooLarge { .. }) => usage(
            ae.to_string(),
            "raise the limit with --max-size SIZE (e.g. --max-size 2G)",
        ),
        Some(ae) if ae.is_usage() => usage(
            ae.to_string(),
            "attach regular files with distinct names (each name becomes the file's title)",
        ),
        _ => e,
    }
}
