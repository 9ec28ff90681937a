//! Tar archives read in place: one pass records where each file's bytes are, then files are
//! read (small ones into memory, blobs as streams) at those offsets, never unpacking to disk.
//! The archive is opened once: every read goes through that handle (positional reads), so an
//! archive replaced by another process meanwhile is never read at the old one's offsets.
//! A gzip-compressed tar (magic bytes 1f 8b) is indexed by one decompressing pass (which also
//! checks the gzip stream to its end), and each file is read by decompressing again from the
//! start up to it: nothing decompressed is written to disk or held whole in memory.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use super::LocalError;
use crate::oci::bytes::ByteStream;

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Where each regular file of a tar lies: name -> (offset of data, size). For a gzip-compressed
/// tar the offsets are in the decompressed stream.
#[derive(Debug, Clone)]
pub struct TarIndex {
    pub path: PathBuf,
    file: Arc<File>,
    gzip: bool,
    entries: HashMap<String, (u64, u64)>,
}

/// The whole archive file from `pos` to its end, read through the shared handle.
#[derive(Debug)]
struct At {
    file: Arc<File>,
    pos: u64,
}

impl Read for At {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// The decompressed bytes of a gzip-compressed archive, from its start.
type Gunzip = MultiGzDecoder<BufReader<At>>;

fn gunzip(file: &Arc<File>) -> Gunzip {
    MultiGzDecoder::new(BufReader::with_capacity(
        1 << 16,
        At {
            file: file.clone(),
            pos: 0,
        },
    ))
}

/// The bytes of one file of the archive, read from the shared handle at its offset.
#[derive(Debug)]
pub struct EntryReader(Inner);

#[derive(Debug)]
enum Inner {
    Plain {
        file: Arc<File>,
        pos: u64,
        end: u64,
    },
    /// Decompressing from the start: `skip` bytes are discarded (on the first read, so on
    /// the reading thread), then `left` bytes are the file's.
    Gzip {
        dec: Box<Gunzip>,
        skip: u64,
        left: u64,
    },
}

fn ended_inside() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "the archive ended inside a file",
    )
}

impl Read for EntryReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.0 {
            Inner::Plain { file, pos, end } => {
                let want = (*end - *pos).min(buf.len() as u64) as usize;
                if want == 0 {
                    return Ok(0);
                }
                let n = file.read_at(&mut buf[..want], *pos)?;
                if n == 0 {
                    return Err(ended_inside());
                }
                *pos += n as u64;
                Ok(n)
            }
            Inner::Gzip { dec, skip, left } => {
                if *skip > 0 {
                    let n = std::io::copy(&mut (&mut **dec).take(*skip), &mut std::io::sink())?;
                    if n < *skip {
                        return Err(ended_inside());
                    }
                    *skip = 0;
                }
                let want = (*left).min(buf.len() as u64) as usize;
                if want == 0 {
                    return Ok(0);
                }
                let n = dec.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(ended_inside());
                }
                *left -= n as u64;
                Ok(n)
            }
        }
    }
}

/// A reader that remembers the kind of the first error it gave (the gzip layer's, told apart
/// from the tar parser's own).
struct Watched<R> {
    inner: R,
    failed: Option<std::io::ErrorKind>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            self.failed.get_or_insert(e.kind());
        })
    }
}

