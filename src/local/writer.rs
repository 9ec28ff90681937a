//! Writing pulled images: blobs and manifests go to a staging directory beside the destination
//! under temporary names; `commit` then renames them into an OCI layout (new, or an existing
//! one gaining a tag, with index.json replaced atomically) or writes the oci-archive /
//! docker-archive tar to a temporary file renamed at the end. A failed pull leaves nothing.
//! `commit` holds the destination's lock (`lock`) and looks at the destination again under it,
//! so concurrent pulls into one layout or archive each add their tag; an interrupt stops it
//! while it can still be abandoned (before the final rename).
//! Every name written comes from a validated digest; an existing destination is added to (a
//! layout, an oci-archive) or replaced (a docker-archive) only when it is of the requested kind
//! and readable, and what a pull creates follows the umask, as `cp` does.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{json, Value};

use std::os::unix::fs::PermissionsExt;

use super::archive::TarIndex;
use super::reader::{REF_NAME, SMALL};
use super::tarball::{failed, stop};
use super::{Kind, LocalError, LocalRef};
use crate::interrupt::{self, Checked, Staged};
use crate::oci::bytes::ByteStream;
use crate::oci::digest::Hasher;
use crate::oci::manifest::{Descriptor, Parsed, RawManifest};
use crate::oci::media;
use crate::oci::reference::ManifestRef;

pub struct LayoutWriter {
    r: LocalRef,
    staging: tempfile::TempDir,
    _staged: Staged,
    /// An existing OCI layout the image is added to (its blobs are not downloaded again).
    existing: Option<PathBuf>,
    /// `RepoTags` entry for a docker-archive.
    repo_tag: Option<String>,
    /// Manifests stored under a tag: (descriptor, tag).
    /// Manifests stored under a name, and the name: an OCI layout's `ref.name` (any OCI ref
    /// name the user gave, e.g. `alpine:3.18`), else the registry tag.
    tagged: Mutex<Vec<(Descriptor, String)>>,
}

/// `blobs/ALG/HEX` for a digest that passed the shared validator: nothing else becomes a path.
fn blob_rel(d: &str) -> Result<PathBuf, LocalError> {
    let (alg, hex) = digest_parts(d, "digest")?;
    Ok(Path::new("blobs").join(alg).join(hex))
}

/// The algorithm and hex of a valid digest; `field` names where it came from.
fn digest_parts<'a>(d: &'a str, field: &str) -> Result<(&'a str, &'a str), LocalError> {
    crate::oci::reference::validate_digest(d)
        .map_err(|e| LocalError::Usage(format!("refusing {field}: {e}")))?;
    Ok(d.split_once(':').expect("a valid digest has ':'"))
}

/// What a pull left at its destination.
#[derive(Debug, Clone)]
pub struct Written {
    /// An existing docker-archive was replaced.
    pub replaced: bool,
}

/// The manifests list of an index.json, or why it cannot be used (never silently replaced).
fn index_manifests(path: &Path, bytes: &[u8]) -> Result<Vec<Value>, LocalError> {
    let idx: Value = serde_json::from_slice(bytes).map_err(|e| LocalError::NotAnImage {
        path: path.to_path_buf(),
        message: format!("its index.json is not valid JSON ({e}); nothing was changed"),
    })?;
    idx["manifests"]
        .as_array()
        .cloned()
        .ok_or_else(|| LocalError::NotAnImage {
            path: path.to_path_buf(),
            message: "its index.json has no manifests list; nothing was changed".into(),
        })
}

/// What is at a destination now.
enum Existing {
    Nothing,
    /// An OCI layout, added to.
    Layout,
    /// An oci-archive, added to.
    Archive(TarIndex),
    /// A docker-archive, replaced.
    DockerArchive,
}

