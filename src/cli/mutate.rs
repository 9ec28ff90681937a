//! `cr mutate IMAGE -t DST`: config changes (labels, env, entrypoint, cmd, workdir, user,
//! created) and manifest annotations on every platform, written as a new image DST.

use std::process::ExitCode;

use super::exit::{bad_input, usage_of};
use super::output::OutputArgs;
use crate::app::edit::{self, Edit};
use crate::app::mutate::{Mutated, Request};
use crate::app::Session;
use crate::config::Settings;
use crate::oci::platform::Platform;
use crate::oci::reference::Reference;

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

/// Options `append` and `mutate` share.
#[derive(Debug, clap::Args)]
pub struct CommonArgs {
    /// Only this platform of a multi-platform base (repeatable); the others stay unchanged.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Vec<Platform>,
    /// The config's created time: `now` or RFC 3339 (default: the base's).
    #[arg(long, value_name = "TIME")]
    pub created: Option<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

pub async fn run(settings: Settings, a: MutateArgs) -> anyhow::Result<ExitCode> {
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
    let e = Edit {
        labels: kv(&a.label, "--label")?,
        annotations: kv(&a.annotation, "--annotation")?,
        env: kv(&a.env, "--env")?,
        entrypoint: cmd(&a.entrypoint, "--entrypoint")?,
        cmd: cmd(&a.cmd, "--cmd")?,
        workdir: a.workdir.clone(),
        user: a.user.clone(),
        created: None,
    };
    let c = &a.common;
    let (base, dst, e) = c.prepare(&settings, &a.image, &a.dst, e)?;
    let req = c.request(&base, &dst, e);
    let m = crate::app::mutate::mutate(&Session::new(&settings), &req)
        .await
        .map_err(|e| bad_input(e).context(format!("cannot mutate {base} into {dst}")))?;
    c.print(&dst, &m)
}

impl CommonArgs {
    /// The names and the created time, checked.
    pub fn prepare(
        &self,
        settings: &Settings,
        base: &str,
        dst: &str,
        mut e: Edit,
    ) -> anyhow::Result<(Reference, Reference, Edit)> {
        self.out.check(Mutated::FIELDS)?;
        let base = Reference::parse(base, &settings.registry)?;
        let dst = Reference::parse(dst, &settings.registry)?;
        e.created = self
            .created
            .as_deref()
            .map(edit::created)
            .transpose()
            .map_err(usage_of)?;
        Ok((base, dst, e))
    }

    pub fn request<'a>(&self, base: &'a Reference, dst: &'a Reference, edit: Edit) -> Request<'a> {
        Request {
            base,
            dst,
            platforms: self.platform.clone(),
            edit,
        }
    }

    pub fn print(&self, dst: &Reference, m: &Mutated) -> anyhow::Result<ExitCode> {
        super::output::print_one(&self.out, m, || dst.with_digest(&m.digest))?;
        Ok(ExitCode::SUCCESS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_keys_are_the_format_fields() {
        let m = Mutated {
            reference: "h/ns/app:2".into(),
            digest: crate::oci::digest::Digest::fake("sha256:d"),
            media_type: "m".into(),
            platforms: vec!["linux/amd64".into()],
            layers: Vec::new(),
        };
        assert_eq!(crate::cli::output::keys_of(&m), Mutated::FIELDS);
    }
}
