//! The client for one registry: its address and the URLs of its resources (every value in
//! them validated), the request API the typed endpoints call (`send`, `send_ok`: through the
//! transport layer's authorization, redirects and one retry loop), the retry lines noted for
//! reports, and the decoding of error answers.

use crate::client::error::Operation;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{Method, Response};
use url::Url;

use super::cause;
use super::error::{parse_errors, RegistryError};
use super::trace::error_chain;
use super::transport::auth::{Challenge, Scope, TokenCache};
use super::transport::retry::{retry_after, Budget, Policy};
use super::watch::ByteStream;
use crate::credentials::Credential;
use crate::oci::name::Repository;
use crate::oci::reference::{self, ManifestRef};

/// How much of an error answer is kept.
const MAX_ERROR_BODY: usize = 64 << 10;

/// Read at most `limit` bytes of a body; true when there was more.
pub(super) async fn read_capped(
    resp: &mut Response,
    limit: usize,
) -> Result<(bytes::Bytes, bool), reqwest::Error> {
    let mut buf = bytes::BytesMut::new();
    while let Some(c) = resp.chunk().await? {
        let room = limit - buf.len();
        if c.len() > room {
            buf.extend_from_slice(&c[..room]);
            return Ok((buf.freeze(), true));
        }
        buf.extend_from_slice(&c);
    }
    Ok((buf.freeze(), false))
}

/// A resource of one repository, for [`Registry::repo_url`].
#[derive(Debug, Clone, Copy)]
pub enum Resource<'a> {
    /// `manifests/TAG` or `manifests/DIGEST`.
    Manifest(&'a ManifestRef),
    /// `blobs/DIGEST`.
    Blob(&'a crate::oci::digest::Digest),
    /// `blobs/uploads/`.
    Uploads,
    /// `tags/list`.
    Tags,
    /// `referrers/DIGEST`.
    Referrers(&'a crate::oci::digest::Digest),
}

/// A request body: bytes can be sent again on retry, a stream only once.
pub enum Body {
    Empty,
    Bytes(bytes::Bytes),
    Stream(Option<ByteStream>),
}

/// One request to the registry.
pub struct Req {
    pub method: Method,
    pub url: Url,
    pub scopes: Vec<Scope>,
    /// What we are doing, for errors: `get manifest ns/repo:tag`.
    pub what: String,
    pub headers: HeaderMap,
    pub body: Body,
    /// Attempts shared with the caller (a blob download's resumes); None: a fresh budget.
    pub budget: Option<Budget>,
}

impl Req {
    pub fn new(method: Method, url: Url, scopes: Vec<Scope>, what: impl Into<String>) -> Self {
        Req {
            method,
            url,
            scopes,
            what: what.into(),
            headers: HeaderMap::new(),
            body: Body::Empty,
            budget: None,
        }
    }
    /// Draw attempts from `budget`, shared with the caller.
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = Some(budget);
        self
    }
    pub fn header(mut self, k: HeaderName, v: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(v) {
            self.headers.insert(k, v);
        }
        self
    }
    pub fn body(mut self, b: Body) -> Self {
        self.body = b;
        self
    }
    pub(super) fn retryable(&self) -> bool {
        !matches!(self.body, Body::Stream(_))
    }
}

/// A client bound to one registry host.
pub struct Registry {
    /// The registry as users name it (`docker.io`, `localhost:5000`).
    pub name: String,
    pub(super) base: Url,
    /// Where each hop goes: reqwest on the wire, a fake in tests.
    pub(super) transport: std::sync::Arc<dyn super::transport::Transport>,
    pub(super) read_timeout: Duration,
    pub(super) cred: Option<Credential>,
    pub(super) challenge: tokio::sync::RwLock<Option<Option<Challenge>>>,
    pub(super) tokens: TokenCache,
    /// Every bearer token a token service handed this client (cut out of quoted answers).
    pub(super) issued: std::sync::Mutex<Vec<String>>,
    pub(super) debug: bool,
    /// Hosts listed as insecure: a plain-HTTP token realm is accepted there.
    pub(super) insecure: Vec<String>,
    pub(super) policy: Policy,
    /// Retry lines noted, for reports.
    pub(super) retries: std::sync::Mutex<Vec<String>>,
    pub(super) quiet: std::sync::atomic::AtomicBool,
    /// Entries asked per catalog or tag-list page.
    pub(super) page_size: u64,
    /// What its answers showed it supports (tag deletion, chunk sizes, catalog with Basic,
    /// the referrers API, mounts) and its rate limit.
    pub(super) caps: super::capabilities::Capabilities,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("name", &self.name)
            .field("base", &self.base.as_str())
            .field("cred", &self.cred)
            .finish()
    }
}

impl Registry {
    /// Whether requests are traced (`--debug`): layers above say what they did without one.
    pub fn debug(&self) -> bool {
        self.debug
    }