fn normalise(name: &str) -> String {
    name.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

/// Record where each regular file of the tar read from `r` lies.
fn index(path: &Path, r: impl Read) -> Result<HashMap<String, (u64, u64)>, LocalError> {
    let mut ar = tar::Archive::new(r);
    let mut entries = HashMap::new();
    // tar's own errors may quote the file's bytes (a header field that is not a number):
    // say what the file is not, never what it holds.
    let not_tar = |_: std::io::Error| LocalError::NotAnImage {
        path: path.to_path_buf(),
        message: "not a tar archive, OCI layout or docker-archive".into(),
    };
    for e in ar.entries().map_err(not_tar)? {
        let e = e.map_err(not_tar)?;
        if !matches!(
            e.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) {
            continue;
        }
        let name = e.path().map_err(not_tar)?.to_string_lossy().into_owned();
        entries.insert(normalise(&name), (e.raw_file_position(), e.size()));
    }
    Ok(entries)
}

/// Index a gzip-compressed tar, then read its gzip stream to the end: an archive cut short or
/// corrupt anywhere (its trailer holds a checksum of it all) is refused before a byte is sent.
fn index_gzip(path: &Path, file: &Arc<File>) -> Result<HashMap<String, (u64, u64)>, LocalError> {
    let mut dec = Watched {
        inner: gunzip(file),
        failed: None,
    };
    let indexed = index(path, &mut dec).and_then(|entries| {
        std::io::copy(&mut dec, &mut std::io::sink())
            .map(|_| entries)
            .map_err(|e| LocalError::io(path, e))
    });
    match dec.failed {
        Some(kind) => Err(LocalError::NotAnImage {
            path: path.to_path_buf(),
            message: if kind == std::io::ErrorKind::UnexpectedEof {
                "a gzip-compressed archive that is cut short (its gzip stream ends early)".into()
            } else {
                "a gzip-compressed archive whose gzip stream is corrupt".into()
            },
        }),
        None => indexed,
    }
}

impl TarIndex {
    pub fn open(path: &Path) -> Result<Self, LocalError> {
        let file = Arc::new(File::open(path).map_err(|e| LocalError::io(path, e))?);
        let mut magic = [0u8; 2];
        let gzip = file.read_at(&mut magic, 0).unwrap_or(0) == 2 && magic == GZIP_MAGIC;
        let entries = if gzip {
            index_gzip(path, &file)?
        } else {
            index(
                path,
                At {
                    file: file.clone(),
                    pos: 0,
                },
            )?
        };
        if entries.is_empty() {
            return Err(LocalError::NotAnImage {
                path: path.to_path_buf(),
                message: "not a tar archive, OCI layout or docker-archive (no files in it)".into(),
            });
        }
        Ok(TarIndex {
            path: path.to_path_buf(),
            file,
            gzip,
            entries,
        })
    }

    /// Whether the archive is gzip-compressed (read, never written or added to).
    pub fn gzip(&self) -> bool {
        self.gzip
    }

    /// The names of the regular files in the archive.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.entries.keys()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(&normalise(name))
    }

    pub fn size(&self, name: &str) -> Option<u64> {
        self.entries.get(&normalise(name)).map(|e| e.1)
    }

    fn entry(&self, name: &str) -> Result<(u64, u64), LocalError> {
        self.entries
            .get(&normalise(name))
            .copied()
            .ok_or_else(|| LocalError::Missing {
                path: self.path.clone(),
                message: format!("{name} is not in the archive"),
            })
    }

    /// A blocking reader over one file of the archive.
    pub fn reader(&self, name: &str) -> Result<EntryReader, LocalError> {
        let (off, size) = self.entry(name)?;
        Ok(EntryReader(if self.gzip {
            Inner::Gzip {
                dec: Box::new(gunzip(&self.file)),
                skip: off,
                left: size,
            }
        } else {
            Inner::Plain {
                file: self.file.clone(),
                pos: off,
                end: off + size,
            }
        }))
    }

    /// Read a small file (index.json, manifest.json, a manifest or config) into memory.
    pub fn read(&self, name: &str, limit: u64) -> Result<Vec<u8>, LocalError> {
        let (off, size) = self.entry(name)?;
        if size > limit {
            return Err(LocalError::NotAnImage {
                path: self.path.clone(),
                message: format!("{name} is larger than {limit} bytes"),
            });
        }
        let mut buf = vec![0u8; size as usize];
        if self.gzip {
            self.reader(name)?
                .read_exact(&mut buf)
                .map_err(|e| LocalError::io(&self.path, e))?;
        } else {
            self.file
                .read_exact_at(&mut buf, off)
                .map_err(|e| LocalError::io(&self.path, e))?;
        }
        Ok(buf)
    }

    /// Stream a file's bytes.
    pub async fn stream(&self, name: &str) -> Result<ByteStream, LocalError> {
        let (_, size) = self.entry(name)?;
        Ok(super::file::read_stream(self.reader(name)?, Some(size)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A tar of `files`, gzip-compressed.
    fn tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap();
        }
        let tar = b.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn a_gzip_tar_is_indexed_and_each_file_read_by_decompressing_again() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.tar.gz");
        let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(
            &p,
            tar_gz(&[("manifest.json", b"[]"), ("./l/layer.tar", &big)]),
        )
        .unwrap();
        let t = TarIndex::open(&p).unwrap();
        assert!(t.gzip());
        assert_eq!(t.size("l/layer.tar"), Some(big.len() as u64));
        assert_eq!(t.read("manifest.json", 10).unwrap(), b"[]");
        let mut got = Vec::new();
        t.reader("l/layer.tar")
            .unwrap()
            .read_to_end(&mut got)
            .unwrap();
        assert_eq!(got, big);
        // The cap holds for a decompressed small file too.
        assert!(matches!(
            t.read("l/layer.tar", 1000),
            Err(LocalError::NotAnImage { .. })
        ));
    }

    #[test]
    fn a_gzip_tar_cut_short_or_corrupt_is_refused_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.tar.gz");
        let gz = tar_gz(&[("manifest.json", b"[]"), ("layer.tar", &[7u8; 50_000])]);
        // Cut inside the gzip trailer: every tar member is complete, the stream is not.
        std::fs::write(&p, &gz[..gz.len() - 4]).unwrap();
        let e = TarIndex::open(&p).unwrap_err().to_string();
        assert!(e.contains("a.tar.gz") && e.contains("cut short"), "{e}");
        let mut bad = gz.clone();
        let n = bad.len();
        bad[n - 6] ^= 0xff; // the CRC32 of the trailer
        std::fs::write(&p, &bad).unwrap();
        let e = TarIndex::open(&p).unwrap_err().to_string();
        assert!(e.contains("corrupt"), "{e}");
    }
}
