//! `cr retention-run`: in each repository of a namespace (or one repository), keep the N most
//! recent images (or those newer than a limit, or carrying a protected tag) and delete the
//! others by digest, with every tag on them. Plans every repository first, asks on a terminal,
//! refuses without one unless `--force` or `--dry-run`, then deletes concurrently.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

use super::exit::{self, usage};
use super::output::{emit_json, emit_line, relative_time};
use crate::config::Settings;
use crate::inventory::{Depth, Inventory};
use crate::ops::retention::{self, Deleted, Image, Plan, Rule};
use crate::reference::{is_host, normalise_host, validate_repository};
use crate::registry::Registry;

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

/// One repository's plan, or why it could not be planned.
struct RepoPlan {
    repo: String,
    plan: Result<Plan, anyhow::Error>,
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
    let inv = Inventory::new(reg.clone());
    let mut repos = inv
        .repositories(Some(&path))
        .await
        .map_err(|e| super::namespace_list::catalog_error(&reg, e, "repositories"))?;
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
    let plans: Vec<RepoPlan> = stream::iter(repos)
        .map(|repo| plan_repo(&inv, repo, &rule))
        .buffered(PLAN_JOBS)
        .collect()
        .await;
    let doomed: usize = plans
        .iter()
        .filter_map(|p| p.plan.as_ref().ok())
        .map(|p| p.delete.len())
        .sum();
    let now = jiff::Timestamp::now().as_second();
    let confirming = !a.dry_run && !a.force && doomed > 0;
    if (a.dry_run && !json_out) || confirming {
        // With -o json, the list shown before the question goes to stderr.
        show_plan(&host, &plans, now, a.dry_run, json_out);
    }
    let mut go = !a.dry_run;
    let mut plans = plans;
    if go && !a.force && doomed > 0 {
        go = confirm(doomed).await?;
        if !go {
            eprintln!("nothing was deleted");
        } else {
            // The answer may have taken a while: plan again, and delete only what both plans
            // delete (a tag pushed meanwhile onto an old image keeps it).
            let again: Vec<RepoPlan> = stream::iter(plans.iter().map(|p| p.repo.clone()))
                .map(|repo| plan_repo(&inv, repo, &rule))
                .buffered(PLAN_JOBS)
                .collect()
                .await;
            plans = narrow(plans, again);
        }
    }
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for p in &plans {
        if let Err(e) = &p.plan {
            failures.push(exit::report(&format!("{host}/{}", p.repo), e));
        }
    }
    let deletions: Vec<(&str, &Image)> = if go {
        plans
            .iter()
            .filter_map(|p| p.plan.as_ref().ok().map(|pl| (p.repo.as_str(), pl)))
            .flat_map(|(repo, pl)| pl.delete.iter().map(move |i| (repo, i)))
            .collect()
    } else {
        Vec::new()
    };
    let outcomes: Vec<_> = stream::iter(deletions)
        .map(|(repo, img)| {
            let reg = reg.clone();
            let host = host.clone();
            async move {
                let r = retention::delete(&reg, repo, &img.digest).await;
                if r.is_ok() && !json_out {
                    let tags = if img.tags.is_empty() {
                        "none".to_string()
                    } else {
                        img.tags.join(", ")
                    };
                    let gone = if matches!(r, Ok(Deleted::Gone)) {
                        ", gone already"
                    } else {
                        ""
                    };
                    emit_line(&format!(
                        "deleted {host}/{repo}@{} (tags: {tags}){gone}",
                        img.digest
                    ));
                }
                (repo, img.digest.clone(), r)
            }
        })
        .buffer_unordered(DELETE_JOBS)
        .collect()
        .await;
    let mut failed_digests = std::collections::HashMap::new();
    for (repo, digest, r) in &outcomes {
        if let Err(e) = r {
            let hint = if e.kind() == crate::registry::Kind::Unsupported {
                "; the registry has deletion disabled"
            } else {
                ""
            };
            let err = anyhow::Error::new(e.clone())
                .context(format!("cannot delete {host}/{repo}@{digest}{hint}"));
            failures.push(exit::report(&format!("{host}/{repo}@{digest}"), &err));
            failed_digests.insert((*repo, digest.as_str()), format!("{err:#}"));
        }
    }
    if json_out {
        for p in &plans {
            report.push(repo_json(&host, p, go, &failed_digests));
        }
        emit_json(&report);
    }
    if !go && !a.dry_run && doomed > 0 {
        return Ok(ExitCode::from(exit::FAILURE));
    }
    if failures.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    Ok(ExitCode::from(exit::PARTIAL))
}

