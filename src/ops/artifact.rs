//! OCI 1.1 artifacts with a subject: `attach` pushes files as the layers of an image manifest
//! with an `artifactType`, the empty config and the subject's descriptor (through the transfer
//! engine, which keeps the fallback tag index where the registry lacks the referrers API), and
//! `get` writes an artifact's files by their title annotation, each verified while it streams
//! and renamed into place only once every file is complete.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use super::referrers;
use crate::image::digest::{self, Hasher};
use crate::image::manifest::{Desc, RawManifest};
use crate::image::media;
use crate::local::{reader::LocalImage, Kind as LocalKind, LocalError, LocalRef};
use crate::reference::{ManifestRef, Reference};
use crate::registry::{Registry, Scope};
use crate::transfer::{self, progress::Progress, Dest, Repo, Source, TransferError};

/// The empty descriptor's media type, content (`{}`) and digest (OCI image-spec 1.1).
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
pub const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const EMPTY: &[u8] = b"{}";
/// The annotation that names a layer's file.
pub const TITLE: &str = "org.opencontainers.image.title";
/// The annotation with the artifact's creation time (`artifact-get --artifact-type` takes the
/// newest).
pub const CREATED: &str = "org.opencontainers.image.created";
/// The media type of a file's layer unless `--file-type` says otherwise.
pub const DEFAULT_FILE_TYPE: &str = "application/octet-stream";
/// The largest file `attach` takes unless `--max-size` says otherwise: 512 MiB.
pub const DEFAULT_MAX_SIZE: u64 = 512 << 20;
/// A title longer than this (bytes) is refused: most file systems allow 255.
const MAX_TITLE: usize = 255;

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// A file larger than the limit: refused before any request.
    #[error("{path}: {size} bytes, more than the limit of {max} bytes")]
    TooLarge { path: PathBuf, size: u64, max: u64 },
    #[error("{path}: not a regular file")]
    NotAFile { path: PathBuf },
    #[error("{path}: its name cannot be a title: {reason}")]
    BadFileName { path: PathBuf, reason: &'static str },
    #[error("{first} and {second} have the same name {title}: a title names one file")]
    SameName {
        title: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{path} changed while it was read ({was} bytes, then {now})")]
    Changed { path: PathBuf, was: u64, now: u64 },
    /// A title from the registry that would not name one file inside the directory.
    #[error("{reference}: layer {digest} has the title \"{title}\", refused: {reason}")]
    BadTitle {
        reference: String,
        digest: String,
        title: String,
        reason: &'static str,
    },
    #[error("{reference}: two layers have the title \"{title}\"")]
    DuplicateTitle { reference: String, title: String },
    #[error("{reference} is not an artifact with files: {message}")]
    NotAnArtifact { reference: String, message: String },
    #[error("{reference} is listed as a referrer of {subject}, but its manifest does not name that subject")]
    Unbound { reference: String, subject: String },
}

impl ArtifactError {
    /// Bad input found before any request (the command's arguments): a usage error.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ArtifactError::TooLarge { .. }
                | ArtifactError::NotAFile { .. }
                | ArtifactError::BadFileName { .. }
                | ArtifactError::SameName { .. }
        )
    }
}

/// Why `title` cannot name a file directly inside a directory, if it cannot: empty, `.` or
/// `..`, a path separator (so no absolute path either), a control character, too long, or a
/// name of cr's own staging files.
pub fn title_problem(title: &str) -> Option<&'static str> {
    if title.is_empty() {
        return Some("it is empty");
    }
    if title == "." || title == ".." {
        return Some("it names a directory");
    }
    if title.contains('/') || title.contains('\\') {
        return Some("it holds a path separator");
    }
    if title
        .chars()
        .any(|c| c == '\0' || crate::text::is_control(c))
    {
        return Some("it holds a control character");
    }
    if title.len() > MAX_TITLE {
        return Some("it is longer than 255 bytes");
    }
    if title.starts_with(".cr-") {
        return Some("it is a name of cr's own staging files");
    }
    None
}

/// Why `s` is not a media type (`type/subtype`, RFC 6838 characters, each part at most 127),
/// if it is not.
pub fn media_type_problem(s: &str) -> Option<&'static str> {
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 127
            && p.starts_with(|c: char| c.is_ascii_alphanumeric())
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match s.split_once('/') {
        None => Some("no '/'"),
        Some((t, st)) if part(t) && part(st) => None,
        Some(_) => Some("letters, digits and !#$&^_.+- only, on both sides of one '/'"),
    }
}

