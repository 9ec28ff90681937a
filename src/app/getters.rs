//! Raw getters for scripts: an image's digest (HEAD only), one platform's manifest of an
//! index, an image's config bytes, and a blob streamed to a writer or a file, digest-verified
//! while it streams.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;

use super::NotFound;
use crate::client::{RegistryError, Scope};
use crate::engine::stream::registry_blob;
use crate::oci::digest::Digest;
use crate::oci::digest::Hasher;
use crate::oci::manifest::{Descriptor, Parsed, RawManifest};
use crate::oci::name::Repository;
use crate::oci::platform::Platform;
use crate::oci::reference::{ManifestRef, Reference};
use crate::store::Cached;

/// The digest of zero bytes, the one blob whose size 0 is known without a Content-Length.
const EMPTY_BLOB: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Configs larger than this are refused (they are JSON documents of a few KiB).
const MAX_CONFIG: usize = 16 << 20;

/// What the getters refuse, besides registry errors and [`NotFound`].
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    /// An index was given where one image is needed, and no platform was chosen.
    #[error("{image} is a multi-platform index; choose one of its platforms: {}", .platforms.join(", "))]
    NeedPlatform {
        image: String,
        platforms: Vec<String>,
    },
    /// The manifest is neither an image nor an index cr reads (a nested index).
    #[error("{image}: the manifest ({media_type}) is not an image manifest")]
    NotAnImage { image: String, media_type: String },
    /// The blob could not be written where it was asked for.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A digest, and whether it had to be computed from a GET because the registry's HEAD answer
/// did not carry a usable Docker-Content-Digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub digest: Digest,
    pub by_get: bool,
}

/// The platforms an index lists, as `os/arch[/variant]`.
fn platforms_of(parsed: &Parsed) -> Vec<String> {
    parsed
        .children()
        .iter()
        .filter_map(|(_, p)| p.as_ref().map(|p| p.to_string()))
        .collect()
}

fn no_platform(r: &Reference, want: &Platform, has: &[String]) -> anyhow::Error {
    NotFound {
        image: r.to_string(),
        message: format!(
            "no manifest for platform {want} (it has: {})",
            has.join(", ")
        ),
    }
    .into()
}

/// The top manifest of `r`, a missing tag explained.
async fn top(reg: &Cached, r: &Reference) -> anyhow::Result<RawManifest> {
    let scopes = [Scope::pull(&r.repository)];
    match reg
        .get_manifest(&r.repository, &r.manifest_ref(), &scopes)
        .await
    {
        Ok(m) => Ok(m),
        Err(e) => Err(super::explain_missing(reg, r, e).await),
    }
}

/// The digest of `r`. Without a platform: one HEAD (a GET only when the HEAD answer has no
/// usable digest). With one: the top manifest is read, and for an index the digest of the
/// child for that platform is given (no further request); a single image is given when its
/// config says it is for that platform.
pub async fn digest(
    reg: &Cached,
    r: &Reference,
    platform: Option<&Platform>,
) -> anyhow::Result<Resolved> {
    let scopes = [Scope::pull(&r.repository)];
    let Some(want) = platform else {
        let head = match reg
            .head_manifest(&r.repository, &r.manifest_ref(), &scopes)
            .await
        {
            Ok(Some(h)) => h,
            Ok(None) => {
                let e = RegistryError::Api {
                    what: format!("check manifest {r}"),
                    host: reg.name.clone(),
                    status: 404,
                    errors: Vec::new(),
                    account: Some(Box::new(reg.account())),
                    scope: None,
                    insufficient_scope: false,
                    retry_after: None,
                    op: crate::client::Operation::Other,
                };
                return Err(super::explain_missing(reg, r, e).await);
            }
            Err(e) => return Err(super::explain_missing(reg, r, e).await),
        };
        if let ManifestRef::Digest(d) = r.manifest_ref() {
            return Ok(Resolved {
                digest: d,
                by_get: false,
            });
        }
        // A registry's header is outside input: only a well-formed digest is taken.
        if let Some(d) = head
            .digest
            .filter(|d| crate::oci::reference::validate_digest(d).is_ok())
        {
            return Ok(Resolved {
                digest: d,
                by_get: false,
            });
        }
        let m = top(reg, r).await?;
        return Ok(Resolved {
            digest: m.digest,
            by_get: true,
        });
    };
    let m = manifest(reg, r, Some(want)).await?;
    Ok(Resolved {
        digest: m.digest,
        by_get: true,
    })
}

/// The manifest of `r` with its exact bytes; with a platform, that platform's child of an
/// index (exit 3 naming the platforms present when it has none), or the image itself when
/// its config is for that platform.
pub async fn manifest(
    reg: &Cached,
    r: &Reference,
    platform: Option<&Platform>,
) -> anyhow::Result<RawManifest> {
    let top = top(reg, r).await?;
    match platform {
        None => Ok(top),
        Some(want) => child(reg, r, top, want).await,
    }
}

/// The manifest for `want` under `top`.
async fn child(
    reg: &Cached,
    r: &Reference,
    top: RawManifest,
    want: &Platform,
) -> anyhow::Result<RawManifest> {
    let scopes = [Scope::pull(&r.repository)];
    let parsed = top.parse()?;
    if top.is_index() {
        let has = platforms_of(&parsed);
        let (d, _) = parsed
            .pick_platform(Some(want))
            .ok_or_else(|| no_platform(r, want, &has))?;
        return Ok(reg
            .get_manifest(&r.repository, &ManifestRef::Digest(d.digest), &scopes)
            .await?);
    }
    let cfg = config_bytes(reg, r, &top).await?;
    let cfg: serde_json::Value = serde_json::from_slice(&cfg).unwrap_or_default();
    if !want.admits_config(&cfg) {
        return Err(no_platform(
            r,
            want,
            &[Platform::of_config(&cfg).to_string()],
        ));
    }
    Ok(top)
}

