//! The command line of `cr retention-run`, checked: the rule (how many to keep, how old,
//! which tags protect) and the target (HOST/NAMESPACE[/REPO]).

use super::RetentionRunArgs;
use crate::app::retention::run::{split_target, TargetError};
use crate::app::retention::{self, Rule};
use crate::cli::exit::usage;

/// The target's host and path (NAMESPACE or NAMESPACE/REPO); a bad one is a usage error.
pub(super) fn target_of(target: &str, default: &str) -> anyhow::Result<(String, String)> {
    split_target(target, default).map_err(|e| {
        let example = match e {
            TargetError::Host(_) => "cr retention-run --images 5 [HOST[:PORT]/]NAMESPACE[/REPO]",
            TargetError::Path(_) => "cr retention-run --images 5 NAMESPACE[/REPO]",
        };
        usage(format!("invalid target {target:?}: {e}"), example)
    })
}

/// The rule of the flags; a bad duration or regular expression, or `--images 0`, is a usage
/// error.
pub(super) fn rule_of(a: &RetentionRunArgs) -> anyhow::Result<Rule> {
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
