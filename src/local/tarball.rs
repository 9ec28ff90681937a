//! Writing the tar of an oci-archive or docker-archive: headers through the tar crate, each
//! file's bytes copied by the kernel (`copy_file_range` via `std::io::copy` between two files)
//! in large chunks, with an interrupt checked between chunks. The tar is a temporary file beside
//! the destination, renamed over it only by `Pending::persist`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::LocalError;
use crate::interrupt::{self, Staged};

/// Bytes copied between two interrupt checks.
const CHUNK: u64 = 64 << 20;

/// A tar written in full under a temporary name, not yet at its destination.
pub struct Pending {
    tmp: tempfile::NamedTempFile,
    _staged: Staged,
    out: PathBuf,
}

impl Pending {
    /// Rename the tar over its destination (the last point an interrupt stops it).
    pub fn persist(self) -> Result<(), LocalError> {
        stop(&self.out)?;
        self.tmp
            .persist(&self.out)
            .map_err(|e| LocalError::io(&self.out, e.error))?;
        Ok(())
    }
}

/// An interrupt arrived: the final write stops here, the destination untouched.
pub(super) fn stop(path: &Path) -> Result<(), LocalError> {
    if interrupt::raised() {
        return Err(LocalError::Interrupted {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// An I/O error of a final write; after an interrupt, the interrupt (a `Checked` reader
/// stopped the copy).
pub(super) fn failed(path: &Path, e: std::io::Error) -> LocalError {
    if interrupt::raised() {
        return LocalError::Interrupted {
            path: path.to_path_buf(),
        };
    }
    LocalError::io(path, e)
}

/// Write a tar of `files` — (file on disk, name in the tar), in that order — to a temporary
/// file beside `out`.
pub fn write(files: &[(PathBuf, String)], out: &Path) -> Result<Pending, LocalError> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (tmp, staged) = new_file_in(dir)?;
    {
        let dst: &File = tmp.as_file();
        // Unbuffered: the headers the builder writes and the bytes copied below share the
        // file's offset.
        let mut b = tar::Builder::new(dst);
        b.mode(tar::HeaderMode::Deterministic);
        for (p, name) in files {
            stop(out)?;
            let src = File::open(p).map_err(|e| LocalError::io(p, e))?;
            let meta = src.metadata().map_err(|e| LocalError::io(p, e))?;
            let mut h = tar::Header::new_gnu();
            h.set_metadata_in_mode(&meta, tar::HeaderMode::Deterministic);
            let size = h.size().map_err(|e| LocalError::io(p, e))?;
            // The header (and a long-name entry when needed) with no data: the builder pads
            // by what it copied, so the data and its padding follow here.
            b.append_data(&mut h, name, std::io::empty())
                .map_err(|e| failed(out, e))?;
            copy(&src, size, dst).map_err(|e| failed(out, e))?;
            let pad = (512 - size % 512) % 512;
            (&mut &*dst)
                .write_all(&[0u8; 512][..pad as usize])
                .map_err(|e| failed(out, e))?;
        }
        b.into_inner()
            .and_then(|mut w| w.flush())
            .map_err(|e| failed(out, e))?;
    }
    Ok(Pending {
        tmp,
        _staged: staged,
        out: out.to_path_buf(),
    })
}

/// Copy `size` bytes of `src` to the end of `dst`, in chunks, checking for an interrupt
/// between them; a file that is shorter than `size` is an error.
fn copy(src: &File, size: u64, mut dst: &File) -> std::io::Result<()> {
    let mut left = size;
    let mut src = src;
    while left > 0 {
        if interrupt::raised() {
            return Err(std::io::Error::other(interrupt::Abandoned));
        }
        let want = left.min(CHUNK);
        let n = std::io::copy(&mut std::io::Read::take(&mut src, want), &mut dst)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "a staged file is shorter than when the archive began",
            ));
        }
        left -= n;
    }
    Ok(())
}

/// A temporary file in `dir` whose mode follows the umask (0644 under 022), as `cp` makes,
/// named as this process's staging, and registered for a second interrupt to remove.
pub fn new_file_in(dir: &Path) -> Result<(tempfile::NamedTempFile, Staged), LocalError> {
    use std::os::unix::fs::PermissionsExt;
    let f = tempfile::Builder::new()
        .prefix(&super::staging::file_prefix())
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| LocalError::io(dir, e))?;
    let staged = Staged::register(f.path());
    Ok((f, staged))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn files_keep_their_bytes_names_and_order() {
        let dir = tempfile::tempdir().unwrap();
        let big: Vec<u8> = (0..3_000_001u32).map(|i| (i * 31 % 253) as u8).collect();
        let long = format!("blobs/sha512/{}", "ab".repeat(64));
        let inputs = [("a", b"x".to_vec()), ("b", big.clone()), ("c", Vec::new())];
        let mut files = Vec::new();
        for ((f, data), name) in inputs.iter().zip(["m.json", "l/layer.tar.gz", &long]) {
            std::fs::write(dir.path().join(f), data).unwrap();
            files.push((dir.path().join(f), name.to_string()));
        }
        let out = dir.path().join("out.tar");
        write(&files, &out).unwrap().persist().unwrap();
        let mut ar = tar::Archive::new(File::open(&out).unwrap());
        let mut got = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            got.push((e.path().unwrap().display().to_string(), b));
        }
        let want: Vec<(String, Vec<u8>)> = ["m.json", "l/layer.tar.gz", &long]
            .iter()
            .zip(inputs.iter())
            .map(|(n, (_, d))| (n.to_string(), d.clone()))
            .collect();
        assert_eq!(got, want);
        assert_eq!(std::fs::metadata(&out).unwrap().len() % 512, 0);
    }
}