/// What `attach` pushes.
#[derive(Debug, Clone)]
pub struct AttachSpec {
    pub artifact_type: String,
    pub files: Vec<PathBuf>,
    /// The media type of every file's layer.
    pub file_type: String,
    /// The manifest's annotations (`org.opencontainers.image.created` is added unless given).
    pub annotations: BTreeMap<String, String>,
    pub max_size: u64,
}

/// A file to attach, checked.
#[derive(Debug, Clone)]
pub struct FileIn {
    pub path: PathBuf,
    pub title: String,
    pub size: u64,
}

/// One file of an artifact; the keys are the `-o json` fields.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ArtifactFile {
    pub title: String,
    pub digest: String,
    pub size: u64,
}

/// What `attach` pushed or `get` wrote; the keys are the `-o json` fields.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Artifact {
    /// `HOST/REPO@sha256:…` of the artifact.
    pub reference: String,
    pub digest: String,
    pub artifact_type: String,
    /// The subject's digest (empty for an artifact without one).
    pub subject: String,
    pub files: Vec<ArtifactFile>,
}

/// Check the files of an attach before any request: each a regular file no larger than the
/// limit, whose base name is a valid title, no two with the same name.
pub fn check_files(files: &[PathBuf], max_size: u64) -> anyhow::Result<Vec<FileIn>> {
    let mut out: Vec<FileIn> = Vec::new();
    for path in files {
        let meta = std::fs::metadata(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                LocalError::Missing {
                    path: path.clone(),
                    message: "no such file".into(),
                }
            } else {
                LocalError::io(path, e)
            }
        })?;
        if !meta.is_file() {
            return Err(ArtifactError::NotAFile { path: path.clone() }.into());
        }
        if meta.len() > max_size {
            return Err(ArtifactError::TooLarge {
                path: path.clone(),
                size: meta.len(),
                max: max_size,
            }
            .into());
        }
        let title = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(reason) = title_problem(&title) {
            return Err(ArtifactError::BadFileName {
                path: path.clone(),
                reason,
            }
            .into());
        }
        if let Some(first) = out.iter().find(|f| f.title == title) {
            return Err(ArtifactError::SameName {
                title,
                first: first.path.clone(),
                second: path.clone(),
            }
            .into());
        }
        out.push(FileIn {
            path: path.clone(),
            title,
            size: meta.len(),
        });
    }
    Ok(out)
}

/// The sha256 of a file, read in pieces on a blocking thread; its size must still be `size`.
async fn hash_file(f: &FileIn) -> anyhow::Result<String> {
    let (path, size) = (f.path.clone(), f.size);
    let (digest, read) = tokio::task::spawn_blocking(move || -> Result<_, LocalError> {
        use std::io::Read;
        let mut file = std::fs::File::open(&path).map_err(|e| LocalError::io(&path, e))?;
        let mut h = Hasher::sha256();
        let mut buf = vec![0u8; 1 << 20];
        let mut read = 0u64;
        loop {
            let n = file.read(&mut buf).map_err(|e| LocalError::io(&path, e))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            read += n as u64;
        }
        Ok((h.finish(), read))
    })
    .await??;
    if read != size {
        return Err(ArtifactError::Changed {
            path: f.path.clone(),
            was: size,
            now: read,
        }
        .into());
    }
    Ok(digest)
}

/// The artifact manifest's bytes: `artifactType`, the empty config, one layer per file titled
/// by its name, the subject, and the annotations.
fn manifest_bytes(
    spec: &AttachSpec,
    files: &[(FileIn, String)],
    subject: &RawManifest,
    created: &str,
) -> Vec<u8> {
    let layers: Vec<Value> = files
        .iter()
        .map(|(f, d)| {
            json!({
                "mediaType": spec.file_type,
                "digest": d,
                "size": f.size,
                "annotations": {TITLE: f.title},
            })
        })
        .collect();
    let mut annotations = serde_json::Map::new();
    if !spec.annotations.contains_key(CREATED) {
        annotations.insert(CREATED.into(), json!(created));
    }
    for (k, v) in &spec.annotations {
        annotations.insert(k.clone(), json!(v));
    }
    let m = json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "artifactType": spec.artifact_type,
        "config": {"mediaType": EMPTY_MEDIA_TYPE, "digest": EMPTY_DIGEST, "size": EMPTY.len()},
        "layers": layers,
        "subject": {
            "mediaType": subject.media_type,
            "digest": subject.digest,
            "size": subject.bytes.len(),
        },
        "annotations": annotations,
    });
    serde_json::to_vec(&m).expect("JSON")
}

