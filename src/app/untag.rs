//! Untag: remove only a tag; the digest and its other tags stay. Tag deletion first; on
//! registries without it (distribution 2.x: 400/405) a unique placeholder is pushed to the tag
//! and deleted by digest, as one write that an interrupt waits for (`app::critical`). If that
//! deletion is refused, the original tag is put back, but only while the tag still points at
//! the placeholder. A tag found on a placeholder (an untag cut off by a crash) is finished.

use std::sync::Arc;

use anyhow::Context;
use serde::{Serialize, Serializer};

use super::{critical, Session};
use crate::client::capabilities::Learnt;
use crate::client::{Code, Kind, RegistryError, Scope};
use crate::oci::digest::Digest;
use crate::oci::manifest::RawManifest;
use crate::oci::name::Repository;
use crate::oci::name::Tag;
use crate::oci::reference::{ManifestRef, Reference};
use crate::oci::{media, placeholder};
use crate::store::Cached;

/// How a tag went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    TagDeletion,
    Placeholder,
    /// The tag was on a placeholder already (an earlier untag was cut off): it is now deleted.
    FinishedInterrupted,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::TagDeletion => "tag deletion",
            Method::Placeholder => "placeholder",
            Method::FinishedInterrupted => "finished interrupted untag",
        })
    }
}

/// The result for one image: the `-o json` object and `--format` row. An untagged image has
/// Digest and Method; a failed one has Error instead.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagRow {
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    pub untagged: bool,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "method_text"
    )]
    pub method: Option<Method>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl UntagRow {
    /// The keys a row may have, in order.
    pub const FIELDS: &[&str] = &["Image", "Digest", "Untagged", "Method", "Error"];

    /// The row of an image whose tag went (it pointed at `digest`).
    pub fn untagged(r: &Reference, digest: Digest, method: Method) -> Self {
        UntagRow {
            image: r.to_string(),
            digest: Some(digest),
            untagged: true,
            method: Some(method),
            error: None,
        }
    }

    /// The row of an image that failed, with the whole error chain.
    pub fn failed(r: &Reference, error: String) -> Self {
        UntagRow {
            image: r.to_string(),
            digest: None,
            untagged: false,
            method: None,
            error: Some(error),
        }
    }
}

/// A method as its words (`tag deletion`, `placeholder`, …).
fn method_text<S: Serializer>(m: &Option<Method>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => s.collect_str(m),
        None => s.serialize_none(),
    }
}

/// Whether a failed tag DELETE means "not supported here, use the placeholder".
fn unsupported(e: &RegistryError) -> bool {
    matches!(e.status(), Some(400) | Some(405))
        || e.has_code(Code::Unsupported)
        || e.has_code(Code::DigestInvalid)
}

/// Whether `m`, held by `repo`, is a cr placeholder: placeholder-shaped, and its config (read
/// capped) carries the placeholder label. Any failure to tell is a no.
pub async fn is_placeholder(
    reg: &Cached,
    repo: &Repository,
    m: &RawManifest,
    scopes: &[Scope],
) -> bool {
    let Some(config) = placeholder::config_of(m) else {
        return false;
    };
    match reg
        .get_blob_bytes(repo, &config, placeholder::MAX_CONFIG, scopes)
        .await
    {
        Ok(bytes) => placeholder::is_placeholder_config(&bytes),
        Err(_) => false,
    }
}

/// The tag named something else just before the placeholder would replace it: nothing done.
#[derive(Debug, thiserror::Error)]
#[error("{image} was read as {read} but now names {}; nothing was changed: run the untag again", now.as_ref().map_or("nothing".to_string(), ToString::to_string))]
pub struct TagMoved {
    pub image: String,
    pub read: Digest,
    pub now: Option<Digest>,
}