/// Look at a destination: what is there, or why it must not be touched.
fn survey(r: &LocalRef) -> Result<Existing, LocalError> {
    Ok(match r.kind {
        Kind::OciDir if r.path.join("oci-layout").is_file() => {
            let idx = r.path.join("index.json");
            let bytes = std::fs::read(&idx).map_err(|e| LocalError::NotAnImage {
                path: r.path.clone(),
                message: format!("its index.json cannot be read ({e}); nothing was changed"),
            })?;
            index_manifests(&r.path, &bytes)?;
            Existing::Layout
        }
        Kind::OciDir
            if r.path.exists()
                && !(r.path.is_dir()
                    && std::fs::read_dir(&r.path)
                        .map(|mut d| d.next().is_none())
                        .unwrap_or(false)) =>
        {
            return Err(refuse(&r.path, "an OCI layout or an empty directory"));
        }
        Kind::OciArchive | Kind::DockerArchive if r.path.is_dir() => {
            return Err(refuse(&r.path, "an archive file"));
        }
        Kind::OciArchive if r.path.exists() => {
            let t = TarIndex::open(&r.path).map_err(|_| refuse(&r.path, "an oci-archive"))?;
            if t.gzip() {
                return Err(refuse(&r.path, "a plain (uncompressed) oci-archive"));
            }
            if !t.contains("oci-layout") || !t.contains("index.json") {
                return Err(refuse(&r.path, "an oci-archive"));
            }
            index_manifests(&r.path, &t.read("index.json", super::reader::SMALL)?)?;
            Existing::Archive(t)
        }
        Kind::DockerArchive if r.path.exists() => {
            let t = TarIndex::open(&r.path).map_err(|_| refuse(&r.path, "a docker-archive"))?;
            if t.gzip() {
                return Err(refuse(&r.path, "a plain (uncompressed) docker-archive"));
            }
            if !t.contains("manifest.json") {
                return Err(refuse(&r.path, "a docker-archive"));
            }
            Existing::DockerArchive
        }
        _ => Existing::Nothing,
    })
}

/// A destination that exists and is not of the kind asked for: refused, untouched (exit 2).
fn refuse(path: &Path, what: &str) -> LocalError {
    LocalError::Usage(format!(
        "{} exists and is not {what}; nothing was changed (choose another destination or remove it)",
        path.display()
    ))
}

