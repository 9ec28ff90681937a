//! Reading local images: an OCI layout in a directory or a tar (oci-archive, Docker 25+ save),
//! or a legacy `docker save` archive whose manifest.json is turned into a Docker v2 manifest
//! (layers as uncompressed tars; `cr push` gzips them on the fly unless `--compression none`).

use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde_json::Value;

use super::archive::TarIndex;
use super::{Kind, LocalError, LocalRef};
use crate::oci::bytes::ByteStream;
use crate::oci::digest::{self, Digest};
use crate::oci::manifest::{detect_media_type, Descriptor, RawManifest};
use crate::oci::media;
use crate::oci::reference::ManifestRef;

/// Upper bound on a manifest, index.json, manifest.json or config read whole.
pub const SMALL: u64 = 8 << 20;
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";

enum Store {
    Dir(PathBuf),
    Tar(TarIndex),
}

/// A legacy docker-archive image: config and layer files.
#[derive(Debug, Clone)]
pub struct DockerImage {
    pub config: Bytes,
    pub config_digest: Digest,
    pub layers: Vec<DockerLayer>,
    pub repo_tags: Vec<String>,
}

/// One layer file of a legacy docker archive: an uncompressed tar, or a gzip-compressed one
/// (`docker load` reads both; `cr pull` writes the registry's gzip blobs as they are).
#[derive(Debug, Clone)]
pub struct DockerLayer {
    /// The file in the archive.
    pub file: String,
    pub diff_id: Digest,
    /// The file's size.
    pub size: u64,
    /// For a gzip-compressed file, its digest: the blob is pushed as it is. Taken from a name
    /// of the form `HEX.tar.gz` or `blobs/sha256/HEX` (a claim checked as the blob streams),
    /// else computed when the archive is opened.
    pub gzip: Option<Digest>,
}

impl DockerLayer {
    /// The layer as the archive holds it, for progress and for a plain push.
    pub fn raw(&self) -> Descriptor {
        match &self.gzip {
            Some(d) => Descriptor::new(media::DOCKER_LAYER_GZIP, d.clone(), self.size),
            None => Descriptor::new(media::DOCKER_LAYER_TAR, self.diff_id.clone(), self.size),
        }
    }
}

pub struct LocalImage {
    pub r: LocalRef,
    store: Store,
    /// Set for legacy docker archives.
    pub docker: Option<DockerImage>,
    /// The synthesized manifest of a legacy docker archive (uncompressed layers).
    synthesized: Option<RawManifest>,
}

impl Store {
    fn read(&self, name: &str) -> Result<Vec<u8>, LocalError> {
        match self {
            Store::Dir(d) => {
                use std::io::Read;
                let p = d.join(name);
                let mut buf = Vec::new();
                regular(&p)?
                    .take(SMALL + 1)
                    .read_to_end(&mut buf)
                    .map_err(|e| LocalError::io(&p, e))?;
                if buf.len() as u64 > SMALL {
                    return Err(bad(&p, format!("larger than {SMALL} bytes")));
                }
                Ok(buf)
            }
            Store::Tar(t) => t.read(name, SMALL),
        }
    }
    fn has(&self, name: &str) -> bool {
        match self {
            // Present at all: whether it is a regular file is checked when it is read.
            Store::Dir(d) => d.join(name).exists(),
            Store::Tar(t) => t.contains(name),
        }
    }
    async fn stream(&self, name: &str) -> Result<ByteStream, LocalError> {
        match self {
            Store::Dir(d) => Ok(super::file::read_stream(regular(&d.join(name))?, None)),
            Store::Tar(t) => t.stream(name).await,
        }
    }
    fn path(&self) -> &Path {
        match self {
            Store::Dir(d) => d,
            Store::Tar(t) => &t.path,
        }
    }
}

/// Open a file of a layout only if it is a regular file (a symlink to `/dev/zero` or a FIFO
/// is refused before a byte is read).
fn regular(p: &Path) -> Result<std::fs::File, LocalError> {
    let f = std::fs::File::open(p).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            LocalError::Missing {
                path: p.to_path_buf(),
                message: "missing from the layout".into(),
            }
        } else {
            LocalError::io(p, e)
        }
    })?;
    let meta = f.metadata().map_err(|e| LocalError::io(p, e))?;
    if !meta.is_file() {
        return Err(bad(p, "not a regular file"));
    }
    Ok(f)
}

/// `blobs/ALG/HEX` for a digest that passed the shared validator.
fn blob_name(d: &str) -> Result<String, LocalError> {
    crate::oci::reference::validate_digest(d).map_err(|e| LocalError::NotAnImage {
        path: PathBuf::new(),
        message: e.to_string(),
    })?;
    let (alg, hex) = d.split_once(':').expect("a valid digest has ':'");
    Ok(format!("blobs/{alg}/{hex}"))
}

