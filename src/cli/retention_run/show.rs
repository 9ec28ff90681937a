//! What `cr retention-run` shows: the plan before the question (and the question), each
//! deletion as it happens, the failures, and the `-o json` report.

use std::process::ExitCode;

use crate::app::remove::Deleted;
use crate::app::retention;
use crate::app::retention::report::referrer_reason;
use crate::app::retention::run::{self, Event, RepoPlan, RepoRun};
use crate::cli::exit;
use crate::cli::output::{emit_json, emit_line, relative_time};

/// One line per event of the run: an image kept because a tag moved onto it, a deletion.
pub(super) fn print_event(host: &str, e: Event<'_>) {
    let (repo, img, w) = match e {
        Event::Moved { repo, image: i } => {
            let (tags, why) = (i.tags.join(", "), retention::Reason::Moved.as_str());
            return emit_line(&format!(
                "kept {host}/{repo}@{} (tags: {tags}; {why})",
                i.digest
            ));
        }
        Event::Deleted { repo, image, with } => (repo, image, with),
    };
    let gone = |d: &Deleted| {
        if *d == Deleted::Gone {
            ", gone already"
        } else {
            ""
        }
    };
    for (r, how) in &w.referrers {
        let (d, s, g) = (&r.digest, &r.subject, gone(how));
        emit_line(&format!("deleted {host}/{repo}@{d} (referrer of {s}){g}"));
    }
    let tags = if img.tags.is_empty() {
        "none".to_string()
    } else {
        img.tags.join(", ")
    };
    let (d, g) = (&img.digest, gone(&w.image));
    emit_line(&format!("deleted {host}/{repo}@{d} (tags: {tags}){g}"));
}

/// Report failures, print the JSON report, and choose the exit code.
pub(super) fn finish(host: &str, runs: Vec<RepoRun>, go: bool, json_out: bool) -> ExitCode {
    let mut failed = false;
    for r in &runs {
        if let Err(e) = &r.plan.plan {
            exit::report(&format!("{host}/{}", r.plan.repo), e);
            failed = true;
        }
        for (what, e) in r.failures(host) {
            exit::report(&what, &e);
            failed = true;
        }
    }
    if json_out {
        emit_json(&runs.iter().map(|r| r.row(host, go)).collect::<Vec<_>>());
    }
    if failed {
        ExitCode::from(exit::PARTIAL)
    } else {
        ExitCode::SUCCESS
    }
}

pub(super) fn show_plan(host: &str, plans: &[RepoPlan], now: i64, dry_run: bool, to_stderr: bool) {
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
            let (r, d, t) = (&p.repo, &i.digest, i.tags.join(", "));
            let when = relative_time(i.created, now);
            say(format!("{verb} {host}/{r}@{d} (tags: {t}, created {when})"));
            for rf in plan.referrers.get(&i.digest).into_iter().flatten() {
                say(format!(
                    "{verb} {host}/{r}@{} ({})",
                    rf.digest,
                    referrer_reason(rf)
                ));
            }
        }
    }
    let (images, refs) = run::count(plans);
    // The repositories something is deleted in, not every one planned.
    let repos = plans
        .iter()
        .filter(|p| p.plan.as_ref().is_ok_and(|p| !p.delete.is_empty()))
        .count();
    let with = if refs > 0 {
        format!(" (and {refs} referrers)")
    } else {
        String::new()
    };
    eprintln!("{images} images{with} to delete in {repos} repositories");
}

pub(super) async fn confirm(images: usize, refs: usize) -> anyhow::Result<bool> {
    let with = if refs > 0 {
        format!(" and {refs} referrers")
    } else {
        String::new()
    };
    let q = format!("Delete {images} images{with} with all their tags? [y/N] ");
    let line = crate::cli::prompt::line(&q).await?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}
