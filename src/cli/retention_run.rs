//! `cr retention-run`: in each repository of a namespace (or one repository), keep the N most
//! recent images (or those newer than a limit, or carrying a protected tag) and delete the
//! others by digest, with every tag and referrer on them. On a terminal every repository is
//! planned and shown first and the answer awaited; without one it refuses unless `--force`
//! or `--dry-run`. Then each repository is planned, its kept tags checked again, and its
//! images deleted, one repository after the other's plan (a few at once).

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

use super::exit::{self, usage};
use super::output::{emit_json, emit_line, relative_time};
use crate::config::Settings;
use crate::inventory::{Depth, Inventory};
use crate::ops::referrers::{self, is_referrer_tag, Referrer};
use crate::ops::remove::{self, Deleted, DeletedWith, Doomed, RemoveError};
use crate::ops::retention::{self, Image, Plan, Reason, Rule};
use crate::reference::{is_host, normalise_host, validate_repository, ManifestRef};
use crate::registry::{Kind, Registry, Scope};

/// Deletions in flight at once.
const DELETE_JOBS: usize = 16;
/// Repositories planned at once (each lists its tags and resolves them 32 at a time).
const PLAN_JOBS: usize = 4;

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

/// One repository's plan (or why it could not be planned), with its tags at planning time.
struct RepoPlan {
    repo: String,
    plan: Result<Plan, anyhow::Error>,
    tags: HashSet<String>,
}

/// One repository's plan and, where it was carried out, how each deletion went.
struct RepoRun {
    plan: RepoPlan,
    outcomes: HashMap<String, Result<DeletedWith, RemoveError>>,
}

/// What every repository's work shares.
struct Ctx<'a> {
    reg: &'a Registry,
    inv: &'a Inventory,
    rule: &'a Rule,
    keep_referrers: bool,
    host: &'a str,
    json_out: bool,
}

pub async fn run(settings: Settings, a: RetentionRunArgs) -> anyhow::Result<ExitCode> {
    let rule = rule_of(&a)?;
    let (host, path) = split_target(&a.target, &settings.registry)?;
    let json_out = a.output == Some(super::output::OutputKind::Json);
    let tty = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !a.force && !a.dry_run && !tty {
        return Err(usage(
            "retention-run deletes images and there is no terminal to confirm on",
            "add --force to delete, or --dry-run to see what would be deleted",
        ));
    }
    let reg = Arc::new(Registry::connect(&settings.registry_options(), &host).await?);
    // Every tag is resolved by a GET in this run, and a listed tag that cannot be resolved
    // leaves its repository alone.
    let inv = Inventory::exact(reg.clone()).nested(a.recursive);
    let repos = inv.repositories(Some(&path)).await;
    let mut repos = match repos {
        Ok(r) => r,
        Err(e) => return Err(super::namespace_list::catalog_error(&reg, e, "repositories").await),
    };
    // NAMESPACE/REPO is that repository alone; nested ones only with --recursive.
    if path.contains('/') && !a.recursive {
        repos.retain(|r| *r == path);
    }
    if repos.is_empty() {
        return Err(crate::ops::NotFound {
            image: format!("{host}/{path}"),
            message: format!("no repository on {host} under {path}"),
        }
        .into());
    }
    let ctx = Ctx {
        reg: &reg,
        inv: &inv,
        rule: &rule,
        keep_referrers: a.keep_referrers,
        host: &host,
        json_out,
    };
    let now = jiff::Timestamp::now().as_second();
    // Shown first (and asked about) on a terminal or with --dry-run: every repository.
    let mut shown: Option<HashMap<String, RepoPlan>> = None;
    if a.dry_run || !a.force {
        let plans: Vec<RepoPlan> = stream::iter(repos.clone())
            .map(|repo| plan_repo(&ctx, repo))
            .buffered(PLAN_JOBS)
            .collect()
            .await;
        let (images, refs) = count(&plans);
        if (a.dry_run && !json_out) || (!a.dry_run && images > 0) {
            // With -o json, the list shown before the question goes to stderr.
            show_plan(&host, &plans, now, a.dry_run, json_out);
        }
        if a.dry_run || images == 0 {
            let runs = plans
                .into_iter()
                .map(|plan| RepoRun {
                    plan,
                    outcomes: HashMap::new(),
                })
                .collect();
            return Ok(finish(&host, runs, !a.dry_run, json_out));
        }
        if !confirm(images, refs).await? {
            eprintln!("nothing was deleted");
            return Ok(ExitCode::from(exit::FAILURE));
        }
        shown = Some(plans.into_iter().map(|p| (p.repo.clone(), p)).collect());
    }
    // Each repository: planned (again, after a question: the answer may have taken a while),
    // its kept tags checked once more, then its deletions.
    let runs: Vec<RepoRun> = stream::iter(repos)
        .map(|repo| {
            let first = shown.as_mut().and_then(|s| s.remove(&repo));
            run_repo(&ctx, repo, first)
        })
        .buffered(PLAN_JOBS)
        .collect()
        .await;
    Ok(finish(&host, runs, true, json_out))
}

