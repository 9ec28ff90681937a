//! `cr retention-run`: in each repository of a namespace (or one repository), keep the N most
//! recent images (or those newer than a limit, or carrying a protected tag) and delete the
//! others by digest, with every tag and referrer on them (see `app::retention::run`). On a
//! terminal every repository is planned and shown first and the answer awaited; without one
//! it refuses unless `--force` or `--dry-run`.

use std::io::IsTerminal;
use std::process::ExitCode;

mod show;

use super::exit::{self, usage};
use crate::app::retention::run::{self, Event, RepoRun, Retention, RetentionRequest, TargetError};
use crate::app::retention::{self, Rule};
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
    let rule = rule_of(&a)?;
    let (host, path) = run::split_target(&a.target, &settings.registry).map_err(|e| {
        let example = match e {
            TargetError::Host(_) => "cr retention-run --images 5 [HOST[:PORT]/]NAMESPACE[/REPO]",
            TargetError::Path(_) => "cr retention-run --images 5 NAMESPACE[/REPO]",
        };
        usage(format!("invalid target {:?}: {e}", a.target), example)
    })?;
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
    let now = jiff::Timestamp::now().as_second();
    // Shown first (and asked about) on a terminal or with --dry-run: every repository.
    let mut shown = None;
    if a.dry_run || !a.force {
        let plans = ret.plan().await;
        let (images, refs) = run::count(&plans);
        if (a.dry_run && !json_out) || (!a.dry_run && images > 0) {
            // With -o json, the list shown before the question goes to stderr.
            show_plan(&host, &plans, now, a.dry_run, json_out);
        }
        if a.dry_run || images == 0 {
            let runs = plans.into_iter().map(RepoRun::planned).collect();
            return Ok(finish(&host, runs, !a.dry_run, json_out));
        }
        if !confirm(images, refs).await? {
            eprintln!("nothing was deleted");
            return Ok(ExitCode::from(exit::FAILURE));
        }
        shown = Some(plans);
    }
    let on = |e: Event<'_>| {
        if !json_out {
            print_event(&host, e)
        }
    };
    let runs = ret.apply(shown, &on).await;
    Ok(finish(&host, runs, true, json_out))
}

fn rule_of(a: &RetentionRunArgs) -> anyhow::Result<Rule> {
    if a.images == Some(0) {
        return Err(usage(
            "--images 0 would keep no image: every image in scope would be deleted",
            "keep at least one: --images 1 (to delete by age alone, use --older-than)",
        ));
    }
    let created_before = match &a.older_than {
        Some(d) => {
            let secs = retention::parse_duration(d)
                .map_err(|e| usage(e, "cr retention-run --older-than 30d NAMESPACE"))?;
            Some(jiff::Timestamp::now().as_second() - secs)
        }
        None => None,
    };
    let keep_tag = match &a.keep_tag {
        Some(re) => Some(regex::Regex::new(re).map_err(|e| {
            usage(
                format!("invalid --keep-tag regular expression: {e}"),
                "for example --keep-tag '^(latest|prod)$'",
            )
        })?),
        None => None,
    };
    Ok(Rule {
        images: a.images,
        created_before,
        keep_tag,
    })
}
