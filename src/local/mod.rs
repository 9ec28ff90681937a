//! Local image formats: `oci:DIR[:TAG]` (OCI image layout), `oci-archive:FILE[:TAG]` (that
//! layout in a tar), `docker-archive:FILE[:REF]` (`docker save` output, legacy or with an OCI
//! layout inside). Names, kind detection, and errors; reading in `reader`, writing in `writer`,
//! the destination's lock in `lock`, staging names and their cleanup in `staging`.

pub(crate) mod archive;
pub(crate) mod file;
pub(crate) mod lock;
pub mod reader;
pub(crate) mod staging;
pub(crate) mod tarball;
pub(crate) mod writer;

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{path} is not an image: {message}")]
    NotAnImage { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Missing { path: PathBuf, message: String },
    /// A local image name that names nothing.
    #[error("{0}")]
    Usage(String),
    /// Several images and nothing to choose one by.
    #[error("{path}: {message}")]
    Ambiguous { path: PathBuf, message: String },
    /// The bytes being written stopped coming (a network failure at the source).
    #[error("{path}: the source failed while writing: {message}")]
    Source { path: PathBuf, message: String },
    /// An interrupt stopped the final write before the destination changed.
    #[error("{path}: interrupted before it was changed; nothing was written")]
    Interrupted { path: PathBuf },
    /// Another process held the destination's lock for the whole wait.
    #[error(
        "{path}: another cr kept writing it for {secs} s (CR_LOCK_TIMEOUT); nothing was changed"
    )]
    Locked { path: PathBuf, secs: u64 },
    /// A layer whose uncompressed bytes are not what its config's diff_id says.
    #[error("{path}: layer {layer} does not match its diff_id {diff_id}: its uncompressed content is {actual}")]
    DiffId {
        path: PathBuf,
        layer: String,
        diff_id: String,
        actual: crate::oci::digest::Digest,
    },
    #[error("{path}: blob {digest} does not match its digest ({actual})")]
    Corrupt {
        path: PathBuf,
        digest: String,
        actual: crate::oci::digest::Digest,
    },
}

impl LocalError {
    pub fn io(path: &Path, e: impl fmt::Display) -> Self {
        LocalError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    OciDir,
    OciArchive,
    DockerArchive,
}

/// A local image name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRef {
    pub kind: Kind,
    pub path: PathBuf,
    /// The tag (oci, oci-archive) or image reference (docker-archive), if given.
    pub tag: Option<String>,
}

impl fmt::Display for LocalRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = match self.kind {
            Kind::OciDir => "oci",
            Kind::OciArchive => "oci-archive",
            Kind::DockerArchive => "docker-archive",
        };
        write!(f, "{p}:{}", self.path.display())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        Ok(())
    }
}

/// Split `PATH[:TAG]` at the first ':' (as skopeo does: paths cannot hold ':').
fn split_tag(s: &str) -> (&str, Option<&str>) {
    match s.find(':') {
        Some(i) if i > 0 => (&s[..i], Some(&s[i + 1..]).filter(|t| !t.is_empty())),
        _ => (s, None),
    }
}

impl LocalRef {
    /// Parse a name with a prefix, or detect the kind of an existing path (a directory with
    /// `oci-layout`; a tar with `manifest.json` or `oci-layout`). `for_write`: a path that does
    /// not exist yet is a docker-archive when it ends in `.tar`, else an OCI layout.
    pub fn parse(s: &str, for_write: bool) -> Result<Self, LocalError> {
        let (kind, rest) = if let Some(r) = s.strip_prefix("oci:") {
            (Some(Kind::OciDir), r)
        } else if let Some(r) = s.strip_prefix("oci-archive:") {
            (Some(Kind::OciArchive), r)
        } else if let Some(r) = s.strip_prefix("docker-archive:") {
            (Some(Kind::DockerArchive), r)
        } else {
            (None, s)
        };
        let (path, tag) = if Path::new(rest).exists() {
            (rest, None)
        } else {
            split_tag(rest)
        };
        let path = PathBuf::from(path);
        if path.as_os_str().is_empty() {
            return Err(LocalError::Usage(format!(
                "`{s}` names no file or directory: give oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:REF]"
            )));
        }
        let kind = match kind {
            Some(k) => k,
            None => detect(&path, for_write)?,
        };
        Ok(LocalRef {
            kind,
            path,
            tag: tag.map(str::to_string),
        })
    }
}

