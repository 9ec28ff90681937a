//! A legacy `docker save` archive as a transfer source whose uncompressed layers are
//! gzip-compressed while they stream: each layer is read from the archive, checked against its
//! diff_id, compressed on a blocking thread of its own (layers in parallel, as many as --jobs),
//! and hashed; its digest becomes known at the end of the stream. The gzip stream depends on
//! the bytes only (fixed segments, a fixed level), so a retry or a second push gives the same
//! blob: each 256 KiB segment is deflated (flate2, zlib-rs) unless its bytes are nearly random
//! (already compressed data), which is stored as it is instead of searched for matches in vain.
//! The engine moves these layers like any blob (sessions, retries, PATCH fallback, progress)
//! and writes the manifest once every digest is known.

use std::io::Read;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::progress::Progress;
use super::stream::{from_channel, ByteStream};
use super::TransferError;
use crate::image::digest::{self, Hasher};
use crate::image::manifest::{Desc, RawManifest};
use crate::image::media;
use crate::local::reader::LocalImage;

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
            gz.write(&buf[..n]);
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
        let rest = gz.finish();
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

/// Bytes judged at once: stored or deflated.
const SEGMENT: usize = 256 << 10;
/// Bits of entropy per byte from which a segment is stored: deflate saves under 0.5% there.
const STORE_FROM: f64 = 7.96;

/// The order-0 entropy of `seg`, in bits per byte.
fn bits_per_byte(seg: &[u8]) -> f64 {
    let mut h = [[0u32; 256]; 4];
    let mut quads = seg.chunks_exact(4);
    for q in &mut quads {
        h[0][q[0] as usize] += 1;
        h[1][q[1] as usize] += 1;
        h[2][q[2] as usize] += 1;
        h[3][q[3] as usize] += 1;
    }
    for &b in quads.remainder() {
        h[0][b as usize] += 1;
    }
    let n = seg.len() as f64;
    (0..256)
        .map(|i| h[0][i] + h[1][i] + h[2][i] + h[3][i])
        .filter(|&c| c > 0)
        .map(|c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// A gzip stream built in memory, segment by segment (see the module's note).
pub(crate) struct Gzip {
    c: flate2::Compress,
    crc: flate2::Crc,
    /// The last segment was stored (the deflater was flushed before it).
    stored: bool,
    out: Vec<u8>,
}

impl Gzip {
    pub(crate) fn new(level: u32) -> Self {
        // The header flate2's GzEncoder writes: no name, no time, "fast" or "best" by level.
        let xfl = match level {
            0 | 1 => 4,
            9.. => 2,
            _ => 0,
        };
        let mut out = Vec::with_capacity(2 << 20);
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255]);
        Gzip {
            c: flate2::Compress::new(flate2::Compression::new(level), false),
            crc: flate2::Crc::new(),
            stored: false,
            out,
        }
    }

    /// Add `data`: whole buffers of a fixed size but the last, for the same output each time.
    pub(crate) fn write(&mut self, data: &[u8]) {
        self.crc.update(data);
        for seg in data.chunks(SEGMENT) {
            let store = seg.len() >= 4096 && bits_per_byte(seg) >= STORE_FROM;
            if store {
                if !self.stored {
                    // Byte-aligned, every block so far complete: stored blocks may follow.
                    self.run(&[], flate2::FlushCompress::Sync);
                    self.stored = true;
                }
                for piece in seg.chunks(0xffff) {
                    let len = piece.len() as u16;
                    // BFINAL 0, BTYPE 00 (stored), padded to the byte; LEN, NLEN; the bytes.
                    self.out.push(0);
                    self.out.extend_from_slice(&len.to_le_bytes());
                    self.out.extend_from_slice(&(!len).to_le_bytes());
                    self.out.extend_from_slice(piece);
                }
            } else {
                if self.stored {
                    // A fresh deflater: its matches never reach back past the stored bytes,
                    // which it has not seen.
                    self.c.reset();
                    self.stored = false;
                }
                self.run(seg, flate2::FlushCompress::None);
            }
        }
    }

    fn run(&mut self, mut input: &[u8], flush: flate2::FlushCompress) {
        loop {
            self.out.reserve(input.len() / 2 + (64 << 10));
            let before = self.c.total_in();
            let status = self
                .c
                .compress_vec(input, &mut self.out, flush)
                .expect("deflate in memory");
            input = &input[(self.c.total_in() - before) as usize..];
            let room = self.out.len() < self.out.capacity();
            let done = match flush {
                flate2::FlushCompress::Finish => status == flate2::Status::StreamEnd,
                flate2::FlushCompress::None => input.is_empty(),
                _ => input.is_empty() && room,
            };
            if done {
                return;
            }
        }
    }

    /// Compressed bytes ready to send.
    pub(crate) fn pending(&self) -> usize {
        self.out.len()
    }

    /// The bytes ready, in an allocation of their size (a chunk sent on holds no spare room);
    /// the buffer is kept for the next ones.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        let chunk = self.out.as_slice().to_vec();
        self.out.clear();
        chunk
    }

    /// The rest of the stream: the last block and the trailer (CRC-32, size mod 2^32).
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.run(&[], flate2::FlushCompress::Finish);
        self.out.extend_from_slice(&self.crc.sum().to_le_bytes());
        self.out.extend_from_slice(&self.crc.amount().to_le_bytes());
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, mut x: u64) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.extend_from_slice(&x.to_le_bytes());
        }
        v.truncate(n);
        v
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut gz = Gzip::new(1);
        let mut out = Vec::new();
        for b in data.chunks(1 << 20) {
            gz.write(b);
            out.extend(gz.take());
        }
        out.extend(gz.finish());
        out
    }

    #[test]
    fn random_stretches_are_stored_text_is_deflated_and_it_all_gunzips_the_same_each_time() {
        let mut data = noise(700_000, 3);
        data.extend(b"a line of text that repeats\n".repeat(40_000));
        data.extend(noise(900_001, 4));
        data.extend(b"tail");
        let gz = gzip(&data);
        let mut back = Vec::new();
        // Read by another implementation (flate2's), checking the CRC and size.
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back).unwrap();
        assert!(back == data, "round trip");
        assert_eq!(gzip(&data), gz, "deterministic");
        // The random parts cost about their size (stored; the segments where random and text
        // meet are deflated), the 1.1 MB of text almost nothing.
        let random = 1_600_001f64;
        assert!((gz.len() as f64) < random * 1.02, "{} bytes", gz.len());
        assert!((gz.len() as f64) > random, "{} bytes", gz.len());
        assert!(bits_per_byte(&noise(SEGMENT, 9)) > STORE_FROM);
        assert!(bits_per_byte(&data[700_000..700_000 + SEGMENT]) < 5.0);
        // Empty input is a valid gzip of nothing.
        let empty = gzip(b"");
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&empty[..]), &mut back)
            .unwrap();
        assert!(back.is_empty());
    }
}