impl LayoutWriter {
    pub fn new(r: LocalRef, repo_tag: Option<String>) -> Result<Self, LocalError> {
        let parent = r
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| LocalError::io(&parent, e))?;
        let found = survey(&r)?;
        super::staging::sweep(&parent);
        let existing = matches!(found, Existing::Layout).then(|| r.path.clone());
        if let Some(dir) = &existing {
            super::staging::sweep(dir);
        }
        // Like `cp`: what the pull creates follows the umask (0755 / 0644 under umask 022).
        let staging = tempfile::Builder::new()
            .prefix(&super::staging::dir_prefix())
            .permissions(std::fs::Permissions::from_mode(0o777))
            .tempdir_in(&parent)
            .map_err(|e| LocalError::io(&parent, e))?;
        let _staged = Staged::register(staging.path());
        std::fs::create_dir_all(staging.path().join("blobs/sha256"))
            .map_err(|e| LocalError::io(staging.path(), e))?;
        Ok(LayoutWriter {
            r,
            staging,
            _staged,
            existing,
            repo_tag,
            tagged: Mutex::new(Vec::new()),
        })
    }

    pub fn describe(&self) -> String {
        self.r.to_string()
    }

    fn staged(&self, d: &str) -> Result<PathBuf, LocalError> {
        Ok(self.staging.path().join(blob_rel(d)?))
    }

    pub async fn has_blob(&self, desc: &Descriptor) -> bool {
        let Ok(rel) = blob_rel(&desc.digest) else {
            return false;
        };
        self.staging.path().join(&rel).is_file()
            || self
                .existing
                .as_ref()
                .is_some_and(|e| e.join(&rel).is_file())
    }

    /// Write a verified stream under a temporary name, renamed once the stream ended cleanly.
    pub async fn write_blob(&self, desc: &Descriptor, bytes: ByteStream) -> Result<(), LocalError> {
        let fin = self.staged(&desc.digest)?;
        if let Some(dir) = fin.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| LocalError::io(dir, e))?;
        }
        let part = fin.with_extension("part");
        super::file::write_stream(&part, &fin, bytes).await?;
        tokio::fs::rename(&part, &fin)
            .await
            .map_err(|e| LocalError::io(&fin, e))
    }

    pub async fn write_manifest(
        &self,
        m: &RawManifest,
        reference: &ManifestRef,
    ) -> Result<(), LocalError> {
        let p = self.staged(&m.digest)?;
        if let Some(dir) = p.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| LocalError::io(dir, e))?;
        }
        tokio::fs::write(&p, &m.bytes)
            .await
            .map_err(|e| LocalError::io(&p, e))?;
        if let ManifestRef::Tag(tag) = reference {
            let d = Descriptor::new(m.media_type.clone(), m.digest.clone(), m.bytes.len() as u64);
            let name = match (self.r.kind, &self.r.tag) {
                (Kind::OciDir | Kind::OciArchive, Some(given)) => given.clone(),
                _ => tag.to_string(),
            };
            self.tagged.lock().expect("lock").push((d, name));
        }
        Ok(())
    }

    /// Make the image appear at the destination, all at once.
    pub async fn commit(self) -> Result<Written, LocalError> {
        let writing = interrupt::FinalWrite::begin();
        tokio::task::spawn_blocking(move || {
            let _writing = writing;
            self.commit_blocking()
        })
        .await
        .map_err(|e| LocalError::Io {
            path: PathBuf::new(),
            message: e.to_string(),
        })?
    }

    fn index_entries(&self) -> Vec<Value> {
        self.tagged
            .lock()
            .expect("lock")
            .iter()
            .map(|(d, t)| json!({"mediaType": d.media_type, "digest": d.digest, "size": d.size, "annotations": {REF_NAME: t}}))
            .collect()
    }

    fn commit_blocking(self) -> Result<Written, LocalError> {
        let st = self.staging.path().to_path_buf();
        let dest = self.r.path.clone();
        let io = |p: &Path, e: std::io::Error| LocalError::io(p, e);
        stop(&dest)?;
        // Under the lock, the destination is looked at again: another run may have created it,
        // added a tag or rewritten it since this one began. A docker-archive is not added to
        // but replaced whole by a rename: concurrent pulls each leave a valid one, unlocked.
        let _lock = match self.r.kind {
            Kind::DockerArchive => None,
            _ => Some(super::lock::acquire(&dest)?),
        };
        let found = survey(&self.r)?;
        let mut replaced = false;
        match (self.r.kind, found) {
            (Kind::OciDir, Existing::Layout) => {
                // The last point to stop: once blobs are moved in, index.json follows.
                stop(&dest)?;
                move_blobs(&st, &dest)?;
                let idx_path = dest.join("index.json");
                let bytes = std::fs::read(&idx_path).map_err(|e| io(&idx_path, e))?;
                let mut idx: Value =
                    serde_json::from_slice(&bytes).map_err(|e| LocalError::NotAnImage {
                        path: idx_path.clone(),
                        message: format!("not valid JSON ({e}); nothing was changed"),
                    })?;
                let list = merge(index_manifests(&dest, &bytes)?, self.index_entries());
                idx["manifests"] = Value::Array(list);
                write_atomic(&idx_path, &serde_json::to_vec_pretty(&idx).expect("json"))?;
            }
            (Kind::OciDir, _) => {
                if self.existing.is_some() {
                    // Blobs it held were not downloaded: its removal leaves them missing.
                    return Err(LocalError::Missing {
                        path: dest,
                        message: "the layout was removed during the pull; nothing was written"
                            .into(),
                    });
                }
                write_layout_files(&st, self.index_entries())?;
                stop(&dest)?;
                if dest.is_dir() {
                    std::fs::remove_dir(&dest).map_err(|e| io(&dest, e))?;
                }
                let kept = self.staging.keep();
                std::fs::rename(&kept, &dest).map_err(|e| {
                    let _ = std::fs::remove_dir_all(&kept);
                    io(&dest, e)
                })?;
            }
            (Kind::OciArchive, found) => {
                let mut entries = self.index_entries();
                let mut others = Vec::new();
                if let Existing::Archive(old) = &found {
                    let kept = index_manifests(&old.path, &old.read("index.json", SMALL)?)?;
                    entries = merge(kept, entries);
                    copy_archive_blobs(old, &st)?;
                    others = copy_archive_others(old, &st)?;
                }
                write_layout_files(&st, entries)?;
                let mut files = vec![PathBuf::from("oci-layout"), PathBuf::from("index.json")];
                for e in walk(&st.join("blobs"))? {
                    files.push(e.strip_prefix(&st).expect("under staging").to_path_buf());
                }
                let mut files = named(&st, &files);
                files.extend(others);
                super::tarball::write(&files, &dest)?.persist()?;
            }
            (Kind::DockerArchive, found) => {
                replaced = matches!(found, Existing::DockerArchive);
                self.docker_archive(&st)?
            }
        }
        Ok(Written { replaced })
    }

    /// `docker save` layout: manifest.json, `<config hex>.json`, and each layer as the registry's
    /// blob (`<digest hex>.tar.gz` or `.tar`); the config's diff_ids name the uncompressed ones.
    fn docker_archive(&self, st: &Path) -> Result<(), LocalError> {
        let tagged = self.tagged.lock().expect("lock").clone();
        let (desc, _) = tagged.first().ok_or_else(|| LocalError::Missing {
            path: self.r.path.clone(),
            message: "no image was written".into(),
        })?;
        let bytes = std::fs::read(self.staged(&desc.digest)?).map_err(|e| LocalError::io(st, e))?;
        let m = RawManifest::new(bytes.into(), desc.media_type.clone(), desc.digest.clone());
        let parsed = m.parse().map_err(|e| LocalError::NotAnImage {
            path: self.r.path.clone(),
            message: e.to_string(),
        })?;
        if let Parsed::Index(_) = parsed {
            return Err(LocalError::NotAnImage {
                path: self.r.path.clone(),
                message: "a docker-archive holds one platform: pass --platform".into(),
            });
        }
        let blobs = parsed.blobs();
        let config = &blobs[0];
        let cfg: Value = serde_json::from_slice(
            &std::fs::read(self.staged(&config.digest)?).map_err(|e| LocalError::io(st, e))?,
        )
        .map_err(|e| LocalError::NotAnImage {
            path: self.r.path.clone(),
            message: format!("config: {e}"),
        })?;
        let diff_ids: Vec<String> = cfg["rootfs"]["diff_ids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let layers = &blobs[1..];
        if diff_ids.len() != layers.len() {
            return Err(LocalError::NotAnImage {
                path: self.r.path.clone(),
                message: "config diff_ids do not match the layers".into(),
            });
        }
        let config_name = format!("{}.json", digest_parts(&config.digest, "config digest")?.1);
        let mut files = vec![
            (st.join("manifest.json"), "manifest.json".to_string()),
            (self.staged(&config.digest)?, config_name.clone()),
        ];
        let mut layer_names = Vec::new();
        let mut checks = Vec::new();
        for (i, (l, diff)) in layers.iter().zip(&diff_ids).enumerate() {
            // A config's diff_ids come from the registry: validated before one is used.
            let field = format!("rootfs.diff_ids[{i}] of config {}", config.digest);
            digest_parts(diff, &field)?;
            // The layer goes in as the registry's blob, compressed or not (`docker load` and
            // skopeo read both), named by that blob's digest.
            let ext = layer_ext(&l.media_type).ok_or_else(|| LocalError::NotAnImage {
                path: self.r.path.clone(),
                message: format!(
                    "layer type {} cannot go into a docker-archive",
                    l.media_type
                ),
            })?;
            let name = format!("{}.{ext}", digest_parts(&l.digest, "layer digest")?.1);
            if !layer_names.contains(&name) {
                let staged = self.staged(&l.digest)?;
                files.push((staged.clone(), name.clone()));
                checks.push(DiffCheck {
                    file: staged,
                    layer: l.digest.to_string(),
                    gzip: ext == "tar.gz",
                    diff_id: diff.clone(),
                });
            }
            layer_names.push(name);
        }
        let manifest = json!([{"Config": config_name, "RepoTags": self.repo_tag.iter().collect::<Vec<_>>(), "Layers": layer_names}]);
        std::fs::write(
            st.join("manifest.json"),
            serde_json::to_vec(&manifest).expect("json"),
        )
        .map_err(|e| LocalError::io(st, e))?;
        // The layers are checked against their diff_ids on other threads while the tar is
        // written; it is renamed into place only when every one matched.
        let (tar, checked) = std::thread::scope(|s| {
            let checking = s.spawn(|| check_diff_ids(&self.r.path, &checks));
            let tar = super::tarball::write(&files, &self.r.path);
            let checked = checking.join().unwrap_or_else(|_| {
                Err(LocalError::Io {
                    path: self.r.path.clone(),
                    message: "checking the layers failed".into(),
                })
            });
            (tar, checked)
        });
        checked?;
        tar?.persist()
    }
}

