//! The plan of a transfer: the top manifest (an index with all platforms, or one platform's
//! manifest), its child manifests, and the unique blobs, largest first.

use std::collections::HashSet;

use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::endpoint::Source;
use super::TransferError;
use crate::image::manifest::{Desc, Parsed, RawManifest};
use crate::image::platform::Platform;

#[derive(Debug, Clone)]
pub struct Plan {
    pub top: RawManifest,
    /// Child manifests of an index, pushed before it.
    pub children: Vec<RawManifest>,
    /// Unique blobs (configs and layers), largest first.
    pub blobs: Vec<Desc>,
}

impl Plan {
    pub fn blob_bytes(&self) -> u64 {
        self.blobs
            .iter()
            .fold(0u64, |total, d| total.saturating_add(d.size))
    }
    /// The config of the top manifest, when it is an image manifest.
    pub fn config(&self) -> Option<Desc> {
        match self.top.parse().ok()? {
            Parsed::Image(m) => Some(Desc::from(m.config())),
            Parsed::Index(_) => None,
        }
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
    src: &Source,
    reference: &str,
    platform: Option<&Platform>,
) -> Result<Plan, TransferError> {
    let mut top = src.manifest(reference).await?;
    let mut children = Vec::new();
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
            top = src.manifest(&d.digest).await?;
        } else {
            children = stream::iter(entries.iter().map(|(d, _)| d.digest.clone()))
                .map(|d| async move { src.manifest(&d).await })
                .buffered(8)
                .try_collect()
                .await?;
        }
    }
    let mut seen = HashSet::new();
    let mut blobs = Vec::new();
    for m in std::iter::once(&top).chain(children.iter()) {
        if m.is_index() {
            if std::ptr::eq(m, &top) {
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
    Ok(Plan {
        top,
        children,
        blobs,
    })
}
