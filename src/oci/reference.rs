//! Image names: parse `[HOST[:PORT]/]PATH[:TAG][@DIGEST]` with the distribution grammar,
//! resolve names without a host against the target registry, normalise Docker Hub, display.

use std::fmt;

pub use super::digest::Digest;
pub use super::name::{Repository, Tag};
pub use crate::host::{is_host, is_loopback, normalise_host, strip_port, Host};

/// What is wrong with an image name. Each variant names the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("image name is empty")]
    Empty,
    #[error("invalid registry host {0:?}: expected HOST[:PORT] with letters, digits, '-' and '.'")]
    InvalidHost(String),
    #[error("invalid port in registry host {0:?}")]
    InvalidPort(String),
    #[error("repository path is missing in {0:?}")]
    MissingPath(String),
    #[error("repository name {0:?} must be lowercase")]
    Uppercase(String),
    #[error("empty path component in {0:?} (doubled or trailing '/')")]
    EmptyComponent(String),
    #[error("invalid path component {component:?} in {name:?}: use lowercase letters and digits, separated by '.', '_', '__' or '-'")]
    InvalidComponent { component: String, name: String },
    #[error("invalid tag {0:?}: a tag is 1-128 characters of letters, digits, '_', '.' and '-', not starting with '.' or '-'")]
    InvalidTag(String),
    #[error("invalid digest {0:?}: expected sha256: followed by 64 lowercase hex digits")]
    InvalidDigest(String),
    #[error("repository name {0:?} is longer than 255 characters")]
    TooLong(String),
    #[error("image names have no scheme: write {0}")]
    Scheme(String),
    #[error("a registry host is written without a scheme: write {0}")]
    HostScheme(String),
}

/// Docker Hub as users write it and as credentials are keyed.
pub const DOCKER_HUB: &str = "docker.io";
/// The host that actually serves Docker Hub's registry API.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// A fully resolved image reference: always has a registry host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Registry host as the user knows it (`docker.io`, `localhost:5000`, `us.icr.io`).
    pub registry: String,
    /// Repository path, e.g. `namespace/repo`.
    pub repository: Repository,
    pub tag: Option<Tag>,
    pub digest: Option<Digest>,
}

impl Reference {
    /// Parse `name`, resolving a host-less name against `default_registry`.
    pub fn parse(name: &str, default_registry: &str) -> Result<Self, ReferenceError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if let Some(rest) = name
            .strip_prefix("https://")
            .or_else(|| name.strip_prefix("http://"))
        {
            return Err(ReferenceError::Scheme(
                rest.trim_end_matches('/').to_string(),
            ));
        }
        let (rest, digest) = match name.split_once('@') {
            Some((r, d)) => (r, Some(Digest::parse(d)?)),
            None => (name, None),
        };
        let (rest, tag) = match rest.rfind(':') {
            Some(i) if !rest[i + 1..].contains('/') && !rest[i + 1..].contains(']') => {
                let t = &rest[i + 1..];
                // `host:port` alone (no slash after) is not a tag only when there is no path
                (&rest[..i], Some(Tag::parse(t)?))
            }
            _ => (rest, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, path)) if is_host(first) => (normalise_host(first)?, path.to_string()),
            _ => (default_registry.to_string(), rest.to_string()),
        };
        if path.is_empty() {
            return Err(ReferenceError::MissingPath(name.to_string()));
        }
        let repository = Repository::parse(&path)?;
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            Repository::parse(&format!("library/{path}"))?
        } else {
            repository
        };
        if registry.len() + 1 + repository.len() > 255 {
            return Err(ReferenceError::TooLong(repository.into_string()));
        }
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The tag, or `latest` when neither a tag nor a digest was given.
    pub fn tag_or_latest(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }

    /// What to ask the registry for: the digest when known (it pins), else the tag or `latest`.
    pub fn manifest_ref(&self) -> ManifestRef {
        match (&self.digest, &self.tag) {
            (Some(d), _) => ManifestRef::Digest(d.clone()),
            (None, Some(t)) => ManifestRef::Tag(t.clone()),
            (None, None) => ManifestRef::Tag(Tag::latest()),
        }
    }

    /// The namespace: first path component.
    pub fn namespace(&self) -> &str {
        self.repository.namespace()
    }

    /// `HOST/REPO` without tag or digest.
    pub fn repo_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// `HOST/REPO@DIGEST`.
    pub fn with_digest(&self, digest: &str) -> String {
        format!("{}/{}@{}", self.registry, self.repository, digest)
    }

    /// A copy pointing at another tag, without digest.
    pub fn with_tag(&self, tag: &Tag) -> Reference {
        Reference {
            tag: Some(tag.clone()),
            digest: None,
            ..self.clone()
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// What a manifest is addressed by: a tag or a digest. A tag never holds ':' and a digest
/// always does, so the two are told apart here, once, by the grammar.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ManifestRef {
    Tag(Tag),
    Digest(Digest),
}

impl ManifestRef {
    /// A tag or a digest, validated.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        if s.contains(':') {
            Ok(ManifestRef::Digest(Digest::parse(s)?))
        } else {
            Ok(ManifestRef::Tag(Tag::parse(s)?))
        }
    }

    pub fn digest(d: &Digest) -> Self {
        ManifestRef::Digest(d.clone())
    }

    pub fn tag(t: &Tag) -> Self {
        ManifestRef::Tag(t.clone())
    }

    pub fn as_str(&self) -> &str {
        match self {
            ManifestRef::Tag(s) => s,
            ManifestRef::Digest(s) => s,
        }
    }

    pub fn is_digest(&self) -> bool {
        matches!(self, ManifestRef::Digest(_))
    }

    /// `:` before a tag, `@` before a digest.
    pub fn sep(&self) -> char {
        if self.is_digest() {
            '@'
        } else {
            ':'
        }
    }
}

