//! Pushing a legacy `docker save` archive with its uncompressed layers gzip-compressed on the
//! fly: each layer is read from the archive, checked against its diff_id, compressed (flate2,
//! zlib-rs, fast level) on a blocking thread, hashed while it streams into one PATCH, and
//! committed by digest; the manifest is written once every layer's digest is known.

use std::io::Read;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::stream::{self as fstream, StreamExt, TryStreamExt};

use super::gzcache;
use super::progress::Outcome;
use super::{Options, Repo, Report, TransferError};
use crate::image::digest::{self, Hasher};
use crate::image::manifest::{Desc, RawManifest};
use crate::image::media;
use crate::local::reader::LocalImage;
use crate::registry::Scope;

/// Compressed bytes of one layer, with the digest and size known at the end.
struct Compressed {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    result: Arc<Mutex<Option<(String, u64)>>>,
}

/// Compress `name` from the archive on a blocking thread, verifying its diff_id.
fn compress(
    img: &LocalImage,
    name: &str,
    diff_id: &str,
    level: u32,
    progress: Arc<dyn super::progress::Progress>,
) -> Result<Compressed, TransferError> {
    let mut input = img.file_reader(name)?;
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let result = Arc::new(Mutex::new(None));
    let out = result.clone();
    let diff_id = diff_id.to_string();
    let path = img.path().display().to_string();
    tokio::task::spawn_blocking(move || {
        let mut raw_hash = Hasher::for_digest(&diff_id);
        let mut gz_hash = Hasher::sha256();
        let mut gz_size = 0u64;
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(1 << 20),
            flate2::Compression::new(level),
        );
        let mut buf = vec![0u8; 1 << 20];
        let send = |data: Vec<u8>, gz_hash: &mut Hasher, gz_size: &mut u64| {
            gz_hash.update(&data);
            *gz_size += data.len() as u64;
            tx.blocking_send(Ok(Bytes::from(data))).is_ok()
        };
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            raw_hash.update(&buf[..n]);
            progress.blob_bytes(&diff_id, n as u64);
            std::io::Write::write_all(&mut enc, &buf[..n]).expect("writing to memory");
            if enc.get_ref().len() >= 1 << 20 {
                let chunk = std::mem::replace(enc.get_mut(), Vec::with_capacity(1 << 20));
                if !send(chunk, &mut gz_hash, &mut gz_size) {
                    return;
                }
            }
        }
        let actual = raw_hash.finish();
        if actual != diff_id {
            let _ = tx.blocking_send(Err(std::io::Error::other(format!(
                "{path}: layer {diff_id} does not match its content ({actual})"
            ))));
            return;
        }
        let rest = enc.finish().expect("finishing in memory");
        if !rest.is_empty() && !send(rest, &mut gz_hash, &mut gz_size) {
            return;
        }
        *out.lock().expect("lock") = Some((gz_hash.finish(), gz_size));
    });
    Ok(Compressed { rx, result })
}

/// Push a legacy docker archive, compressing layers; `level` is the gzip level (1 = fastest).
pub async fn push_compressed(
    img: &LocalImage,
    dst: &Repo,
    tags: &[String],
    opts: &Options,
    level: u32,
) -> Result<Report, TransferError> {
    let d = img
        .docker
        .clone()
        .ok_or_else(|| TransferError::Unsupported("not a legacy docker archive".into()))?;
    let scopes = [Scope::push(&dst.repo)];
    let total: u64 = d.layers.iter().map(|l| l.2).sum();
    opts.progress
        .planned(d.layers.len() + 1, total + d.config.len() as u64);
    let config_digest = dst
        .reg
        .upload_bytes(&dst.repo, d.config.clone(), &scopes)
        .await?;
    let cache = gzcache::GzCache::open();
    let cache = &cache;
    let layers: Result<Vec<(Desc, Outcome)>, TransferError> = fstream::iter(d.layers.iter())
        .map(|(name, diff_id, size)| {
            let scopes = scopes.clone();
            async move {
                let start = Desc {
                    media_type: media::DOCKER_LAYER_TAR.into(),
                    digest: diff_id.clone(),
                    size: *size,
                };
                // Compressed before and still there: nothing to compress or send.
                if let Some(known) = cache.get(diff_id, level) {
                    let there = dst.reg.head_blob(&dst.repo, &known.digest, &scopes).await?;
                    if there == Some(known.size) {
                        opts.progress.blob_done(&start, Outcome::Skipped);
                        cache.put(diff_id, level, &known.digest, known.size);
                        let desc = Desc {
                            media_type: media::DOCKER_LAYER_GZIP.into(),
                            digest: known.digest,
                            size: known.size,
                        };
                        return Ok((desc, Outcome::Skipped));
                    }
                }
                opts.progress.blob_start(&start);
                let c = compress(img, name, diff_id, level, opts.progress.clone())?;
                let result = c.result.clone();
                let body = super::stream::from_channel(c.rx);
                let digest = dst
                    .reg
                    .upload_unknown(
                        &dst.repo,
                        body,
                        move || result.lock().expect("lock").as_ref().map(|r| r.0.clone()),
                        &scopes,
                    )
                    .await?;
                let gz_size = c
                    .result
                    .lock()
                    .expect("lock")
                    .as_ref()
                    .map(|r| r.1)
                    .unwrap_or(0);
                opts.progress.blob_done(&start, Outcome::Moved);
                cache.put(diff_id, level, &digest, gz_size);
                let desc = Desc {
                    media_type: media::DOCKER_LAYER_GZIP.into(),
                    digest,
                    size: gz_size,
                };
                Ok::<_, TransferError>((desc, Outcome::Moved))
            }
        })
        .buffered(opts.jobs.max(1))
        .try_collect()
        .await;
    cache.save();
    let layers = layers?;
    let moved: Vec<u64> = layers
        .iter()
        .filter(|(_, o)| *o == Outcome::Moved)
        .map(|(d, _)| d.size)
        .collect();
    let layers: Vec<Desc> = layers.into_iter().map(|(d, _)| d).collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::DOCKER_MANIFEST,
        "config": {"mediaType": media::DOCKER_CONFIG, "size": d.config.len(), "digest": config_digest},
        "layers": layers.iter().map(|l| serde_json::json!({"mediaType": l.media_type, "size": l.size, "digest": l.digest})).collect::<Vec<_>>(),
    });
    let bytes = Bytes::from(serde_json::to_vec_pretty(&manifest).expect("json"));
    let m = RawManifest::new(
        bytes.clone(),
        media::DOCKER_MANIFEST.into(),
        digest::sha256(&bytes),
    );
    for t in tags {
        dst.reg.put_manifest(&dst.repo, t, &m, &scopes).await?;
    }
    if tags.is_empty() {
        dst.reg
            .put_manifest(&dst.repo, &m.digest, &m, &scopes)
            .await?;
    }
    opts.progress.finish();
    let all: u64 = layers.iter().map(|l| l.size).sum();
    Ok(Report {
        reference: format!("{}/{}@{}", dst.reg.name, dst.repo, m.digest),
        digest: m.digest.clone(),
        media_type: m.media_type.clone(),
        size: bytes.len() as u64 + d.config.len() as u64 + all,
        tags: tags.to_vec(),
        blobs_moved: moved.len(),
        blobs_skipped: layers.len() - moved.len(),
        blobs_mounted: 0,
        bytes_moved: moved.iter().sum(),
    })
}
