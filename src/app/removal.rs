//! What removing an image takes with it and what it would break: a repository's tags resolved
//! once (one HEAD each), the tagged indexes that list a manifest at any depth (deleting a
//! platform of a tagged multi-arch image breaks that image), and the referrers that go with it.

use std::collections::{HashMap, HashSet};

use super::referrers::is_referrer_tag;
use super::remove::{doomed, Doomed};
use crate::client::{Kind, RegistryError, Scope};
use crate::oci::digest::Digest;
use crate::oci::media;
use crate::oci::name::Repository;
use crate::oci::name::Tag;
use crate::oci::reference::ManifestRef;
use crate::store::Cached;

/// Indexes followed at most while looking for the ones that hold a manifest.
const MAX_INDEXES: usize = 1000;

/// One tag and what it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagHead {
    pub tag: Tag,
    pub digest: Digest,
    pub media_type: String,
}

/// Every tag of `repo` with its digest and media type (the registry walk at digest depth:
/// one HEAD per tag, 16 at a time). A tag deleted meanwhile is left out; any other failure is
/// returned.
pub async fn resolve_tags(reg: &Cached, repo: &Repository) -> Result<Vec<TagHead>, RegistryError> {
    let tagged = match super::walk::tag_digests(reg, repo).await {
        Ok(t) => t,
        Err(e) if e.kind() == Kind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    // The walk at digest depth gives every tag it lists a digest.
    Ok(tagged
        .into_iter()
        .filter_map(|t| {
            Some(TagHead {
                digest: t.digest?,
                tag: t.tag,
                media_type: t.media_type.unwrap_or_default(),
            })
        })
        .collect())
}

/// The tagged indexes of `repo` that list `digest`, directly or through a nested index: each
/// index's digest with its tags. Fallback tag indexes (`sha256-<hex>`) list referrers, not
/// platforms, and are not counted.
pub async fn holders(
    reg: &Cached,
    repo: &Repository,
    digest: &Digest,
    heads: &[TagHead],
) -> Result<Vec<(Digest, Vec<String>)>, RegistryError> {
    let scopes = [Scope::pull(repo)];
    // A HEAD's Content-Type may be missing or generic (`application/json`): such a tag's
    // manifest is read (GET, each digest once) to tell whether it is an index.
    let mut unknown: HashMap<&Digest, bool> = HashMap::new();
    for h in heads {
        let known = media::is_index(&h.media_type) || media::is_manifest(&h.media_type);
        if h.digest != *digest && !known && !is_referrer_tag(&h.tag) {
            unknown.insert(&h.digest, false);
        }
    }
    for (d, is_index) in unknown.iter_mut() {
        match reg
            .get_manifest(repo, &ManifestRef::digest(d), &scopes)
            .await
        {
            Ok(m) => *is_index = m.is_index(),
            Err(e) if e.kind() == Kind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    let mut tags_of: HashMap<&Digest, Vec<String>> = HashMap::new();
    for h in heads {
        let index = media::is_index(&h.media_type) || unknown.get(&h.digest) == Some(&true);
        if h.digest != *digest && index && !is_referrer_tag(&h.tag) {
            tags_of
                .entry(&h.digest)
                .or_default()
                .push(h.tag.to_string());
        }
    }
    let mut out = Vec::new();
    let mut roots: Vec<&Digest> = tags_of.keys().copied().collect();
    roots.sort();
    for root in roots {
        // A walk down from each tagged index, each index read once.
        let mut seen: HashSet<Digest> = HashSet::from([root.clone()]);
        let mut queue = vec![root.clone()];
        let mut holds = false;
        while let Some(ix) = queue.pop() {
            if seen.len() > MAX_INDEXES {
                break;
            }
            let m = match reg
                .get_manifest(repo, &ManifestRef::digest(&ix), &scopes)
                .await
            {
                Ok(m) => m,
                Err(e) if e.kind() == Kind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let Ok(parsed) = m.parse() else {
                // An index cr cannot read may still list the manifest: if its bytes name the
                // digest, it is held (a delete then needs --force), never silently broken.
                holds = names_digest(&m.bytes, digest);
                if holds {
                    break;
                }
                continue;
            };
            for (child, _) in parsed.children() {
                if child.digest == *digest {
                    holds = true;
                } else if media::is_index(&child.media_type) && seen.insert(child.digest.clone()) {
                    queue.push(child.digest);
                }
            }
            if holds {
                break;
            }
        }
        if holds {
            let mut tags = tags_of[root].clone();
            tags.sort();
            out.push((root.clone(), tags));
        }
    }
    Ok(out)
}

/// Whether the bytes of a manifest cr could not parse name `digest` as a JSON string.
fn names_digest(bytes: &[u8], digest: &Digest) -> bool {
    let needle = format!("\"{digest}\"");
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// What removing `digest` from `repo` does: the tags that go with it, the tagged indexes it
/// would break, and (unless `keep_referrers`) the referrers deleted with it.
#[derive(Debug, Clone)]
pub struct Removal {
    pub digest: Digest,
    pub tags: Vec<String>,
    pub held_by: Vec<(Digest, Vec<String>)>,
    pub doomed: Doomed,
}

pub async fn plan(
    reg: &Cached,
    repo: &Repository,
    digest: &Digest,
    heads: &[TagHead],
    keep_referrers: bool,
) -> Result<Removal, RegistryError> {
    let tags: Vec<String> = heads
        .iter()
        .filter(|h| h.digest == *digest)
        .map(|h| h.tag.to_string())
        .collect();
    let held_by = holders(reg, repo, digest, heads).await?;
    let doomed = if keep_referrers {
        Doomed {
            digest: digest.clone(),
            referrers: Vec::new(),
        }
    } else {
        let all: HashSet<Tag> = heads.iter().map(|h| h.tag.clone()).collect();
        let tagged: Vec<(Tag, Digest)> = heads
            .iter()
            .map(|h| (h.tag.clone(), h.digest.clone()))
            .collect();
        doomed(reg, repo, digest, Some(&all), &tagged, &HashSet::new()).await?
    };
    Ok(Removal {
        digest: digest.clone(),
        tags,
        held_by,
        doomed,
    })
}

/// A manifest that a tagged index lists: deleting it would break that image.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{image} is a manifest of the index {index} tagged {}: deleting it would break that image", tags.join(", "))]
pub struct HeldByIndex {
    pub image: String,
    pub index: Digest,
    pub tags: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_index_holds_what_its_bytes_name() {
        let d: Digest = format!("sha256:{}", "7".repeat(64)).parse().unwrap();
        let other: Digest = format!("sha256:{}", "8".repeat(64)).parse().unwrap();
        let bytes = format!(r#"{{"Manifests":[{{"Digest":"{d}","Size":"12"}}]}}"#);
        assert!(names_digest(bytes.as_bytes(), &d));
        assert!(!names_digest(bytes.as_bytes(), &other));
        // A digest that is only a prefix of a longer string is not named.
        let longer = format!(r#"{{"x":"{d}0"}}"#);
        assert!(!names_digest(longer.as_bytes(), &d));
    }
}
