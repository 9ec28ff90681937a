//! `cr tag-list REPO`: the tags of one repository, naturally sorted (`v2` before `v10`),
//! from its tag list alone (followed page by page), with no manifest request.

use std::process::ExitCode;

use serde::Serialize;

use super::exit::usage;
use super::output::{emit, emit_json, emit_line, render_rows, values, OutputKind};
use crate::app::Session;
use crate::config::Settings;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct TagListArgs {
    /// The repository: [HOST/]NAMESPACE/REPO.
    pub repository: String,
    /// Output format: one tag per line (default), table or json
    /// ({"Repository": …, "Tags": […]}, as skopeo list-tags).
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<OutputKind>,
    /// Go template applied to each tag, e.g. '{{ .Repository }}:{{ .Tag }}'.
    #[arg(long, value_name = "TEMPLATE", conflicts_with = "output")]
    pub format: Option<String>,
}

/// A `--format` row: one tag.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagRow<'a> {
    pub repository: &'a str,
    pub tag: &'a str,
}

impl TagRow<'_> {
    /// The keys of a row, in order.
    pub const FIELDS: &'static [&'static str] = &["Repository", "Tag"];
}

/// The `-o json` object: the repository and all its tags, as skopeo list-tags.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagList<'a> {
    pub repository: &'a str,
    pub tags: &'a [crate::oci::name::Tag],
}

pub async fn run(settings: Settings, a: TagListArgs) -> anyhow::Result<ExitCode> {
    if let Some(t) = &a.format {
        super::template::check(t, TagRow::FIELDS)?;
    }
    let r = Reference::parse(&a.repository, &settings.registry)?;
    if r.tag.is_some() || r.digest.is_some() {
        return Err(usage(
            format!(
                "tag-list takes a repository, not an image: {}",
                a.repository
            ),
            format!("write cr tag-list {}", r.repo_name()),
        ));
    }
    let reg = Session::new(&settings).get(&r.registry).await?;
    let tags = crate::app::walk::tag_names(&reg, &r).await?;
    let repo = r.repo_name();
    if let Some(t) = &a.format {
        let rows: Vec<TagRow> = tags
            .iter()
            .map(|tag| TagRow {
                repository: &repo,
                tag,
            })
            .collect();
        emit(&render_rows(t, &values(&rows))?);
    } else if a.output == Some(OutputKind::Json) {
        emit_json(&TagList {
            repository: &repo,
            tags: &tags,
        });
    } else if a.output == Some(OutputKind::Table) {
        let rows = tags
            .iter()
            .map(|t| vec![repo.clone(), t.to_string()])
            .collect();
        emit(&super::output::table(&["Repository", "Tag"], rows));
    } else {
        for t in &tags {
            emit_line(t);
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::{keys_of, to_json};

    #[test]
    fn row_keys_are_the_format_fields() {
        let row = TagRow {
            repository: "h/ns/r",
            tag: "v1",
        };
        assert_eq!(keys_of(&row), TagRow::FIELDS);
        let tags = ["v1".parse().unwrap(), "v2".parse().unwrap()];
        let list = TagList {
            repository: "h/ns/r",
            tags: &tags,
        };
        assert_eq!(
            to_json(&list, false),
            r#"{"Repository":"h/ns/r","Tags":["v1","v2"]}"#
        );
    }
}
