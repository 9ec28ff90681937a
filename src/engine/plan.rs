//! The plan of a transfer: the top manifest (an index with all platforms, or one platform's
//! manifest), its child manifests, and the unique blobs, largest first.

use std::collections::HashSet;

use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::TransferError;
use crate::oci::manifest::{Descriptor, Parsed, RawManifest};
use crate::oci::platform::Platform;
use crate::oci::reference::ManifestRef;
use crate::store::Source;

#[derive(Debug, Clone)]
pub struct Plan {
    pub top: RawManifest,
    /// Child manifests of an index, pushed before it.
    pub children: Vec<RawManifest>,
    /// Unique blobs (configs and layers), largest first.
    pub blobs: Vec<Descriptor>,
}

impl Plan {
    pub fn blob_bytes(&self) -> u64 {
        self.blobs
            .iter()
            .fold(0u64, |total, d| total.saturating_add(d.size))
    }

    /// Total size: manifests and blobs.
    pub fn size(&self) -> u64 {
        self.children
            .iter()
            .fold(self.top.bytes.len() as u64, |total, c| {
                total.saturating_add(c.bytes.len() as u64)
            })
            .saturating_add(self.blob_bytes())
    }
}

fn parse(m: &RawManifest) -> Result<Parsed, TransferError> {
    m.parse().map_err(TransferError::Manifest)
}

/// Resolve `reference` at the source and collect what must move.
pub async fn plan(
    src: &dyn Source,
    reference: &ManifestRef,
    platform: Option<&Platform>,
) -> Result<Plan, TransferError> {
    let mut top = src
        .manifest(reference)
        .await
        .map_err(TransferError::of_the_top)?;
    let mut children = Vec::new();
    if let (Some(want), false) = (platform, top.is_index()) {
        check_platform(src, reference, &top, want).await?;
    }
    if top.is_index() {
        let parsed = parse(&top)?;
        let entries = parsed.children();
        if let Some(want) = platform {
            let (d, _) =
                parsed
                    .pick_platform(Some(want))
                    .ok_or_else(|| TransferError::NoPlatform {
                        image: src.describe(reference),
                        platform: want.to_string(),
                        available: entries
                            .iter()
                            .filter_map(|(_, p)| p.as_ref().map(|p| p.to_string()))
                            .collect::<Vec<_>>()
                            .join(", "),
                    })?;
            let index = top.digest.clone();
            top = src
                .manifest(&ManifestRef::digest(&d.digest))
                .await
                .map_err(|e| missing_child(e, src, reference, &index, &d.digest))?;
        } else {
            let index = top.digest.clone();
            children = stream::iter(entries.iter().map(|(d, _)| d.digest.clone()))
                .map(|d| {
                    let index = &index;
                    async move {
                        src.manifest(&ManifestRef::Digest(d.clone()))
                            .await
                            .map_err(|e| missing_child(e, src, reference, index, &d))
                    }
                })
                .buffered(8)
                .try_collect()
                .await?;
        }
    }
    let blobs = unique_blobs(&top, &children)?;
    Ok(Plan {
        top,
        children,
        blobs,
    })
}

/// A platform an index lists that the source does not have: said as that, with its digest.
fn missing_child(
    e: TransferError,
    src: &dyn Source,
    reference: &ManifestRef,
    index: &str,
    child: &str,
) -> TransferError {
    match e {
        TransferError::Registry(r) if r.kind() == crate::client::Kind::NotFound => {
            TransferError::MissingChild {
                image: src.describe(reference),
                index: index.to_string(),
                child: child.to_string(),
            }
        }
        other => other,
    }
}

/// A single-platform image asked for with `--platform`: its config must say that platform
/// (`--platform linux/arm64` of an amd64-only image is "not found", never amd64 silently).
async fn check_platform(
    src: &dyn Source,
    reference: &ManifestRef,
    top: &RawManifest,
    want: &Platform,
) -> Result<(), TransferError> {
    use futures_util::TryStreamExt as _;
    let Parsed::Image(m) = parse(top)? else {
        return Ok(());
    };
    let config = m.config.clone();
    if config.size > 8 << 20 {
        return Ok(());
    }
    let bytes: Vec<bytes::Bytes> = src
        .blob(&config)
        .await?
        .try_collect()
        .await
        .map_err(|e| TransferError::Verify(format!("reading the config: {e}")))?;
    let cfg: serde_json::Value = serde_json::from_slice(&bytes.concat()).unwrap_or_default();
    if want.admits_config(&cfg) {
        return Ok(());
    }
    let have = Platform::of_config(&cfg);
    Err(TransferError::NoPlatform {
        image: src.describe(reference),
        platform: want.to_string(),
        available: format!("{have} only"),
    })
}

/// The blobs of `top` and its children, each digest once, largest first.
fn unique_blobs(
    top: &RawManifest,
    children: &[RawManifest],
) -> Result<Vec<Descriptor>, TransferError> {
    let mut seen = HashSet::new();
    let mut blobs = Vec::new();
    for m in std::iter::once(top).chain(children.iter()) {
        if m.is_index() {
            if std::ptr::eq(m, top) {
                continue;
            }
            return Err(TransferError::Unsupported(format!(
                "nested index {} inside an index",
                m.digest
            )));
        }
        for d in parse(m)?.blobs() {
            if seen.insert(d.digest.clone()) {
                blobs.push(d);
            }
        }
    }
    blobs.sort_by_key(|b| std::cmp::Reverse(b.size));
    Ok(blobs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::media;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn image(config: char, layers: &[(char, u64)]) -> RawManifest {
        let layers: Vec<String> = layers
            .iter()
            .map(|(c, size)| {
                format!(
                    r#"{{"mediaType":"{}","digest":"{}","size":{size}}}"#,
                    media::OCI_LAYER_GZIP,
                    d(*c)
                )
            })
            .collect();
        let json = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":10}},"layers":[{}]}}"#,
            media::OCI_MANIFEST,
            d(config),
            layers.join(",")
        );
        let bytes = bytes::Bytes::from(json);
        let digest = crate::oci::digest::sha256(&bytes);
        RawManifest::new(bytes, media::OCI_MANIFEST.into(), digest)
    }

    #[test]
    fn blobs_are_deduplicated_across_platforms_and_largest_first() {
        let amd = image('1', &[('a', 100), ('b', 5000)]);
        let arm = image('2', &[('a', 100), ('c', 700)]);
        let index = RawManifest::new(
            bytes::Bytes::from_static(b"{}"),
            media::OCI_INDEX.into(),
            crate::oci::digest::Digest::fake("sha256:x"),
        );
        let blobs = unique_blobs(&index, &[amd.clone(), arm, amd]).unwrap();
        let got: Vec<(String, u64)> = blobs
            .into_iter()
            .map(|b| (b.digest.into_string(), b.size))
            .collect();
        assert_eq!(
            got,
            vec![
                (d('b'), 5000),
                (d('c'), 700),
                (d('a'), 100),
                (d('1'), 10),
                (d('2'), 10)
            ]
        );
        let inner = index.clone();
        let nested = unique_blobs(&index, std::slice::from_ref(&inner)).unwrap_err();
        assert!(nested.to_string().contains("nested index"));
    }
}