impl fmt::Display for ManifestRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tags in the order people read them: runs of digits compare as numbers (`v2` before `v10`).
pub fn natural_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let n = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let m = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, dy) = (&x[..n], &y[..m]);
                let trim = |d: &[u8]| -> usize { d.iter().take_while(|&&c| c == b'0').count() };
                let (tx, ty) = (&dx[trim(dx)..], &dy[trim(dy)..]);
                let o = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
                x = &x[n..];
                y = &y[m..];
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

/// The host that serves the registry API for a registry name.
pub fn api_host(registry: &str) -> &str {
    if registry == DOCKER_HUB {
        hub_api_override().unwrap_or(DOCKER_HUB_API)
    } else {
        registry
    }
}

/// `CR_DOCKER_HUB_API=HOST:PORT`: where requests for Docker Hub go instead of
/// registry-1.docker.io, for tests and local stand-ins (credentials stay keyed as Docker Hub's:
/// docker.io, `https://index.docker.io/v1/`). Only a loopback address is taken (anything else
/// is ignored), so that Docker Hub credentials can never be sent to another host this way.
fn hub_api_override() -> Option<&'static str> {
    static OVERRIDE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    OVERRIDE
        .get_or_init(|| {
            std::env::var("CR_DOCKER_HUB_API")
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| is_loopback(v))
        })
        .as_deref()
}

/// A repository path by the distribution grammar: lowercase components separated by `/`, at
/// most 255 characters; no empty, `.` or `..` component can pass.
pub fn validate_repository(path: &str) -> Result<(), ReferenceError> {
    if path.len() > 255 {
        return Err(ReferenceError::TooLong(path.to_string()));
    }
    if path.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(ReferenceError::Uppercase(path.to_string()));
    }
    for c in path.split('/') {
        if c.is_empty() {
            return Err(ReferenceError::EmptyComponent(path.to_string()));
        }
        if !valid_component(c) {
            return Err(ReferenceError::InvalidComponent {
                component: c.to_string(),
                name: path.to_string(),
            });
        }
    }
    Ok(())
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `[\w][\w.-]{0,127}`
pub fn validate_tag(tag: &str) -> Result<(), ReferenceError> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let b = tag.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b.iter().all(|&x| word(x) || x == b'.' || x == b'-');
    if ok {
        Ok(())
    } else {
        Err(ReferenceError::InvalidTag(tag.to_string()))
    }
}

