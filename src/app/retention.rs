//! Retention: which images of a repository a rule keeps and which it deletes (a pure plan,
//! from the tags, digests and creation times a listing found). Referrer tags (`sha256-<hex>`
//! fallback indexes, cosign `.sig`/`.att`/`.sbom`) are never candidates, and everything under
//! a tagged index (to any depth) stays. The deletion itself is [`crate::app::remove`]'s.

pub mod report;
pub mod run;

use std::collections::{BTreeMap, HashSet};

use super::referrers::{is_referrer_tag, Referrer};
use crate::app::walk::{Inventory, TaggedImage};
use crate::client::RegistryError;
use crate::oci::digest::Digest;
use crate::oci::name::Repository;
use crate::oci::name::Tag;
use crate::oci::reference::natural_order;

/// At most this many manifests are followed under the tagged indexes of one repository.
const MAX_DESCENDANTS: usize = 10_000;

/// What decides an image's fate.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Keep the N most recent images (by creation time).
    pub images: Option<usize>,
    /// Delete only images created before this (Unix seconds).
    pub created_before: Option<i64>,
    /// Never delete an image carrying a tag that matches.
    pub keep_tag: Option<regex::Regex>,
}

/// One image of a repository: a digest with every tag on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub digest: Digest,
    pub tags: Vec<Tag>,
    pub created: Option<i64>,
}

/// Why an image stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Among the N most recent.
    Recent,
    /// Created after the `--older-than` limit.
    Newer,
    /// Carries a tag matching `--keep-tag`.
    KeepTag,
    /// A platform of an index tagged in the same repository: never deleted on its own.
    IndexChild,
    /// No creation time could be read: never deleted.
    NoDate,
    /// It was not in the plan shown before the question (the repository changed meanwhile).
    Changed,
    /// A kept or protected tag points at it now (checked again just before the deletions).
    Moved,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Recent => "among the most recent",
            Reason::Newer => "newer than --older-than",
            Reason::KeepTag => "tag matches --keep-tag",
            Reason::IndexChild => "platform of a tagged index",
            Reason::NoDate => "no creation time",
            Reason::Changed => "not in the plan that was confirmed",
            Reason::Moved => "kept: tag moved during the run",
        }
    }
}

/// The plan for one repository.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub kept: Vec<(Image, Reason)>,
    pub delete: Vec<Image>,
    /// The referrers that go with each image of `delete` (by its digest).
    pub referrers: BTreeMap<Digest, Vec<Referrer>>,
}

/// Group a repository's tags by digest (each image once, its tags naturally sorted), newest
/// first, with the direct children of its tagged indexes; the images need `Depth::Full`.
/// Referrer tags are left out: a referrer goes only with its subject.
pub fn images_of(tagged: &[TaggedImage]) -> (Vec<Image>, HashSet<Digest>) {
    let mut by_digest: BTreeMap<Digest, Image> = BTreeMap::new();
    let mut children = HashSet::new();
    for t in tagged {
        if is_referrer_tag(&t.tag) {
            continue;
        }
        let Some(d) = &t.digest else { continue };
        if let Some(info) = &t.info {
            children.extend(info.children.iter().cloned());
        }
        let e = by_digest.entry(d.clone()).or_insert_with(|| Image {
            digest: d.clone(),
            tags: Vec::new(),
            created: t.info.as_ref().and_then(|i| i.created),
        });
        e.tags.push(t.tag.clone());
    }
    let mut images: Vec<Image> = by_digest.into_values().collect();
    for i in &mut images {
        i.tags.sort_by(|a, b| natural_order(a, b));
    }
    images.sort_by(|a, b| b.created.cmp(&a.created).then(a.digest.cmp(&b.digest)));
    (images, children)
}

/// `direct` and every manifest under them (nested indexes to any depth), from the facts the
/// inventory gathered while listing (an index's facts cover its platforms, so no request is
/// made twice).
pub async fn descendants(
    inv: &Inventory,
    repo: &Repository,
    direct: HashSet<Digest>,
) -> Result<HashSet<Digest>, RegistryError> {
    let mut queue: Vec<Digest> = direct.iter().cloned().collect();
    let mut all = direct;
    while let Some(d) = queue.pop() {
        for c in inv.info(repo, &d, None).await?.children {
            if all.len() >= MAX_DESCENDANTS {
                return Ok(all);
            }
            if all.insert(c.clone()) {
                queue.push(c);
            }
        }
    }
    Ok(all)
}