/// Remove `tag` from `r`'s repository; returns the digest it pointed at and how it went.
pub async fn untag(
    reg: &Arc<Cached>,
    r: &Reference,
    tag: &Tag,
) -> anyhow::Result<(Digest, Method)> {
    let repo = &r.repository;
    let scopes = [Scope::push_delete(repo)];
    let tag_ref = ManifestRef::tag(tag);
    let original = reg.get_manifest(repo, &tag_ref, &scopes).await?;
    if is_placeholder(reg, repo, &original, &scopes).await {
        // Left there by an untag that was cut off: finish it.
        let p = ManifestRef::digest(&original.digest);
        reg.delete_manifest(repo, &p, &scopes)
            .await
            .context("finishing an interrupted untag: deleting the placeholder on the tag")?;
        return Ok((original.digest, Method::FinishedInterrupted));
    }
    // Tag deletion where the registry has it (Quay, zot, GitLab, Artifact Registry), learnt
    // from its answer: a 400/405/UNSUPPORTED means the placeholder, here and for the rest of
    // the run.
    let caps = reg.capabilities();
    if caps.tag_delete() != Learnt::No {
        match reg.delete_manifest(repo, &tag_ref, &scopes).await {
            Ok(()) => {
                caps.set_tag_delete(true);
                return Ok((original.digest, Method::TagDeletion));
            }
            Err(e) if unsupported(&e) => caps.set_tag_delete(false),
            Err(e) => return Err(e.into()),
        }
    }
    let p = placeholder::build(&r.to_string(), media::is_docker(&original.media_type));
    reg.upload_bytes(repo, p.config.clone(), &scopes).await?;
    reg.upload_bytes(repo, p.layer.clone(), &scopes).await?;
    // The placeholder replaces what the tag names, and a failed delete puts back what was
    // read: so what was read must be what the tag names (a stale GET, or a push meanwhile,
    // would otherwise be overwritten with the older image). One HEAD, just before.
    let now = reg.resolve_digest(repo, &tag_ref, &scopes).await?;
    if now.as_ref() != Some(&original.digest) {
        return Err(anyhow::Error::new(TagMoved {
            image: r.to_string(),
            read: original.digest.clone(),
            now,
        }));
    }
    // From here the tag moves: the rest runs to its end even when cr is interrupted.
    let (reg, repo) = (reg.clone(), repo.clone());
    let work = async move {
        swap_out(&reg, &repo, &tag_ref, &original, &p.manifest, &scopes).await?;
        Ok((original.digest, Method::Placeholder))
    };
    critical::spawn(format!("the untag of {r}"), work)
        .await
        .context("the untag task failed")?
}

/// Untag the images `refs` (name as given, reference with a tag), each in turn: one row per
/// image; a failure's row has its error chain, and the error goes to `failed` as it happens.
pub async fn untag_images(
    session: &Session,
    refs: &[(String, Reference)],
    failed: impl FnMut(&str, anyhow::Error),
) -> Vec<UntagRow> {
    let op = |reg: Arc<Cached>, r: Reference| async move {
        let tag =
            (r.tag.clone()).ok_or_else(|| anyhow::anyhow!("{r}: a tag is required to untag"))?;
        untag(&reg, &r, &tag)
            .await
            .with_context(|| format!("cannot untag {r}"))
    };
    let outcomes = super::multi::each(session, refs, op, failed).await;
    refs.iter()
        .zip(outcomes)
        .map(|((_, r), o)| match o {
            Ok((digest, method)) => UntagRow::untagged(r, digest, method),
            Err(message) => UntagRow::failed(r, message),
        })
        .collect()
}

/// Point `tag` at the placeholder, then delete the placeholder by digest; if that fails,
/// put `original` back while (and only while) the tag still points at the placeholder.
async fn swap_out(
    reg: &Cached,
    repo: &Repository,
    tag: &ManifestRef,
    original: &RawManifest,
    placeholder: &RawManifest,
    scopes: &[Scope],
) -> anyhow::Result<()> {
    if let Err(e) = reg.put_manifest(repo, tag, placeholder, scopes).await {
        // An answer lost after the registry took it leaves the tag on the placeholder: go on.
        let now = reg.resolve_digest(repo, tag, scopes).await;
        if !matches!(&now, Ok(Some(d)) if *d == placeholder.digest) {
            return Err(anyhow::Error::new(e).context("pointing the tag at the placeholder"));
        }
    }
    let p = ManifestRef::digest(&placeholder.digest);
    let Err(e) = reg.delete_manifest(repo, &p, scopes).await else {
        return Ok(());
    };
    let why = if e.kind() == Kind::Unsupported {
        "the registry refuses manifest deletion (deletion disabled)"
    } else {
        "deleting the placeholder failed"
    };
    let state = match reg.resolve_digest(repo, tag, scopes).await {
        Ok(Some(d)) if d == placeholder.digest => {
            // Never leave the tag on the placeholder: put the original back.
            match reg.put_manifest(repo, tag, original, scopes).await {
                Ok(_) => "the tag was left unchanged".to_string(),
                Err(_) => "restoring the tag failed too; `cr image-untag` again finishes it".into(),
            }
        }
        // Gone: the untag is done, whoever deleted the placeholder.
        Ok(None) => return Ok(()),
        Ok(Some(d)) => format!("the tag was changed meanwhile (now {d}) and is left as it is"),
        Err(_) => "the tag may be on the placeholder; `cr image-untag` again finishes it".into(),
    };
    Err(anyhow::Error::new(e).context(format!("{why}; {state}")))
}