/// An OCI layout in a temporary directory holding the artifact: its manifest and the empty
/// config as files, each attached file as a link to itself (nothing is copied), so that the
/// transfer engine pushes it as it pushes any local image.
fn stage(files: &[(FileIn, String)], manifest: &[u8]) -> Result<tempfile::TempDir, LocalError> {
    let dir = tempfile::Builder::new()
        .prefix("cr-attach-")
        .tempdir()
        .map_err(|e| LocalError::io(&std::env::temp_dir(), e))?;
    let root = dir.path();
    let blobs = root.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).map_err(|e| LocalError::io(&blobs, e))?;
    let write = |p: PathBuf, b: &[u8]| std::fs::write(&p, b).map_err(|e| LocalError::io(&p, e));
    let blob = |d: &str| blobs.join(d.trim_start_matches("sha256:"));
    write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    write(blob(EMPTY_DIGEST), EMPTY)?;
    let md = digest::sha256(manifest);
    write(blob(&md), manifest)?;
    let index = json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": [{"mediaType": media::OCI_MANIFEST, "digest": md, "size": manifest.len()}],
    });
    write(
        root.join("index.json"),
        &serde_json::to_vec(&index).expect("JSON"),
    )?;
    for (f, d) in files {
        let link = blob(d);
        if link.exists() {
            continue; // two files with the same content: one blob
        }
        let target = std::fs::canonicalize(&f.path).map_err(|e| LocalError::io(&f.path, e))?;
        #[cfg(unix)]
        let linked = std::os::unix::fs::symlink(&target, &link);
        #[cfg(not(unix))]
        let linked = std::fs::copy(&target, &link).map(|_| ());
        linked.map_err(|e| LocalError::io(&link, e))?;
    }
    Ok(dir)
}

/// Push `files` as an artifact whose subject is the image `r` (resolved to its digest first):
/// each file is streamed from disk, once, unless the repository has it already.
pub async fn attach(
    reg: Arc<Registry>,
    r: &Reference,
    spec: &AttachSpec,
    opts: &transfer::Options,
) -> anyhow::Result<Artifact> {
    let files = check_files(&spec.files, spec.max_size)?;
    let repo = &r.repository;
    let subject = match reg
        .get_manifest(repo, &r.manifest_ref(), &[Scope::pull(repo)])
        .await
    {
        Ok(m) => m,
        Err(e) => return Err(super::explain_missing(&reg, r, e).await),
    };
    let mut hashed = Vec::with_capacity(files.len());
    for f in files {
        let d = hash_file(&f).await?;
        hashed.push((f, d));
    }
    let created = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let manifest = manifest_bytes(spec, &hashed, &subject, &created);
    let digest = digest::sha256(&manifest);
    let dir = stage(&hashed, &manifest)?;
    let img = LocalImage::open(LocalRef {
        kind: LocalKind::OciDir,
        path: dir.path().to_path_buf(),
        tag: None,
    })?;
    let dest = Dest::Registry(Repo {
        reg: reg.clone(),
        repo: repo.clone(),
    });
    let report = transfer::transfer(
        &Source::Local(Box::new(img)),
        &ManifestRef::digest(&digest),
        &dest,
        &[],
        opts,
    )
    .await?;
    drop(dir);
    Ok(Artifact {
        reference: report.reference,
        digest: report.digest,
        artifact_type: spec.artifact_type.clone(),
        subject: subject.digest,
        files: hashed
            .into_iter()
            .map(|(f, digest)| ArtifactFile {
                title: f.title,
                digest,
                size: f.size,
            })
            .collect(),
    })
}

