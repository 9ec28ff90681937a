//! The options `append` and `mutate` share (the platforms, the created time, the output) and
//! their steps: the names and created time checked, the request, the result printed.

use std::process::ExitCode;

use crate::app::edit::{self, Edit};
use crate::app::mutate::{Mutated, Request};
use crate::cli::exit::usage_of;
use crate::cli::output::OutputArgs;
use crate::config::Settings;
use crate::oci::platform::Platform;
use crate::oci::reference::Reference;

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
        crate::cli::output::print_one(&self.out, m, || dst.with_digest(&m.digest))?;
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
