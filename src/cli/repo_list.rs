//! `cr repo-list`: repository names from the catalog, optionally under a namespace; one
//! catalog walk and nothing else.

use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::output::{emit_line, print_rows, OutputArgs};
use crate::app::Session;
use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct RepoListArgs {
    /// Only repositories in this namespace (or under this path).
    #[arg(long, value_name = "NS")]
    pub restrict: Option<String>,
    /// Print only HOST/REPOSITORY names.
    #[arg(short, long, conflicts_with_all = ["output", "format"])]
    pub quiet: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// A repository: the `-o json` object and `--format` row.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RepoRow {
    pub repository: String,
    pub namespace: String,
}

impl RepoRow {
    /// The keys of a row, in order.
    pub const FIELDS: &[&str] = &["Repository", "Namespace"];
}

pub async fn run(settings: Settings, a: RepoListArgs) -> anyhow::Result<ExitCode> {
    a.out.check(RepoRow::FIELDS)?;
    let session = Session::new(&settings);
    let (host, repos) =
        crate::app::images::repositories(&session, &settings.registry, a.restrict.as_deref())
            .await?;
    if a.quiet {
        for r in &repos {
            emit_line(&format!("{host}/{r}"));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<_> = repos
        .iter()
        .map(|r| RepoRow {
            repository: format!("{host}/{r}"),
            namespace: r.split('/').next().unwrap_or("").to_string(),
        })
        .collect();
    print_rows(&a.out, &rows, &["Repository", "Namespace"], |r| {
        vec![r.repository.clone(), r.namespace.clone()]
    })
    .context("printing repositories")?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_keys_are_the_format_fields() {
        let row = RepoRow {
            repository: "h/ns/r".into(),
            namespace: "ns".into(),
        };
        assert_eq!(crate::cli::output::keys_of(&row), RepoRow::FIELDS);
    }
}
