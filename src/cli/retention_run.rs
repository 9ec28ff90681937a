//! `cr retention-run`: in each repository of a namespace (or one repository), keep the N most
//! recent images (or those newer than a limit, or carrying a protected tag) and delete the
//! others by digest, with every tag and referrer on them (see `app::retention::run`). On a
//! terminal every repository is planned and shown first and the answer awaited; without one
//! it refuses unless `--force` or `--dry-run`.

use std::io::IsTerminal;
use std::process::ExitCode;

mod args;
mod show;

use super::exit::{self, usage};
use crate::app::retention::run::{self, Event, RepoPlan, RepoRun, Retention, RetentionRequest};
use crate::app::Session;
use crate::config::Settings;
use show::{confirm, finish, print_event, show_plan};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("rule").required(true).multiple(true)
    .args(["images", "older_than"])))]
pub struct RetentionRunArgs {
    /// NAMESPACE (every repository under it) or NAMESPACE/REPO (that repository only),
    /// optionally with HOST/ in front.
    pub target: String,
    /// With NAMESPACE/REPO: also the repositories nested under it (NAMESPACE/REPO/...).
    #[arg(long)]
    pub recursive: bool,
    /// Keep the N most recent images of each repository (by the config's creation time).
    #[arg(long, value_name = "N")]
    pub images: Option<usize>,
    /// Delete only images created longer ago than this (30d, 12h, 2w).
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<String>,
    /// Never delete an image carrying a tag that matches this regular expression.
    #[arg(long, value_name = "REGEX", allow_hyphen_values = true)]
    pub keep_tag: Option<String>,
    /// Keep images without tags (the only behaviour on registries that cannot list them).
    #[arg(long)]
    pub retain_untagged: bool,
    /// Keep the referrers (signatures, SBOMs, attestations) of deleted images.
    #[arg(long)]
    pub keep_referrers: bool,
    /// Delete without asking (needed when there is no terminal).
    #[arg(long)]
    pub force: bool,
    /// Show what would be deleted, delete nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format: text (default) or json (kept and deleted per repository).
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<super::output::OutputKind>,
}

pub async fn run(settings: Settings, a: RetentionRunArgs) -> anyhow::Result<ExitCode> {
    let rule = args::rule_of(&a)?;
    let (host, path) = args::target_of(&a.target, &settings.registry)?;
    let json_out = a.output == Some(super::output::OutputKind::Json);
    let tty = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !a.force && !a.dry_run && !tty {
        return Err(usage(
            "retention-run deletes images and there is no terminal to confirm on",
            "add --force to delete, or --dry-run to see what would be deleted",
        ));
    }
    let req = RetentionRequest {
        host: host.clone(),
        path,
        rule,
        recursive: a.recursive,
        keep_referrers: a.keep_referrers,
    };
    let ret = Retention::start(&Session::new(&settings), req).await?;
    // Shown first (and asked about) on a terminal or with --dry-run: every repository.
    let mut shown = None;
    if a.dry_run || !a.force {
        match show_and_ask(&ret, &host, a.dry_run, json_out).await? {
            Asked::Go(plans) => shown = Some(plans),
            Asked::Done(code) => return Ok(code),
        }
    }
    let on = |e: Event<'_>| {
        if !json_out {
            print_event(&host, e)
        }
    };
    let runs = ret.apply(shown, &on).await;
    Ok(finish(&host, runs, true, json_out))
}

/// What the plan shown first led to.
enum Asked {
    /// Delete what was shown.
    Go(Vec<RepoPlan>),
    /// The run ends here (a dry run, nothing to delete, or the answer was no).
    Done(ExitCode),
}

/// Plan every repository, show the plan (with -o json, on stderr) and, unless dry or there is
/// nothing to delete, ask.
async fn show_and_ask(
    ret: &Retention,
    host: &str,
    dry_run: bool,
    json_out: bool,
) -> anyhow::Result<Asked> {
    let now = jiff::Timestamp::now().as_second();
    let plans = ret.plan().await;
    let (images, refs) = run::count(&plans);
    if (dry_run && !json_out) || (!dry_run && images > 0) {
        show_plan(host, &plans, now, dry_run, json_out);
    }
    if dry_run || images == 0 {
        let runs = plans.into_iter().map(RepoRun::planned).collect();
        return Ok(Asked::Done(finish(host, runs, !dry_run, json_out)));
    }
    if !confirm(images, refs).await? {
        eprintln!("nothing was deleted");
        return Ok(Asked::Done(ExitCode::from(exit::FAILURE)));
    }
    Ok(Asked::Go(plans))
}
