//! Listing a registry: its repositories (`repo-list`; a catalog the registry does not serve
//! explained), and its images (`image-list`, `image-digests`): one walk as deep as the output
//! needs, typed rows (one per tag, or one per digest with its tags), and which listed digests
//! are cr placeholders left by an interrupted untag.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::walk::{Depth, Inventory, TaggedImage};
use super::Session;
use crate::client::{Kind, RegistryError, Scope};
use crate::oci::digest::Digest;
use crate::oci::name::Repository;
use crate::oci::placeholder;
use crate::oci::reference::ManifestRef;
use crate::store::Cached;

/// What to list.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// Only images in this namespace or repository (NS or NS/REPO; a leading HOST/ is dropped).
    pub restrict: Option<String>,
    /// Also referrer tags (`sha256-<hex>` fallback indexes, cosign `.sig`/`.att`/`.sbom`).
    pub all_tags: bool,
    /// How deep the walk goes (names, digests, facts).
    pub depth: Depth,
}

/// The images found on one registry.
#[derive(Debug)]
pub struct Listing {
    /// The registry's name, as rows show it.
    pub host: String,
    pub images: Vec<TaggedImage>,
    /// The listed digests that are cr placeholders (a tag left by an interrupted untag).
    pub placeholders: HashSet<Digest>,
    /// Repositories or tags that could not be read; the rest was listed.
    pub problems: Vec<RegistryError>,
}

/// List the images of `registry` (one walk: repositories, tags, then as deep as asked).
pub async fn list(session: &Session, registry: &str, req: &ListRequest) -> anyhow::Result<Listing> {
    let reg = session.get(registry).await?;
    let mut inv = Inventory::new(reg.clone());
    if !req.all_tags {
        inv = inv.skipping(super::referrers::is_referrer_tag);
    }
    let repos = repositories_of(&reg, &inv, req.restrict.as_deref(), "images").await?;
    let (images, problems) = inv.tagged_images(&repos, req.depth).await;
    let placeholders = placeholders(&reg, &images).await;
    Ok(Listing {
        host: reg.name.clone(),
        images,
        placeholders,
        problems,
    })
}

/// The repositories of `registry` under `restrict` (`repo-list`), with the registry's name.
pub async fn repositories(
    session: &Session,
    registry: &str,
    restrict: Option<&str>,
) -> anyhow::Result<(String, Vec<Repository>)> {
    let reg = session.get(registry).await?;
    let inv = Inventory::new(reg.clone());
    let repos = repositories_of(&reg, &inv, restrict, "repositories").await?;
    Ok((reg.name.clone(), repos))
}

/// The repositories under `restrict` (NS or NS/REPO; a leading HOST/ is dropped), listed by
/// `inv`: a catalog the registry does not serve is explained (`what`: what was listed), a
/// restriction that matches nothing is noted.
async fn repositories_of(
    reg: &Cached,
    inv: &Inventory,
    restrict: Option<&str>,
    what: &str,
) -> anyhow::Result<Vec<Repository>> {
    let restrict = restrict.map(|r| r.trim_start_matches(&format!("{}/", reg.name)).to_string());
    let repos = match inv.repositories(restrict.as_deref()).await {
        Ok(r) => r,
        Err(e) => return Err(catalog_error(reg, e, what).await),
    };
    if repos.is_empty() {
        if let Some(r) = &restrict {
            crate::notice::note(&format!(
                "no repository on {} matches --restrict {r}",
                reg.name
            ));
        }
    }
    Ok(repos)
}

/// What a listing needs fetched: names for `quiet` (digests for image-digests), what the
/// `fields` of a `--format` template read, everything for a table or JSON (`fields` None).
pub fn depth(by_digest: bool, quiet: bool, fields: Option<&[String]>) -> Depth {
    let least = if by_digest {
        Depth::Digests
    } else {
        Depth::Names
    };
    if quiet {
        return least;
    }
    let Some(fields) = fields else {
        // A table, JSON, or a template that reads the whole row.
        return Depth::Full;
    };
    let needs = |names: &[&str]| fields.iter().any(|f| names.contains(&f.as_str()));
    if needs(&["Created", "Size"]) {
        Depth::Full
    } else if needs(&["Digest", "ManifestType", "Tags"]) {
        Depth::Digests
    } else {
        least
    }
}

/// A failed catalog listing, saying so plainly when the registry does not serve its catalog
/// to this account (one line, exit 1, pointing at --restrict and tag-list), or when the login
/// was refused.
pub async fn catalog_error(reg: &Cached, e: RegistryError, what: &str) -> anyhow::Error {
    if reg.catalog_unavailable(&e).await {
        let status = match &e {
            RegistryError::Api { status, .. } => *status,
            _ => 0,
        };
        return super::walk::NoCatalog {
            host: reg.name.clone(),
            account: reg.account(),
            status,
            what: what.to_string(),
        }
        .into();
    }
    // A 401 is a login the registry did not accept (or none given).
    let msg = match e.kind() {
        Kind::Unauthorized => format!(
            "cannot list the {what} of {}: it did not accept {}",
            reg.name,
            reg.account()
        ),
        _ => format!("cannot list the {what} of {}", reg.name),
    };
    anyhow::Error::new(e).context(msg)
}

