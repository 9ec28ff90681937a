//! The placeholder image used to remove a tag on registries without tag deletion: a tiny,
//! unique manifest (of the same family as the tagged one) whose config labels say what it is
//! and when it was made. It is pushed to the tag, then deleted by digest. A tag found on one is
//! an untag that was cut off: [`config_of`] and [`is_placeholder_config`] recognise it.

use std::io::Write;

use bytes::Bytes;

use super::digest;
use super::manifest::RawManifest;
use super::media;

/// The label every placeholder's config carries, with the value `true`.
pub const LABEL: &str = "io.cr.placeholder";

/// A placeholder's config is a few hundred bytes; larger ones are not read to find out.
pub const MAX_CONFIG: usize = 4096;

/// The blobs and manifest of a placeholder.
pub struct Placeholder {
    pub config: Bytes,
    pub layer: Bytes,
    pub manifest: RawManifest,
}

/// An empty tar (two zero blocks), gzip-compressed: the one layer of a placeholder.
fn empty_layer() -> (Bytes, super::digest::Digest) {
    let tar = vec![0u8; 1024];
    let diff_id = digest::sha256(&tar);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).expect("in memory");
    (Bytes::from(gz.finish().expect("in memory")), diff_id)
}

/// Build a placeholder for `image` (`repo:tag`), Docker v2 when `docker`, else OCI.
pub fn build(image: &str, docker: bool) -> Placeholder {
    let now = jiff::Timestamp::now().to_string();
    let nonce = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    let (layer, diff_id) = empty_layer();
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "created": now,
        "config": {"Labels": {
            "io.cr.placeholder": "true",
            "io.cr.placeholder.for": image,
            "io.cr.placeholder.created": now,
            "io.cr.placeholder.id": nonce,
        }},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    });
    let config = Bytes::from(serde_json::to_vec(&config).expect("json"));
    let (mt, cfg_mt, layer_mt) = if docker {
        (
            media::DOCKER_MANIFEST,
            media::DOCKER_CONFIG,
            media::DOCKER_LAYER_GZIP,
        )
    } else {
        (
            media::OCI_MANIFEST,
            media::OCI_CONFIG,
            media::OCI_LAYER_GZIP,
        )
    };
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": mt,
        "config": {"mediaType": cfg_mt, "size": config.len(), "digest": digest::sha256(&config)},
        "layers": [{"mediaType": layer_mt, "size": layer.len(), "digest": digest::sha256(&layer)}],
    });
    let bytes = Bytes::from(serde_json::to_vec(&manifest).expect("json"));
    let d = digest::sha256(&bytes);
    Placeholder {
        config,
        layer,
        manifest: RawManifest::new(bytes, mt.to_string(), d),
    }
}

/// The config digest of a manifest shaped like a placeholder (an image manifest with one
/// layer and a small config), whose config is then read to tell; None for anything else.
pub fn config_of(m: &RawManifest) -> Option<super::digest::Digest> {
    let blobs = m.parse().ok()?.blobs();
    match blobs.as_slice() {
        [config, _layer] if config.size <= MAX_CONFIG as u64 => Some(config.digest.clone()),
        _ => None,
    }
}

/// Whether config bytes are a cr placeholder's: its label [`LABEL`] says `true`.
pub fn is_placeholder_config(config: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(config) else {
        return false;
    };
    v.pointer("/config/Labels")
        .and_then(|l| l.get(LABEL))
        .and_then(serde_json::Value::as_str)
        == Some("true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_is_recognised_and_an_image_is_not() {
        let p = build("ns/r:t", false);
        assert_eq!(config_of(&p.manifest), Some(digest::sha256(&p.config)));
        assert!(is_placeholder_config(&p.config));
        assert!(!is_placeholder_config(
            br#"{"config":{"Labels":{"io.cr.placeholder":"false"}}}"#
        ));
        assert!(!is_placeholder_config(br#"{"config":{"Labels":null}}"#));
        assert!(!is_placeholder_config(b"not json"));
    }

    #[test]
    fn unique_and_parsable() {
        let a = build("ns/r:t", true);
        let b = build("ns/r:t", true);
        assert_ne!(a.manifest.digest, b.manifest.digest);
        assert_eq!(a.manifest.media_type, media::DOCKER_MANIFEST);
        let p = a.manifest.parse().unwrap();
        assert_eq!(p.blobs().len(), 2);
        assert_eq!(build("x:y", false).manifest.media_type, media::OCI_MANIFEST);
    }
}
