//! OCI 1.1 artifacts with a subject: `attach` pushes files as the layers of an image manifest
//! with an `artifactType`, the empty config and the subject's descriptor (through the transfer
//! engine, which keeps the fallback tag index where the registry lacks the referrers API), and
//! `get` writes an artifact's files by their title annotation, each verified while it streams
//! and renamed into place only once every file is complete.

mod attach;
mod get;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::oci::digest::Digest;
use serde::Serialize;

pub use attach::{attach, check_files};
pub use get::get;

/// The empty descriptor's media type, content (`{}`) and digest (OCI image-spec 1.1).
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
pub const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
pub(crate) const EMPTY: &[u8] = b"{}";
/// The annotation that names a layer's file.
pub const TITLE: &str = "org.opencontainers.image.title";
/// The annotation with the artifact's creation time (`artifact-get --artifact-type` takes the
/// newest).
pub const CREATED: &str = "org.opencontainers.image.created";
/// The media type of a file's layer unless `--file-type` says otherwise.
pub const DEFAULT_FILE_TYPE: &str = "application/octet-stream";
/// The largest file `attach` takes unless `--max-size` says otherwise: 512 MiB.
pub const DEFAULT_MAX_SIZE: u64 = 512 << 20;
/// A title longer than this (bytes) is refused: most file systems allow 255.
const MAX_TITLE: usize = 255;

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// A file larger than the limit: refused before any request.
    #[error("{path}: {size} bytes, more than the limit of {max} bytes")]
    TooLarge { path: PathBuf, size: u64, max: u64 },
    #[error("{path}: not a regular file")]
    NotAFile { path: PathBuf },
    #[error("{path}: its name cannot be a title: {reason}")]
    BadFileName { path: PathBuf, reason: &'static str },
    #[error("{first} and {second} have the same name {title}: a title names one file")]
    SameName {
        title: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{path} changed while it was read ({was} bytes, then {now})")]
    Changed { path: PathBuf, was: u64, now: u64 },
    /// A title from the registry that would not name one file inside the directory.
    #[error("{reference}: layer {digest} has the title \"{title}\", refused: {reason}")]
    BadTitle {
        reference: String,
        digest: String,
        title: String,
        reason: &'static str,
    },
    #[error("{reference}: two layers have the title \"{title}\"")]
    DuplicateTitle { reference: String, title: String },
    #[error("{reference} is not an artifact with files: {message}")]
    NotAnArtifact { reference: String, message: String },
    #[error("{path} is a directory: the file of that title cannot replace it")]
    InTheWay { path: PathBuf },
    #[error("{reference} is listed as a referrer of {subject}, but its manifest does not name that subject")]
    Unbound { reference: String, subject: String },
}

impl ArtifactError {
    /// Bad input found before any request (the command's arguments): a usage error.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ArtifactError::TooLarge { .. }
                | ArtifactError::NotAFile { .. }
                | ArtifactError::BadFileName { .. }
                | ArtifactError::SameName { .. }
        )
    }
}

/// Why `title` cannot name a file directly inside a directory, if it cannot: empty, `.` or
/// `..`, a path separator (so no absolute path either), a control character, too long, or a
/// name of cr's own staging files.
pub fn title_problem(title: &str) -> Option<&'static str> {
    if title.is_empty() {
        return Some("it is empty");
    }
    if title == "." || title == ".." {
        return Some("it names a directory");
    }
    if title.contains('/') || title.contains('\\') {
        return Some("it holds a path separator");
    }
    if title
        .chars()
        .any(|c| c == '\0' || crate::text::is_control(c))
    {
        return Some("it holds a control character");
    }
    if title.len() > MAX_TITLE {
        return Some("it is longer than 255 bytes");
    }
    if title.starts_with(".cr-") {
        return Some("it is a name of cr's own staging files");
    }
    None
}

/// Why `s` is not a media type (`type/subtype`, RFC 6838 characters, each part at most 127),
/// if it is not.
pub fn media_type_problem(s: &str) -> Option<&'static str> {
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 127
            && p.starts_with(|c: char| c.is_ascii_alphanumeric())
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    match s.split_once('/') {
        None => Some("no '/'"),
        Some((t, st)) if part(t) && part(st) => None,
        Some(_) => Some("letters, digits and !#$&^_.+- only, on both sides of one '/'"),
    }
}

/// What `attach` pushes.
#[derive(Debug, Clone)]
pub struct AttachSpec {
    pub artifact_type: String,
    pub files: Vec<PathBuf>,
    /// The media type of every file's layer.
    pub file_type: String,
    /// The manifest's annotations (`org.opencontainers.image.created` is added unless given).
    pub annotations: BTreeMap<String, String>,
    pub max_size: u64,
}

/// A file to attach, checked.
#[derive(Debug, Clone)]
pub struct FileIn {
    pub path: PathBuf,
    pub title: String,
    pub size: u64,
}

/// One file of an artifact; the keys are the `-o json` fields.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ArtifactFile {
    pub title: String,
    pub digest: Digest,
    pub size: u64,
}

/// What `attach` pushed or `get` wrote; the keys are the `-o json` fields.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Artifact {
    /// `HOST/REPO@sha256:…` of the artifact.
    pub reference: String,
    pub digest: Digest,
    pub artifact_type: String,
    /// The subject's digest (empty for an artifact without one).
    pub subject: String,
    pub files: Vec<ArtifactFile>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_descriptor_is_what_its_digest_says() {
        assert_eq!(crate::oci::digest::sha256(EMPTY), EMPTY_DIGEST);
    }

    #[test]
    fn media_types() {
        for ok in [
            "application/spdx+json",
            "text/plain",
            "application/vnd.oci.empty.v1+json",
        ] {
            assert_eq!(media_type_problem(ok), None, "{ok}");
        }
        for bad in ["", "json", "a/b/c", "/x", "a/", "a b/c", "a/b\n"] {
            assert!(media_type_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn titles_name_one_file_in_the_directory() {
        for ok in ["sbom.spdx.json", "a b", ".hidden", "..x", "x..", "ünï"] {
            assert_eq!(title_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "/etc/x",
            "a/b",
            "a\\b",
            "a\nb",
            "a\u{1b}[2Jb",
            "a\u{9b}b",
            "a\0b",
            ".cr-1-2-abcdef",
        ] {
            assert!(title_problem(bad).is_some(), "{bad:?}");
        }
        assert!(title_problem(&"x".repeat(256)).is_some());
    }
}