    /// The retry policy every request of this client follows.
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// How long a read may wait for data before the connection counts as stalled.
    pub fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// What this registry's answers showed it supports.
    pub fn capabilities(&self) -> &super::capabilities::Capabilities {
        &self.caps
    }

    pub fn credential(&self) -> Option<&Credential> {
        self.cred.as_ref()
    }

    /// Whose credentials, and where they came from: `user "alice" from CR_USERNAME/CR_PASSWORD`.
    pub fn account(&self) -> super::Account {
        match &self.cred {
            Some(c) => super::Account {
                user: Some(c.username.clone()),
                source: Some(c.source.clone()),
            },
            None => super::Account::anonymous(),
        }
    }

    /// The secrets this client holds or was handed, to cut out of text it quotes.
    pub(super) fn secrets(&self) -> super::error::Secrets {
        let issued = self.issued.lock().expect("issued tokens lock").clone();
        match &self.cred {
            Some(c) => {
                let mut held = vec![c.password.as_str()];
                held.extend(c.identity_token.as_deref());
                super::error::Secrets::new(&c.username, &held, &issued)
            }
            None => super::error::Secrets::new("", &[], &issued),
        }
    }

    /// Remember a bearer token handed to this client, to cut it out of quoted answers.
    pub(super) fn note_issued(&self, token: &str) {
        let mut issued = self.issued.lock().expect("issued tokens lock");
        if !issued.iter().any(|t| t == token) {
            issued.push(token.to_string());
        }
    }

    /// `BASE/v2/` (the ping).
    pub fn url(&self, _root: &str) -> Url {
        self.api_url(&[])
    }

    /// `BASE/v2/` followed by `segments`, each one path segment (escaped by the url crate).
    fn api_url(&self, segments: &[&str]) -> Url {
        let mut u = self.base.clone();
        u.path_segments_mut()
            .expect("an http(s) base has a path")
            .pop_if_empty()
            .push("v2")
            .extend(segments)
            .extend(segments.is_empty().then_some(""));
        u
    }

    /// The URL of a repository's resource, built from path segments after every value in it
    /// was validated (repository path, tag, digest): a tag or digest from a registry or an
    /// archive can never retarget another repository or endpoint.
    pub fn repo_url(&self, repo: &Repository, res: Resource<'_>) -> Result<Url, RegistryError> {
        // A typed repository, tag or digest passed its grammar where it was parsed.
        let mut segs: Vec<&str> = repo.split('/').collect();
        match res {
            // A typed tag or digest passed its grammar where it was parsed.
            Resource::Manifest(r) => segs.extend(["manifests", r.as_str()]),
            Resource::Blob(d) => segs.extend(["blobs", d.as_str()]),
            Resource::Uploads => segs.extend(["blobs", "uploads", ""]),
            Resource::Tags => segs.extend(["tags", "list"]),
            Resource::Referrers(d) => segs.extend(["referrers", d.as_str()]),
        }
        Ok(self.api_url(&segs))
    }

    /// The error for a value that fails a validator.
    pub fn invalid(&self, e: reference::ReferenceError) -> RegistryError {
        RegistryError::Invalid {
            host: self.name.clone(),
            message: e.to_string(),
        }
    }

    /// `BASE/v2/_catalog`.
    pub fn catalog_url(&self) -> Url {
        self.api_url(&["_catalog"])
    }

