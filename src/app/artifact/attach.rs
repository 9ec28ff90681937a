//! `attach`: files checked, hashed, staged as an OCI layout of links and pushed by the
//! transfer engine as an artifact manifest with the subject's descriptor.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{json, Value};

use super::{
    title_problem, Artifact, ArtifactError, ArtifactFile, AttachSpec, FileIn, CREATED, EMPTY,
    EMPTY_DIGEST, EMPTY_MEDIA_TYPE, TITLE,
};
use crate::client::Scope;
use crate::engine::{self, Repo};
use crate::local::{reader::LocalImage, Kind as LocalKind, LocalError, LocalRef};
use crate::oci::digest::Digest;
use crate::oci::digest::{self, Hasher};
use crate::oci::manifest::RawManifest;
use crate::oci::media;
use crate::oci::reference::{ManifestRef, Reference};
use crate::store::Cached;

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
async fn hash_file(f: &FileIn) -> anyhow::Result<Digest> {
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
    files: &[(FileIn, Digest)],
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
fn stage(files: &[(FileIn, Digest)], manifest: &[u8]) -> Result<tempfile::TempDir, LocalError> {
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
    reg: Arc<Cached>,
    r: &Reference,
    spec: &AttachSpec,
    opts: &engine::Options,
) -> anyhow::Result<Artifact> {
    let files = check_files(&spec.files, spec.max_size)?;
    let repo = &r.repository;
    let subject = match reg
        .get_manifest(repo, &r.manifest_ref(), &[Scope::pull(repo)])
        .await
    {
        Ok(m) => m,
        Err(e) => return Err(crate::app::explain_missing(&reg, r, e).await),
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
    let dest = Repo {
        reg: reg.clone(),
        repo: repo.clone(),
    };
    let report = engine::transfer(&img, &ManifestRef::digest(&digest), &dest, &[], opts).await?;
    drop(dir);
    Ok(Artifact {
        reference: report.reference,
        digest: report.digest,
        artifact_type: spec.artifact_type.clone(),
        subject: subject.digest.into_string(),
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
