//! `cr append BASE --layer PATH… -t DST`: new layers (a directory tarred reproducibly, a tar,
//! a .tar.gz) on every platform of BASE, written as a new image DST.

use std::path::PathBuf;
use std::process::ExitCode;

use super::exit::bad_input;
use super::exit::usage;
use super::mutate::CommonArgs;
use crate::app::edit::Edit;
use crate::app::Session;
use crate::config::Settings;

#[derive(Debug, clap::Args)]
#[command(
    after_long_help = "A directory is tarred reproducibly: entries sorted by path, owner 0:0 without \
names, modes kept, symlinks as symlinks, devices, fifos and sockets left out, every mtime 0 (or \
SOURCE_DATE_EPOCH when set). New layers are gzip-compressed (level 1; pieces that do not compress \
are stored); a .tar.gz is sent \
as it is. The same inputs give the same digests.

EXAMPLES:
  cr append myns/app:1 --layer app.tar -t myns/app-extra:1   add a tar as a layer"
)]
pub struct AppendArgs {
    /// Base image: [HOST/]REPO[:TAG|@DIGEST].
    pub base: String,
    /// A layer: a directory, a tar, or a .tar.gz/.tgz (repeatable; added in this order).
    #[arg(long = "layer", value_name = "PATH", required = true)]
    pub layers: Vec<PathBuf>,
    /// The new image: REPO:TAG in the base's registry.
    #[arg(short = 't', long = "tag", value_name = "DST")]
    pub dst: String,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub async fn run(settings: Settings, a: AppendArgs) -> anyhow::Result<ExitCode> {
    let mtime = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v.trim().parse::<u64>().map_err(|_| {
            usage(
                format!("SOURCE_DATE_EPOCH {v:?} is not a number of seconds"),
                "set SOURCE_DATE_EPOCH to Unix seconds (e.g. $(git log -1 --format=%ct)), or unset it",
            )
        })?,
        Err(_) => 0,
    };
    let c = &a.common;
    let (base, dst, e) = c.prepare(&settings, &a.base, &a.dst, Edit::default())?;
    let req = c.request(&base, &dst, e);
    let clients = Session::new(&settings);
    let m = crate::app::mutate::append(&clients, &req, &a.layers, mtime)
        .await
        .map_err(|e| bad_input(e).context(format!("cannot append to {base} as {dst}")))?;
    c.print(&dst, &m)
}