    /// Resolve a `Location` header against the registry. The header may carry a signature, so
    /// an unusable one is never quoted.
    pub fn resolve(&self, location: &str) -> Result<Url, RegistryError> {
        let u = self
            .base
            .join(location)
            .map_err(|e| RegistryError::Protocol {
                what: "follow Location".into(),
                host: self.name.clone(),
                message: format!("the registry sent an unusable Location header ({e})"),
            })?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(RegistryError::Protocol {
                what: "follow Location".into(),
                host: self.name.clone(),
                message: format!("the registry sent a Location with scheme {:?}", u.scheme()),
            });
        }
        Ok(u)
    }

    pub(super) fn same_origin(&self, u: &Url) -> bool {
        u.scheme() == self.base.scheme()
            && u.host_str() == self.base.host_str()
            && u.port_or_known_default() == self.base.port_or_known_default()
    }

    /// Send with authorization, one renewal after a 401, and retries on connection errors,
    /// 408, 429 and 5xx (when the body can be sent again), drawing attempts from the request's
    /// budget (a fresh one unless the caller shares one). Any status is returned.
    pub async fn send(&self, mut req: Req) -> Result<Response, RegistryError> {
        let retryable = req.retryable();
        let budget = req.budget.take().unwrap_or_else(|| self.policy.budget());
        let what = req.what.clone();
        let mut sending = super::transport::retrying::Sending::new(self, req);
        self.retry_loop(&what, &budget, retryable, &mut sending)
            .await
    }

    /// Say (on stderr unless quiet, and in the command's report) that a request is tried again.
    pub fn note_retry(&self, what: &str, cause: &str, attempt: u32, of: u32) {
        let note = super::transport::retrying::RetryNote {
            what: what.to_string(),
            host: self.name.clone(),
            cause: cause.to_string(),
            attempt,
            of,
        };
        if !self.quiet.load(std::sync::atomic::Ordering::Relaxed) || self.debug {
            super::transport::retrying::say(&note);
        }
        self.retries
            .lock()
            .expect("retries lock")
            .push(note.to_string());
    }

    /// The retry lines noted so far (for `-o json` reports), taken.
    pub fn take_retries(&self) -> Vec<String> {
        std::mem::take(&mut *self.retries.lock().expect("retries lock"))
    }

    /// Stop printing retry lines (`--quiet`); they are still reported.
    pub fn set_quiet(&self, quiet: bool) {
        self.quiet
            .store(quiet, std::sync::atomic::Ordering::Relaxed);
    }

    /// Send and require a 2xx status.
    pub async fn send_ok(&self, req: Req) -> Result<Response, RegistryError> {
        let what = req.what.clone();
        let op = Operation::of(&req.method, req.url.path());
        let scopes = req.scopes.clone();
        let resp = self.send(req).await?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(self.error(resp, (&what, op), &scopes).await)
        }
    }

    /// Read a whole (small) body, refusing more than `limit` bytes, and giving up when it has
    /// not ended in time (a body that drips forever).
    pub async fn read_limited(
        &self,
        resp: &mut Response,
        limit: usize,
        what: &str,
    ) -> Result<bytes::Bytes, RegistryError> {
        let deadline = self.read_timeout + Duration::from_secs(120);
        match tokio::time::timeout(deadline, read_capped(resp, limit)).await {
            Ok(Ok((buf, false))) => Ok(buf),
            Ok(Ok((_, true))) => Err(RegistryError::Protocol {
                what: what.to_string(),
                host: self.name.clone(),
                message: format!("answer larger than {limit} bytes"),
            }),
            Ok(Err(e)) => Err(RegistryError::Connect {
                what: what.to_string(),
                host: self.name.clone(),
                cause: cause::classify(&e),
                message: error_chain(&e.without_url()),
                op: Operation::Other,
            }),
            Err(_) => Err(RegistryError::Protocol {
                what: what.to_string(),
                host: self.name.clone(),
                message: format!("answer not complete after {} s", deadline.as_secs()),
            }),
        }
    }

    /// Turn an error response into a typed error.
    pub async fn error(
        &self,
        resp: Response,
        (what, op): (&str, Operation),
        scopes: &[Scope],
    ) -> RegistryError {
        let status = resp.status().as_u16();
        let insufficient_scope = status == 401
            && resp
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| v.contains("insufficient_scope"));
        let wait = retry_after(&resp).map(|d| d.as_secs().min(u16::MAX.into()) as u16);
        // Keep what arrives of the first 64 KiB within a few seconds; never more.
        let mut resp = resp;
        let patience = self.read_timeout.min(Duration::from_secs(10));
        let body =
            match tokio::time::timeout(patience, read_capped(&mut resp, MAX_ERROR_BODY)).await {
                Ok(Ok((b, _))) => b,
                _ => bytes::Bytes::new(),
            };
        // Whatever is quoted has every secret cr sent or holds cut out first (a page that
        // echoes the request's Authorization header).
        let secrets = self.secrets();
        let mut errors = secrets.redact_errors(parse_errors(&body));
        // A redirect target's refusal (no credentials went there) is the storage host's.
        let storage = (matches!(status, 401 | 403) && !self.same_origin(resp.url()))
            .then(|| origin_of(resp.url()));
        // Text, HTML, or JSON without a message (a proxy's, a CDN's, S3's answer): quoted.
        if errors
            .iter()
            .all(|e| e.message.is_empty() && e.code.is_empty())
        {
            let text = secrets.redact(&String::from_utf8_lossy(&body));
            let who = match storage {
                Some(_) => "the storage host",
                None => "the registry",
            };
            errors = super::error::quote_body_of(text.as_bytes(), who)
                .into_iter()
                .collect();
        }
        if let Some(storage) = storage {
            return RegistryError::Storage {
                what: what.to_string(),
                host: self.name.clone(),
                storage,
                status,
                errors,
                op,
            };
        }
        RegistryError::Api {
            what: what.to_string(),
            host: self.name.clone(),
            status,
            errors,
            account: Some(Box::new(self.account())),
            scope: (!scopes.is_empty()).then(|| {
                scopes
                    .iter()
                    .map(Scope::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            insufficient_scope: insufficient_scope && self.cred.is_some(),
            retry_after: wait,
            op,
        }
    }
}

/// `HOST[:PORT]` of a URL, as messages name a host.
fn origin_of(u: &Url) -> String {
    let host = u.host_str().unwrap_or("?");
    match u.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}