/// The file extension of a layer of `media_type` in a docker-archive: `tar.gz` or `tar`; None
/// for a kind `docker load` does not read.
fn layer_ext(media_type: &str) -> Option<&'static str> {
    if media_type == media::DOCKER_LAYER_GZIP || media_type.ends_with(".tar+gzip") {
        Some("tar.gz")
    } else if media_type == media::DOCKER_LAYER_TAR || media_type.ends_with(".tar") {
        Some("tar")
    } else {
        None
    }
}

/// A staged layer to be checked against the diff_id its config gives it.
struct DiffCheck {
    file: PathBuf,
    /// The layer's digest, to name it in an error.
    layer: String,
    gzip: bool,
    diff_id: String,
}

/// Check every layer's uncompressed bytes against its diff_id, on as many threads as there are
/// cores (at most one per layer); the first mismatch or error is returned.
fn check_diff_ids(dest: &Path, checks: &[DiffCheck]) -> Result<(), LocalError> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(checks.len());
    let work = || -> Result<(), LocalError> {
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(c) = checks.get(i) else {
                return Ok(());
            };
            check_diff_id(dest, c)?;
        }
    };
    std::thread::scope(|s| {
        let others: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut result = work();
        for t in others {
            let r = t.join().unwrap_or_else(|_| {
                Err(LocalError::Io {
                    path: PathBuf::new(),
                    message: "checking a layer failed".into(),
                })
            });
            result = result.and(r);
        }
        result
    })
}