/// The newest referrer of type `artifact_type` of the image `r` (by its created annotation;
/// among equals, the one listed last), checked to name that subject.
async fn newest_referrer(
    reg: &Registry,
    r: &Reference,
    artifact_type: &str,
) -> anyhow::Result<RawManifest> {
    let repo = &r.repository;
    let scopes = [Scope::pull(repo)];
    let subject = match reg.get_manifest(repo, &r.manifest_ref(), &scopes).await {
        Ok(m) => m.digest,
        Err(e) => return Err(super::explain_missing(reg, r, e).await),
    };
    let created = |x: &referrers::Referrer| {
        x.annotations
            .get(CREATED)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
    };
    let found = referrers::direct(reg, repo, &subject, None).await?;
    let pick = found
        .iter()
        .filter(|x| x.artifact_type == artifact_type)
        .enumerate()
        .max_by_key(|(i, x)| (created(x), *i))
        .map(|(_, x)| x.clone())
        .ok_or_else(|| super::NotFound {
            image: r.to_string(),
            message: format!("it has no referrer of artifact type {artifact_type}"),
        })?;
    let m = reg
        .get_manifest(repo, &ManifestRef::digest(&pick.digest), &scopes)
        .await?;
    if !referrers::bound(&pick, &m) {
        return Err(ArtifactError::Unbound {
            reference: format!("{}/{repo}@{}", reg.name, pick.digest),
            subject,
        }
        .into());
    }
    Ok(m)
}

/// The files of an artifact manifest: (title, layer) for each layer with a title, every title
/// checked to name one file and used once. Layers without a title are skipped with a warning.
fn files_of(reference: &str, m: &RawManifest) -> Result<Vec<(String, Desc)>, ArtifactError> {
    let not = |message: String| ArtifactError::NotAnArtifact {
        reference: reference.to_string(),
        message,
    };
    if !media::is_manifest(&m.media_type) {
        return Err(not(format!("it is a {}", m.media_type)));
    }
    let v: Value = serde_json::from_slice(&m.bytes).map_err(|e| not(format!("not JSON: {e}")))?;
    let layers = v["layers"]
        .as_array()
        .ok_or_else(|| not("no layers".into()))?;
    let mut out: Vec<(String, Desc)> = Vec::new();
    let mut seen = HashSet::new();
    let mut untitled = Vec::new();
    for l in layers {
        let digest = l["digest"].as_str().unwrap_or_default().to_string();
        crate::reference::validate_digest(&digest)
            .map_err(|e| not(format!("a layer's digest is invalid: {e}")))?;
        let size = l["size"]
            .as_u64()
            .ok_or_else(|| not(format!("layer {digest} has no size")))?;
        let Some(title) = l["annotations"][TITLE].as_str() else {
            untitled.push(digest);
            continue;
        };
        if let Some(reason) = title_problem(title) {
            return Err(ArtifactError::BadTitle {
                reference: reference.to_string(),
                digest,
                title: crate::text::escape(title).into_owned(),
                reason,
            });
        }
        if !seen.insert(title.to_string()) {
            return Err(ArtifactError::DuplicateTitle {
                reference: reference.to_string(),
                title: title.to_string(),
            });
        }
        let media_type = l["mediaType"].as_str().unwrap_or_default().to_string();
        out.push((
            title.to_string(),
            Desc {
                media_type,
                digest,
                size,
            },
        ));
    }
    if out.is_empty() {
        return Err(not(format!("no layer has a {TITLE} annotation")));
    }
    for digest in untitled {
        crate::notice::warning(&format!(
            "{reference}: layer {digest} has no {TITLE} annotation: skipped"
        ));
    }
    Ok(out)
}

