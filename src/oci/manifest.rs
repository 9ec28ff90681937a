//! Manifests as stored: the exact bytes, their media type and digest, and a parsed view
//! (image manifest or index, OCI or Docker) for reading descriptors, and the one `Descriptor`.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::digest::Digest;
use super::media;

/// A manifest exactly as the registry (or a layout) holds it.
#[derive(Debug, Clone)]
pub struct RawManifest {
    pub bytes: Bytes,
    pub media_type: String,
    pub digest: Digest,
}

/// The parsed view.
#[derive(Debug, Clone)]
pub enum Parsed {
    Image(Box<ImageManifest>),
    Index(Box<ImageIndex>),
}

#[derive(Debug, thiserror::Error)]
#[error("manifest {digest} is not a valid {kind}: {message}")]
pub struct ManifestError {
    pub digest: Digest,
    pub kind: String,
    pub message: String,
}

/// A blob or child manifest named by a manifest: the one descriptor type. Its digest is
/// validated when it is parsed (serde), so past the parser nobody checks it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    /// The platform of an index entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<IndexPlatform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Descriptor {
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Self {
        Descriptor {
            media_type: media_type.into(),
            digest,
            size,
            platform: None,
            artifact_type: None,
            annotations: None,
        }
    }
}

/// An index entry's platform as written in the index. `os.version` and `os.features` are kept
/// as any JSON, only so that a rewrite does not lose them: cr does not read them, and one of an
/// odd form must not make the whole index unreadable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexPlatform {
    pub architecture: String,
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<serde_json::Value>,
    #[serde(
        rename = "os.features",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_features: Option<serde_json::Value>,
}

/// An image manifest (OCI or Docker schema 2): what cr reads of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Required, as the specs say (never read past the parse).
    #[allow(dead_code)]
    schema_version: u32,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    #[serde(default)]
    pub subject: Option<Descriptor>,
    #[serde(default)]
    pub artifact_type: Option<String>,
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// An image index (OCI index or Docker manifest list): what cr reads of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Required, as the specs say (never read past the parse).
    #[allow(dead_code)]
    schema_version: u32,
    pub manifests: Vec<Descriptor>,
    #[serde(default)]
    pub subject: Option<Descriptor>,
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// The media type of manifest bytes: the `mediaType` field, else the Content-Type the server
/// gave, else guessed from the shape.
pub fn detect_media_type(bytes: &[u8], content_type: Option<&str>) -> String {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
        #[serde(rename = "schemaVersion")]
        schema_version: Option<u32>,
    }
    let probe = serde_json::from_slice::<Probe>(bytes).ok();
    if let Some(mt) = probe.as_ref().and_then(|p| p.media_type.clone()) {
        return mt;
    }
    let ct = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim().to_string())
        .filter(|c| media::is_index(c) || media::is_manifest(c));
    if let Some(ct) = ct {
        return ct;
    }
    match probe {
        Some(p) if p.manifests.is_some() => media::OCI_INDEX.to_string(),
        Some(p) if p.schema_version == Some(1) => {
            "application/vnd.docker.distribution.manifest.v1+json".to_string()
        }
        _ => media::OCI_MANIFEST.to_string(),
    }
}

impl RawManifest {
    pub fn new(bytes: Bytes, media_type: String, digest: Digest) -> Self {
        RawManifest {
            bytes,
            media_type,
            digest,
        }
    }

    pub fn is_index(&self) -> bool {
        media::is_index(&self.media_type)
    }

    pub fn parse(&self) -> Result<Parsed, ManifestError> {
        let err = |kind: &str, e: serde_json::Error| ManifestError {
            digest: self.digest.clone(),
            kind: kind.to_string(),
            message: e.to_string(),
        };
        if self.is_index() {
            serde_json::from_slice::<ImageIndex>(&self.bytes)
                .map(|i| Parsed::Index(Box::new(i)))
                .map_err(|e| err("image index", e))
        } else if media::is_manifest(&self.media_type) {
            serde_json::from_slice::<ImageManifest>(&self.bytes)
                .map(|m| Parsed::Image(Box::new(m)))
                .map_err(|e| err("image manifest", e))
        } else {
            Err(ManifestError {
                digest: self.digest.clone(),
                kind: "supported manifest".into(),
                message: format!(
                    "media type {} is not an OCI or Docker v2 manifest or index",
                    self.media_type
                ),
            })
        }
    }
}

