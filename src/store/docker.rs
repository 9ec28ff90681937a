//! A legacy `docker save` archive as a transfer source whose uncompressed layers are
//! gzip-compressed while they stream: each layer is read from the archive, checked against its
//! diff_id, compressed on a blocking thread of its own (layers in parallel, as many as --jobs),
//! and hashed; its digest becomes known at the end of the stream. The gzip stream depends on
//! the bytes only (oci::gzip: fixed segments, a fixed level, nearly random segments stored as
//! they are), so a retry or a second push gives the same blob.
//! As a [`Source`] with an [`Encoder`], the archive owns that compression: the engine moves
//! these layers like any blob (sessions, retries, PATCH fallback, progress) and asks for the
//! manifest once every digest is known. What a layer compressed to is remembered between runs
//! (`gzcache`), so that a second push skips it when the registry has it.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::gzcache::GzCache;
use super::{ByteStream, Encoded, Encoder, Fut, Seen, Source, TransferError};
use crate::local::reader::LocalImage;
use crate::oci::bytes::from_channel;
use crate::oci::digest::{self, Digest, Hasher};
use crate::oci::gzip::Gzip;
use crate::oci::manifest::{Descriptor, Parsed, RawManifest};
use crate::oci::media;
use crate::oci::reference::ManifestRef;

/// One layer of a legacy docker archive (one already gzip-compressed moves as a plain blob).
pub use crate::local::reader::DockerLayer as Layer;

/// The compressed digest and size, set when the stream has ended well.
pub type Outcome = Arc<Mutex<Option<(Digest, u64)>>>;

/// A legacy docker archive pushed with its uncompressed layers gzip-compressed at `level`.
pub struct DockerArchive {
    img: LocalImage,
    level: u32,
    memory: GzCache,
}

impl DockerArchive {
    /// `remember`: keep what layers compressed to between runs (off with the content cache).
    pub fn new(img: LocalImage, level: u32, remember: bool) -> Self {
        DockerArchive {
            img,
            level,
            memory: GzCache::open(remember),
        }
    }

    /// The uncompressed layer whose raw descriptor is `desc`.
    fn layer(&self, desc: &Descriptor) -> Option<&Layer> {
        let d = self.img.docker.as_ref()?;
        d.layers
            .iter()
            .find(|l| l.gzip.is_none() && l.diff_id == desc.digest)
    }
}

impl Source for DockerArchive {
    fn describe(&self, _reference: &ManifestRef) -> String {
        self.img.describe()
    }

    fn manifest<'a>(&'a self, reference: &'a ManifestRef) -> Fut<'a, RawManifest> {
        Box::pin(async move { Ok(self.img.manifest(reference).await?) })
    }

    fn blob<'a>(&'a self, desc: &'a Descriptor) -> Fut<'a, ByteStream> {
        Box::pin(async move { Ok(self.img.blob(desc).await?) })
    }

    fn encoder(&self) -> Option<&dyn Encoder> {
        Some(self)
    }
}

/// A compressed layer's descriptor.
fn gz(digest: Digest, size: u64) -> Descriptor {
    Descriptor::new(media::DOCKER_LAYER_GZIP, digest, size)
}

impl Encoder for DockerArchive {
    fn encodes(&self, desc: &Descriptor) -> bool {
        self.layer(desc).is_some()
    }

    fn remembered(&self, desc: &Descriptor) -> Option<Descriptor> {
        let known = self.memory.get(&desc.digest, self.level)?;
        Some(gz(known.digest, known.size))
    }

    fn remember(&self, raw: &Descriptor, encoded: &Descriptor) {
        self.memory
            .put(&raw.digest, self.level, &encoded.digest, encoded.size);
    }

    fn encode(&self, desc: &Descriptor, seen: Seen) -> Result<Encoded, TransferError> {
        let layer = self.layer(desc).ok_or_else(|| {
            TransferError::Unsupported(format!("{} is not a layer to compress", desc.digest))
        })?;
        compress(&self.img, layer, self.level, seen)
    }

