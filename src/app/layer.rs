//! New layers for `append`: a directory tarred reproducibly, a tar, or a `.tar.gz` given as
//! it is; checked before anything is sent (no absolute or `..` paths), then streamed through
//! sha256 (the diff_id), gzip at a fixed level with a header without time or name, and sha256
//! again (the blob digest) into an upload, on a blocking thread; nothing is held whole.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::oci::bytes::{from_channel, ByteStream};
use crate::oci::digest::Digest;
use crate::oci::digest::Hasher;
use crate::oci::gzip;

/// gzip level of new layers: fixed, so that the same input gives the same digest.
pub const LEVEL: u32 = 1;

/// Input bytes hashed and compressed at once.
const CHUNK: usize = 1 << 20;

/// Bytes handed to the upload per piece.
const PIECE: usize = 1 << 20;

/// Why a layer path cannot be used: bad input, found before any request.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("layer {path}: no such file or directory")]
    Missing { path: String },
    #[error("layer {path} is not a tar archive: {message}")]
    NotTar { path: String, message: String },
    #[error("layer {path}: entry {entry:?} {why}; refused")]
    UnsafeEntry {
        path: String,
        entry: String,
        why: &'static str,
    },
    #[error("layer {path}: cannot read: {message}")]
    Read { path: String, message: String },
}

/// What a layer path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Tarred by cr, reproducibly.
    Dir,
    /// An uncompressed tar, compressed on the way.
    Tar,
    /// A gzip-compressed tar, sent as it is.
    TarGz,
}

/// A checked layer source.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    pub kind: Kind,
    /// The mtime of a directory's entries (0, or SOURCE_DATE_EPOCH).
    pub mtime: u64,
}

impl Input {
    fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// Check a layer path: it exists, and a file is a tar (gzip-compressed or not) whose entries
/// all stay below the root. Reads a tar once, streaming.
pub fn check(path: &Path, mtime: u64) -> Result<Input, LayerError> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => LayerError::Missing { path: name.clone() },
        _ => LayerError::Read {
            path: name.clone(),
            message: e.to_string(),
        },
    })?;
    let kind = if meta.is_dir() {
        Kind::Dir
    } else {
        let mut magic = [0u8; 2];
        let n = File::open(path)
            .and_then(|mut f| f.read(&mut magic))
            .map_err(|e| LayerError::Read {
                path: name.clone(),
                message: e.to_string(),
            })?;
        if n == 2 && magic == [0x1f, 0x8b] {
            Kind::TarGz
        } else {
            Kind::Tar
        }
    };
    let input = Input {
        path: path.to_path_buf(),
        kind,
        mtime,
    };
    if kind != Kind::Dir {
        scan(&input)?;
    }
    Ok(input)
}

/// Read every entry header of a tar: a file that is not a tar fails, as does an entry whose
/// path (or hard link target) is absolute or climbs with `..`.
fn scan(input: &Input) -> Result<(), LayerError> {
    let path = input.name();
    let not_tar = |e: io::Error| LayerError::NotTar {
        path: path.clone(),
        message: e.to_string(),
    };
    let file = File::open(&input.path).map_err(|e| LayerError::Read {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let reader: Box<dyn Read> = match input.kind {
        Kind::TarGz => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file))),
        _ => Box::new(BufReader::new(file)),
    };
    let mut archive = tar::Archive::new(reader);
    let mut count = 0usize;
    for entry in archive.entries().map_err(not_tar)? {
        let entry = entry.map_err(not_tar)?;
        count += 1;
        unsafe_path(&entry.path_bytes()).map_or(Ok(()), |why| {
            Err(LayerError::UnsafeEntry {
                path: path.clone(),
                entry: String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
                why,
            })
        })?;
        if entry.header().entry_type().is_hard_link() {
            if let Some(target) = entry.link_name_bytes() {
                if let Some(why) = unsafe_path(&target) {
                    return Err(LayerError::UnsafeEntry {
                        path: path.clone(),
                        entry: String::from_utf8_lossy(&target).into_owned(),
                        why,
                    });
                }
            }
        }
    }
    if count == 0 {
        return Err(LayerError::NotTar {
            path,
            message: "it has no entries".into(),
        });
    }
    Ok(())
}

