//! Registry errors: HTTP status, the registry's own error codes and messages (decoded from the
//! distribution error body), what we were doing and on which host, and a hint for the user.

use std::fmt;

/// One entry of a distribution error body `{"errors":[{"code","message","detail"}]}`.
#[derive(Debug, Clone, serde::Deserialize, PartialEq, Eq)]
pub struct ApiError {
    #[serde(default)]
    pub code: Code,
    #[serde(default)]
    pub message: String,
}

/// A registry's error code: the distribution spec's, or any other a registry sends (kept).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(from = "String")]
pub enum Code {
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    ManifestUnverified,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    TagInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    TooManyRequests,
    /// No code at all (a proxy's answer).
    #[default]
    None,
    /// A code outside the spec, as sent.
    Other(String),
}

const CODES: &[(&str, Code)] = &[
    ("BLOB_UNKNOWN", Code::BlobUnknown),
    ("BLOB_UPLOAD_INVALID", Code::BlobUploadInvalid),
    ("BLOB_UPLOAD_UNKNOWN", Code::BlobUploadUnknown),
    ("DIGEST_INVALID", Code::DigestInvalid),
    ("MANIFEST_BLOB_UNKNOWN", Code::ManifestBlobUnknown),
    ("MANIFEST_INVALID", Code::ManifestInvalid),
    ("MANIFEST_UNKNOWN", Code::ManifestUnknown),
    ("MANIFEST_UNVERIFIED", Code::ManifestUnverified),
    ("NAME_INVALID", Code::NameInvalid),
    ("NAME_UNKNOWN", Code::NameUnknown),
    ("SIZE_INVALID", Code::SizeInvalid),
    ("TAG_INVALID", Code::TagInvalid),
    ("UNAUTHORIZED", Code::Unauthorized),
    ("DENIED", Code::Denied),
    ("UNSUPPORTED", Code::Unsupported),
    ("TOOMANYREQUESTS", Code::TooManyRequests),
];

impl From<String> for Code {
    fn from(s: String) -> Self {
        if s.is_empty() {
            return Code::None;
        }
        CODES
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, c)| c.clone())
            .unwrap_or(Code::Other(s))
    }
}

impl Code {
    pub fn as_str(&self) -> &str {
        match self {
            Code::None => "",
            Code::Other(s) => s,
            known => CODES
                .iter()
                .find(|(_, c)| c == known)
                .map(|(name, _)| *name)
                .unwrap_or(""),
        }
    }
    pub fn is_empty(&self) -> bool {
        *self == Code::None
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of failure, for exit codes and hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NotFound,
    Unauthorized,
    Denied,
    Unsupported,
    Other,
}

/// The kind of request that failed, for hints: read from the request's method and endpoint
/// when it is made, never from its description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Operation {
    /// Writing blobs or manifests (an upload session, a mount, a manifest PUT).
    Push,
    /// Deleting a manifest or a tag.
    Delete,
    #[default]
    Other,
}

impl Operation {
    /// The operation of a request: POST, PATCH and PUT are writes (cr sends them only to open,
    /// fill and close upload sessions, mount blobs and put manifests), a DELETE on a manifest
    /// endpoint is a delete, everything else reads.
    pub fn of(method: &reqwest::Method, path: &str) -> Self {
        use reqwest::Method;
        let on_manifests = path.rsplit('/').nth(1) == Some("manifests");
        match *method {
            Method::POST | Method::PATCH | Method::PUT => Operation::Push,
            Method::DELETE if on_manifests => Operation::Delete,
            _ => Operation::Other,
        }
    }
}