/// The config blob of an image manifest, exactly as stored (verified against its digest).
async fn config_bytes(
    reg: &Cached,
    r: &Reference,
    m: &RawManifest,
) -> anyhow::Result<bytes::Bytes> {
    let parsed = m.parse()?;
    let Parsed::Image(img) = &parsed else {
        return Err(GetError::NotAnImage {
            image: r.to_string(),
            media_type: m.media_type.clone(),
        }
        .into());
    };
    let digest = img.config.digest.clone();
    Ok(reg
        .get_blob_bytes(
            &r.repository,
            &digest,
            MAX_CONFIG,
            &[Scope::pull(&r.repository)],
        )
        .await?)
}

/// The config of `r` (of `platform` for an index; an index without one is refused with
/// [`GetError::NeedPlatform`] naming its platforms), exactly as stored.
pub async fn config(
    reg: &Cached,
    r: &Reference,
    platform: Option<&Platform>,
) -> anyhow::Result<bytes::Bytes> {
    let top = top(reg, r).await?;
    let image = match platform {
        Some(want) => child(reg, r, top, want).await?,
        None if top.is_index() => {
            return Err(GetError::NeedPlatform {
                image: r.to_string(),
                platforms: platforms_of(&top.parse()?),
            }
            .into())
        }
        None => top,
    };
    config_bytes(reg, r, &image).await
}

/// Stream the blob `digest` of `repo` into `out`, hashing as it goes; the byte count. One
/// HEAD learns its size (a blob that is not there is [`NotFound`]); a GET that breaks
/// mid-blob resumes with `Range` from the byte it reached. A body that does not hash to
/// `digest` is a [`RegistryError::DigestMismatch`] (the bytes already written stay written:
/// callers writing a file use [`blob_to_file`]).
pub async fn blob_to(
    reg: &Arc<Cached>,
    repo: &Repository,
    digest: &Digest,
    out: &mut dyn Write,
    out_name: &Path,
) -> anyhow::Result<u64> {
    let what = format!("get blob {digest} from {repo}");
    let size = reg
        .head_blob(repo, digest, &[Scope::pull(repo)])
        .await?
        .ok_or_else(|| NotFound {
            image: format!("{}/{repo}@{digest}", reg.name),
            message: format!("no blob {digest} in {repo}"),
        })?;
    // A HEAD without Content-Length (some proxies) leaves the size unknown: then one GET,
    // not resumed, is read to its end.
    let known = size > 0 || digest == EMPTY_BLOB;
    let mut body: crate::oci::bytes::ByteStream = if known {
        let desc = Descriptor::new(String::new(), digest.clone(), size);
        registry_blob(reg.clone(), repo.clone(), desc)
    } else {
        let resp = reg
            .get_blob(repo, digest, 0, &[Scope::pull(repo)], None)
            .await?;
        Box::pin(
            resp.bytes_stream()
                .map(|r| r.map_err(std::io::Error::other)),
        )
    };
    let mut hasher = Hasher::for_digest(digest);
    let mut n = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| match e.get_ref().and_then(|i| i.downcast_ref()) {
            // The registry's own answer keeps its type (exit codes and hints follow it).
            Some(re @ RegistryError::Api { .. }) => anyhow::Error::new(re.clone()),
            _ => anyhow::Error::new(RegistryError::Connect {
                what: what.clone(),
                host: reg.name.clone(),
                cause: crate::client::cause::classify(&e),
                message: e.to_string(),
                op: crate::client::Operation::Other,
            }),
        })?;
        hasher.update(&chunk);
        n += chunk.len() as u64;
        if known && n > size {
            // A body longer than the blob (or endless) is stopped, not written on.
            return Err(RegistryError::DigestMismatch {
                what,
                expected: digest.to_string(),
                actual: format!("a body longer than the blob's {size} bytes"),
            }
            .into());
        }
        out.write_all(&chunk).map_err(|source| GetError::Write {
            path: out_name.to_path_buf(),
            source,
        })?;
    }
    out.flush().map_err(|source| GetError::Write {
        path: out_name.to_path_buf(),
        source,
    })?;
    let actual = hasher.finish();
    if actual != *digest {
        return Err(RegistryError::DigestMismatch {
            what,
            expected: digest.to_string(),
            actual: actual.into_string(),
        }
        .into());
    }
    Ok(n)
}

/// Stream a blob into `path`: written to a temporary file beside it and renamed over it only
/// once every byte was verified; on any failure (or an interrupt) no file is left.
pub async fn blob_to_file(
    reg: &Arc<Cached>,
    repo: &Repository,
    digest: &Digest,
    path: &Path,
) -> anyhow::Result<u64> {
    let werr = |source| GetError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!(".{name}.");
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".part");
    // A file like any other the user creates (the umask applies), not a private temp file.
    #[cfg(unix)]
    b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = b.tempfile_in(dir).map_err(werr)?;
    let mut w = std::io::BufWriter::new(tmp);
    let n = blob_to(reg, repo, digest, &mut w, path).await?;
    let tmp = w.into_inner().map_err(|e| werr(e.into_error()))?;
    tmp.persist(path).map_err(|e| werr(e.error))?;
    Ok(n)
}