/// Hashes the bytes that pass through it.
struct Tee<R> {
    inner: R,
    hash: digest::Hasher,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// The digest of a layer file that is gzip-compressed (None for an uncompressed one), read
/// once: its compressed bytes are hashed as they are decompressed, and what they decompress to
/// must be `diff_id` (a layer that does not is refused before anything is pushed). A name that
/// carries the digest (`HEX.tar.gz`, `blobs/sha256/HEX`) is checked against it too.
fn gzip_layer(t: &TarIndex, file: &str, diff_id: &Digest) -> Result<Option<Digest>, LocalError> {
    let mut head = Vec::with_capacity(2);
    t.reader(file)?
        .take(2)
        .read_to_end(&mut head)
        .map_err(|e| LocalError::io(&t.path, e))?;
    if head != [0x1f, 0x8b] {
        return Ok(None);
    }
    let base = file.rsplit('/').next().unwrap_or(file);
    let hex = base
        .strip_suffix(".tar.gz")
        .or_else(|| file.strip_prefix("blobs/sha256/"))
        .unwrap_or("");
    let claimed = Digest::parse(&format!("sha256:{hex}")).ok();
    let tee = Tee {
        inner: t.reader(file)?,
        hash: digest::Hasher::sha256(),
    };
    let mut dec = flate2::read::MultiGzDecoder::new(tee);
    let mut raw = digest::Hasher::for_digest(diff_id);
    let corrupt = |_| bad(&t.path, format!("layer {file} is not a valid gzip stream"));
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = dec.read(&mut buf).map_err(corrupt)?;
        if n == 0 {
            break;
        }
        raw.update(&buf[..n]);
    }
    // Whatever follows the gzip stream is part of the blob too.
    let mut tee = dec.into_inner();
    std::io::copy(&mut tee, &mut std::io::sink()).map_err(|e| LocalError::io(&t.path, e))?;
    let actual = raw.finish();
    if actual != *diff_id {
        return Err(LocalError::DiffId {
            path: t.path.clone(),
            layer: file.to_string(),
            diff_id: diff_id.to_string(),
            actual,
        });
    }
    let digest = tee.hash.finish();
    match claimed {
        Some(c) if c != digest => Err(LocalError::Corrupt {
            path: t.path.clone(),
            digest: c.into_string(),
            actual: digest,
        }),
        _ => Ok(Some(digest)),
    }
}

/// Each layer file read and checked (`gzip_layer`), on as many threads as there are cores.
fn docker_layers(t: &TarIndex, files: &[(String, Digest)]) -> Result<Vec<DockerLayer>, LocalError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = files.len().div_ceil(threads).max(1);
    let one = |(f, id): &(String, Digest)| -> Result<DockerLayer, LocalError> {
        // A link inside the archive (a layer `docker save` wrote twice) reads as its file.
        let size = match t.entry(f) {
            Ok((_, size)) => size,
            Err(LocalError::Missing { .. }) => {
                return Err(LocalError::Missing {
                    path: t.path.clone(),
                    message: format!("layer {f} is not in the archive"),
                })
            }
            Err(e) => return Err(e),
        };
        Ok(DockerLayer {
            file: f.clone(),
            diff_id: id.clone(),
            size,
            gzip: gzip_layer(t, f, id)?,
        })
    };
    std::thread::scope(|s| {
        let parts: Vec<_> = files
            .chunks(per)
            .map(|c| s.spawn(move || c.iter().map(one).collect::<Result<Vec<_>, _>>()))
            .collect();
        let mut layers = Vec::with_capacity(files.len());
        for p in parts {
            layers.extend(p.join().expect("a layer check panicked")?);
        }
        Ok(layers)
    })
}