impl LocalRef {
    /// Check the name a pull gives the image, before any request: a docker-archive's REF must
    /// be a valid image reference without a digest (it becomes `RepoTags`, which cr reads back
    /// as one), an OCI layout's the OCI ref-name grammar (`alpine:3.18` is one). As skopeo.
    pub fn check_destination_name(&self) -> Result<(), LocalError> {
        let Some(name) = &self.tag else {
            return Ok(());
        };
        let why = match self.kind {
            Kind::DockerArchive => image_ref_problem(name),
            Kind::OciDir | Kind::OciArchive => (!is_ref_name(name)).then(|| {
                "an OCI ref name is components of letters and digits joined by `/`, \
                 each with single separators `-._:@+` (or `--`) inside: e.g. v1 or alpine:3.18"
                    .to_string()
            }),
        };
        match why {
            None => Ok(()),
            Some(why) => Err(LocalError::Usage(format!(
                "{name:?} cannot name the image in {}: {why}",
                self.path.display()
            ))),
        }
    }
}

/// Why `name` cannot be a docker-archive's REF, if it cannot.
fn image_ref_problem(name: &str) -> Option<String> {
    if name.trim() != name {
        return Some("an image reference has no spaces around it".into());
    }
    match crate::oci::reference::Reference::parse(name, "localhost") {
        Err(e) => Some(format!(
            "not a valid image reference ({e}); give REPO[:TAG], e.g. app:v1"
        )),
        Ok(r) if r.digest.is_some() => {
            Some("a docker-archive names an image by REPO[:TAG], not by digest".into())
        }
        Ok(_) => None,
    }
}

/// The OCI image-spec grammar of `org.opencontainers.image.ref.name`:
/// `component ("/" component)*`, `component ::= alphanum (separator alphanum)*`,
/// `separator ::= [-._:@+] | "--"`.
fn is_ref_name(name: &str) -> bool {
    name.split('/').all(|c| {
        let b = c.as_bytes();
        let mut i = 0;
        let alnum = |i: usize| b.get(i).is_some_and(u8::is_ascii_alphanumeric);
        if !alnum(0) {
            return false;
        }
        while i < b.len() {
            if alnum(i) {
                i += 1;
                continue;
            }
            i += if b[i] == b'-' && b.get(i + 1) == Some(&b'-') {
                2
            } else if b"-._:@+".contains(&b[i]) {
                1
            } else {
                return false;
            };
            if !alnum(i) {
                return false;
            }
        }
        true
    })
}

/// A number of seconds from the environment (`CR_LOCK_TIMEOUT`, `CR_STALE_STAGING_SECS`) within
/// `0..=max`; unset or empty: `default`. Anything else is the usage error config.rs gives for
/// its own knobs, naming the variable.
fn env_secs(
    var: &'static str,
    default: u64,
    max: u64,
) -> Result<std::time::Duration, crate::config::ConfigError> {
    let raw = std::env::var_os(var).unwrap_or_default();
    let value = raw.to_string_lossy().trim().to_string();
    let secs = if value.is_empty() {
        Ok(default)
    } else {
        value.parse::<u64>().ok().filter(|n| *n <= max).ok_or(value)
    };
    secs.map(std::time::Duration::from_secs)
        .map_err(|value| crate::config::ConfigError::Env {
            var,
            value,
            expected: format!("a whole number of seconds from 0 to {max}"),
        })
}

/// Check the environment a pull into a local destination reads (lock wait, staging age), so
/// that a bad value stops it before any request.
pub fn check_env() -> Result<(), crate::config::ConfigError> {
    lock::timeout()?;
    staging::max_age()?;
    Ok(())
}

