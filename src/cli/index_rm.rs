//! `cr index-rm INDEX --platform P…`: remove platforms from an index, under the same tag.

use std::process::ExitCode;

use anyhow::Context;

use super::index_create::print;
use super::output::OutputKind;
use crate::app::index::Request;
use crate::app::Session;
use crate::config::Settings;
use crate::oci::platform::Platform;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct IndexRmArgs {
    /// The index: [HOST/]REPO[:TAG] (default tag: latest); rewritten under the same tag.
    pub index: String,
    /// The platform to remove (repeatable; each must be in the index).
    #[arg(long, required = true, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Vec<Platform>,
    /// Output: table (the reference line, default) or json.
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<OutputKind>,
}

pub async fn run(settings: Settings, a: IndexRmArgs) -> anyhow::Result<ExitCode> {
    let index = Reference::parse(&a.index, &settings.registry)?;
    let clients = Session::new(&settings);
    let w = crate::app::index::remove(&clients, &index, &a.platform, &Request::default())
        .await
        .with_context(|| format!("cannot remove platforms from the index {index}"))?;
    print(a.output, &w);
    Ok(ExitCode::SUCCESS)
}