/// The second plan, deleting only what the first one (the one shown) deleted too; a
/// repository that failed either time is left alone.
fn narrow(first: Vec<RepoPlan>, again: Vec<RepoPlan>) -> Vec<RepoPlan> {
    first
        .into_iter()
        .zip(again)
        .map(|(p, q)| {
            let plan = match (p.plan, q.plan) {
                (Ok(a), Ok(mut b)) => {
                    let (delete, changed): (Vec<_>, Vec<_>) = b
                        .delete
                        .into_iter()
                        .partition(|i| a.delete.iter().any(|x| x.digest == i.digest));
                    b.delete = delete;
                    b.kept
                        .extend(changed.into_iter().map(|i| (i, retention::Reason::Changed)));
                    Ok(b)
                }
                (_, Err(e)) | (Err(e), _) => Err(e),
            };
            RepoPlan { repo: p.repo, plan }
        })
        .collect()
}

fn rule_of(a: &RetentionRunArgs) -> anyhow::Result<Rule> {
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

async fn plan_repo(inv: &Inventory, repo: String, rule: &Rule) -> RepoPlan {
    let (tagged, problems) = inv
        .tagged_images(std::slice::from_ref(&repo), Depth::Full)
        .await;
    // A repository where any tag could not be resolved is left alone: an image missing from
    // the ranking could make an older one look recent.
    let plan = match problems.into_iter().next() {
        Some(e) => Err(anyhow::Error::new(e).context(format!(
            "cannot plan retention in {repo}; nothing deleted there"
        ))),
        None => {
            let (images, children) = retention::images_of(&tagged);
            Ok(retention::plan(images, &children, rule))
        }
    };
    RepoPlan { repo, plan }
}

fn show_plan(host: &str, plans: &[RepoPlan], now: i64, dry_run: bool, to_stderr: bool) {
    let verb = if dry_run { "would delete" } else { "to delete" };
    let mut total = 0;
    for p in plans {
        let Ok(plan) = &p.plan else { continue };
        total += plan.delete.len();
        for i in &plan.delete {
            let line = format!(
                "{verb} {host}/{}@{} (tags: {}, created {})",
                p.repo,
                i.digest,
                i.tags.join(", "),
                relative_time(i.created, now)
            );
            if to_stderr {
                eprintln!("{}", crate::text::escape(&line));
            } else {
                emit_line(&line);
            }
        }
    }
    let repos = plans.iter().filter(|p| p.plan.is_ok()).count();
    eprintln!("{total} images to delete in {repos} repositories");
}

async fn confirm(n: usize) -> anyhow::Result<bool> {
    let line =
        super::prompt::line(&format!("Delete {n} images with all their tags? [y/N] ")).await?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}

fn image_json(i: &Image) -> Value {
    json!({"Digest": i.digest, "Tags": i.tags, "Created": i.created})
}

fn repo_json(
    host: &str,
    p: &RepoPlan,
    go: bool,
    failed: &std::collections::HashMap<(&str, &str), String>,
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
        match failed.get(&(p.repo.as_str(), i.digest.as_str())) {
            Some(e) => {
                let mut v = image_json(i);
                v["Error"] = json!(e);
                failures.push(v);
            }
            None => deleted.push(image_json(i)),
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