/// Why an entry path in a layer is refused, if it is.
fn unsafe_path(p: &[u8]) -> Option<&'static str> {
    if p.starts_with(b"/") {
        return Some("is absolute");
    }
    if p.split(|&b| b == b'/').any(|c| c == b"..") {
        return Some("climbs out with ..");
    }
    None
}

/// The digests of a layer, known once its stream has ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// sha256 of the uncompressed tar.
    pub diff_id: Digest,
    /// sha256 of the gzip bytes (the blob).
    pub digest: Digest,
    /// Size of the gzip bytes.
    pub size: u64,
}

/// A layer as it streams: its gzip bytes, and its digests at the end (or what failed).
pub struct Streaming {
    pub bytes: ByteStream,
    pub done: Arc<Mutex<Option<Done>>>,
    pub failed: Arc<Mutex<Option<LayerError>>>,
    /// Digest and size for `Target::put_encoded`.
    pub outcome: crate::engine::docker::Outcome,
}

/// Start streaming `input` on a blocking thread.
pub fn stream(input: &Input) -> Streaming {
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let done = Arc::new(Mutex::new(None));
    let failed = Arc::new(Mutex::new(None));
    let outcome: crate::engine::docker::Outcome = Arc::new(Mutex::new(None));
    let (d, f, o, input) = (done.clone(), failed.clone(), outcome.clone(), input.clone());
    tokio::task::spawn_blocking(move || {
        let mut out = Out {
            tx,
            buf: Vec::with_capacity(PIECE),
            hash: Hasher::sha256(),
            size: 0,
        };
        let r = match input.kind {
            Kind::TarGz => pass_gzip(&input, &mut out),
            Kind::Tar | Kind::Dir => compress(&input, &mut out),
        };
        match r.and_then(|diff_id| out.end().map(|(digest, size)| (diff_id, digest, size))) {
            Ok((diff_id, digest, size)) => {
                *o.lock().expect("lock") = Some((digest.clone(), size));
                *d.lock().expect("lock") = Some(Done {
                    diff_id,
                    digest,
                    size,
                });
            }
            Err(e) => {
                // Said before the stream fails, so that the upload's caller finds it.
                *f.lock().expect("lock") = Some(LayerError::Read {
                    path: input.name(),
                    message: e.to_string(),
                });
                let _ = out.tx.blocking_send(Err(io::Error::other(e.to_string())));
            }
        }
    });
    Streaming {
        bytes: from_channel(rx),
        done,
        failed,
        outcome,
    }
}

/// The upload end: hashes the blob bytes and sends them in pieces.
struct Out {
    tx: tokio::sync::mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
    hash: Hasher,
    size: u64,
}

impl Out {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.buf, Vec::with_capacity(PIECE));
        self.tx
            .blocking_send(Ok(Bytes::from(piece)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the upload stopped"))
    }

    /// The last piece; the blob's digest and size.
    fn end(&mut self) -> io::Result<(Digest, u64)> {
        self.send()?;
        let hash = std::mem::replace(&mut self.hash, Hasher::sha256());
        Ok((hash.finish(), self.size))
    }
}

