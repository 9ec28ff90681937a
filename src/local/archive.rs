//! Tar archives read in place: one pass records where each file's bytes are, then files are
//! read (small ones into memory, blobs as streams) at those offsets, never unpacking to disk.
//! The archive is opened once: every read goes through that handle (positional reads), so an
//! archive replaced by another process meanwhile is never read at the old one's offsets.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::LocalError;
use crate::image::bytes::ByteStream;

/// Where each regular file of a tar lies: name -> (offset of data, size).
#[derive(Debug, Clone)]
pub struct TarIndex {
    pub path: PathBuf,
    file: Arc<File>,
    entries: HashMap<String, (u64, u64)>,
}

/// The bytes of one file of the archive, read from the shared handle at its offset.
#[derive(Debug)]
pub struct EntryReader {
    file: Arc<File>,
    pos: u64,
    end: u64,
}

impl Read for EntryReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = (self.end - self.pos).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 && self.end == u64::MAX {
            return Ok(0); // the whole archive, read to its end
        }
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the archive ended inside a file",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

fn normalise(name: &str) -> String {
    name.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

impl TarIndex {
    pub fn open(path: &Path) -> Result<Self, LocalError> {
        let file = Arc::new(File::open(path).map_err(|e| LocalError::io(path, e))?);
        let mut magic = [0u8; 2];
        if file.read_at(&mut magic, 0).unwrap_or(0) == 2 && magic == [0x1f, 0x8b] {
            return Err(LocalError::NotAnImage {
                path: path.to_path_buf(),
                message: "a gzip-compressed archive; decompress it first (gunzip), cr reads plain tar archives in place".into(),
            });
        }
        let mut ar = tar::Archive::new(EntryReader {
            file: file.clone(),
            pos: 0,
            end: u64::MAX,
        });
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
        if entries.is_empty() {
            return Err(LocalError::NotAnImage {
                path: path.to_path_buf(),
                message: "not a tar archive, OCI layout or docker-archive (no files in it)".into(),
            });
        }
        Ok(TarIndex {
            path: path.to_path_buf(),
            file,
            entries,
        })
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
        Ok(EntryReader {
            file: self.file.clone(),
            pos: off,
            end: off + size,
        })
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
        self.file
            .read_exact_at(&mut buf, off)
            .map_err(|e| LocalError::io(&self.path, e))?;
        Ok(buf)
    }

    /// Stream a file's bytes.
    pub async fn stream(&self, name: &str) -> Result<ByteStream, LocalError> {
        let (_, size) = self.entry(name)?;
        Ok(super::file::read_stream(self.reader(name)?, Some(size)))
    }
}