/// Why a TLS handshake failed, read from rustls' error (never from its text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// Signed by no CA cr trusts (nor a given anchor), or a bad signature.
    Untrusted,
    /// The certificate is for other names.
    WrongName,
    /// Outside its validity period.
    Expired,
    /// A CA certificate presented as a server certificate, not given as an anchor.
    CaAsServer,
    /// The server asked for a client certificate (or refused the one sent): a TLS alert
    /// about certificates received from it.
    ClientCertificate,
    /// Refused for another reason (not a server certificate, a bad encoding, …): the error
    /// says which.
    Refused,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum RegistryError {
    /// The registry answered with an error status.
    #[error("{what} on {host}: {}", describe(*.status, .errors))]
    Api {
        what: String,
        host: String,
        status: u16,
        errors: Vec<ApiError>,
        /// The account and scope involved, for denied requests.
        account: Option<Box<super::Account>>,
        scope: Option<String>,
        /// A 401 whose challenge says `insufficient_scope`: authenticated, but not allowed.
        insufficient_scope: bool,
        /// How many seconds the registry asked us to wait (`Retry-After`), for 429 and 503.
        retry_after: Option<u16>,
        /// The kind of request it answered.
        op: Operation,
    },
    /// The host could not be reached, or the connection broke.
    #[error("cannot reach {host} ({what}): {message}")]
    Connect {
        what: String,
        host: String,
        message: String,
        /// Why, read from the error's types where it was first seen.
        cause: super::cause::Cause,
        /// The kind of request that broke.
        op: Operation,
    },
    /// The TLS handshake failed on a certificate: not retried, and explained by its cause.
    #[error("cannot reach {host} ({what}): {message}")]
    Tls {
        what: String,
        host: String,
        why: TlsFailure,
        message: String,
        /// The certs.d directory cr reads for this host (`DIR/HOST[:PORT]`), if it reads one:
        /// the registry's own host, not a token realm or redirect target elsewhere.
        certs_d: Option<std::path::PathBuf>,
    },
    /// A host the registry redirected the request to (object storage, an upload service)
    /// refused the redirected URL with 401 or 403. cr sends no credentials there, so this is
    /// no verdict on them, and its text is not the registry's.
    #[error("{what} on {host}: the storage host {storage} that {host} sent cr to refused the URL (cr sends it no credentials): {}", describe(*.status, .errors))]
    Storage {
        what: String,
        host: String,
        /// The redirect target, `HOST[:PORT]`.
        storage: String,
        status: u16,
        errors: Vec<ApiError>,
        op: Operation,
    },
    /// cr itself refused a token realm, before any request to it: plain HTTP for a registry
    /// reached over TLS (credentials and token would travel in clear), or a scheme that is
    /// not http(s).
    #[error("{}", refused_realm(.host, .realm, *.plain_http))]
    RefusedRealm {
        host: String,
        /// The realm as scheme, host, port and path (never its query).
        realm: String,
        /// The realm's `HOST[:PORT]`, as `--insecure-registry` takes it.
        realm_host: String,
        plain_http: bool,
    },
    /// The token service refused to issue a token.
    #[error("the token service {realm} for {host} refused {account}: HTTP {status}{}", if .message.is_empty() { String::new() } else { format!(": {}", .message) })]
    Token {
        host: String,
        realm: String,
        account: Box<super::Account>,
        status: u16,
        message: String,
    },
    /// The registry answered something we cannot use.
    #[error("{what} on {host}: {message}")]
    Protocol {
        what: String,
        host: String,
        message: String,
    },
    /// A registry that speaks HTTPS, reached over plain HTTP (Go's TLS server or nginx says
    /// so in its 400 answer).
    #[error("{what} on {host}: the registry speaks HTTPS, but cr reached it over plain HTTP ({})", if *.listed { "it is listed as an insecure registry, which always gets plain HTTP" } else { "loopback hosts get plain HTTP unless a CA or certs.d entry is given" })]
    HttpsOnly {
        what: String,
        host: String,
        /// Listed with `--insecure-registry` (or `CR_INSECURE_REGISTRIES`, the config file).
        listed: bool,
        /// The certs.d directory cr reads for this host (`DIR/HOST[:PORT]`).
        certs_d: Option<std::path::PathBuf>,
    },
    /// A DELETE by digest answered 404 while a HEAD still finds the manifest: the registry
    /// deletes by digest only manifests that a tag points at (Quay; quirks §6 line 600).
    #[error("{what} on {host}: the registry answered 404 (not found), but the manifest is still there: it does not delete untagged manifests by digest")]
    UntaggedKept { what: String, host: String },
    /// A value (tag, digest, repository path) that would become part of a URL or a path is
    /// not valid by the distribution grammar: refused before any request.
    #[error("refusing an invalid name on {host}: {message}")]
    Invalid { host: String, message: String },
    /// Bytes did not hash to the digest they were fetched by.
    #[error("{what}: content does not match its digest: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
}

