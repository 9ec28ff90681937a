//! `cr sync SRC DST`: mirror a registry, namespace or repository (see `app::sync::run`), with
//! one progress view (a bar of images, bytes and rate on a TTY), one result line per tag on
//! stdout (or a JSON report), and exit 5 when anything failed (see `view`).

mod view;

use std::process::ExitCode;
use std::sync::Arc;

use super::exit::usage;
use crate::app::sync::run::{Event, SyncRequest};
use crate::app::sync::{self, Filter, How, Spec};
use crate::app::Session;
use crate::config::Settings;
use crate::oci::platform::Platform;
use view::View;

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Source: HOST, HOST/NAMESPACE or HOST/NAMESPACE/REPO.
    pub src: String,
    /// Destination: HOST (the full repository paths of SRC are kept) or HOST/PATH (the paths
    /// below SRC are kept below PATH).
    pub dst: String,
    /// Only tags matching this regular expression.
    #[arg(long, value_name = "REGEX", allow_hyphen_values = true)]
    pub tags: Option<String>,
    /// Skip tags matching this regular expression (e.g. '-rc').
    #[arg(long, value_name = "REGEX", allow_hyphen_values = true)]
    pub exclude: Option<String>,
    /// Only this platform of multi-platform images (default: every platform, byte-exact).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<Platform>,
    /// Blobs streamed at once (1-64).
    #[arg(long, short = 'j', default_value_t = crate::engine::DEFAULT_JOBS, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub jobs: usize,
    /// Images in flight at once (1-64).
    #[arg(long, default_value_t = 4, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub images: usize,
    /// Say what would be copied, copy nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not copy referrers (signatures, SBOMs, attestations).
    #[arg(long)]
    pub no_referrers: bool,
    /// Overwrite destination cosign tags (`sha256-….sig`) that differ from the source's
    /// (default: keep them, report them, exit 5).
    #[arg(long)]
    pub force: bool,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Output: text (one line per tag, default) or json.
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<super::output::OutputKind>,
}

fn regex(flag: &str, re: &Option<String>) -> anyhow::Result<Option<regex::Regex>> {
    re.as_deref()
        .map(|r| {
            regex::Regex::new(r).map_err(|e| {
                usage(
                    format!("invalid {flag} regular expression: {e}"),
                    format!("for example {flag} '^v[0-9]+'"),
                )
            })
        })
        .transpose()
}

pub async fn run(settings: Settings, a: SyncArgs) -> anyhow::Result<ExitCode> {
    let filter = Filter {
        tags: regex("--tags", &a.tags)?,
        exclude: regex("--exclude", &a.exclude)?,
    };
    let spec = |s: &str| {
        Spec::parse(s, &settings.registry).map_err(|e| {
            usage(
                format!("invalid sync source or destination {s:?}: {e}"),
                "cr sync HOST[/NAMESPACE[/REPO]] HOST[/PATH]",
            )
        })
    };
    let (src, dst) = (spec(&a.src)?, spec(&a.dst)?);
    if src.registry == dst.registry && sync::dest_repo(&src, &src.path, &dst) == src.path {
        return Err(usage(
            format!("{} would be synced onto itself", src.describe()),
            "give a destination in another registry or under another path",
        ));
    }
    if sync::inside(&dst, &src) {
        return Err(usage(
            format!(
                "{} lies inside the source {}: each run would copy its own copies again, one level deeper, over what is there",
                dst.describe(),
                src.describe()
            ),
            "give a destination in another registry or outside the source's path",
        ));
    }
    let json_out = a.output == Some(super::output::OutputKind::Json);
    let (dry_run, referrers, force) = (a.dry_run, !a.no_referrers, a.force);
    let req = SyncRequest {
        src,
        dst,
        filter,
        platform: a.platform.clone(),
        jobs: a.jobs,
        images: a.images,
        how: How {
            dry_run,
            referrers,
            force,
        },
    };
    let view = Arc::new(View::new(!(a.quiet || a.dry_run), a.quiet, json_out));
    let src = req.src.registry.clone();
    let on = |e: Event<'_>| view.event(&src, e);
    let clients = Session::new(&settings);
    let done = sync::run::run(&clients, &req, Some(view.clone()), &on).await?;
    Ok(view.finish(&done))
}
