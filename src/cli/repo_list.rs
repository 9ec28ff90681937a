//! `cr repo-list`: repository names from the catalog, optionally under a namespace; one
//! catalog walk and nothing else.

use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::output::{emit_line, print_rows, OutputArgs};
use crate::app::walk::Inventory;
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
    let reg = Session::new(&settings).get(&settings.registry).await?;
    let restrict = a
        .restrict
        .as_deref()
        .map(|r| r.trim_start_matches(&format!("{}/", reg.name)).to_string());
    let repos = Inventory::new(reg.clone())
        .repositories(restrict.as_deref())
        .await;
    let repos = match repos {
        Ok(r) => r,
        Err(e) => return Err(crate::app::images::catalog_error(&reg, e, "repositories").await),
    };
    if repos.is_empty() {
        if let Some(r) = &restrict {
            eprintln!("note: no repository on {} matches --restrict {r}", reg.name);
        }
    }
    if a.quiet {
        for r in &repos {
            emit_line(&format!("{}/{r}", reg.name));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<_> = repos
        .iter()
        .map(|r| RepoRow {
            repository: format!("{}/{r}", reg.name),
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