fn refused_realm(host: &str, realm: &str, plain_http: bool) -> String {
    if plain_http {
        format!("cr refused to send credentials over plain HTTP: {host} is reached over TLS, but its plain-HTTP token realm {realm} would carry them (and the token) in clear")
    } else {
        format!("cr refused the token realm {realm} of {host}: its scheme is not http(s)")
    }
}

fn describe(status: u16, errors: &[ApiError]) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut s = format!("HTTP {status} {reason}");
    for e in errors {
        s.push_str(&format!(
            "; {}{}{}",
            e.code,
            if e.code.is_empty() || e.message.is_empty() {
                ""
            } else {
                ": "
            },
            e.message
        ));
    }
    s.trim_end().to_string()
}

impl RegistryError {
    pub fn kind(&self) -> Kind {
        match self {
            RegistryError::Api {
                insufficient_scope: true,
                ..
            } => Kind::Denied,
            RegistryError::Api { status, errors, .. } => {
                let has = |c: Code| errors.iter().any(|e| e.code == c);
                match *status {
                    404 => Kind::NotFound,
                    401 => Kind::Unauthorized,
                    403 => Kind::Denied,
                    405 => Kind::Unsupported,
                    _ if has(Code::ManifestUnknown)
                        || has(Code::NameUnknown)
                        || has(Code::BlobUnknown) =>
                    {
                        Kind::NotFound
                    }
                    _ if has(Code::Unsupported) => Kind::Unsupported,
                    _ => Kind::Other,
                }
            }
            RegistryError::Token { status, .. } if *status == 401 || *status == 403 => {
                Kind::Unauthorized
            }
            _ => Kind::Other,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            RegistryError::Api { status, .. }
            | RegistryError::Token { status, .. }
            | RegistryError::Storage { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The wait the registry asked for, if any.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            RegistryError::Api { retry_after, .. } => {
                retry_after.map(|s| std::time::Duration::from_secs(s.into()))
            }
            _ => None,
        }
    }

    /// What kind of request failed (a registry's answer, or a connection that broke).
    pub fn operation(&self) -> Operation {
        match self {
            RegistryError::Api { op, .. }
            | RegistryError::Connect { op, .. }
            | RegistryError::Storage { op, .. } => *op,
            _ => Operation::Other,
        }
    }

    pub fn has_code(&self, code: Code) -> bool {
        matches!(self, RegistryError::Api { errors, .. } if errors.iter().any(|e| e.code == code))
    }

    /// A bare error status to a request of kind `op` on host `h`, as unit tests need one.
    #[cfg(test)]
    pub(crate) fn status_for_test(op: Operation, status: u16) -> Self {
        RegistryError::Api {
            what: format!("{op:?} request"),
            host: "h".into(),
            status,
            errors: vec![],
            account: None,
            scope: None,
            insufficient_scope: false,
            retry_after: None,
            op,
        }
    }

    /// An error status that carries no registry error code (a proxy's answer, say; its text
    /// may be kept as a code-less entry).
    pub fn without_code(&self) -> bool {
        matches!(self, RegistryError::Api { errors, .. } if errors.iter().all(|e| e.code.is_empty()))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Decode an error body; tolerate anything.
pub fn parse_errors(body: &[u8]) -> Vec<ApiError> {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Vec<ApiError>,
    }
    serde_json::from_slice::<Body>(body)
        .map(|b| b.errors)
        .unwrap_or_default()
}

/// What a quoted secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// The secrets cr sent to a registry or holds for it (a password or API key, an identity
/// token, their Basic `Authorization` values, bearer tokens), to be cut out of any text of the
/// registry's or its token service's that cr quotes: a page that echoes the request's headers
/// must not print them into a CI log, whose masking knows only the raw secret.
#[derive(Default)]
pub struct Secrets(Vec<String>);

impl Secrets {
    /// The forms each secret travels in: as is, percent-encoded (a form body, a query), and
    /// base64 of `user:secret` with and without its padding (the Basic value); tokens as they
    /// are.
    pub fn new(user: &str, held: &[&str], tokens: &[String]) -> Self {
        use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
        use base64::Engine;
        let mut all: Vec<String> = tokens.to_vec();
        for s in held.iter().filter(|s| !s.is_empty()) {
            let basic = format!("{user}:{s}");
            all.push(s.to_string());
            all.push(url::form_urlencoded::byte_serialize(s.as_bytes()).collect());
            all.push(STANDARD.encode(&basic));
            all.push(STANDARD_NO_PAD.encode(&basic));
        }
        all.retain(|s| !s.is_empty());
        // Longest first, so that no secret is left half-cut by a shorter one inside it.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        all.dedup();
        Secrets(all)
    }

    /// `text` with every secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.0 {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }

    /// Error entries with their codes and messages redacted.
    pub fn redact_errors(&self, errors: Vec<ApiError>) -> Vec<ApiError> {
        errors
            .into_iter()
            .map(|e| ApiError {
                code: match e.code {
                    Code::Other(c) => Code::Other(self.redact(&c)),
                    known => known,
                },
                message: self.redact(&e.message),
            })
            .collect()
    }
}

/// How much of a body that is not a distribution error is quoted.
const MAX_QUOTE: usize = 300;

/// An error body that is not a distribution error (text, HTML, JSON without `errors`, S3's
/// XML), as one code-less entry to show: HTML and XML without their tags, whitespace
/// collapsed, control characters dropped, at most [`MAX_QUOTE`] characters. None when empty.
pub fn quote_body(body: &[u8]) -> Option<ApiError> {
    quote_body_of(body, "the registry")
}

/// [`quote_body`], said to come from `who` (`the storage host`).
pub fn quote_body_of(body: &[u8], who: &str) -> Option<ApiError> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start();
    let plain = if trimmed.starts_with('<') {
        let mut out = String::new();
        let mut in_tag = false;
        for c in trimmed.chars() {
            match c {
                '<' => {
                    in_tag = true;
                    out.push(' ');
                }
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out
    } else {
        text.into_owned()
    };
    let words: Vec<&str> = plain
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let mut line = words.join(" ");
    if line.is_empty() {
        return None;
    }
    if line.chars().count() > MAX_QUOTE {
        line = line.chars().take(MAX_QUOTE).collect::<String>() + "…";
    }
    Some(ApiError {
        code: Code::None,
        message: format!("{who} answered: {line}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_bodies_are_quoted_plainly() {
        let html = quote_body(b"<html><head><title>502 Bad Gateway</title></head>\n<body><h1>nginx</h1>\x1b[31m</body></html>").unwrap();
        assert_eq!(
            html.message,
            "the registry answered: 502 Bad Gateway nginx [31m"
        );
        assert!(html.code.is_empty());
        let text = quote_body(b"Not Authorized\n").unwrap();
        assert_eq!(text.message, "the registry answered: Not Authorized");
        assert!(quote_body(b"  \n").is_none());
        let long = quote_body(&[b'a'; 5000]).unwrap();
        assert!(long.message.chars().count() < 400);
        // A JSON error without a code keeps its message.
        let j = parse_errors(br#"{"errors":[{"status":406,"message":"Not Acceptable"}]}"#);
        assert_eq!(j[0].message, "Not Acceptable");
        assert!(j[0].code.is_empty());
    }

    /// Every form a held secret travels in is cut out of quoted text: the raw secret, its
    /// Basic value (padded or not), its percent-encoding, and bearer tokens.
    #[test]
    fn secrets_are_cut_out() {
        use base64::Engine;
        let pw = "pa ss+word/1";
        let refresh = "refresh-Tok3n";
        let secrets = Secrets::new("alice", &[pw, refresh], &["tok-ABC.def".into()]);
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{pw}"));
        let text = format!(
            "Authorization: Basic {basic}; pw={pw}; form=refresh_token=refresh-Tok3n&x; q=pa+ss%2Bword%2F1; Authorization: Bearer tok-ABC.def"
        );
        let out = secrets.redact(&text);
        for leak in [
            pw,
            refresh,
            basic.trim_end_matches('='),
            "tok-ABC",
            "pa+ss%2Bword",
        ] {
            assert!(!out.contains(leak), "{leak} in {out}");
        }
        assert!(out.starts_with("Authorization: Basic [redacted];"), "{out}");
        assert!(out.ends_with("Bearer [redacted]"), "{out}");
        let errs = secrets.redact_errors(vec![ApiError {
            code: Code::Other(format!("X{pw}")),
            message: format!("got {basic}"),
        }]);
        assert_eq!(errs[0].code, Code::Other("X[redacted]".into()));
        assert!(errs[0].message.starts_with("got [redacted]"));
        assert_eq!(Secrets::default().redact("as is"), "as is");
    }

    /// The operation is read from the request: method and endpoint, never its description.
    #[test]
    fn operations_are_read_from_method_and_endpoint() {
        use reqwest::Method;
        let of = |m: Method, p: &str| Operation::of(&m, p);
        assert_eq!(of(Method::PUT, "/v2/ns/app/manifests/v1"), Operation::Push);
        assert_eq!(
            of(Method::POST, "/v2/ns/app/blobs/uploads/"),
            Operation::Push
        );
        assert_eq!(of(Method::PATCH, "/upload/ecr/abc"), Operation::Push);
        assert_eq!(
            of(Method::DELETE, "/v2/ns/app/manifests/sha256:ab"),
            Operation::Delete
        );
        assert_eq!(
            of(Method::DELETE, "/v2/ns/app/blobs/sha256:ab"),
            Operation::Other
        );
        assert_eq!(
            of(Method::GET, "/v2/ns/manifests/manifests/v1"),
            Operation::Other
        );
        assert_eq!(
            of(Method::HEAD, "/v2/ns/app/blobs/sha256:ab"),
            Operation::Other
        );
    }

    #[test]
    fn decodes_and_describes() {
        let errs = parse_errors(
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#,
        );
        let e = RegistryError::Api {
            what: "get manifest ns/r:x".into(),
            host: "h:5000".into(),
            status: 404,
            errors: errs,
            account: None,
            scope: None,
            insufficient_scope: false,
            retry_after: None,
            op: Operation::Other,
        };
        assert_eq!(e.kind(), Kind::NotFound);
        assert!(e.has_code(Code::ManifestUnknown));
        let odd = parse_errors(br#"{"errors":[{"code":"QUOTA_EXCEEDED","message":"m"}]}"#);
        assert_eq!(odd[0].code, Code::Other("QUOTA_EXCEEDED".into()));
        assert_eq!(odd[0].code.to_string(), "QUOTA_EXCEEDED");
        assert_eq!(Code::from("DENIED".to_string()).as_str(), "DENIED");
        let s = e.to_string();
        assert!(s.contains("MANIFEST_UNKNOWN: manifest unknown"), "{s}");
        assert!(s.contains("h:5000"));
        assert!(parse_errors(b"<html>").is_empty());
    }
}