impl Write for Out {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.hash.update(data);
        self.size += data.len() as u64;
        self.buf.extend_from_slice(data);
        if self.buf.len() >= PIECE {
            self.send()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Hashes what goes through it (the uncompressed tar: the diff_id).
struct Tee<W> {
    hash: Hasher,
    inner: W,
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(data)?;
        self.hash.update(&data[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A tar (given, or made from a directory) -> diff_id -> gzip -> `out`; returns the diff_id.
fn compress(input: &Input, out: &mut Out) -> io::Result<Digest> {
    let mut gz = Gzip::new(out)?;
    match input.kind {
        Kind::Dir => {
            let mut b = tar::Builder::new(&mut gz);
            b.follow_symlinks(false);
            add_dir(&mut b, &input.path, Path::new(""), input.mtime)?;
            b.finish()?;
        }
        _ => {
            let mut f = io::BufReader::with_capacity(PIECE, File::open(&input.path)?);
            io::copy(&mut f, &mut gz)?;
        }
    }
    Ok(gz.finish()?.1)
}

/// gzip as cr writes layers (oci::gzip: fixed segments, `LEVEL`, a header without time or
/// name, nearly random stretches stored as they are), as a `Write`: the same input gives the
/// same gzip. The input's sha256 (the diff_id) is computed on a thread of its own, alongside.
struct Gzip<W: Write> {
    out: W,
    gz: gzip::Gzip,
    pending: Vec<u8>,
    raw_tx: Option<std::sync::mpsc::SyncSender<Bytes>>,
    /// sha256 of the input.
    raw: Option<std::thread::JoinHandle<Digest>>,
}

impl<W: Write> Gzip<W> {
    fn new(out: W) -> io::Result<Self> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Bytes>(4);
        let raw = std::thread::spawn(move || {
            let mut hash = Hasher::sha256();
            for b in rx {
                hash.update(&b);
            }
            hash.finish()
        });
        Ok(Gzip {
            out,
            gz: gzip::Gzip::new(LEVEL),
            pending: Vec::with_capacity(CHUNK),
            raw_tx: Some(tx),
            raw: Some(raw),
        })
    }

    fn piece(&mut self) -> io::Result<()> {
        let piece = Bytes::from(std::mem::replace(
            &mut self.pending,
            Vec::with_capacity(CHUNK),
        ));
        self.raw_tx
            .as_ref()
            .ok_or_else(|| io::Error::other("the layer's hashing thread is closed"))?
            .send(piece.clone())
            .map_err(|_| io::Error::other("the layer's hashing thread stopped"))?;
        self.gz.write(&piece)?;
        self.gz.write_ready(&mut self.out)
    }

    /// The last piece, the end of the gzip stream; the output and the input's sha256.
    fn finish(mut self) -> io::Result<(W, Digest)> {
        if !self.pending.is_empty() {
            self.piece()?;
        }
        drop(self.raw_tx.take());
        let diff_id = self
            .raw
            .take()
            .ok_or_else(|| io::Error::other("the layer's hashing thread is gone"))?
            .join()
            .map_err(|_| io::Error::other("the layer's hashing thread failed"))?;
        self.out.write_all(&self.gz.finish()?)?;
        Ok((self.out, diff_id))
    }
}

impl<W: Write> Write for Gzip<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.pending.len());
        self.pending.extend_from_slice(&data[..n]);
        if self.pending.len() == CHUNK {
            self.piece()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A `.tar.gz` as it is -> digest -> `out`, and decompressed on the side for the diff_id.
fn pass_gzip(input: &Input, out: &mut Out) -> io::Result<Digest> {
    let mut f = File::open(&input.path)?;
    let mut raw = flate2::write::MultiGzDecoder::new(Tee {
        hash: Hasher::sha256(),
        inner: io::sink(),
    });
    let mut buf = vec![0u8; PIECE];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        raw.write_all(&buf[..n])?;
        out.write_all(&buf[..n])?;
    }
    let tee = raw.finish()?;
    Ok(tee.hash.finish())
}

/// The entries below `dir`, sorted by name, depth first: directories (with a trailing `/`),
/// regular files and symlinks as they are, owner 0:0 without names, mode kept, mtime fixed.
/// Devices, fifos and sockets are left out.
fn add_dir<W: Write>(
    b: &mut tar::Builder<W>,
    dir: &Path,
    prefix: &Path,
    mtime: u64,
) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<_>>()?;
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let meta = std::fs::symlink_metadata(&path)?;
        // Names as bytes: a name that is not UTF-8 stays as it is.
        let rel = prefix.join(&name);
        let mut h = tar::Header::new_gnu();
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(mtime);
        h.set_mode(meta.permissions().mode() & 0o7777);
        let ft = meta.file_type();
        if ft.is_dir() {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_size(0);
            let mut slashed = rel.clone().into_os_string();
            slashed.push("/");
            b.append_data(&mut h, &slashed, io::empty())?;
            add_dir(b, &path, &rel, mtime)?;
        } else if ft.is_file() {
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(meta.len());
            let f = File::open(&path)?;
            // The size written in the header is the size sent: a file that grows meanwhile
            // is cut, one that shrinks fails the layer.
            let f = io::BufReader::with_capacity(PIECE, f.take(meta.len()));
            b.append_data(&mut h, &rel, f)?;
        } else if ft.is_symlink() {
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            let target = std::fs::read_link(&path)?;
            b.append_link(&mut h, &rel, target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_climbing_and_absolute_paths() {
        assert_eq!(unsafe_path(b"/etc/passwd"), Some("is absolute"));
        assert_eq!(unsafe_path(b"a/../../b"), Some("climbs out with .."));
        assert_eq!(unsafe_path(b"../evil"), Some("climbs out with .."));
        assert_eq!(unsafe_path(b"a/..b/c"), None);
        assert_eq!(unsafe_path(b"./a"), None);
    }

    /// Pieces that compress are deflated, pieces that do not are stored; either way one gzip
    /// stream that decompresses to the input, the same bytes each time.
    #[test]
    fn gzip_stores_what_does_not_compress() {
        let mut x = 0x9e3779b97f4a7c15u64;
        let noise: Vec<u8> = (0..CHUNK + 5000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        // Noise first: a whole piece of it, and its sample, deflate to more than they are.
        let mut input = noise.clone();
        input.extend(vec![b'a'; CHUNK + 300]);
        input.extend(std::iter::repeat_n(b"hello layer ".as_slice(), 20000).flatten());
        let gzip = |data: &[u8]| {
            let mut g = Gzip::new(Vec::new()).unwrap();
            for part in data.chunks(77_777) {
                g.write_all(part).unwrap();
            }
            let (gz, diff_id) = g.finish().unwrap();
            assert_eq!(diff_id, crate::oci::digest::sha256(data));
            gz
        };
        let gz = gzip(&input);
        assert_eq!(gz, gzip(&input));
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut back)
            .unwrap();
        assert!(back == input);
        // The noise is stored (a little over its size), the rest deflated to almost nothing.
        assert!(gz.len() < noise.len() + (32 << 10), "{}", gz.len());
        assert!(gz.len() > noise.len(), "{}", gz.len());
    }

    async fn digests(input: &Input) -> (Done, Vec<u8>) {
        use futures_util::StreamExt;
        let s = stream(input);
        let mut all = Vec::new();
        let mut bytes = s.bytes;
        while let Some(b) = bytes.next().await {
            all.extend_from_slice(&b.unwrap());
        }
        let done = s.done.lock().unwrap().clone().unwrap();
        (done, all)
    }

    #[tokio::test]
    async fn a_directory_tars_the_same_twice_and_the_digests_hold() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        std::fs::write(dir.path().join("b/c/f"), b"hello").unwrap();
        std::fs::write(dir.path().join("a"), b"x").unwrap();
        std::os::unix::fs::symlink("b/c/f", dir.path().join("l")).unwrap();
        let input = check(dir.path(), 0).unwrap();
        let (one, gz) = digests(&input).await;
        // Touch a file: mtimes are not in the layer.
        std::fs::write(dir.path().join("a"), b"x").unwrap();
        let (two, _) = digests(&input).await;
        assert_eq!(one, two);
        assert_eq!(one.digest, crate::oci::digest::sha256(&gz));
        let mut tar = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut tar)
            .unwrap();
        assert_eq!(one.diff_id, crate::oci::digest::sha256(&tar));
        let mut a = tar::Archive::new(&tar[..]);
        let names: Vec<String> = a
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                assert_eq!(
                    (e.header().uid().unwrap(), e.header().mtime().unwrap()),
                    (0, 0)
                );
                e.path().unwrap().display().to_string()
            })
            .collect();
        assert_eq!(names, ["a", "b/", "b/c/", "b/c/f", "l"]);
        // The tar as a .tar.gz gives the same diff_id, and its own bytes as the blob.
        let other = tempfile::tempdir().unwrap();
        let gzfile = other.path().join("layer.tgz");
        std::fs::write(&gzfile, &gz).unwrap();
        let (three, again) = digests(&check(&gzfile, 0).unwrap()).await;
        assert_eq!((three.diff_id, again), (one.diff_id, gz));
    }
}