/// Plan one repository, check its kept tags again, delete what is still to go.
async fn run_repo(ctx: &Ctx<'_>, repo: String, first: Option<RepoPlan>) -> RepoRun {
    let mut p = plan_repo(ctx, repo).await;
    if let Some(first) = first {
        p.plan = narrow(first.plan, p.plan);
    }
    let done = |plan| RepoRun {
        plan,
        outcomes: HashMap::new(),
    };
    let plan = match p.plan {
        Ok(plan) if !plan.delete.is_empty() => plan,
        other => {
            p.plan = other;
            return done(p);
        }
    };
    let plan = match recheck(ctx, &p.repo, plan).await {
        Ok(plan) => plan,
        Err(e) => {
            p.plan = Err(e);
            return done(p);
        }
    };
    let (reg, repo, tags, with) = (ctx.reg, p.repo.as_str(), &p.tags, &plan.referrers);
    if !ctx.json_out {
        for (i, r) in plan.kept.iter().filter(|(_, r)| *r == Reason::Moved) {
            emit_line(&format!(
                "kept {}/{repo}@{} (tags: {}; {})",
                ctx.host,
                i.digest,
                i.tags.join(", "),
                r.as_str()
            ));
        }
    }
    let outcomes = stream::iter(plan.delete.iter())
        .map(|img| async move {
            let d = Doomed {
                digest: img.digest.clone(),
                referrers: with.get(&img.digest).cloned().unwrap_or_default(),
            };
            let r = remove::delete_doomed(reg, repo, &d, Some(tags)).await;
            if let (Ok(w), false) = (&r, ctx.json_out) {
                print_deleted(ctx.host, repo, img, w);
            }
            (img.digest.clone(), r)
        })
        .buffer_unordered(DELETE_JOBS)
        .collect()
        .await;
    p.plan = Ok(plan);
    RepoRun { plan: p, outcomes }
}

fn print_deleted(host: &str, repo: &str, img: &Image, w: &DeletedWith) {
    for (r, how) in &w.referrers {
        let gone = if *how == Deleted::Gone {
            ", gone already"
        } else {
            ""
        };
        emit_line(&format!(
            "deleted {host}/{repo}@{} (referrer of {}){gone}",
            r.digest, r.subject
        ));
    }
    let tags = if img.tags.is_empty() {
        "none".to_string()
    } else {
        img.tags.join(", ")
    };
    let gone = if w.image == Deleted::Gone {
        ", gone already"
    } else {
        ""
    };
    emit_line(&format!(
        "deleted {host}/{repo}@{} (tags: {tags}){gone}",
        img.digest
    ));
}

/// Report failures, print the JSON report, and choose the exit code.
fn finish(host: &str, runs: Vec<RepoRun>, go: bool, json_out: bool) -> ExitCode {
    let mut failures = Vec::new();
    let mut failed: HashMap<(String, String), String> = HashMap::new();
    for run in &runs {
        let repo = &run.plan.repo;
        if let Err(e) = &run.plan.plan {
            failures.push(exit::report(&format!("{host}/{repo}"), e));
        }
        for (digest, r) in &run.outcomes {
            let Err(e) = r else { continue };
            let hint = if e.registry().kind() == Kind::Unsupported {
                "; the registry has deletion disabled"
            } else {
                ""
            };
            let err = anyhow::Error::new(e.registry().clone())
                .context(e.to_string())
                .context(format!("cannot delete {host}/{repo}@{digest}{hint}"));
            failures.push(exit::report(&format!("{host}/{repo}@{digest}"), &err));
            failed.insert((repo.clone(), digest.clone()), format!("{err:#}"));
        }
    }
    if json_out {
        let report: Vec<Value> = runs
            .iter()
            .map(|r| repo_json(host, &r.plan, go, &failed))
            .collect();
        emit_json(&report);
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::PARTIAL)
    }
}

/// Images and referrers the plans delete.
fn count(plans: &[RepoPlan]) -> (usize, usize) {
    plans
        .iter()
        .filter_map(|p| p.plan.as_ref().ok())
        .fold((0, 0), |(i, r), p| {
            (
                i + p.delete.len(),
                r + p.referrers.values().map(Vec::len).sum::<usize>(),
            )
        })
}

