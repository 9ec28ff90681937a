//! `cr namespace-list`: namespaces (first path component of the catalog) with repository counts.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::output::{emit_line, print_rows, OutputArgs};
use crate::app::walk::Inventory;
use crate::app::Session;
use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct NamespaceListArgs {
    /// Print only the namespace names.
    #[arg(short, long, conflicts_with_all = ["output", "format"])]
    pub quiet: bool,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// A namespace with its repository count: the `-o json` object and `--format` row.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NamespaceRow<'a> {
    pub namespace: &'a str,
    pub repositories: usize,
    pub registry: &'a str,
}

impl NamespaceRow<'_> {
    /// The keys of a row, in order.
    pub const FIELDS: &'static [&'static str] = &["Namespace", "Repositories", "Registry"];
}

pub async fn run(settings: Settings, a: NamespaceListArgs) -> anyhow::Result<ExitCode> {
    a.out.check(NamespaceRow::FIELDS)?;
    let reg = Session::new(&settings).get(&settings.registry).await?;
    let repos = match Inventory::new(reg.clone()).repositories(None).await {
        Ok(r) => r,
        Err(e) => return Err(crate::app::images::catalog_error(&reg, e, "namespaces").await),
    };
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in &repos {
        *counts
            .entry(r.split('/').next().unwrap_or("").to_string())
            .or_default() += 1;
    }
    if a.quiet {
        for ns in counts.keys() {
            emit_line(ns);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<_> = counts
        .iter()
        .map(|(ns, n)| NamespaceRow {
            namespace: ns,
            repositories: *n,
            registry: &reg.name,
        })
        .collect();
    print_rows(&a.out, &rows, &["Namespace", "Repositories"], |r| {
        vec![r.namespace.to_string(), r.repositories.to_string()]
    })
    .context("printing namespaces")?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_keys_are_the_format_fields() {
        let row = NamespaceRow {
            namespace: "ns",
            repositories: 3,
            registry: "h:5000",
        };
        assert_eq!(crate::cli::output::keys_of(&row), NamespaceRow::FIELDS);
        assert_eq!(
            crate::cli::output::to_json(&row, false),
            r#"{"Namespace":"ns","Repositories":3,"Registry":"h:5000"}"#
        );
    }
}
