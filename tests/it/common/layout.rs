//! OCI image layouts built on disk for tests: single-platform images with gzip layers, and
//! multi-platform indexes, tagged in index.json.

use std::io::Write;
use std::path::Path;

use super::cr_digest;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

pub struct Built {
    pub digest: String,
    pub size: u64,
    pub config: String,
    pub layers: Vec<String>,
    /// Compressed size: config + layers.
    pub image_size: u64,
}

fn write_blob(dir: &Path, bytes: &[u8]) -> String {
    let d = cr_digest(bytes);
    let p = dir.join("blobs/sha256").join(&d[7..]);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
    d
}

fn init(dir: &Path) {
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    if !dir.join("index.json").exists() {
        std::fs::write(
            dir.join("index.json"),
            br#"{"schemaVersion":2,"manifests":[]}"#,
        )
        .unwrap();
    }
}

fn add_to_index(dir: &Path, media_type: &str, digest: &str, size: u64, tag: Option<&str>) {
    let mut idx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let mut entry = serde_json::json!({"mediaType": media_type, "digest": digest, "size": size});
    if let Some(t) = tag {
        entry["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": t});
        idx["manifests"]
            .as_array_mut()
            .unwrap()
            .retain(|m| m["annotations"]["org.opencontainers.image.ref.name"] != t);
    }
    idx["manifests"].as_array_mut().unwrap().push(entry);
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&idx).unwrap()).unwrap();
}

/// A tar with one file, gzip-compressed: (compressed bytes, diff_id).
pub fn layer(name: &str, content: &[u8]) -> (Vec<u8>, String) {
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(content.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(1_700_000_000);
    tar.append_data(&mut h, name, content).unwrap();
    let raw = tar.into_inner().unwrap();
    let diff_id = cr_digest(&raw);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    (gz.finish().unwrap(), diff_id)
}

/// Build an image (one layer per file) into the layout, tagged `tag` when given.
pub fn image(dir: &Path, tag: Option<&str>, arch: &str, files: &[(&str, &[u8])]) -> Built {
    image_at(dir, tag, arch, files, "2024-01-02T03:04:05Z")
}

/// Like [`image`], with the config's `created` time (RFC 3339).
pub fn image_at(
    dir: &Path,
    tag: Option<&str>,
    arch: &str,
    files: &[(&str, &[u8])],
    created: &str,
) -> Built {
    init(dir);
    let mut layers = Vec::new();
    let mut diff_ids = Vec::new();
    let mut descs = Vec::new();
    let mut total = 0u64;
    for (name, content) in files {
        let (gz, diff) = layer(name, content);
        let d = write_blob(dir, &gz);
        total += gz.len() as u64;
        descs.push(serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": gz.len()}));
        layers.push(d);
        diff_ids.push(diff);
    }
    let config = serde_json::json!({
        "created": created,
        "architecture": arch,
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin"], "Labels": {"test": "cr"}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": created, "created_by": "cr tests"}],
    });
    let config_bytes = serde_json::to_vec(&config).unwrap();
    let config_digest = write_blob(dir, &config_bytes);
    total += config_bytes.len() as u64;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_bytes.len()},
        "layers": descs,
    });
    let mb = serde_json::to_vec(&manifest).unwrap();
    let md = write_blob(dir, &mb);
    if tag.is_some() {
        add_to_index(dir, OCI_MANIFEST, &md, mb.len() as u64, tag);
    }
    Built {
        digest: md,
        size: mb.len() as u64,
        config: config_digest,
        layers,
        image_size: total,
    }
}

/// A multi-platform index over one image per architecture, tagged `tag`.
pub fn index(dir: &Path, tag: &str, arches: &[&str]) -> (String, Vec<Built>) {
    index_at(dir, tag, arches, "2024-01-02T03:04:05Z")
}

/// Like [`index`], with its platforms' configs created at `created`.
pub fn index_at(dir: &Path, tag: &str, arches: &[&str], created: &str) -> (String, Vec<Built>) {
    init(dir);
    let mut children = Vec::new();
    let mut descs = Vec::new();
    for a in arches {
        let b = image_at(
            dir,
            None,
            a,
            &[(&format!("{a}.txt"), format!("content for {a}").as_bytes())],
            created,
        );
        descs.push(serde_json::json!({
            "mediaType": OCI_MANIFEST, "digest": b.digest, "size": b.size,
            "platform": {"os": "linux", "architecture": a}
        }));
        children.push(b);
    }
    let idx = serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descs});
    let bytes = serde_json::to_vec_pretty(&idx).unwrap();
    let d = write_blob(dir, &bytes);
    add_to_index(dir, OCI_INDEX, &d, bytes.len() as u64, Some(tag));
    (d, children)
}

/// The OCI empty descriptor's content (`{}`), the config of artifacts.
pub const EMPTY_CONFIG: &[u8] = b"{}";

/// An OCI 1.1 artifact in the layout: a manifest with `artifactType`, the empty config, one
/// layer of `payload`, and `subject` (digest, size, media type) when given; tagged `tag`.
pub fn artifact(
    dir: &Path,
    tag: &str,
    artifact_type: &str,
    subject: Option<(&str, u64, &str)>,
    payload: &[u8],
) -> Built {
    init(dir);
    let config = write_blob(dir, EMPTY_CONFIG);
    let layer = write_blob(dir, payload);
    let mut m = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": artifact_type, "digest": layer, "size": payload.len()}],
        "annotations": {"org.opencontainers.image.created": "2024-01-02T03:04:05Z"},
    });
    if let Some((d, size, mt)) = subject {
        m["subject"] = serde_json::json!({"mediaType": mt, "digest": d, "size": size});
    }
    let mb = serde_json::to_vec(&m).unwrap();
    let md = write_blob(dir, &mb);
    add_to_index(dir, OCI_MANIFEST, &md, mb.len() as u64, Some(tag));
    Built {
        digest: md,
        size: mb.len() as u64,
        config,
        layers: vec![layer],
        image_size: 2 + payload.len() as u64,
    }
}