fn detect(path: &Path, for_write: bool) -> Result<Kind, LocalError> {
    if path.is_dir() {
        if path.join("oci-layout").exists() || for_write {
            return Ok(Kind::OciDir);
        }
        return Err(LocalError::NotAnImage {
            path: path.to_path_buf(),
            message: "a directory without an oci-layout file".into(),
        });
    }
    if path.is_file() {
        let names = archive::TarIndex::open(path)?;
        if names.contains("manifest.json") {
            return Ok(Kind::DockerArchive);
        }
        if names.contains("oci-layout") {
            return Ok(Kind::OciArchive);
        }
        return Err(LocalError::NotAnImage {
            path: path.to_path_buf(),
            message: "a tar without manifest.json or oci-layout".into(),
        });
    }
    if for_write {
        let name = path.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            return Err(LocalError::Usage(format!(
                "{}: cr writes plain tar archives (docker load and skopeo read them); name it .tar and compress it afterwards if you must",
                path.display()
            )));
        }
        let tar = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("tar"));
        return Ok(if tar {
            Kind::DockerArchive
        } else {
            Kind::OciDir
        });
    }
    Err(LocalError::Missing {
        path: path.to_path_buf(),
        message: "no such file or directory".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_tags() {
        let r = LocalRef::parse("oci:/tmp/x:v1", true).unwrap();
        assert_eq!(
            (r.kind, r.path.to_str().unwrap(), r.tag.as_deref()),
            (Kind::OciDir, "/tmp/x", Some("v1"))
        );
        let r = LocalRef::parse("docker-archive:/tmp/a.tar:repo/x:1", true).unwrap();
        assert_eq!(r.kind, Kind::DockerArchive);
        assert_eq!(r.path.to_str().unwrap(), "/tmp/a.tar");
        assert_eq!(r.tag.as_deref(), Some("repo/x:1"));
        let r = LocalRef::parse("oci-archive:/tmp/a.tar", true).unwrap();
        assert_eq!((r.kind, r.tag), (Kind::OciArchive, None));
        assert_eq!(
            LocalRef::parse("/nonexistent/out.tar", true).unwrap().kind,
            Kind::DockerArchive
        );
        assert_eq!(
            LocalRef::parse("/nonexistent/OUT.TAR", true).unwrap().kind,
            Kind::DockerArchive
        );
        for gz in ["/nonexistent/out.tar.gz", "/nonexistent/out.TGZ"] {
            assert!(matches!(
                LocalRef::parse(gz, true),
                Err(LocalError::Usage(_))
            ));
        }
        assert!(matches!(
            LocalRef::parse("/nonexistent/in", false),
            Err(LocalError::Missing { .. })
        ));
    }

    #[test]
    fn destination_names_follow_skopeos_grammars() {
        let check = |s: &str| LocalRef::parse(s, true).unwrap().check_destination_name();
        for ok in [
            "docker-archive:/n/a.tar:app:v1",
            "docker-archive:/n/a.tar:app",
            "docker-archive:/n/a.tar:localhost:5000/ns/app:1",
            "docker-archive:/n/a.tar",
            "oci:/n/l:alpine:3.18",
            "oci:/n/l:v1",
            "oci-archive:/n/a.tar:my/ref--x_1.2+b@c",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "docker-archive:/n/a.tar:bad ref",
            "docker-archive:/n/a.tar:UPPER/x:1",
            "docker-archive:/n/a.tar:app@sha256:0123456789012345678901234567890123456789012345678901234567890123",
            "docker-archive:/n/a.tar: app:1",
            "oci:/n/l:bad tag with spaces",
            "oci:/n/l:-lead",
            "oci:/n/l:trail.",
            "oci:/n/l:a..b",
            "oci:/n/l:a//b",
            "oci-archive:/n/a.tar:a/",
        ] {
            assert!(matches!(check(bad), Err(LocalError::Usage(_))), "{bad}");
        }
    }
}
