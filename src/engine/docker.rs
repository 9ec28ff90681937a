//! A legacy `docker save` archive as a transfer source whose uncompressed layers are
//! gzip-compressed while they stream: each layer is read from the archive, checked against its
//! diff_id, compressed on a blocking thread of its own (layers in parallel, as many as --jobs),
//! and hashed; its digest becomes known at the end of the stream. The gzip stream depends on
//! the bytes only (oci::gzip: fixed segments, a fixed level, nearly random segments stored as
//! they are), so a retry or a second push gives the same blob.
//! The engine moves these layers like any blob (sessions, retries, PATCH fallback, progress)
//! and writes the manifest once every digest is known.

use std::io::Read;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::progress::Progress;
use super::stream::{from_channel, ByteStream};
use super::TransferError;
use crate::local::reader::LocalImage;
use crate::oci::digest::{self, Hasher};
use crate::oci::gzip::Gzip;
use crate::oci::manifest::{Desc, RawManifest};
use crate::oci::media;

/// One layer of a legacy docker archive (one already gzip-compressed moves as a plain blob).
pub use crate::local::reader::DockerLayer as Layer;

/// The compressed digest and size, set when the stream has ended well.
pub type Outcome = Arc<Mutex<Option<(String, u64)>>>;

/// Compressed bytes of one layer, with its digest and size known at the end.
pub struct Compressed {
    pub bytes: ByteStream,
    pub result: Outcome,
}

/// Compress `layer` from the archive on a blocking thread, verifying its diff_id.
pub fn compress(
    img: &LocalImage,
    layer: &Layer,
    level: u32,
    progress: Arc<dyn Progress>,
) -> Result<Compressed, TransferError> {
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
            progress.blob_bytes(&diff_id, n as u64);
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
    Ok(Compressed {
        bytes: from_channel(rx),
        result,
    })
}

/// The manifest of a pushed legacy archive: its config and the compressed layers, in order.
pub fn manifest(config: &Desc, layers: &[Desc]) -> RawManifest {
    let desc = |d: &Desc| serde_json::json!({"mediaType": d.media_type, "size": d.size, "digest": d.digest});
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
