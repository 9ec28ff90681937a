//! `cr mutate IMAGE -t DST`: config changes (labels, env, entrypoint, cmd, workdir, user,
//! created) and manifest annotations on every platform, written as a new image DST.

use std::process::ExitCode;

use super::exit::{bad_input, usage_of};
use crate::app::edit::{self, Edit};
use crate::app::Session;
use crate::config::Settings;

mod common;
pub use common::CommonArgs;

#[derive(Debug, clap::Args)]
#[command(after_long_help = "EXAMPLES:
  cr mutate myns/app:1 -t myns/app-labelled:1 --label org.opencontainers.image.version=1
  cr mutate myns/app:1 -t myns/app-debug:1 --env DEBUG=1 --entrypoint '[\"/bin/sh\", \"-c\"]'")]
pub struct MutateArgs {
    /// Base image: [HOST/]REPO[:TAG|@DIGEST].
    pub image: String,
    /// The new image: REPO:TAG in the base's registry.
    #[arg(short = 't', long = "tag", value_name = "DST")]
    pub dst: String,
    /// Set a config label KEY=VALUE (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// Set a manifest annotation KEY=VALUE (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,
    /// Set an environment variable KEY=VALUE, replacing the base's (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// The entrypoint: a JSON array of strings, or one program path; '[]' clears it.
    #[arg(long, value_name = "JSON|PATH")]
    pub entrypoint: Option<String>,
    /// The default arguments: a JSON array of strings, or one string; '[]' clears them.
    #[arg(long, value_name = "JSON|ARG")]
    pub cmd: Option<String>,
    /// The working directory.
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// The user (NAME or UID[:GID]).
    #[arg(long)]
    pub user: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub async fn run(settings: Settings, a: MutateArgs) -> anyhow::Result<ExitCode> {
    let c = &a.common;
    let (base, dst, e) = c.prepare(&settings, &a.image, &a.dst, edit_of(&a)?)?;
    let req = c.request(&base, &dst, e);
    let m = crate::app::mutate::mutate(&Session::new(&settings), &req)
        .await
        .map_err(|e| bad_input(e).context(format!("cannot mutate {base} into {dst}")))?;
    c.print(&dst, &m)
}

/// The config changes of the flags, checked (the created time comes with `prepare`).
fn edit_of(a: &MutateArgs) -> anyhow::Result<Edit> {
    let kv = |list: &[String], what: &str| -> anyhow::Result<Vec<(String, String)>> {
        list.iter()
            .map(|s| edit::key_value(s, what).map_err(usage_of))
            .collect()
    };
    let cmd = |s: &Option<String>, what: &str| -> anyhow::Result<Option<Vec<String>>> {
        s.as_deref()
            .map(|s| edit::command(s, what).map_err(usage_of))
            .transpose()
    };
    Ok(Edit {
        labels: kv(&a.label, "--label")?,
        annotations: kv(&a.annotation, "--annotation")?,
        env: kv(&a.env, "--env")?,
        entrypoint: cmd(&a.entrypoint, "--entrypoint")?,
        cmd: cmd(&a.cmd, "--cmd")?,
        workdir: a.workdir.clone(),
        user: a.user.clone(),
        created: None,
    })
}
