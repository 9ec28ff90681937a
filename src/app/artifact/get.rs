//! `get`: an artifact's files written by their titles, checked before anything is written,
//! verified while they stream, renamed into place together.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::{title_problem, Artifact, ArtifactError, ArtifactFile, CREATED, TITLE};
use crate::app::referrers;
use crate::client::Scope;
use crate::engine::{self, progress::Observer, TransferError};
use crate::local::LocalError;
use crate::oci::digest::Digest;
use crate::oci::manifest::{Descriptor, RawManifest};
use crate::oci::media;
use crate::oci::reference::{ManifestRef, Reference};
use crate::store::Cached;

/// The newest referrer of type `artifact_type` of the image `r` (by its created annotation;
/// among equals, the one listed last), checked to name that subject.
async fn newest_referrer(
    reg: &Cached,
    r: &Reference,
    artifact_type: &str,
) -> anyhow::Result<RawManifest> {
    let repo = &r.repository;
    let scopes = [Scope::pull(repo)];
    let subject = match reg.get_manifest(repo, &r.manifest_ref(), &scopes).await {
        Ok(m) => m.digest,
        Err(e) => return Err(crate::app::explain_missing(reg, r, e).await),
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
        .ok_or_else(|| crate::app::NotFound {
            image: r.to_string(),
            message: format!("it has no referrer of artifact type {artifact_type}"),
        })?;
    let m = reg
        .get_manifest(repo, &ManifestRef::digest(&pick.digest), &scopes)
        .await?;
    if !referrers::bound(&pick, &m) {
        return Err(ArtifactError::Unbound {
            reference: format!("{}/{repo}@{}", reg.name, pick.digest),
            subject: subject.into_string(),
        }
        .into());
    }
    Ok(m)
}

/// The files of an artifact manifest: (title, layer) for each layer with a title, every title
/// checked to name one file and used once. Layers without a title are skipped with a warning.
fn files_of(reference: &str, m: &RawManifest) -> Result<Vec<(String, Descriptor)>, ArtifactError> {
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
    let mut out: Vec<(String, Descriptor)> = Vec::new();
    let mut seen = HashSet::new();
    let mut untitled = Vec::new();
    for l in layers {
        let digest = Digest::parse(l["digest"].as_str().unwrap_or_default())
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
                digest: digest.into_string(),
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
        out.push((title.to_string(), Descriptor::new(media_type, digest, size)));
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
    reg: Arc<Cached>,
    r: &Reference,
    artifact_type: Option<&str>,
    dir: &Path,
    progress: Arc<dyn Observer>,
) -> anyhow::Result<Artifact> {
    let repo = &r.repository;
    let scopes = [Scope::pull(repo)];
    let m = match artifact_type {
        Some(t) => newest_referrer(&reg, r, t).await?,
        None => match reg.get_manifest(repo, &r.manifest_ref(), &scopes).await {
            Ok(m) => m,
            Err(e) => return Err(crate::app::explain_missing(&reg, r, e).await),
        },
    };
    let reference = format!("{}/{repo}@{}", reg.name, m.digest);
    let files = files_of(&reference, &m)?;
    // A directory in the way would stop the renames half done: found before any write.
    for (title, _) in &files {
        let target = dir.join(title);
        if std::fs::symlink_metadata(&target).is_ok_and(|m| m.is_dir()) {
            return Err(ArtifactError::InTheWay { path: target }.into());
        }
    }
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
        let verdict = engine::stream::Verdict::default();
        let bytes = engine::stream::verified(
            engine::stream::registry_blob(reg.clone(), repo.clone(), desc.clone()),
            desc.clone(),
            progress.clone(),
            verdict.clone(),
            true,
            None,
        );
        if let Err(e) = crate::local::file::write_stream(&tmp, &target, bytes).await {
            return Err(match verdict.failure() {
                Some(engine::stream::Failure::Corrupt(msg)) => TransferError::Verify(msg).into(),
                _ => e.into(),
            });
        }
        progress.blob_done(desc, engine::progress::Outcome::Moved);
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
    use serde_json::json;

    #[test]
    fn manifests_list_titled_layers_only_once() {
        let d = format!("sha256:{}", "a".repeat(64));
        let m = |layers: Value| {
            let v = json!({"schemaVersion": 2, "mediaType": media::OCI_MANIFEST, "layers": layers});
            let b = serde_json::to_vec(&v).unwrap();
            RawManifest::new(b.into(), media::OCI_MANIFEST.into(), Digest::fake(&d))
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