/// Write the files of the artifact `r` (or, with `artifact_type`, of the newest referrer of
/// that type of the image `r`) into `dir`, each by its title. Every title is checked before
/// anything is written; each file streams to a staging name in `dir`, verified against its
/// digest, and all are renamed into place only when every one is complete: a failure leaves
/// no file.
pub async fn get(
    reg: Arc<Registry>,
    r: &Reference,
    artifact_type: Option<&str>,
    dir: &Path,
    progress: Arc<dyn Progress>,
) -> anyhow::Result<Artifact> {
    let repo = &r.repository;
    let scopes = [Scope::pull(repo)];
    let m = match artifact_type {
        Some(t) => newest_referrer(&reg, r, t).await?,
        None => match reg.get_manifest(repo, &r.manifest_ref(), &scopes).await {
            Ok(m) => m,
            Err(e) => return Err(super::explain_missing(&reg, r, e).await),
        },
    };
    let reference = format!("{}/{repo}@{}", reg.name, m.digest);
    let files = files_of(&reference, &m)?;
    std::fs::create_dir_all(dir).map_err(|e| LocalError::io(dir, e))?;
    crate::local::staging::sweep(dir);
    let total = files
        .iter()
        .fold(0u64, |t, (_, d)| t.saturating_add(d.size));
    progress.planned(files.len(), total);
    let mut staged = Vec::with_capacity(files.len());
    for (title, desc) in &files {
        let target = dir.join(title);
        let prefix = crate::local::staging::file_prefix();
        let mut b = tempfile::Builder::new();
        b.prefix(&prefix).rand_bytes(6);
        // As any new file: what the umask allows, not only the owner.
        #[cfg(unix)]
        b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = b
            .tempfile_in(dir)
            .map_err(|e| LocalError::io(dir, e))?
            .into_temp_path();
        progress.blob_start(desc);
        let verdict = transfer::stream::Verdict::default();
        let bytes = transfer::stream::verified(
            transfer::stream::registry_blob(reg.clone(), repo.clone(), desc.clone()),
            desc.clone(),
            progress.clone(),
            verdict.clone(),
            true,
            None,
        );
        if let Err(e) = crate::local::file::write_stream(&tmp, &target, bytes).await {
            return Err(match verdict.failure() {
                Some(transfer::stream::Failure::Corrupt(msg)) => TransferError::Verify(msg).into(),
                _ => e.into(),
            });
        }
        progress.blob_done(desc, transfer::progress::Outcome::Moved);
        staged.push((tmp, target));
    }
    progress.finish();
    for (tmp, target) in staged {
        tmp.persist(&target)
            .map_err(|e| LocalError::io(&target, e.error))?;
    }
    let v: Value = serde_json::from_slice(&m.bytes).unwrap_or_default();
    Ok(Artifact {
        reference,
        digest: m.digest.clone(),
        artifact_type: v["artifactType"]
            .as_str()
            .or(v["config"]["mediaType"].as_str())
            .unwrap_or_default()
            .to_string(),
        subject: v["subject"]["digest"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        files: files
            .into_iter()
            .map(|(title, d)| ArtifactFile {
                title,
                digest: d.digest,
                size: d.size,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_descriptor_is_what_its_digest_says() {
        assert_eq!(digest::sha256(EMPTY), EMPTY_DIGEST);
    }

    #[test]
    fn media_types() {
        for ok in [
            "application/spdx+json",
            "text/plain",
            "application/vnd.oci.empty.v1+json",
        ] {
            assert_eq!(media_type_problem(ok), None, "{ok}");
        }
        for bad in ["", "json", "a/b/c", "/x", "a/", "a b/c", "a/b\n"] {
            assert!(media_type_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn titles_name_one_file_in_the_directory() {
        for ok in ["sbom.spdx.json", "a b", ".hidden", "..x", "x..", "ünï"] {
            assert_eq!(title_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "/etc/x",
            "a/b",
            "a\\b",
            "a\nb",
            "a\u{1b}[2Jb",
            "a\u{9b}b",
            "a\0b",
            ".cr-1-2-abcdef",
        ] {
            assert!(title_problem(bad).is_some(), "{bad:?}");
        }
        assert!(title_problem(&"x".repeat(256)).is_some());
    }

    #[test]
    fn manifests_list_titled_layers_only_once() {
        let d = format!("sha256:{}", "a".repeat(64));
        let m = |layers: Value| {
            let v = json!({"schemaVersion": 2, "mediaType": media::OCI_MANIFEST, "layers": layers});
            let b = serde_json::to_vec(&v).unwrap();
            RawManifest::new(b.into(), media::OCI_MANIFEST.into(), d.clone())
        };
        let layer = |t: &str| json!({"digest": d, "size": 3, "annotations": {TITLE: t}});
        let ok = files_of("r", &m(json!([layer("a"), layer("b")]))).unwrap();
        assert_eq!(ok.len(), 2);
        assert!(matches!(
            files_of("r", &m(json!([layer("a"), layer("a")]))),
            Err(ArtifactError::DuplicateTitle { .. })
        ));
        assert!(matches!(
            files_of("r", &m(json!([layer("a"), layer("../x")]))),
            Err(ArtifactError::BadTitle { .. })
        ));
        assert!(matches!(
            files_of("r", &m(json!([{"digest": "sha256:../x", "size": 1}]))),
            Err(ArtifactError::NotAnArtifact { .. })
        ));
        assert!(matches!(
            files_of("r", &m(json!([]))),
            Err(ArtifactError::NotAnArtifact { .. })
        ));
    }
}