/// `sha256:` + 64 hex, or `sha512:` + 128 hex (lowercase).
pub fn validate_digest(d: &str) -> Result<(), ReferenceError> {
    // One rule: the digest type's parser.
    super::digest::Digest::parse(d).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn p(s: &str) -> Result<Reference, ReferenceError> {
        Reference::parse(s, "localhost:5000")
    }

    #[test]
    fn natural_tag_order() {
        let mut t = vec!["v10", "v2", "latest", "v1.10.0", "v1.9.0", "1", "01", "a"];
        t.sort_by(|a, b| natural_order(a, b));
        assert_eq!(
            t,
            ["01", "1", "a", "latest", "v1.9.0", "v1.10.0", "v2", "v10"]
        );
    }

    #[test]
    fn valid_names() {
        let cases: &[(&str, &str, &str, Option<&str>, bool)] = &[
            ("ns/repo", "localhost:5000", "ns/repo", None, false),
            (
                "ns/repo:1.0",
                "localhost:5000",
                "ns/repo",
                Some("1.0"),
                false,
            ),
            (
                "us.icr.io/ns/repo:v1",
                "us.icr.io",
                "ns/repo",
                Some("v1"),
                false,
            ),
            ("localhost/repo", "localhost", "repo", None, false),
            (
                "127.0.0.1:5000/a/b/c:x_y",
                "127.0.0.1:5000",
                "a/b/c",
                Some("x_y"),
                false,
            ),
            ("[::1]:5000/ns/r:t", "[::1]:5000", "ns/r", Some("t"), false),
            (
                "docker.io/busybox",
                "docker.io",
                "library/busybox",
                None,
                false,
            ),
            ("index.docker.io/x/y", "docker.io", "x/y", None, false),
            (
                "a__b/c-d/e.f/g---h",
                "localhost:5000",
                "a__b/c-d/e.f/g---h",
                None,
                false,
            ),
            (
                "ns/repo:_tag",
                "localhost:5000",
                "ns/repo",
                Some("_tag"),
                false,
            ),
        ];
        for (input, reg, repo, tag, _) in cases {
            let r = p(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.registry, *reg, "{input}");
            assert_eq!(r.repository, *repo, "{input}");
            assert_eq!(r.tag.as_deref(), *tag, "{input}");
        }
        let r = p(&format!("host.io:443/ns/r:t@{D}")).unwrap();
        assert_eq!(r.digest.as_deref(), Some(D));
        assert_eq!(r.tag.as_deref(), Some("t"));
        assert_eq!(r.manifest_ref(), ManifestRef::parse(D).unwrap());
        assert_eq!(
            ManifestRef::parse("sha-1").unwrap(),
            ManifestRef::Tag("sha-1".parse().unwrap())
        );
        assert!(ManifestRef::parse("sha256:abc").is_err());
        assert_eq!(r.to_string(), format!("host.io:443/ns/r:t@{D}"));
        assert_eq!(p("ns/r").unwrap().tag_or_latest(), Some("latest"));
        assert_eq!(p(&format!("ns/r@{D}")).unwrap().tag_or_latest(), None);
    }

    #[test]
    fn invalid_names() {
        use ReferenceError as E;
        let long_tag = "a".repeat(129);
        let long_path = format!("ns/{}", "a".repeat(260));
        type Check = fn(&E) -> bool;
        let cases: Vec<(&str, Check)> = vec![
            ("", |e| matches!(e, E::Empty)),
            ("NS/repo", |e| matches!(e, E::Uppercase(_))),
            ("ns//repo", |e| matches!(e, E::EmptyComponent(_))),
            ("ns/repo/", |e| matches!(e, E::EmptyComponent(_))),
            ("ns/-repo", |e| matches!(e, E::InvalidComponent { .. })),
            ("ns/re..po", |e| matches!(e, E::InvalidComponent { .. })),
            ("ns/re___po", |e| matches!(e, E::InvalidComponent { .. })),
            ("ns/repo:.bad", |e| matches!(e, E::InvalidTag(_))),
            ("ns/repo:", |e| matches!(e, E::InvalidTag(_))),
            ("ns/repo:a+b", |e| matches!(e, E::InvalidTag(_))),
            ("ns/repo@sha256:abc", |e| matches!(e, E::InvalidDigest(_))),
            ("ns/repo@md5:0123", |e| matches!(e, E::InvalidDigest(_))),
            ("bad_host.io:5000/ns/r", |e| matches!(e, E::InvalidHost(_))),
            ("evil.example#.icr.io/ns/r", |e| {
                matches!(e, E::InvalidHost(_))
            }),
            ("evil.example?.icr.io/ns/r", |e| {
                matches!(e, E::InvalidHost(_))
            }),
            ("evil.example\\.icr.io/ns/r", |e| {
                matches!(e, E::InvalidHost(_))
            }),
            ("host.io:99999/ns/r", |e| matches!(e, E::InvalidPort(_))),
            ("host.io:/ns/r", |e| matches!(e, E::InvalidPort(_))),
        ];
        for (input, check) in cases {
            let e = p(input).expect_err(input);
            assert!(check(&e), "{input}: got {e:?}");
        }
        assert!(matches!(
            p(&format!("ns/r:{long_tag}")),
            Err(E::InvalidTag(_))
        ));
        assert!(matches!(p(&long_path), Err(E::TooLong(_))));
    }

    #[test]
    fn hosts() {
        assert_eq!(normalise_host("index.docker.io").unwrap(), "docker.io");
        assert_eq!(normalise_host("US.ICR.IO").unwrap(), "us.icr.io");
        assert_eq!(api_host("docker.io"), DOCKER_HUB_API);
        assert!(normalise_host("[zz]:5000").is_err());
    }
}