impl Parsed {
    /// The config and layers of an image manifest (config first); empty for an index.
    pub fn blobs(&self) -> Vec<Descriptor> {
        match self {
            Parsed::Image(m) => std::iter::once(&m.config)
                .chain(m.layers.iter())
                .cloned()
                .collect(),
            Parsed::Index(_) => Vec::new(),
        }
    }

    /// Child manifests of an index, each digest once (a hostile index may list one child
    /// thousands of times); empty for an image.
    pub fn children(&self) -> Vec<(Descriptor, Option<super::platform::Platform>)> {
        match self {
            Parsed::Index(i) => {
                let mut seen = std::collections::HashSet::new();
                i.manifests
                    .iter()
                    .filter(|d| seen.insert(d.digest.clone()))
                    .map(|d| {
                        (
                            d.clone(),
                            d.platform.as_ref().map(super::platform::Platform::of),
                        )
                    })
                    .collect()
            }
            Parsed::Image(_) => Vec::new(),
        }
    }

    /// The child manifest for `want`; without `want`, linux/amd64 if there is one, else the
    /// first image manifest. None for an image or when nothing matches.
    pub fn pick_platform(
        &self,
        want: Option<&super::platform::Platform>,
    ) -> Option<(Descriptor, Option<super::platform::Platform>)> {
        let children = self.children();
        let amd64 = super::platform::Platform {
            os: "linux".into(),
            arch: "amd64".into(),
            variant: None,
        };
        let target = want.unwrap_or(&amd64);
        let found = children
            .iter()
            .find(|(_, p)| p.as_ref().is_some_and(|p| target.matches(p)));
        let fallback = || {
            children
                .iter()
                .find(|(d, _)| super::media::is_manifest(&d.media_type))
        };
        found
            .or_else(|| if want.is_none() { fallback() } else { None })
            .cloned()
    }

    /// Compressed size: config plus layers.
    pub fn image_size(&self) -> u64 {
        self.blobs()
            .iter()
            .fold(0u64, |total, d| total.saturating_add(d.size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMG: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":10,"digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":32,"digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856"}]}"#;

    #[test]
    fn parses_docker_manifest() {
        let mt = detect_media_type(IMG.as_bytes(), None);
        assert_eq!(mt, media::DOCKER_MANIFEST);
        let raw = RawManifest::new(
            Bytes::from_static(IMG.as_bytes()),
            mt,
            Digest::of_bytes(b"d"),
        );
        let p = raw.parse().unwrap();
        assert_eq!(p.image_size(), 42);
        assert_eq!(p.blobs()[1].media_type, media::DOCKER_LAYER_GZIP);
    }

    /// `schemaVersion` and an image's `layers` are required, as the specs (and oci-spec, which
    /// cr used to parse with) have them.
    #[test]
    fn required_fields_are_required() {
        let parse = |json: String, mt: &str| {
            RawManifest::new(Bytes::from(json), mt.to_string(), Digest::of_bytes(b"d")).parse()
        };
        assert!(parse(IMG.to_string(), media::DOCKER_MANIFEST).is_ok());
        let no_layers = IMG.split(r#","layers""#).next().unwrap().to_string() + "}";
        let e = parse(no_layers, media::DOCKER_MANIFEST).unwrap_err();
        assert!(e.message.contains("layers"), "{e}");
        let no_version = IMG.replace(r#""schemaVersion":2,"#, "");
        assert!(parse(no_version, media::DOCKER_MANIFEST).is_err());
        let idx = r#"{"schemaVersion":2,"manifests":[]}"#;
        assert!(parse(idx.to_string(), media::OCI_INDEX).is_ok());
        assert!(parse(r#"{"manifests":[]}"#.to_string(), media::OCI_INDEX).is_err());
    }

    #[test]
    fn detects_index_by_shape_or_header() {
        let idx = br#"{"schemaVersion":2,"manifests":[]}"#;
        assert_eq!(detect_media_type(idx, None), media::OCI_INDEX);
        assert_eq!(
            detect_media_type(
                idx,
                Some("application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8")
            ),
            media::DOCKER_LIST
        );
    }
}