/// Apply `rule` to a repository's images (`children`: the platforms of its tagged indexes).
/// An image goes only when every rule given lets it go.
pub fn plan(images: Vec<Image>, children: &HashSet<Digest>, rule: &Rule) -> Plan {
    let mut p = Plan::default();
    let mut dated = 0usize;
    for img in images {
        let keep = if children.contains(&img.digest) {
            Some(Reason::IndexChild)
        } else if let Some(created) = img.created {
            dated += 1;
            if rule.images.is_some_and(|n| dated <= n) {
                Some(Reason::Recent)
            } else if rule.created_before.is_some_and(|limit| created >= limit) {
                Some(Reason::Newer)
            } else {
                None
            }
        } else {
            Some(Reason::NoDate)
        };
        let keep = keep.or_else(|| {
            rule.keep_tag
                .as_ref()
                .filter(|re| img.tags.iter().any(|t| re.is_match(t)))
                .map(|_| Reason::KeepTag)
        });
        match keep {
            Some(r) => p.kept.push((img, r)),
            None => p.delete.push(img),
        }
    }
    p
}

/// `30d`, `12h`, `90m`, `45s`, `2w` as seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| {
        format!("invalid duration {s:?}: expected a number and a unit, as 30d or 12h")
    })?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(format!(
                "invalid duration {s:?}: the unit is s, m, h, d or w (30d, 12h)"
            ))
        }
    };
    n.checked_mul(mult)
        .filter(|v| *v <= 100 * 365 * 86_400)
        .ok_or_else(|| format!("invalid duration {s:?}: longer than 100 years"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(d: &str, tags: &[&str], created: Option<i64>) -> Image {
        Image {
            digest: Digest::fake(d),
            tags: tags.iter().map(|t| Tag::parse(t).unwrap()).collect(),
            created,
        }
    }

    fn digests(v: &[Image]) -> Vec<&str> {
        v.iter().map(|i| i.digest.as_str()).collect()
    }

    fn imgs() -> Vec<Image> {
        vec![
            img("e", &["v5"], Some(500)),
            img("d", &["v4", "latest"], Some(400)),
            img("c", &["v3"], Some(300)),
            img("b", &["prod"], Some(200)),
            img("a", &["v1"], Some(100)),
            img("x", &["nodate"], None),
        ]
    }

    #[test]
    fn keeps_the_newest_n() {
        let rule = Rule {
            images: Some(2),
            created_before: None,
            keep_tag: None,
        };
        let p = plan(imgs(), &HashSet::new(), &rule);
        assert_eq!(digests(&p.delete), ["c", "b", "a"]);
        assert_eq!(p.kept.len(), 3);
        assert!(p
            .kept
            .iter()
            .any(|(i, r)| i.digest == "x" && *r == Reason::NoDate));
    }

    #[test]
    fn older_than_keep_tag_and_children() {
        let rule = Rule {
            images: None,
            created_before: Some(350),
            keep_tag: Some(regex::Regex::new("^(latest|prod)$").unwrap()),
        };
        let children: HashSet<Digest> = [Digest::fake("a")].into();
        let p = plan(imgs(), &children, &rule);
        assert_eq!(digests(&p.delete), ["c"]);
        let reason = |d: &str| p.kept.iter().find(|(i, _)| i.digest == d).unwrap().1;
        assert_eq!(reason("b"), Reason::KeepTag);
        assert_eq!(reason("a"), Reason::IndexChild);
        assert_eq!(reason("d"), Reason::Newer);
    }

    #[test]
    fn both_rules_must_let_an_image_go() {
        let rule = Rule {
            images: Some(1),
            created_before: Some(250),
            keep_tag: None,
        };
        let p = plan(imgs(), &HashSet::new(), &rule);
        assert_eq!(digests(&p.delete), ["b", "a"]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d"), Ok(30 * 86_400));
        assert_eq!(parse_duration("12h"), Ok(43_200));
        assert_eq!(parse_duration("2w"), Ok(14 * 86_400));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("-1d").is_err());
        assert!(parse_duration("99999999999999d").is_err());
    }
}
