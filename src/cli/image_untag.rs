//! `cr image-untag IMAGE…`: remove only the tag; the digest and its other tags stay (the work is
//! `app::untag`: tag deletion, else the placeholder trick; a tag left on a placeholder by an
//! interrupted untag is finished and said so).

use std::process::ExitCode;

use super::exit::{self, usage};
use super::output::OutputArgs;
use crate::app::untag::{untag_images, Method, UntagRow};
use crate::app::Session;
use crate::config::Settings;
use crate::oci::reference::Reference;

#[derive(Debug, clap::Args)]
pub struct ImageUntagArgs {
    /// Images to untag: [HOST/]REPO:TAG (a tag is required).
    #[arg(required = true)]
    pub images: Vec<String>,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// The line for people (none for a failure: its error was said already).
fn human(row: &UntagRow) -> Option<String> {
    let (Some(digest), Some(method)) = (&row.digest, row.method) else {
        return None;
    };
    let image = &row.image;
    Some(if method == Method::FinishedInterrupted {
        format!("Untagged {image}: finished an untag that was interrupted (the tag was on placeholder {digest})")
    } else {
        format!("Untagged {image} (was {digest})")
    })
}

pub async fn run(settings: Settings, a: ImageUntagArgs) -> anyhow::Result<ExitCode> {
    a.out.check(UntagRow::FIELDS)?;
    // Every name is checked before any request.
    let mut refs = Vec::new();
    for name in &a.images {
        let r = Reference::parse(name, &settings.registry)?;
        if r.tag.is_none() || r.digest.is_some() {
            return Err(usage(
                format!("{name}: a tag is required to untag"),
                "tag required: REPO:TAG (to delete by digest use cr image-rm)",
            ));
        }
        refs.push((name.clone(), r));
    }
    let mut codes = Vec::new();
    let failed = |what: &str, e| codes.push(exit::report(what, &e));
    let rows = untag_images(&Session::new(&settings), &refs, failed).await;
    super::output::print_results(&a.out, &rows, human)?;
    exit::summarize(&codes, a.images.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::{keys_of, to_json};

    #[test]
    fn row_keys_are_the_format_fields() {
        let done = UntagRow {
            image: "h/ns/r:v1".into(),
            digest: Some(crate::oci::digest::Digest::fake("sha256:d")),
            untagged: true,
            method: Some(Method::FinishedInterrupted),
            error: None,
        };
        let failed = UntagRow {
            image: "h/ns/r:v2".into(),
            digest: None,
            untagged: false,
            method: None,
            error: Some("cannot untag h/ns/r:v2: denied".into()),
        };
        // A row has Digest and Method, or Error; together, the fields in order.
        let mut keys = keys_of(&failed);
        keys.retain(|k| !keys_of(&done).contains(k));
        keys.extend(keys_of(&done));
        keys.sort_by_key(|k| UntagRow::FIELDS.iter().position(|f| f == k));
        assert_eq!(keys, UntagRow::FIELDS);
        assert_eq!(
            to_json(&[&done, &failed], false),
            r#"[{"Image":"h/ns/r:v1","Digest":"sha256:d","Untagged":true,"Method":"finished interrupted untag"},{"Image":"h/ns/r:v2","Untagged":false,"Error":"cannot untag h/ns/r:v2: denied"}]"#
        );
        assert!(human(&failed).is_none());
        assert!(human(&done).unwrap().contains("finished an untag"));
    }
}
