//! Untag: remove only a tag; the digest and its other tags stay. Tag deletion first; on
//! registries without it (distribution 2.x: 400/405) a unique placeholder is pushed to the tag
//! and deleted by digest. If that deletion is refused, the original tag is put back.

use anyhow::Context;

use crate::image::{media, placeholder};
use crate::reference::{ManifestRef, Reference};
use crate::registry::{Code, Kind, Registry, RegistryError, Scope};

/// How a tag went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    TagDeletion,
    Placeholder,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::TagDeletion => "tag deletion",
            Method::Placeholder => "placeholder",
        })
    }
}

/// Whether a failed tag DELETE means "not supported here, use the placeholder".
fn unsupported(e: &RegistryError) -> bool {
    matches!(e.status(), Some(400) | Some(405))
        || e.has_code(Code::Unsupported)
        || e.has_code(Code::DigestInvalid)
}

/// Remove `tag` from `r`'s repository; returns the digest it pointed at and how it went.
pub async fn untag(reg: &Registry, r: &Reference, tag: &str) -> anyhow::Result<(String, Method)> {
    let repo = &r.repository;
    let scopes = [Scope::push_delete(repo)];
    let tag = &ManifestRef::tag(tag);
    let original = reg.get_manifest(repo, tag, &scopes).await?;
    match reg.delete_manifest(repo, tag, &scopes).await {
        Ok(()) => return Ok((original.digest, Method::TagDeletion)),
        Err(e) if unsupported(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let p = placeholder::build(&r.to_string(), media::is_docker(&original.media_type));
    reg.upload_bytes(repo, p.config.clone(), &scopes).await?;
    reg.upload_bytes(repo, p.layer.clone(), &scopes).await?;
    reg.put_manifest(repo, tag, &p.manifest, &scopes).await?;
    let placeholder = ManifestRef::digest(&p.manifest.digest);
    if let Err(e) = reg.delete_manifest(repo, &placeholder, &scopes).await {
        // Never leave the tag on the placeholder: put the original back.
        let restored = reg.put_manifest(repo, tag, &original, &scopes).await;
        let state = if restored.is_ok() {
            "the tag was left unchanged"
        } else {
            "restoring the tag failed too"
        };
        let why = if e.kind() == Kind::Unsupported {
            "the registry refuses manifest deletion (deletion disabled)"
        } else {
            "deleting the placeholder failed"
        };
        return Err(anyhow::Error::new(e)).context(format!("{why}; {state}"));
    }
    Ok((original.digest, Method::Placeholder))
}