/// The digests (of those listed with their facts) that are cr placeholders: a placeholder is
/// under a kilobyte, so only images that small are looked at (manifest and config, each once).
pub(crate) async fn placeholders(reg: &Cached, images: &[TaggedImage]) -> HashSet<Digest> {
    let mut seen = HashSet::new();
    let mut found = HashSet::new();
    for i in images {
        let (Some(d), Some(info)) = (&i.digest, &i.info) else {
            continue;
        };
        if info.size > 2 * placeholder::MAX_CONFIG as u64 || !seen.insert(d.clone()) {
            continue;
        }
        let scopes = [Scope::pull(&i.repo)];
        let Ok(m) = reg
            .get_manifest(&i.repo, &ManifestRef::digest(d), &scopes)
            .await
        else {
            continue;
        };
        if super::untag::is_placeholder(reg, &i.repo, &m, &scopes).await {
            found.insert(d.clone());
        }
    }
    found
}

/// An `image-list` row, one per tag: its keys are the `-o json` keys and `--format` fields.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagRow {
    pub repository: String,
    pub tag: String,
    pub digest: Option<Digest>,
    pub namespace: String,
    pub created: Option<i64>,
    pub size: Option<u64>,
    pub manifest_type: Option<String>,
}

impl TagRow {
    /// The keys of a row, in order.
    pub const FIELDS: &[&str] = &[
        "Repository",
        "Tag",
        "Digest",
        "Namespace",
        "Created",
        "Size",
        "ManifestType",
    ];
}

/// An `image-digests` row, one per (repository, digest) with its tags.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DigestRow {
    pub repository: String,
    pub digest: Digest,
    pub tags: Vec<String>,
    pub namespace: String,
    pub created: Option<i64>,
    pub size: Option<u64>,
    pub manifest_type: Option<String>,
}

impl DigestRow {
    /// The keys of a row, in order.
    pub const FIELDS: &[&str] = &[
        "Repository",
        "Digest",
        "Tags",
        "Namespace",
        "Created",
        "Size",
        "ManifestType",
    ];
}

fn namespace(i: &TaggedImage) -> String {
    i.repo.split('/').next().unwrap_or("").to_string()
}

/// Rows of `image-list`.
pub fn list_rows(host: &str, images: &[TaggedImage]) -> Vec<TagRow> {
    images
        .iter()
        .map(|i| TagRow {
            repository: format!("{host}/{}", i.repo),
            tag: i.tag.to_string(),
            digest: i.digest.clone(),
            namespace: namespace(i),
            created: i.info.as_ref().and_then(|f| f.created),
            size: i.info.as_ref().map(|f| f.size),
            manifest_type: i.media_type.clone(),
        })
        .collect()
}

/// Rows of `image-digests`: one per (repository, digest), with Tags.
pub fn digest_rows(host: &str, images: &[TaggedImage]) -> Vec<DigestRow> {
    let mut groups: BTreeMap<(String, Digest), (Vec<String>, &TaggedImage)> = BTreeMap::new();
    for i in images {
        let Some(d) = &i.digest else { continue };
        groups
            .entry((i.repo.to_string(), d.clone()))
            .or_insert_with(|| (Vec::new(), i))
            .0
            .push(i.tag.to_string());
    }
    groups
        .into_iter()
        .map(|((repo, digest), (mut tags, i))| {
            tags.sort_by(|a, b| crate::oci::reference::natural_order(a, b));
            DigestRow {
                repository: format!("{host}/{repo}"),
                digest,
                tags,
                namespace: namespace(i),
                created: i.info.as_ref().and_then(|f| f.created),
                size: i.info.as_ref().map(|f| f.size),
                manifest_type: i.media_type.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::walk::ImageInfo;
    use crate::oci::media;

    /// The keys of a row as `-o json` writes them, in order.
    fn keys(row: &impl Serialize) -> Vec<String> {
        let v = serde_json::to_value(row).unwrap();
        v.as_object().unwrap().keys().cloned().collect()
    }

    #[test]
    fn row_keys_are_the_format_fields() {
        let i = TaggedImage {
            repo: "ns/app".parse().unwrap(),
            tag: "v1".parse().unwrap(),
            digest: Some(Digest::fake(&format!("sha256:{}", "a".repeat(64)))),
            media_type: Some(media::OCI_MANIFEST.into()),
            info: Some(ImageInfo {
                media_type: media::OCI_MANIFEST.into(),
                size: 42,
                created: Some(7),
                children: Vec::new(),
            }),
        };
        let list = list_rows("h:5000", std::slice::from_ref(&i));
        assert_eq!(keys(&list[0]), TagRow::FIELDS);
        let digests = digest_rows("h:5000", &[i]);
        assert_eq!(keys(&digests[0]), DigestRow::FIELDS);
        let json = serde_json::to_string(&digests).unwrap();
        let want = format!(
            r#"[{{"Repository":"h:5000/ns/app","Digest":"sha256:{}","Tags":["v1"],"Namespace":"ns","Created":7,"Size":42,"ManifestType":"{}"}}]"#,
            "a".repeat(64),
            media::OCI_MANIFEST
        );
        assert_eq!(json, want);
    }
}
