//! `cr index-create DST SRC…`: a multi-platform index from images already in one registry,
//! and the options index-add shares.

use std::process::ExitCode;

use anyhow::Context;

use super::exit::usage;
use super::output::{emit_json, emit_line, OutputKind};
use crate::app::index::{Request, Written};
use crate::app::Session;
use crate::config::Settings;
use crate::oci::name::Tag;
use crate::oci::platform::Platform;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct IndexCreateArgs {
    /// The index to write: [HOST/]REPO[:TAG] (default tag: latest).
    pub dst: String,
    /// Images or indexes of the same registry: [HOST/]REPO[:TAG|@DIGEST]. An image's
    /// platform is read from its config; an index gives its platforms.
    #[arg(required = true, value_name = "SRC")]
    pub srcs: Vec<String>,
    /// Write a Docker manifest list (Docker v2 children only) instead of an OCI index.
    #[arg(long)]
    pub docker: bool,
    #[command(flatten)]
    pub i: IndexArgs,
}

/// Options of index-create and index-add.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Keep only this platform of the sources (repeatable).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Vec<Platform>,
    /// Annotation of the index (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,
    /// Put the index under this tag too (repeatable).
    #[arg(long, short = 't', value_name = "TAG")]
    pub tag: Vec<String>,
    /// A platform given twice: the later source wins (default: refused).
    #[arg(long)]
    pub replace: bool,
    /// Output: table (the reference line, default) or json.
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<OutputKind>,
}

impl IndexArgs {
    /// The request, checked before any request: annotations KEY=VALUE, valid tags.
    pub fn request(&self, docker: bool) -> anyhow::Result<Request> {
        let mut annotations = Vec::new();
        for a in &self.annotation {
            match a.split_once('=') {
                Some((k, v)) if !k.is_empty() => annotations.push((k.to_string(), v.to_string())),
                _ => {
                    return Err(usage(
                        format!("malformed annotation {a:?}: expected KEY=VALUE"),
                        "e.g. --annotation org.opencontainers.image.source=https://example.com/app",
                    ))
                }
            }
        }
        let tags = self
            .tag
            .iter()
            .map(|t| Tag::parse(t))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Request {
            platforms: self.platform.clone(),
            annotations,
            replace: self.replace,
            docker,
            tags,
        })
    }
}

/// Parse the source names (any bad one is a usage error before a request).
pub fn sources(srcs: &[String], settings: &Settings) -> anyhow::Result<Vec<Reference>> {
    srcs.iter()
        .map(|s| Ok(Reference::parse(s, &settings.registry)?))
        .collect()
}

/// `HOST/REPO@sha256:…`, or the JSON row.
pub fn print(output: Option<OutputKind>, w: &Written) {
    if output == Some(OutputKind::Json) {
        emit_json(w);
    } else {
        emit_line(&w.reference);
    }
}

pub async fn run(settings: Settings, a: IndexCreateArgs) -> anyhow::Result<ExitCode> {
    let req = a.i.request(a.docker)?;
    let dst = Reference::parse(&a.dst, &settings.registry)?;
    let srcs = sources(&a.srcs, &settings)?;
    let clients = Session::new(&settings);
    let w = crate::app::index::create(&clients, &dst, &srcs, &req)
        .await
        .with_context(|| format!("cannot create the index {dst}"))?;
    print(a.i.output, &w);
    Ok(ExitCode::SUCCESS)
}
