//! Referrers of an image (signatures, SBOMs, attestations): found through the referrers API
//! where the registry has it, else the fallback tag schema (`sha256-<hex>`), plus cosign's
//! `sha256-<hex>.sig` / `.att` / `.sbom` tags; followed recursively (a signature of an SBOM),
//! and copied with their subjects: the engine keeps the destination's fallback index.

use std::collections::{HashSet, VecDeque};

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

use crate::client::referrers::fallback_tag;
use crate::client::{RegistryError, Scope};
use crate::engine::{self, Options, Repo, TransferError};
use crate::oci::digest::Digest;
use crate::oci::manifest::{Parsed, RawManifest};
use crate::oci::name::Repository;
use crate::oci::name::Tag;
use crate::oci::reference::ManifestRef;
use crate::store::{Cached, Catalog};

/// At most this many referrers are followed from one image (a hostile registry could list
/// referrers without end).
const MAX_REFERRERS: usize = 1000;
/// Cosign's tag suffixes.
const COSIGN: [&str; 3] = ["sig", "att", "sbom"];

/// One referrer of a subject.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Referrer {
    pub subject: Digest,
    pub digest: Digest,
    pub media_type: String,
    pub artifact_type: String,
    pub size: u64,
    pub annotations: serde_json::Map<String, Value>,
    /// `api`, `tag` (the fallback tag schema) or `cosign` (a `sha256-<hex>.sig` style tag).
    pub found_by: String,
    /// The cosign tag, for those found by one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<Tag>,
}

impl Referrer {
    /// The keys a referrer's `-o json` object may have (Tag only for a cosign tag), in order:
    /// the `--format` fields of `cr referrers`.
    pub const FIELDS: &[&str] = &[
        "Subject",
        "Digest",
        "MediaType",
        "ArtifactType",
        "Size",
        "Annotations",
        "FoundBy",
        "Tag",
    ];
}

/// Whether a tag belongs to a subject rather than naming an image: `sha256-<hex>` (the
/// fallback tag schema) and cosign's `sha256-<hex>.sig` / `.att` / `.sbom`.
pub fn is_referrer_tag(tag: &str) -> bool {
    referrer_tag_subject(tag).is_some()
}

/// The subject a fallback tag (`sha256-<hex>`) or cosign tag (`sha256-<hex>.sig|att|sbom`)
/// belongs to, as a digest string (`sha256:<hex>`); None for any other tag.
pub fn referrer_tag_subject(tag: &str) -> Option<String> {
    let base = COSIGN
        .iter()
        .find_map(|s| tag.strip_suffix(&format!(".{s}")))
        .unwrap_or(tag);
    crate::client::referrers::fallback_subject(base)
}

fn from_descriptor(subject: &Digest, d: &Value, found_by: &str) -> Option<Referrer> {
    let text = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_string);
    Some(Referrer {
        subject: subject.clone(),
        digest: Digest::parse(d.get("digest")?.as_str()?).ok()?,
        media_type: text("mediaType").unwrap_or_default(),
        artifact_type: text("artifactType").unwrap_or_default(),
        size: d.get("size").and_then(Value::as_u64).unwrap_or(0),
        annotations: d
            .get("annotations")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        found_by: found_by.to_string(),
        tag: None,
    })
}

/// The direct referrers of `subject` in `repo`. `tags`: the repository's tags when known
/// (then the fallback and cosign tags cost a request only when they exist).
pub async fn direct(
    reg: &Cached,
    repo: &Repository,
    subject: &Digest,
    tags: Option<&HashSet<Tag>>,
) -> Result<Vec<Referrer>, RegistryError> {
    let scopes = [Scope::pull(repo)];
    let mut out = Vec::new();
    match reg.referrers(repo, subject).await? {
        Some(list) => out.extend(
            list.iter()
                .filter_map(|d| from_descriptor(subject, d, "api")),
        ),
        None => {
            let tag = fallback_tag(subject);
            if tags.is_none_or(|t| t.contains(tag.as_str())) {
                let list = reg.referrers_by_tag(repo, subject, &scopes).await?;
                out.extend(
                    list.iter()
                        .filter_map(|d| from_descriptor(subject, d, "tag")),
                );
            }
        }
    }
    for suffix in COSIGN {
        let Ok(tag) = Tag::parse(&format!("{}.{suffix}", fallback_tag(subject))) else {
            continue;
        };
        if !tags.is_none_or(|t| t.contains(tag.as_str())) {
            continue;
        }
        let Some(head) = reg
            .head_manifest(repo, &ManifestRef::tag(&tag), &scopes)
            .await?
        else {
            continue;
        };
        let Some(digest) = head.digest.or(reg
            .resolve_digest(repo, &ManifestRef::tag(&tag), &scopes)
            .await?)
        else {
            continue;
        };
        out.push(Referrer {
            subject: subject.clone(),
            digest,
            media_type: head.media_type.unwrap_or_default(),
            artifact_type: format!("cosign {suffix}"),
            size: head.size.unwrap_or(0),
            annotations: Default::default(),
            found_by: "cosign".into(),
            tag: Some(tag),
        });
    }
    Ok(out)
}

