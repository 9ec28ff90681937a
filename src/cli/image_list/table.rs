//! The table of `cr image-list` and `cr image-digests`: the header and each row's cells
//! (short digests, a placeholder named as such, relative times, human sizes, tags cut after
//! five unless --no-trunc).

use super::ImageListArgs;
use crate::app::images::Listing;
use crate::cli::output::{human_size, relative_time};
use crate::oci::{digest, media};

/// The Digest cell of a tag left on a placeholder by an untag that was cut off.
const PLACEHOLDER_CELL: &str = "(placeholder: untag interrupted)";

/// How many tags a Tags cell shows before `… +N` (all with `--no-trunc`).
const TAGS_SHOWN: usize = 5;

/// `t1, t2, t3, t4, t5, … +1995`, or every tag with `--no-trunc`.
pub(super) fn tags_cell(tags: &[&str], no_trunc: bool) -> String {
    if no_trunc || tags.len() <= TAGS_SHOWN {
        return tags.join(", ");
    }
    format!(
        "{}, … +{}",
        tags[..TAGS_SHOWN].join(", "),
        tags.len() - TAGS_SHOWN
    )
}

/// The header row: Tag (image-list) or Tags (image-digests); Type with --show-type.
pub(super) fn header(a: &ImageListArgs, tags: &'static str) -> Vec<&'static str> {
    let mut header = vec!["Repository", tags, "Digest", "Namespace", "Created", "Size"];
    if a.show_type {
        header.push("Type");
    }
    header
}

/// A row's cells (relative times from `now`, in seconds): its first two (name, tags), then the facts both commands show (namespace,
/// created, size, manifest type).
pub(super) fn cells(
    a: &ImageListArgs,
    l: &Listing,
    now: i64,
    first: [String; 2],
    d: &str,
    (ns, created, size, mt): (&str, Option<i64>, Option<u64>, &Option<String>),
) -> Vec<String> {
    let digest = if l.placeholders.contains(d) {
        PLACEHOLDER_CELL.to_string()
    } else if a.no_trunc {
        d.to_string()
    } else {
        digest::short(d).to_string()
    };
    let mut cells = Vec::from(first);
    cells.extend([
        digest,
        ns.to_string(),
        relative_time(created, now),
        human_size(size.unwrap_or(0)),
    ]);
    if a.show_type {
        cells.push(media::short_name(mt.as_deref().unwrap_or("")).to_string());
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_tag_cells_are_cut() {
        let tags: Vec<String> = (1..=2000).map(|i| format!("t{i}")).collect();
        let refs: Vec<&str> = tags.iter().map(String::as_str).collect();
        assert_eq!(tags_cell(&refs, false), "t1, t2, t3, t4, t5, … +1995");
        assert_eq!(tags_cell(&refs, true).matches(", ").count(), 1999);
        assert_eq!(tags_cell(&refs[..3], false), "t1, t2, t3");
    }
}