/// The strings of a JSON array (none when it is not one).
fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn bad(path: &Path, message: impl Into<String>) -> LocalError {
    LocalError::NotAnImage {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

impl LocalImage {
    pub fn open(r: LocalRef) -> Result<Self, LocalError> {
        let store = match r.kind {
            Kind::OciDir => {
                if !r.path.join("oci-layout").is_file() {
                    return Err(if r.path.exists() {
                        bad(&r.path, "no oci-layout file: not an OCI image layout")
                    } else {
                        LocalError::Missing {
                            path: r.path.clone(),
                            message: "no such directory".into(),
                        }
                    });
                }
                Store::Dir(r.path.clone())
            }
            Kind::OciArchive | Kind::DockerArchive => {
                if !r.path.exists() {
                    return Err(LocalError::Missing {
                        path: r.path.clone(),
                        message: "no such file".into(),
                    });
                }
                Store::Tar(TarIndex::open(&r.path)?)
            }
        };
        let mut img = LocalImage {
            r,
            store,
            docker: None,
            synthesized: None,
        };
        // Docker 25+ archives carry an OCI layout: read them as one.
        if img.r.kind == Kind::DockerArchive && !img.store.has("oci-layout") {
            img.load_docker()?;
        } else if !img.store.has("index.json") {
            return Err(bad(img.store.path(), "no index.json"));
        }
        Ok(img)
    }

    pub fn describe(&self) -> String {
        self.r.to_string()
    }

    /// The top manifest's reference to pass to the engine: its digest.
    pub fn top_digest(&self) -> Result<Digest, LocalError> {
        if let Some(m) = &self.synthesized {
            return Ok(m.digest.clone());
        }
        Ok(self.index_entry()?.0.digest)
    }

    /// The tag recorded in the layout or archive for the chosen image, if any. A docker
    /// archive's `RepoTags` entry must be a valid image name: it becomes a URL path segment.
    pub fn recorded_tag(&self) -> Result<Option<String>, LocalError> {
        if let Some(d) = &self.docker {
            let Some(name) = d.repo_tags.first() else {
                return Ok(None);
            };
            let r = crate::oci::reference::Reference::parse(name, "localhost").map_err(|e| {
                LocalError::Usage(format!(
                    "{}: RepoTags entry {name:?} in manifest.json is not a valid image name: {e}",
                    self.path().display()
                ))
            })?;
            return Ok(r.tag.map(|t| t.into_string()));
        }
        Ok(self
            .index_entry()
            .ok()
            .and_then(|e| e.1)
            .filter(|t| crate::oci::reference::validate_tag(t).is_ok()))
    }

    /// The index.json entry selected by the tag (or the only entry), with its ref.name.
    fn index_entry(&self) -> Result<(Descriptor, Option<String>), LocalError> {
        let path = self.store.path();
        let idx: Value = serde_json::from_slice(&self.store.read("index.json")?)
            .map_err(|e| bad(path, format!("index.json is not JSON: {e}")))?;
        let list = idx["manifests"].as_array().cloned().unwrap_or_default();
        let pick = match &self.r.tag {
            Some(t) => list.iter().find(|m| {
                let a = &m["annotations"];
                a[REF_NAME] == t.as_str()
                    || a[CONTAINERD_NAME] == t.as_str()
                    || a[CONTAINERD_NAME]
                        .as_str()
                        .is_some_and(|n| n.ends_with(&format!("/{t}")))
            }),
            None if list.len() == 1 => list.first(),
            None => {
                let tags: Vec<String> = list
                    .iter()
                    .filter_map(|m| m["annotations"][REF_NAME].as_str().map(str::to_string))
                    .collect();
                return Err(LocalError::Ambiguous {
                    path: path.to_path_buf(),
                    message: format!(
                        "holds {} images; name one with :TAG (tags: {})",
                        list.len(),
                        tags.join(", ")
                    ),
                });
            }
        };
        let m = pick.ok_or_else(|| LocalError::Missing {
            path: path.to_path_buf(),
            message: format!(
                "no image tagged {:?} in index.json",
                self.r.tag.as_deref().unwrap_or_default()
            ),
        })?;
        let digest = m["digest"]
            .as_str()
            .ok_or_else(|| bad(path, "index.json entry without digest"))?;
        let digest = Digest::parse(digest).map_err(|e| bad(path, e.to_string()))?;
        let d = Descriptor::new(
            m["mediaType"].as_str().unwrap_or(media::OCI_MANIFEST),
            digest,
            m["size"].as_u64().unwrap_or(0),
        );
        let name = m["annotations"][REF_NAME].as_str().map(str::to_string);
        Ok((d, name))
    }

    /// A manifest by digest (or, for a tag, the selected image).
    pub async fn manifest(&self, reference: &ManifestRef) -> Result<RawManifest, LocalError> {
        if let Some(m) = &self.synthesized {
            if !reference.is_digest() || reference.as_str() == m.digest {
                return Ok(m.clone());
            }
        }
        let (digest, media_type) = match reference {
            ManifestRef::Digest(d) => (d.clone(), None),
            ManifestRef::Tag(_) => {
                let (d, _) = self.index_entry()?;
                (d.digest, Some(d.media_type))
            }
        };
        let bytes = self.store.read(&blob_name(&digest)?)?;
        let actual = digest::of_like(&digest, &bytes);
        if actual != digest {
            return Err(LocalError::Corrupt {
                path: self.store.path().to_path_buf(),
                digest: digest.into_string(),
                actual,
            });
        }
        let mt = match media_type {
            Some(m) if media::is_index(&m) || media::is_manifest(&m) => {
                detect_media_type(&bytes, Some(&m))
            }
            _ => detect_media_type(&bytes, None),
        };
        Ok(RawManifest::new(Bytes::from(bytes), mt, digest))
    }

    pub async fn blob(&self, desc: &Descriptor) -> Result<ByteStream, LocalError> {
        if let Some(d) = &self.docker {
            if desc.digest == d.config_digest {
                let c = d.config.clone();
                return Ok(Box::pin(futures_util::stream::once(async move { Ok(c) })));
            }
            if let Some(l) = d.layers.iter().find(|l| l.raw().digest == desc.digest) {
                return self.store.stream(&l.file).await;
            }
        }
        self.store.stream(&blob_name(&desc.digest)?).await
    }

    /// A blocking reader over a file of a legacy docker archive.
    pub fn file_reader(&self, name: &str) -> Result<super::archive::EntryReader, LocalError> {
        match &self.store {
            Store::Tar(t) => t.reader(name),
            Store::Dir(d) => Err(LocalError::NotAnImage {
                path: d.clone(),
                message: "not an archive".into(),
            }),
        }
    }

    pub fn path(&self) -> &Path {
        self.store.path()
    }

    fn load_docker(&mut self) -> Result<(), LocalError> {
        let path = self.store.path().to_path_buf();
        let list: Value = serde_json::from_slice(&self.store.read("manifest.json")?)
            .map_err(|e| bad(&path, format!("manifest.json is not JSON: {e}")))?;
        let list = list
            .as_array()
            .cloned()
            .ok_or_else(|| bad(&path, "manifest.json is not a list"))?;
        let entry = match &self.r.tag {
            Some(want) => list.iter().find(|e| {
                e["RepoTags"].as_array().is_some_and(|t| {
                    t.iter().filter_map(Value::as_str).any(|t| {
                        t == want
                            || t.ends_with(&format!("/{want}"))
                            || t.trim_start_matches("docker.io/library/") == want
                    })
                })
            }),
            None if list.len() == 1 => list.first(),
            None => {
                return Err(LocalError::Ambiguous {
                    path,
                    message: format!("holds {} images; name one with :REF", list.len()),
                });
            }
        }
        .ok_or_else(|| LocalError::Missing {
            path: path.clone(),
            message: format!(
                "no image {:?} in manifest.json",
                self.r.tag.as_deref().unwrap_or("")
            ),
        })?;
        let config_name = entry["Config"]
            .as_str()
            .ok_or_else(|| bad(&path, "manifest.json entry without Config"))?;
        let config = Bytes::from(self.store.read(config_name)?);
        let cfg: Value = serde_json::from_slice(&config)
            .map_err(|e| bad(&path, format!("config is not JSON: {e}")))?;
        let diff_ids = strings(&cfg["rootfs"]["diff_ids"]);
        let files = strings(&entry["Layers"]);
        if files.len() != diff_ids.len() {
            return Err(bad(
                &path,
                format!(
                    "{} layers but {} diff_ids in the config",
                    files.len(),
                    diff_ids.len()
                ),
            ));
        }
        let diff_ids = diff_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                Digest::parse(id)
                    .map_err(|e| bad(&path, format!("config rootfs.diff_ids[{i}]: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let Store::Tar(t) = &self.store else {
            unreachable!("docker archives are tars")
        };
        let files: Vec<(String, Digest)> = files.into_iter().zip(diff_ids).collect();
        let layers = docker_layers(t, &files)?;
        let config_digest = digest::sha256(&config);
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media::DOCKER_MANIFEST,
            "config": {"mediaType": media::DOCKER_CONFIG, "size": config.len(), "digest": config_digest},
            "layers": layers.iter().map(|l| { let d = l.raw(); serde_json::json!({"mediaType": d.media_type, "size": d.size, "digest": d.digest}) }).collect::<Vec<_>>(),
        });
        let bytes = Bytes::from(serde_json::to_vec_pretty(&manifest).expect("serialises"));
        let d = digest::sha256(&bytes);
        self.synthesized = Some(RawManifest::new(
            bytes,
            media::DOCKER_MANIFEST.to_string(),
            d,
        ));
        self.docker = Some(DockerImage {
            config,
            config_digest,
            layers,
            repo_tags: strings(&entry["RepoTags"]),
        });
        Ok(())
    }
}
