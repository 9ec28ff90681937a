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
/// tar the offsets are in the decompressed stream. A link inside the archive (legacy `docker
/// save` links a layer saved twice to its first copy) reads as the file it resolves to; one
/// that leaves the archive, dangles or loops is refused when it is read.
#[derive(Debug, Clone)]
pub struct TarIndex {
    pub path: PathBuf,
    file: Arc<File>,
    gzip: bool,
    entries: HashMap<String, (u64, u64)>,
    /// Symbolic and hard links: the regular file each resolves to, or why it does not.
    links: HashMap<String, Result<String, String>>,
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

/// Bounds on what the index keeps of an archive: the longest entry name (or link target) and
/// the most entries it records. A `docker save` or OCI archive holds short names (about 80
/// bytes) and a few files per layer; beyond these the archive is refused, not read further.
#[derive(Debug, Clone, Copy)]
struct Limits {
    name: usize,
    entries: usize,
}

const LIMITS: Limits = Limits {
    name: 4096,
    entries: 100_000,
};

/// Links followed one after the other before a name is given up on (a loop, or a chain no
/// archive writer makes).
const LINK_DEPTH: usize = 16;

/// An entry of the archive as the index records it.
#[derive(Debug)]
enum Slot {
    /// A regular file: offset of its data, size.
    File(u64, u64),
    /// A symbolic or hard link to another name of the archive (normalised), or why it cannot
    /// be one (it points outside the archive).
    Link(Result<String, String>),
}

/// The regular files of an archive, and its links resolved to them (or why they cannot be).
type Indexed = (
    HashMap<String, (u64, u64)>,
    HashMap<String, Result<String, String>>,
);

/// `target` taken from directory `dir` (components `.` and `..` resolved); None when it
/// climbs out of the archive's root or is absolute.
fn join_inside(dir: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in dir.split('/').chain(target.split('/')) {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// Where a link entry points, inside the archive: a symbolic link from its own directory, a
/// hard link from the archive's root (as tar records them).
fn link_target(name: &str, e: &tar::Entry<impl Read>) -> Result<String, String> {
    let target = e
        .link_name_bytes()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let inside = if e.header().entry_type() == tar::EntryType::Link {
        join_inside("", &normalise(&target))
    } else {
        let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
        join_inside(dir, &target)
    };
    inside.ok_or_else(|| "points outside the archive".to_string())
}

/// Record where each regular file of the tar read from `r` lies, and where each link points.
fn index(path: &Path, r: impl Read, limits: Limits) -> Result<Indexed, LocalError> {
    let mut ar = tar::Archive::new(r);
    let mut slots = HashMap::new();
    // tar's own errors may quote the file's bytes (a header field that is not a number):
    // say what the file is not, never what it holds.
    let not_tar = |_: std::io::Error| LocalError::NotAnImage {
        path: path.to_path_buf(),
        message: "not a tar archive, OCI layout or docker-archive".into(),
    };
    let hostile = |what: String| LocalError::NotAnImage {
        path: path.to_path_buf(),
        message: format!("{what}: refused as a broken or hostile archive"),
    };
    for e in ar.entries().map_err(not_tar)? {
        let e = e.map_err(not_tar)?;
        let kind = e.header().entry_type();
        let link = matches!(kind, tar::EntryType::Symlink | tar::EntryType::Link);
        if !link && !matches!(kind, tar::EntryType::Regular | tar::EntryType::Continuous) {
            continue;
        }
        let long = |n: usize| n > limits.name;
        if long(e.path_bytes().len()) || e.link_name_bytes().is_some_and(|l| long(l.len())) {
            return Err(hostile(format!(
                "an entry name or link longer than {} bytes",
                limits.name
            )));
        }
        if slots.len() >= limits.entries {
            return Err(hostile(format!("more than {} files", limits.entries)));
        }
        let name = normalise(&e.path().map_err(not_tar)?.to_string_lossy());
        let slot = if link {
            Slot::Link(link_target(&name, &e))
        } else {
            Slot::File(e.raw_file_position(), e.size())
        };
        slots.insert(name, slot);
    }
    Ok(resolve(slots))
}

/// The regular file a link resolves to, at most `LINK_DEPTH` links on, or why it does not.
fn follow(slots: &HashMap<String, Slot>, first: &Result<String, String>) -> Result<String, String> {
    let mut at = first.clone()?;
    for _ in 0..LINK_DEPTH {
        match slots.get(&at) {
            Some(Slot::File(..)) => return Ok(at),
            Some(Slot::Link(next)) => at = next.clone()?,
            None => return Err(format!("points to {at}, which is not in the archive")),
        }
    }
    Err(format!(
        "starts more than {LINK_DEPTH} links in a row (a loop?)"
    ))
}

/// Each link resolved to the regular file it names, or why it cannot be.
fn resolve(slots: HashMap<String, Slot>) -> Indexed {
    let links = slots
        .iter()
        .filter_map(|(name, slot)| match slot {
            Slot::Link(first) => Some((name.clone(), follow(&slots, first))),
            Slot::File(..) => None,
        })
        .collect();
    let files = slots
        .into_iter()
        .filter_map(|(n, s)| match s {
            Slot::File(off, size) => Some((n, (off, size))),
            Slot::Link(_) => None,
        })
        .collect();
    (files, links)
}

/// Index a gzip-compressed tar, then read its gzip stream to the end: an archive cut short or
/// corrupt anywhere (its trailer holds a checksum of it all) is refused before a byte is sent.
fn index_gzip(path: &Path, file: &Arc<File>) -> Result<Indexed, LocalError> {
    let mut dec = Watched {
        inner: gunzip(file),
        failed: None,
    };
    let indexed = index(path, &mut dec, LIMITS).and_then(|entries| {
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
        let (entries, links) = if gzip {
            index_gzip(path, &file)?
        } else {
            let at = At {
                file: file.clone(),
                pos: 0,
            };
            index(path, at, LIMITS)?
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
            links,
        })
    }

    /// Whether the archive is gzip-compressed (read, never written or added to).
    pub fn gzip(&self) -> bool {
        self.gzip
    }

    /// The names of the regular files in the archive (links aside).
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.entries.keys()
    }

    /// Whether `name` is a regular file, or a link to one, in the archive.
    pub fn contains(&self, name: &str) -> bool {
        self.entry(name).is_ok()
    }

    /// Where a file's bytes lie (through a link inside the archive); a name that is missing,
    /// or a link that leaves the archive, dangles or loops, is an error that says which.
    pub fn entry(&self, name: &str) -> Result<(u64, u64), LocalError> {
        let name = normalise(name);
        let target = match self.links.get(&name) {
            Some(Ok(t)) => t,
            Some(Err(why)) => {
                return Err(LocalError::NotAnImage {
                    path: self.path.clone(),
                    message: format!("{name} is a link that {why}"),
                })
            }
            None => &name,
        };
        self.entries
            .get(target)
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
        assert_eq!(t.entry("l/layer.tar").unwrap().1, big.len() as u64);
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

    /// A plain tar of regular files and links (kind, name, data or link target).
    fn tar_of(entries: &[(tar::EntryType, &str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (kind, name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_mode(0o644);
            if *kind == tar::EntryType::Regular {
                h.set_size(data.len() as u64);
                b.append_data(&mut h, name, *data).unwrap();
            } else {
                h.set_size(0);
                let target = std::str::from_utf8(data).unwrap();
                b.append_link(&mut h, name, target).unwrap();
            }
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn long_names_and_many_entries_are_refused() {
        let p = Path::new("x.tar");
        let small = Limits {
            name: 64,
            entries: 3,
        };
        let file = |n: &str| (tar::EntryType::Regular, n.to_string());
        let build = |names: &[(tar::EntryType, String)]| {
            let list: Vec<(tar::EntryType, &str, &[u8])> = names
                .iter()
                .map(|(k, n)| (*k, n.as_str(), &b"x"[..]))
                .collect();
            tar_of(&list)
        };
        let three = build(&[file("a"), file("b"), file(&"c".repeat(64))]);
        let (files, _) = index(p, &three[..], small).unwrap();
        assert_eq!(files.len(), 3);
        for (bad, why) in [
            (
                build(&[file("a"), file(&"c".repeat(65))]),
                "longer than 64 bytes",
            ),
            (
                build(&[file("a"), file("b"), file("c"), file("d")]),
                "more than 3 files",
            ),
        ] {
            let e = index(p, &bad[..], small).unwrap_err();
            assert!(matches!(e, LocalError::NotAnImage { .. }), "{e}");
            assert!(e.to_string().contains(why), "{e}");
        }
        // A link whose target is too long is refused too.
        let sym = tar_of(&[(tar::EntryType::Symlink, "l", "t".repeat(65).as_bytes())]);
        assert!(index(p, &sym[..], small).is_err());
    }

    #[test]
    fn links_inside_the_archive_read_as_their_files_and_others_are_refused() {
        use tar::EntryType::{Link, Regular, Symlink};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.tar");
        std::fs::write(
            &p,
            tar_of(&[
                (Regular, "l1/layer.tar", b"layer one"),
                (Symlink, "l2/layer.tar", b"../l1/layer.tar"),
                (Link, "l3/layer.tar", b"./l1/layer.tar"),
                (Symlink, "l4/layer.tar", b"../l2/./layer.tar"),
                (Symlink, "out", b"../../etc/passwd"),
                (Symlink, "abs", b"/l1/layer.tar"),
                (Link, "hard-out", b"../a.tar"),
                (Symlink, "dangling", b"nothing"),
                (Symlink, "loop1", b"loop2"),
                (Symlink, "loop2", b"loop1"),
            ]),
        )
        .unwrap();
        let t = TarIndex::open(&p).unwrap();
        for l in ["l2/layer.tar", "l3/layer.tar", "l4/layer.tar"] {
            assert_eq!(t.read(l, 100).unwrap(), b"layer one", "{l}");
            assert_eq!(t.entry(l).unwrap().1, 9);
        }
        assert_eq!(t.names().count(), 1, "links are not files of their own");
        for (l, why) in [
            ("out", "outside the archive"),
            ("abs", "outside the archive"),
            ("hard-out", "outside the archive"),
            ("dangling", "not in the archive"),
            ("loop1", "links in a row"),
        ] {
            assert!(!t.contains(l), "{l}");
            let e = t.reader(l).unwrap_err();
            assert!(matches!(e, LocalError::NotAnImage { .. }), "{l}: {e}");
            assert!(e.to_string().contains(why), "{l}: {e}");
        }
    }
}
