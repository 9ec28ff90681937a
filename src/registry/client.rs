//! The HTTP client for one registry: ping and challenge, Authorization per request (Basic or a
//! cached bearer token), retries with backoff and jitter, redirects (Authorization only to the
//! registry itself), error decoding and `--debug` traces with secrets redacted.

use std::time::{Duration, Instant};

use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, LOCATION, WWW_AUTHENTICATE,
};
use reqwest::{Method, Response, StatusCode};
use url::Url;

use super::auth::{Challenge, Scope, TokenCache};
use super::connect::ClientSpec;
use super::error::{parse_errors, RegistryError};
use super::retry::{backoff, retry_after, retryable_status};
use super::trace::{error_chain, redact_url};
use super::watch::{watched, BodyStream};
use crate::credentials::Credential;

/// After an upload's last byte, the registry gets ten read timeouts and a second per this many
/// bytes to answer.
const COMMIT_RATE: u64 = 10 << 20;

/// A request body: bytes can be sent again on retry, a stream only once.
pub enum Body {
    Empty,
    Bytes(bytes::Bytes),
    Stream(Option<BodyStream>),
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
        }
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
    fn retryable(&self) -> bool {
        !matches!(self.body, Body::Stream(_))
    }
}

/// A client bound to one registry host.
pub struct Registry {
    /// The registry as users name it (`docker.io`, `localhost:5000`).
    pub name: String,
    pub(super) base: Url,
    pub(super) http: reqwest::Client,
    /// For streamed uploads, built when the first one starts: no per-read timeout (the answer
    /// comes only after the whole body); `watch` notices a stall instead.
    pub(super) upload_http: tokio::sync::OnceCell<reqwest::Client>,
    pub(super) spec: ClientSpec,
    pub(super) read_timeout: Duration,
    pub(super) cred: Option<Credential>,
    pub(super) challenge: tokio::sync::RwLock<Option<Option<Challenge>>>,
    pub(super) tokens: TokenCache,
    pub(super) debug: bool,
    pub(super) max_retries: u32,
    /// PATCH size for blob uploads once the registry refused a whole blob in one PUT (0: PUT).
    pub(super) upload_chunk: std::sync::atomic::AtomicU64,
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

pub(super) fn env_u64(k: &str, default: u64) -> u64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Registry {
    pub fn credential(&self) -> Option<&Credential> {
        self.cred.as_ref()
    }

    pub fn account(&self) -> String {
        self.cred
            .as_ref()
            .map(|c| format!("user {:?}", c.username))
            .unwrap_or_else(|| "the anonymous user".to_string())
    }

    /// `BASE/v2/PATH`.
    pub fn url(&self, path: &str) -> Url {
        self.base.join(&format!("v2/{path}")).expect("valid url")
    }

    /// Resolve a `Location` header against the registry.
    pub fn resolve(&self, location: &str) -> Result<Url, RegistryError> {
        self.base
            .join(location)
            .map_err(|e| RegistryError::Protocol {
                what: "follow Location".into(),
                host: self.name.clone(),
                message: format!("{location:?}: {e}"),
            })
    }

    fn same_origin(&self, u: &Url) -> bool {
        u.scheme() == self.base.scheme()
            && u.host_str() == self.base.host_str()
            && u.port_or_known_default() == self.base.port_or_known_default()
    }

    /// Send once, following redirects for GET/HEAD; Authorization only to the registry itself.
    pub(super) async fn raw_send(
        &self,
        method: Method,
        mut url: Url,
        auth: Option<&str>,
        mut headers: HeaderMap,
        body: Body,
        what: &str,
    ) -> Result<Response, RegistryError> {
        let mut body = Some(body);
        let first = url.origin();
        for _ in 0..10 {
            let streamed = matches!(body, Some(Body::Stream(Some(_))));
            let http = if streamed {
                self.upload_http
                    .get_or_try_init(|| async { self.spec.client(None) })
                    .await?
            } else {
                &self.http
            };
            let mut rb = http
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            let with_auth = auth.is_some() && self.same_origin(&url);
            if let (true, Some(a)) = (with_auth, auth) {
                rb = rb.header(AUTHORIZATION, a);
            }
            let mut watch = None;
            rb = match body.take() {
                Some(Body::Bytes(b)) => rb.body(b),
                Some(Body::Stream(Some(s))) => {
                    let len = headers
                        .get(reqwest::header::CONTENT_LENGTH)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse().ok());
                    let (s, w) = watched(s, len);
                    watch = Some(w);
                    rb.body(reqwest::Body::wrap_stream(s))
                }
                _ => rb,
            };
            let started = Instant::now();
            if self.debug {
                eprintln!(
                    "> {method} {}{}",
                    redact_url(&url),
                    if with_auth { " (authorized)" } else { "" }
                );
            }
            let host = url.host_str().unwrap_or_default().to_string()
                + &url.port().map(|p| format!(":{p}")).unwrap_or_default();
            let connect = |message: String| RegistryError::Connect {
                what: what.to_string(),
                host: host.clone(),
                message,
            };
            let resp = match watch {
                None => rb.send().await,
                Some(w) => tokio::select! {
                    r = rb.send() => r,
                    msg = w.expired(self.read_timeout, COMMIT_RATE) => return Err(connect(msg)),
                },
            }
            .map_err(|e| connect(error_chain(&e.without_url())))?;
            if self.debug {
                eprintln!("< {} ({} ms)", resp.status(), started.elapsed().as_millis());
            }
            let redirect = resp.status().is_redirection()
                && matches!(method, Method::GET | Method::HEAD)
                && resp.status() != StatusCode::NOT_MODIFIED;
            if !redirect {
                return Ok(resp);
            }
            let loc = resp
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| RegistryError::Protocol {
                    what: what.to_string(),
                    host: self.name.clone(),
                    message: format!("redirect {} without Location", resp.status()),
                })?;
            url = url.join(loc).map_err(|e| RegistryError::Protocol {
                what: what.to_string(),
                host: self.name.clone(),
                message: format!("bad redirect: {e}"),
            })?;
            // Credentials given for one host (a token realm's Basic header) do not follow a
            // redirect to another.
            if url.origin() != first {
                headers.remove(AUTHORIZATION);
            }
            body = Some(Body::Empty);
        }
        Err(RegistryError::Protocol {
            what: what.to_string(),
            host: self.name.clone(),
            message: "too many redirects".into(),
        })
    }

    /// Send with authorization, one renewal after a 401, and retries on connection errors,
    /// 408, 429 and 5xx (when the body can be sent again). Any status is returned.
    pub async fn send(&self, mut req: Req) -> Result<Response, RegistryError> {
        let retryable = req.retryable();
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            let auth = self.authorization(&req.scopes, false).await?;
            let body = match &mut req.body {
                Body::Empty => Body::Empty,
                Body::Bytes(b) => Body::Bytes(b.clone()),
                Body::Stream(s) => Body::Stream(s.take()),
            };
            let r = self
                .raw_send(
                    req.method.clone(),
                    req.url.clone(),
                    auth.as_deref(),
                    req.headers.clone(),
                    body,
                    &req.what,
                )
                .await;
            match r {
                Err(e) if retryable && attempt < self.max_retries => {
                    if self.debug {
                        eprintln!("retrying after: {e}");
                    }
                    tokio::time::sleep(backoff(attempt, None)).await;
                }
                Err(e) => return Err(e),
                Ok(resp) if resp.status() == StatusCode::UNAUTHORIZED && !renewed && retryable => {
                    renewed = true;
                    self.learn_challenge(&resp).await;
                    // Renew the token once: it may have expired mid-operation.
                    self.authorization(&req.scopes, true).await?;
                    continue;
                }
                Ok(resp)
                    if retryable_status(resp.status())
                        && retryable
                        && attempt < self.max_retries =>
                {
                    let wait = backoff(attempt, retry_after(&resp));
                    if self.debug {
                        eprintln!(
                            "retrying in {} ms after HTTP {}",
                            wait.as_millis(),
                            resp.status()
                        );
                    }
                    tokio::time::sleep(wait).await;
                }
                Ok(resp) => return Ok(resp),
            }
            attempt += 1;
        }
    }

    /// Send and require a 2xx status.
    pub async fn send_ok(&self, req: Req) -> Result<Response, RegistryError> {
        let what = req.what.clone();
        let scopes = req.scopes.clone();
        let resp = self.send(req).await?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(self.error(resp, &what, &scopes).await)
        }
    }

    /// Read a whole (small) body, refusing more than `limit` bytes.
    pub async fn read_limited(
        &self,
        resp: &mut Response,
        limit: usize,
        what: &str,
    ) -> Result<bytes::Bytes, RegistryError> {
        let mut buf = bytes::BytesMut::new();
        while let Some(c) = resp.chunk().await.map_err(|e| RegistryError::Connect {
            what: what.to_string(),
            host: self.name.clone(),
            message: error_chain(&e.without_url()),
        })? {
            buf.extend_from_slice(&c);
            if buf.len() > limit {
                return Err(RegistryError::Protocol {
                    what: what.to_string(),
                    host: self.name.clone(),
                    message: format!("answer larger than {limit} bytes"),
                });
            }
        }
        Ok(buf.freeze())
    }

    /// Turn an error response into a typed error.
    pub async fn error(&self, resp: Response, what: &str, scopes: &[Scope]) -> RegistryError {
        let status = resp.status().as_u16();
        let insufficient_scope = status == 401
            && resp
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| v.contains("insufficient_scope"));
        let wait = retry_after(&resp).map(|d| d.as_secs().min(u16::MAX.into()) as u16);
        let body = resp.bytes().await.unwrap_or_default();
        let errors = parse_errors(&body[..body.len().min(1 << 16)]);
        RegistryError::Api {
            what: what.to_string(),
            host: self.name.clone(),
            status,
            errors,
            account: Some(self.account()),
            scope: (!scopes.is_empty()).then(|| {
                scopes
                    .iter()
                    .map(Scope::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            insufficient_scope: insufficient_scope && self.cred.is_some(),
            retry_after: wait,
        }
    }
}