    /// The manifest of the pushed archive: its config and the layers, in order, each as it
    /// was sent (compressed here, or gzip already in the archive).
    fn manifest(
        &self,
        top: &RawManifest,
        encoded: &HashMap<Digest, Descriptor>,
    ) -> Result<RawManifest, TransferError> {
        let (Parsed::Image(m), Some(d)) = (top.parse()?, self.img.docker.as_ref()) else {
            return Err(TransferError::Unsupported(
                "a docker archive without a config".into(),
            ));
        };
        let layers: Vec<Descriptor> = d
            .layers
            .iter()
            .map(|l| {
                let raw = l.raw();
                encoded.get(&raw.digest).cloned().unwrap_or(raw)
            })
            .collect();
        Ok(manifest(&m.config, &layers))
    }

    fn save(&self) {
        self.memory.save();
    }
}

/// Compress `layer` from the archive on a blocking thread, verifying its diff_id.
fn compress(
    img: &LocalImage,
    layer: &Layer,
    level: u32,
    seen: Seen,
) -> Result<Encoded, TransferError> {
    let mut input = img.file_reader(&layer.file)?;
    // Two chunks ahead of the upload: compression outruns a registry, and each layer in
    // flight holds no more than that.
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let result: Outcome = Arc::new(Mutex::new(None));
    let out = result.clone();
    let diff_id = layer.diff_id.clone();
    let path = img.path().display().to_string();
    tokio::task::spawn_blocking(move || {
        let mut raw_hash = Hasher::for_digest(&diff_id);
        let mut gz_hash = Hasher::sha256();
        let mut gz_size = 0u64;
        let mut gz = Gzip::new(level);
        let mut buf = vec![0u8; 1 << 20];
        let send = |data: Vec<u8>, gz_hash: &mut Hasher, gz_size: &mut u64| {
            gz_hash.update(&data);
            *gz_size += data.len() as u64;
            tx.blocking_send(Ok(Bytes::from(data))).is_ok()
        };
        loop {
            // Whole buffers (the last one aside): the output depends on the bytes only.
            let n = match fill(&mut input, &mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            raw_hash.update(&buf[..n]);
            seen(n as u64);
            if let Err(e) = gz.write(&buf[..n]) {
                let _ = tx.blocking_send(Err(e));
                return;
            }
            if gz.pending() >= 1 << 20 && !send(gz.take(), &mut gz_hash, &mut gz_size) {
                return;
            }
            if n < buf.len() {
                break;
            }
        }
        let actual = raw_hash.finish();
        if actual != diff_id {
            let _ = tx.blocking_send(Err(std::io::Error::other(format!(
                "{path}: layer {diff_id} does not match its content ({actual})"
            ))));
            return;
        }
        let rest = match gz.finish() {
            Ok(rest) => rest,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        if !rest.is_empty() && !send(rest, &mut gz_hash, &mut gz_size) {
            return;
        }
        *out.lock().expect("lock") = Some((gz_hash.finish(), gz_size));
    });
    Ok(Encoded {
        bytes: from_channel(rx),
        media_type: media::DOCKER_LAYER_GZIP.into(),
        result,
    })
}

/// The manifest of a pushed legacy archive: its config and the compressed layers, in order.
fn manifest(config: &Descriptor, layers: &[Descriptor]) -> RawManifest {
    let desc = |d: &Descriptor| serde_json::json!({"mediaType": d.media_type, "size": d.size, "digest": d.digest});
    let m = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media::DOCKER_MANIFEST,
        "config": desc(config),
        "layers": layers.iter().map(desc).collect::<Vec<_>>(),
    });
    let bytes = Bytes::from(serde_json::to_vec_pretty(&m).expect("json"));
    let digest = digest::sha256(&bytes);
    RawManifest::new(bytes, media::DOCKER_MANIFEST.into(), digest)
}

/// Read until `buf` is full or the input ends; the bytes read.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
