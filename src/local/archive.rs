//! Tar archives read in place: one pass records where each file's bytes are, then files are
//! read (small ones into memory, blobs as streams) by seeking, never unpacking to disk.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::LocalError;
use crate::image::bytes::ByteStream;

/// Where each regular file of a tar lies: name -> (offset of data, size).
#[derive(Debug, Clone)]
pub struct TarIndex {
    pub path: PathBuf,
    entries: HashMap<String, (u64, u64)>,
}

fn normalise(name: &str) -> String {
    name.trim_start_matches("./")
        .trim_start_matches('/')
        .to_string()
}

impl TarIndex {
    pub fn open(path: &Path) -> Result<Self, LocalError> {
        let f = std::fs::File::open(path).map_err(|e| LocalError::io(path, e))?;
        let mut magic = [0u8; 2];
        let mut probe = std::fs::File::open(path).map_err(|e| LocalError::io(path, e))?;
        if probe.read(&mut magic).unwrap_or(0) == 2 && magic == [0x1f, 0x8b] {
            return Err(LocalError::NotAnImage {
                path: path.to_path_buf(),
                message: "a gzip-compressed archive; decompress it first (gunzip), cr reads plain tar archives in place".into(),
            });
        }
        let mut ar = tar::Archive::new(f);
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
    pub fn reader(&self, name: &str) -> Result<std::io::Take<std::fs::File>, LocalError> {
        let (off, size) = self.entry(name)?;
        let mut f = std::fs::File::open(&self.path).map_err(|e| LocalError::io(&self.path, e))?;
        f.seek(SeekFrom::Start(off))
            .map_err(|e| LocalError::io(&self.path, e))?;
        Ok(f.take(size))
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
        let mut f = std::fs::File::open(&self.path).map_err(|e| LocalError::io(&self.path, e))?;
        f.seek(SeekFrom::Start(off))
            .map_err(|e| LocalError::io(&self.path, e))?;
        let mut buf = vec![0u8; size as usize];
        f.read_exact(&mut buf)
            .map_err(|e| LocalError::io(&self.path, e))?;
        Ok(buf)
    }

    /// Stream a file's bytes.
    pub async fn stream(&self, name: &str) -> Result<ByteStream, LocalError> {
        let (off, size) = self.entry(name)?;
        let mut f = std::fs::File::open(&self.path).map_err(|e| LocalError::io(&self.path, e))?;
        f.seek(SeekFrom::Start(off))
            .map_err(|e| LocalError::io(&self.path, e))?;
        Ok(super::file::read_stream(f, Some(size)))
    }
}