/// The second plan, deleting only what the first one (the one shown) deleted too; a
/// repository that failed either time is left alone.
fn narrow(
    first: Result<Plan, anyhow::Error>,
    again: Result<Plan, anyhow::Error>,
) -> Result<Plan, anyhow::Error> {
    match (first, again) {
        (Ok(a), Ok(mut b)) => {
            let (delete, changed): (Vec<_>, Vec<_>) = b
                .delete
                .into_iter()
                .partition(|i| a.delete.iter().any(|x| x.digest == i.digest));
            for i in &changed {
                b.referrers.remove(&i.digest);
            }
            b.delete = delete;
            b.kept
                .extend(changed.into_iter().map(|i| (i, Reason::Changed)));
            Ok(b)
        }
        (_, Err(e)) | (Err(e), _) => Err(e),
    }
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

/// `HOST/NS[/REPO]` or `NS[/REPO]` as (host, path), the path validated.
fn split_target(target: &str, default: &str) -> anyhow::Result<(String, String)> {
    let t = target.trim().trim_end_matches('/');
    let (host, path) = match t.split_once('/') {
        Some((first, rest)) if is_host(first) => {
            let host = normalise_host(first).map_err(|e| {
                usage(
                    format!("invalid target {target:?}: {e}"),
                    "cr retention-run --images 5 [HOST[:PORT]/]NAMESPACE[/REPO]",
                )
            })?;
            (host, rest.to_string())
        }
        _ => (default.to_string(), t.to_string()),
    };
    validate_repository(&path).map_err(|e| {
        usage(
            format!("invalid target {target:?}: {e}"),
            "cr retention-run --images 5 NAMESPACE[/REPO]",
        )
    })?;
    Ok((host, path))
}

async fn plan_repo(ctx: &Ctx<'_>, repo: String) -> RepoPlan {
    let (tagged, problems) = ctx
        .inv
        .tagged_images(std::slice::from_ref(&repo), Depth::Full)
        .await;
    let tags: HashSet<String> = tagged.iter().map(|t| t.tag.clone()).collect();
    // A repository where any tag could not be resolved is left alone: an image missing from
    // the ranking could make an older one look recent, and a protected tag missing from it
    // would protect nothing.
    let plan = match problems.into_iter().next() {
        Some(e) => Err(anyhow::Error::new(e)),
        None => plan_tagged(ctx, &repo, &tagged, &tags).await,
    };
    RepoPlan {
        plan: plan
            .with_context(|| format!("cannot plan retention in {repo}; nothing deleted there")),
        repo,
        tags,
    }
}

/// The plan for a repository's resolved tags: the rule, everything under its tagged indexes
/// kept, and the referrers each deleted image takes with it (never one of a kept image).
async fn plan_tagged(
    ctx: &Ctx<'_>,
    repo: &str,
    tagged: &[crate::inventory::TaggedImage],
    tags: &HashSet<String>,
) -> anyhow::Result<Plan> {
    let (images, direct) = retention::images_of(tagged);
    let under = retention::descendants(ctx.inv, repo, direct).await?;
    let mut plan = retention::plan(images, &under, ctx.rule);
    if plan.delete.is_empty() || ctx.keep_referrers {
        return Ok(plan);
    }
    let kept: Vec<String> = plan
        .kept
        .iter()
        .map(|(i, _)| i.digest.clone())
        .chain(under)
        .collect();
    let mut keep: HashSet<String> = kept.iter().cloned().collect();
    keep.extend(
        referrers::all(ctx.reg, repo, kept, Some(tags))
            .await?
            .into_iter()
            .map(|r| r.digest),
    );
    for img in &plan.delete {
        let d = remove::doomed(ctx.reg, repo, &img.digest, Some(tags), &keep).await?;
        plan.referrers.insert(d.digest, d.referrers);
    }
    Ok(plan)
}

/// Just before the deletions: every tag that was on a kept image or matches `--keep-tag` is
/// resolved again (a HEAD; a GET confirms when the HEAD disagrees with the plan). An image
/// such a tag points at now is kept ("tag moved during the run"), with its referrers.
async fn recheck(ctx: &Ctx<'_>, repo: &str, mut plan: Plan) -> anyhow::Result<Plan> {
    let scopes = [Scope::pull(repo)];
    let planned: HashMap<&str, &str> = plan
        .kept
        .iter()
        .map(|(i, _)| i)
        .chain(&plan.delete)
        .flat_map(|i| i.tags.iter().map(|t| (t.as_str(), i.digest.as_str())))
        .collect();
    let kept_tags: HashSet<&str> = plan
        .kept
        .iter()
        .flat_map(|(i, _)| i.tags.iter().map(String::as_str))
        .collect();
    let now = match ctx.reg.tags(repo).await {
        Ok(t) => t,
        Err(e) if e.kind() == Kind::NotFound => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let watched: Vec<String> = now
        .into_iter()
        .filter(|t| !is_referrer_tag(t))
        .filter(|t| {
            kept_tags.contains(t.as_str())
                || ctx.rule.keep_tag.as_ref().is_some_and(|re| re.is_match(t))
        })
        .collect();
    let planned = &planned;
    let scopes = &scopes;
    let found: Vec<Result<Option<String>, crate::registry::RegistryError>> = stream::iter(watched)
        .map(|t| async move {
            let r = ManifestRef::tag(&t);
            let head = ctx.reg.head_manifest(repo, &r, scopes).await?;
            let Some(head) = head else { return Ok(None) };
            if head.digest.is_some() && head.digest.as_deref() == planned.get(t.as_str()).copied() {
                return Ok(None);
            }
            match ctx.reg.get_manifest(repo, &r, scopes).await {
                Ok(m) => Ok(Some(m.digest)),
                Err(e) if e.kind() == Kind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(crate::inventory::LIST_JOBS / 2)
        .collect()
        .await;
    let mut moved = HashSet::new();
    for f in found {
        moved.extend(f?);
    }
    let (stay, go): (Vec<Image>, Vec<Image>) = plan
        .delete
        .into_iter()
        .partition(|i| moved.contains(&i.digest));
    for i in &stay {
        plan.referrers.remove(&i.digest);
    }
    plan.delete = go;
    plan.kept
        .extend(stay.into_iter().map(|i| (i, Reason::Moved)));
    // A referrer a tag now names stays, with whatever refers to it.
    for list in plan.referrers.values_mut() {
        let mut dropped: HashSet<String> = HashSet::new();
        list.retain(|r| {
            let keep = moved.contains(&r.digest) || dropped.contains(&r.subject);
            if keep {
                dropped.insert(r.digest.clone());
            }
            !keep
        });
    }
    Ok(plan)
}

fn show_plan(host: &str, plans: &[RepoPlan], now: i64, dry_run: bool, to_stderr: bool) {
    let verb = if dry_run { "would delete" } else { "to delete" };
    let say = |line: String| {
        if to_stderr {
            eprintln!("{}", crate::text::escape(&line));
        } else {
            emit_line(&line);
        }
    };
    for p in plans {
        let Ok(plan) = &p.plan else { continue };
        for i in &plan.delete {
            say(format!(
                "{verb} {host}/{}@{} (tags: {}, created {})",
                p.repo,
                i.digest,
                i.tags.join(", "),
                relative_time(i.created, now)
            ));
            for r in plan.referrers.get(&i.digest).into_iter().flatten() {
                say(format!(
                    "{verb} {host}/{}@{} ({})",
                    p.repo,
                    r.digest,
                    referrer_reason(r)
                ));
            }
        }
    }
    let (images, refs) = count(plans);
    let repos = plans.iter().filter(|p| p.plan.is_ok()).count();
    let with = if refs > 0 {
        format!(" (and {refs} referrers)")
    } else {
        String::new()
    };
    eprintln!("{images} images{with} to delete in {repos} repositories");
}

fn referrer_reason(r: &Referrer) -> String {
    format!("referrer of {}", r.subject)
}

async fn confirm(images: usize, refs: usize) -> anyhow::Result<bool> {
    let with = if refs > 0 {
        format!(" and {refs} referrers")
    } else {
        String::new()
    };
    let line = super::prompt::line(&format!(
        "Delete {images} images{with} with all their tags? [y/N] "
    ))
    .await?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}

fn image_json(i: &Image) -> Value {
    json!({"Digest": i.digest, "Tags": i.tags, "Created": i.created})
}

fn referrer_json(r: &Referrer) -> Value {
    json!({
        "Digest": r.digest,
        "Tags": r.tag.iter().collect::<Vec<_>>(),
        "Created": null,
        "Reason": referrer_reason(r),
    })
}

fn repo_json(
    host: &str,
    p: &RepoPlan,
    go: bool,
    failed: &HashMap<(String, String), String>,
) -> Value {
    let repository = format!("{host}/{}", p.repo);
    let plan = match &p.plan {
        Ok(plan) => plan,
        Err(e) => return json!({"Repository": repository, "Error": format!("{e:#}")}),
    };
    let kept: Vec<Value> = plan
        .kept
        .iter()
        .map(|(i, r)| {
            let mut v = image_json(i);
            v["Reason"] = json!(r.as_str());
            v
        })
        .collect();
    let mut deleted = Vec::new();
    let mut failures = Vec::new();
    for i in &plan.delete {
        let mut entries = vec![image_json(i)];
        entries.extend(
            plan.referrers
                .get(&i.digest)
                .into_iter()
                .flatten()
                .map(referrer_json),
        );
        match failed.get(&(p.repo.clone(), i.digest.clone())) {
            Some(e) => failures.extend(entries.into_iter().map(|mut v| {
                v["Error"] = json!(e);
                v
            })),
            None => deleted.extend(entries),
        }
    }
    json!({
        "Repository": repository,
        "DryRun": !go,
        "Kept": kept,
        "Deleted": deleted,
        "Failed": failures,
    })
}