/// Check one layer's uncompressed bytes against its diff_id; a mismatch names the layer and
/// the destination `dest` (never the staging file).
fn check_diff_id(dest: &Path, c: &DiffCheck) -> Result<(), LocalError> {
    let src = &c.file;
    let input = Checked(std::fs::File::open(src).map_err(|e| LocalError::io(src, e))?);
    let mut reader: Box<dyn std::io::Read> = if c.gzip {
        Box::new(flate2::read::MultiGzDecoder::new(
            std::io::BufReader::with_capacity(1 << 20, input),
        ))
    } else {
        Box::new(input)
    };
    let mut h = Hasher::for_digest(&c.diff_id);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).map_err(|e| failed(src, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    let actual = h.finish();
    if actual != c.diff_id {
        return Err(LocalError::DiffId {
            path: dest.to_path_buf(),
            layer: c.layer.clone(),
            diff_id: c.diff_id.clone(),
            actual,
        });
    }
    Ok(())
}

fn write_layout_files(dir: &Path, entries: Vec<Value>) -> Result<(), LocalError> {
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
        .map_err(|e| LocalError::io(dir, e))?;
    let idx = json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": entries});
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec_pretty(&idx).expect("json"),
    )
    .map_err(|e| LocalError::io(dir, e))
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>, LocalError> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| LocalError::io(dir, e))? {
        let p = e.map_err(|e| LocalError::io(dir, e))?.path();
        if p.is_dir() {
            out.extend(walk(&p)?);
        } else {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Move staged blobs into an existing layout (those already there are kept).
fn move_blobs(staging: &Path, dest: &Path) -> Result<(), LocalError> {
    for p in walk(&staging.join("blobs"))? {
        let rel = p.strip_prefix(staging).expect("under staging");
        let target = dest.join(rel);
        if target.exists() {
            continue;
        }
        if let Some(d) = target.parent() {
            std::fs::create_dir_all(d).map_err(|e| LocalError::io(d, e))?;
        }
        std::fs::rename(&p, &target).map_err(|e| LocalError::io(&target, e))?;
    }
    Ok(())
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), LocalError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let (mut tmp, _staged) = super::tarball::new_file_in(dir)?;
    tmp.write_all(bytes).map_err(|e| LocalError::io(path, e))?;
    tmp.persist(path)
        .map_err(|e| LocalError::io(path, e.error))?;
    Ok(())
}

/// `files` relative to `base`, each with its name in a tar.
fn named(base: &Path, files: &[PathBuf]) -> Vec<(PathBuf, String)> {
    files
        .iter()
        .map(|f| (base.join(f), f.to_string_lossy().into_owned()))
        .collect()
}

/// An index's manifests with `new` added; an entry of the same `ref.name` is replaced.
fn merge(mut list: Vec<Value>, new: Vec<Value>) -> Vec<Value> {
    list.retain(|m| {
        !new.iter().any(|n| {
            n["annotations"][REF_NAME] == m["annotations"][REF_NAME]
                && !m["annotations"][REF_NAME].is_null()
        })
    });
    list.extend(new);
    list
}

/// Whether `name` is a file the rewrite of an oci-archive makes itself: `oci-layout`,
/// `index.json`, or a blob named by a valid digest (copied by `copy_archive_blobs`).
fn remade(name: &str) -> bool {
    if name == "oci-layout" || name == "index.json" {
        return true;
    }
    name.strip_prefix("blobs/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(alg, hex)| blob_rel(&format!("{alg}:{hex}")).is_ok())
}

/// Copy the other regular files of an existing oci-archive (a Docker 25+ save's manifest.json
/// and repositories) into the staging directory, each under a number: they go back into the
/// archive byte for byte under their names. A name a tar cannot hold safely (`..`) is left out.
fn copy_archive_others(old: &TarIndex, st: &Path) -> Result<Vec<(PathBuf, String)>, LocalError> {
    let mut names: Vec<&String> = old
        .names()
        .filter(|n| !remade(n) && !n.split('/').any(|c| c == ".."))
        .collect();
    names.sort();
    let dir = st.join("kept");
    std::fs::create_dir_all(&dir).map_err(|e| LocalError::io(&dir, e))?;
    let mut out = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let target = dir.join(i.to_string());
        let mut r = Checked(old.reader(name)?);
        let mut w = std::fs::File::create(&target).map_err(|e| LocalError::io(&target, e))?;
        std::io::copy(&mut r, &mut w).map_err(|e| failed(&old.path, e))?;
        out.push((target, name.clone()));
    }
    Ok(out)
}

/// Copy the blobs of an existing oci-archive into the staging directory (those staged already
/// are kept). Only entries named `blobs/ALG/HEX` with a valid digest become files, and each is
/// checked against that digest as it is copied: a corrupt archive is refused, not spread.
fn copy_archive_blobs(old: &TarIndex, st: &Path) -> Result<(), LocalError> {
    for name in old.names() {
        let Some(rest) = name.strip_prefix("blobs/") else {
            continue;
        };
        let Some((alg, hex)) = rest.split_once('/') else {
            continue;
        };
        let digest = format!("{alg}:{hex}");
        let Ok(rel) = blob_rel(&digest) else {
            continue;
        };
        let target = st.join(rel);
        if target.exists() {
            continue;
        }
        if let Some(d) = target.parent() {
            std::fs::create_dir_all(d).map_err(|e| LocalError::io(d, e))?;
        }
        let mut r = Checked(old.reader(name)?);
        let mut w = std::fs::File::create(&target).map_err(|e| LocalError::io(&target, e))?;
        let mut h = Hasher::for_digest(&digest);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = r.read(&mut buf).map_err(|e| failed(&old.path, e))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            w.write_all(&buf[..n])
                .map_err(|e| LocalError::io(&target, e))?;
        }
        let actual = h.finish();
        if actual != digest {
            return Err(LocalError::Corrupt {
                path: old.path.clone(),
                digest,
                actual,
            });
        }
    }
    Ok(())
}