/// The subjects an image's referrers may point at: the image and, for an index, each of its
/// manifests.
pub async fn subjects(reg: &Cached, repo: &Repository, digest: &Digest) -> Vec<Digest> {
    let mut out = vec![digest.clone()];
    let scopes = [Scope::pull(repo)];
    if let Ok(m) = reg
        .get_manifest(repo, &ManifestRef::digest(digest), &scopes)
        .await
    {
        if let Ok(p @ Parsed::Index(_)) = m.parse() {
            out.extend(p.children().into_iter().map(|(d, _)| d.digest));
        }
    }
    out
}

/// Every referrer of the images `roots`, recursively (referrers of referrers), each once,
/// a subject always before its referrers.
pub async fn all(
    reg: &Cached,
    repo: &Repository,
    roots: Vec<Digest>,
    tags: Option<&HashSet<Tag>>,
) -> Result<Vec<Referrer>, RegistryError> {
    let mut seen: HashSet<Digest> = roots.iter().cloned().collect();
    let mut queue: VecDeque<Digest> = roots.into();
    let mut out = Vec::new();
    while let Some(subject) = queue.pop_front() {
        for r in direct(reg, repo, &subject, tags).await? {
            if out.len() >= MAX_REFERRERS {
                return Ok(out);
            }
            if seen.insert(r.digest.clone()) {
                queue.push_back(r.digest.clone());
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// What refers to the image `r` (found through the referrers API, the fallback tag schema and
/// cosign's tags, recursively; for an index also what refers to its manifests), only of
/// `artifact_type` when given. A missing image is explained (closest tags).
pub async fn discover(
    session: &super::Session,
    r: &crate::oci::reference::Reference,
    artifact_type: Option<&str>,
) -> anyhow::Result<Vec<Referrer>> {
    let reg = session.get(&r.registry).await?;
    let repo = &r.repository;
    let scopes = [Scope::pull(repo)];
    let subject = match reg.get_manifest(repo, &r.manifest_ref(), &scopes).await {
        Ok(m) => m.digest,
        Err(e) => {
            let e = super::explain_missing(&reg, r, e).await;
            return Err(e.context(format!("cannot list the referrers of {r}")));
        }
    };
    let tags: HashSet<Tag> = reg
        .tags(repo)
        .await
        .with_context(|| format!("cannot list the tags of {}", r.repo_name()))?
        .into_iter()
        .collect();
    let roots = subjects(&reg, repo, &subject).await;
    let mut found = all(&reg, repo, roots, Some(&tags))
        .await
        .with_context(|| format!("cannot list the referrers of {r}"))?;
    if let Some(t) = artifact_type {
        found.retain(|x| x.artifact_type == t);
    }
    Ok(found)
}

/// A destination cosign tag that differs from the source's: kept (a signature added at the
/// destination is not lost), and reported.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Kept {
    /// `HOST/REPO:sha256-<hex>.sig` at the destination.
    pub tag: String,
    /// What the destination tag holds (kept).
    pub destination: Digest,
    /// What the source tag holds (not copied).
    pub source: Digest,
}

impl Kept {
    /// The line that reports it; `how`: what overwrites it.
    pub fn message(&self, how: &str) -> String {
        format!(
            "kept {} ({}): the source's is {}; a signature added at the destination is not overwritten ({how})",
            self.tag, self.destination, self.source
        )
    }
}

/// What [`copy`] did: the referrers copied (by digest) and the destination tags kept.
#[derive(Debug, Clone, Default)]
pub struct Copied {
    pub digests: Vec<Digest>,
    pub kept: Vec<Kept>,
}

/// Whether a referrer's manifest is bound to the subject it was listed under: one listed by
/// the referrers API or a fallback index must name that subject; one found by its cosign tag
/// is bound by the tag's name and may have no subject, but not another one.
pub(crate) fn bound(r: &Referrer, m: &RawManifest) -> bool {
    let subject = serde_json::from_slice::<Value>(&m.bytes)
        .ok()
        .and_then(|v| {
            v.get("subject")
                .map(|s| s.get("digest").and_then(Value::as_str).map(str::to_string))
        });
    match (r.found_by.as_str(), subject) {
        ("cosign", None) => true,
        (_, Some(Some(s))) => s == r.subject,
        _ => false,
    }
}

fn warn_unbound(src: &Repo, r: &Referrer) {
    crate::notice::warning(&format!(
        "{}/{}@{}: skipped: listed as a referrer of {}, but its manifest does not name that subject",
        src.reg.name, src.repo, r.digest, r.subject
    ));
}

/// Copy every referrer of the image `digest` (and of its platforms) from `src` to `dst`,
/// recursively; those the destination has already are skipped. A referrer whose manifest does
/// not name the subject it was listed under is skipped with a warning (with its own
/// referrers): it is never indexed under another digest. A destination cosign tag holding
/// something else than the source's is kept and reported, unless `force`.
pub async fn copy(
    src: &Repo,
    dst: &Repo,
    digest: &Digest,
    tags: Option<&HashSet<Tag>>,
    opts: &Options,
    force: bool,
) -> Result<Copied, TransferError> {
    let roots = subjects(&src.reg, &src.repo, digest).await;
    let found = all(&src.reg, &src.repo, roots, tags).await?;
    let source = src.clone();
    let dest = dst.clone();
    let quiet = Options {
        jobs: opts.jobs,
        platform: None,
        progress: std::sync::Arc::new(engine::progress::Silent),
        placed: opts.placed.clone(),
    };
    let dst_scopes = [Scope::pull(&dst.repo)];
    let mut out = Copied::default();
    let mut skipped: HashSet<Digest> = HashSet::new();
    let mut listed_there = Vec::new();
    for r in found {
        // `all` lists a subject before its referrers.
        if skipped.contains(&r.subject) {
            skipped.insert(r.digest.clone());
            continue;
        }
        let present = dst
            .reg
            .head_manifest(&dst.repo, &ManifestRef::digest(&r.digest), &dst_scopes)
            .await?
            .is_some();
        let at_tag = match &r.tag {
            Some(t) => {
                dst.reg
                    .resolve_digest(&dst.repo, &ManifestRef::tag(t), &dst_scopes)
                    .await?
            }
            None => None,
        };
        let done = match &r.tag {
            Some(_) => present && at_tag.as_ref() == Some(&r.digest),
            None => present,
        };
        if done {
            if r.found_by != "cosign" {
                listed_there.push(r);
            }
            continue;
        }
        if let (Some(t), Some(there)) = (&r.tag, &at_tag) {
            if there != &r.digest && !force {
                out.kept.push(Kept {
                    tag: format!("{}/{}:{t}", dst.reg.name, dst.repo),
                    destination: there.clone(),
                    source: r.digest.clone(),
                });
                continue;
            }
        }
        let m = manifest_of(src, &r.digest).await?;
        if !bound(&r, &m) {
            warn_unbound(src, &r);
            skipped.insert(r.digest.clone());
            continue;
        }
        let tags: Vec<Tag> = r.tag.iter().cloned().collect();
        engine::transfer(
            &source,
            &ManifestRef::digest(&r.digest),
            &dest,
            &tags,
            &quiet,
        )
        .await?;
        out.digests.push(r.digest);
    }
    reindex(src, dst, listed_there).await?;
    Ok(out)
}

/// A referrer's manifest as the source holds it.
async fn manifest_of(src: &Repo, digest: &Digest) -> Result<RawManifest, RegistryError> {
    src.reg
        .get_manifest(
            &src.repo,
            &ManifestRef::digest(digest),
            &[Scope::pull(&src.repo)],
        )
        .await
}

/// Referrers with a subject that the destination has already, but whose subject's fallback
/// tag index there does not list them (an index update that failed or was cut off, one
/// pushed by another tool), are added to that index: a later run mends what an earlier one
/// left. A destination with the referrers API lists them itself. One read of each subject's
/// index; nothing is written when every one is listed.
async fn reindex(src: &Repo, dst: &Repo, present: Vec<Referrer>) -> Result<(), TransferError> {
    let mut by_subject: std::collections::BTreeMap<Digest, Vec<Referrer>> = Default::default();
    for r in present {
        by_subject.entry(r.subject.clone()).or_default().push(r);
    }
    let scopes = [Scope::pull(&dst.repo)];
    for (subject, rs) in by_subject {
        if dst
            .reg
            .referrers_api(&dst.repo, &subject, &scopes)
            .await?
            .is_some()
        {
            continue;
        }
        let listed: HashSet<String> = dst
            .reg
            .referrers_by_tag(&dst.repo, &subject, &scopes)
            .await?
            .iter()
            .filter_map(|d| d.get("digest").and_then(Value::as_str).map(str::to_string))
            .collect();
        for r in rs.iter().filter(|r| !listed.contains(r.digest.as_str())) {
            let m = manifest_of(src, &r.digest).await?;
            if bound(r, &m) {
                dst.reg.add_to_fallback_index(&dst.repo, &m).await?;
            }
        }
    }
    Ok(())
}

/// [`copy`], listing the source repository's tags first (one request) so that absent
/// fallback and cosign tags cost nothing.
pub async fn copy_with_tags(
    src: &Repo,
    dst: &Repo,
    digest: &Digest,
    opts: &Options,
    force: bool,
) -> Result<Copied, TransferError> {
    let tags: HashSet<Tag> = src.reg.tags(&src.repo).await?.into_iter().collect();
    copy(src, dst, digest, Some(&tags), opts, force).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_format_fields() {
        let r = Referrer {
            subject: Digest::fake("sha256:s"),
            digest: Digest::fake("sha256:d"),
            media_type: "m".into(),
            artifact_type: "a".into(),
            size: 1,
            annotations: serde_json::Map::new(),
            found_by: "cosign".into(),
            tag: Some(Tag::parse("sha256-s.sig").unwrap()),
        };
        let v = serde_json::to_value(&r).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, Referrer::FIELDS);
    }

    #[test]
    fn referrer_tags() {
        let h = "a".repeat(64);
        assert!(is_referrer_tag(&format!("sha256-{h}")));
        assert!(is_referrer_tag(&format!("sha256-{h}.sig")));
        assert!(is_referrer_tag(&format!("sha256-{h}.sbom")));
        assert!(!is_referrer_tag(&format!("sha256-{h}.other")));
        assert!(!is_referrer_tag("sha256-abc"));
        assert!(!is_referrer_tag("v1.0"));
    }

    #[test]
    fn referrers_are_bound_to_the_subject_they_were_listed_under() {
        let (a, b) = (
            Digest::fake(&format!("sha256:{}", "a".repeat(64))),
            Digest::fake(&format!("sha256:{}", "b".repeat(64))),
        );
        let m = |subject: Option<&str>| {
            let mut v = serde_json::json!({"schemaVersion": 2, "layers": []});
            if let Some(s) = subject {
                v["subject"] = serde_json::json!({"digest": s, "size": 1});
            }
            let bytes = serde_json::to_vec(&v).unwrap();
            RawManifest::new(bytes.into(), "application/json".into(), b.clone())
        };
        let r = |found_by: &str| Referrer {
            subject: a.clone(),
            digest: b.clone(),
            media_type: String::new(),
            artifact_type: String::new(),
            size: 0,
            annotations: Default::default(),
            found_by: found_by.into(),
            tag: None,
        };
        for by in ["api", "tag"] {
            assert!(bound(&r(by), &m(Some(&a))));
            assert!(!bound(&r(by), &m(Some(&b))));
            assert!(!bound(&r(by), &m(None)));
        }
        assert!(bound(&r("cosign"), &m(None)));
        assert!(bound(&r("cosign"), &m(Some(&a))));
        assert!(!bound(&r("cosign"), &m(Some(&b))));
    }
}
