//! `cr index-add INDEX SRC…`: add platforms to an existing index, under the same tag.

use std::process::ExitCode;

use anyhow::Context;

use super::index_create::{print, sources, IndexArgs};
use crate::app::Session;
use crate::config::Settings;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct IndexAddArgs {
    /// The index: [HOST/]REPO[:TAG] (default tag: latest); rewritten under the same tag.
    pub index: String,
    /// Images or indexes of the same registry whose platforms are added.
    #[arg(required = true, value_name = "SRC")]
    pub srcs: Vec<String>,
    #[command(flatten)]
    pub i: IndexArgs,
}

pub async fn run(settings: Settings, a: IndexAddArgs) -> anyhow::Result<ExitCode> {
    let req = a.i.request(false)?;
    let index = Reference::parse(&a.index, &settings.registry)?;
    let srcs = sources(&a.srcs, &settings)?;
    let clients = Session::new(&settings);
    let w = crate::app::index::add(&clients, &index, &srcs, &req)
        .await
        .with_context(|| format!("cannot add to the index {index}"))?;
    print(a.i.output, &w);
    Ok(ExitCode::SUCCESS)
}
