//! The HTTP client for one registry: ping and challenge, Authorization per request (Basic or a
//! cached bearer token), retries with backoff and jitter, redirects (Authorization only to the
//! registry itself), error decoding and `--debug` traces with secrets redacted.

use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, LOCATION, WWW_AUTHENTICATE,
};
use reqwest::{Method, Response, StatusCode};
use url::Url;

use super::auth::{self, Challenge, Scope, Token, TokenCache, TokenResponse};
use super::error::{parse_errors, RegistryError};
use crate::config::Settings;
use crate::credentials::{self, Credential};
use crate::reference::api_host;

/// A request body: bytes can be sent again on retry, a stream only once.
pub enum Body {
    Empty,
    Bytes(bytes::Bytes),
    Stream(Option<reqwest::Body>),
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
    base: Url,
    http: reqwest::Client,
    cred: Option<Credential>,
    challenge: tokio::sync::RwLock<Option<Option<Challenge>>>,
    tokens: TokenCache,
    debug: bool,
    max_retries: u32,
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

fn env_u64(k: &str, default: u64) -> u64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Registry {
    /// A client for `registry` with the given credential (None: anonymous).
    pub fn new(
        settings: &Settings,
        registry: &str,
        cred: Option<Credential>,
    ) -> Result<Self, RegistryError> {
        Self::build(settings, registry, cred, !settings.use_http(registry))
    }

    /// Like `new`, but a loopback registry is tried over TLS first when `--ca-cert` was given
    /// (a local registry with its own CA); it falls back to plain HTTP as Docker does.
    pub async fn open(
        settings: &Settings,
        registry: &str,
        cred: Option<Credential>,
    ) -> Result<Self, RegistryError> {
        let listed = settings.insecure.iter().any(|h| h == registry);
        if settings.ca_certs.is_empty() || listed || !crate::config::is_loopback(registry) {
            return Self::new(settings, registry, cred);
        }
        let tls = Self::build(settings, registry, cred.clone(), true)?;
        let probe = tls
            .http
            .get(tls.url(""))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        if probe.is_ok() {
            return Ok(tls);
        }
        Self::build(settings, registry, cred, false)
    }

    fn build(
        settings: &Settings,
        registry: &str,
        cred: Option<Credential>,
        tls: bool,
    ) -> Result<Self, RegistryError> {
        let host = api_host(registry);
        let scheme = if tls { "https" } else { "http" };
        let base =
            Url::parse(&format!("{scheme}://{host}/")).map_err(|e| RegistryError::Protocol {
                what: "parse registry address".into(),
                host: registry.into(),
                message: e.to_string(),
            })?;
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cr/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(env_u64("CR_CONNECT_TIMEOUT", 15)))
            .read_timeout(Duration::from_secs(env_u64("CR_READ_TIMEOUT", 30)))
            .pool_max_idle_per_host(32)
            .tcp_nodelay(true);
        if crate::config::is_loopback(registry) {
            b = b.no_proxy();
        }
        for path in &settings.ca_certs {
            let pem = std::fs::read(path).map_err(|e| RegistryError::Protocol {
                what: format!("read CA certificate {}", path.display()),
                host: registry.into(),
                message: e.to_string(),
            })?;
            let cert =
                reqwest::Certificate::from_pem(&pem).map_err(|e| RegistryError::Protocol {
                    what: format!("parse CA certificate {}", path.display()),
                    host: registry.into(),
                    message: e.to_string(),
                })?;
            b = b.add_root_certificate(cert);
        }
        let http = b.build().map_err(|e| RegistryError::Protocol {
            what: "build HTTP client".into(),
            host: registry.into(),
            message: e.to_string(),
        })?;
        Ok(Registry {
            name: registry.to_string(),
            base,
            http,
            cred,
            challenge: tokio::sync::RwLock::new(None),
            tokens: TokenCache::default(),
            debug: settings.debug,
            max_retries: env_u64("CR_MAX_RETRIES", 5) as u32,
        })
    }

    /// A client with credentials looked up for the registry (environment, stores, Docker).
    pub async fn connect(settings: &Settings, registry: &str) -> anyhow::Result<Self> {
        let name = registry.to_string();
        let cred = tokio::task::spawn_blocking(move || credentials::lookup(&name))
            .await
            .expect("credential lookup does not panic")?;
        Ok(Self::open(settings, registry, cred).await?)
    }

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

    /// Ping `/v2/` once and remember the challenge (None: no authentication needed).
    pub async fn challenge(&self) -> Result<Option<Challenge>, RegistryError> {
        if let Some(c) = self.challenge.read().await.as_ref() {
            return Ok(c.clone());
        }
        let mut slot = self.challenge.write().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let url = self.url("");
        let resp = self
            .raw_send(
                Method::GET,
                url,
                None,
                HeaderMap::new(),
                Body::Empty,
                "ping",
            )
            .await?;
        let status = resp.status();
        let ch = if status == StatusCode::UNAUTHORIZED {
            resp.headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(auth::parse_challenges)
                .collect::<Vec<_>>()
        } else if status.is_success() {
            Vec::new()
        } else if status == StatusCode::NOT_FOUND {
            return Err(RegistryError::Protocol {
                what: "ping /v2/".into(),
                host: self.name.clone(),
                message: "HTTP 404: this host does not serve the registry API (/v2/)".into(),
            });
        } else {
            return Err(self.error(resp, "ping /v2/", &[]).await);
        };
        let chosen = auth::choose(ch);
        *slot = Some(chosen.clone());
        Ok(chosen)
    }

    /// The Authorization value for `scopes` (a cached token unless `renew`).
    async fn authorization(
        &self,
        scopes: &[Scope],
        renew: bool,
    ) -> Result<Option<String>, RegistryError> {
        let Some(ch) = self.challenge().await? else {
            return Ok(None);
        };
        if ch.is_basic() {
            return Ok(self.cred.as_ref().map(|c| {
                let raw = format!("{}:{}", c.username, c.password);
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                )
            }));
        }
        let slot = self.tokens.slot(scopes);
        let mut guard = slot.lock().await;
        if let (false, Some(t)) = (renew, guard.as_ref()) {
            if t.fresh() {
                return Ok(Some(format!("Bearer {}", t.value)));
            }
        }
        let t = self.fetch_token(&ch, scopes).await?;
        let v = format!("Bearer {}", t.value);
        *guard = Some(t);
        Ok(Some(v))
    }

    /// Get a token from the challenge's realm.
    pub async fn fetch_token(
        &self,
        ch: &Challenge,
        scopes: &[Scope],
    ) -> Result<Token, RegistryError> {
        let realm = ch.param("realm").unwrap_or_default();
        let terr = |status: u16, message: String| RegistryError::Token {
            host: self.name.clone(),
            realm: realm.to_string(),
            account: self.account(),
            status,
            message,
        };
        let mut url = Url::parse(realm).map_err(|e| terr(0, format!("bad realm: {e}")))?;
        let mut headers = HeaderMap::new();
        let service = ch.param("service").unwrap_or_default();
        let body = match self.cred.as_ref().and_then(|c| c.identity_token.as_ref()) {
            Some(refresh) => {
                let scope = scopes
                    .iter()
                    .map(Scope::as_str)
                    .collect::<Vec<_>>()
                    .join(" ");
                let form = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("grant_type", "refresh_token")
                    .append_pair("refresh_token", refresh)
                    .append_pair("service", service)
                    .append_pair("scope", &scope)
                    .append_pair("client_id", "cr")
                    .finish();
                headers.insert(
                    reqwest::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                );
                Body::Bytes(form.into())
            }
            None => {
                {
                    let mut q = url.query_pairs_mut();
                    if !service.is_empty() {
                        q.append_pair("service", service);
                    }
                    for s in scopes {
                        q.append_pair("scope", s.as_str());
                    }
                }
                if let Some(c) = &self.cred {
                    let raw = format!("{}:{}", c.username, c.password);
                    let v = format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(raw)
                    );
                    headers.insert(
                        AUTHORIZATION,
                        HeaderValue::from_str(&v).map_err(|_| {
                            terr(0, "credentials contain characters HTTP cannot carry".into())
                        })?,
                    );
                }
                Body::Empty
            }
        };
        let method = if matches!(body, Body::Bytes(_)) {
            Method::POST
        } else {
            Method::GET
        };
        let mut attempt = 0;
        let resp = loop {
            let b = match &body {
                Body::Bytes(b) => Body::Bytes(b.clone()),
                _ => Body::Empty,
            };
            match self
                .raw_send(
                    method.clone(),
                    url.clone(),
                    None,
                    headers.clone(),
                    b,
                    "get token",
                )
                .await
            {
                Ok(r) if retryable_status(r.status()) && attempt < self.max_retries => {
                    tokio::time::sleep(backoff(attempt, retry_after(&r))).await;
                }
                Err(_) if attempt < self.max_retries => {
                    tokio::time::sleep(backoff(attempt, None)).await;
                }
                other => break other?,
            }
            attempt += 1;
        };
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
                .trim()
                .to_string();
            return Err(terr(status, text));
        }
        serde_json::from_slice::<TokenResponse>(&bytes)
            .ok()
            .and_then(TokenResponse::into_token)
            .ok_or_else(|| terr(status, "the answer holds no token".into()))
    }

    /// Send once, following redirects for GET/HEAD; Authorization only to the registry itself.
    async fn raw_send(
        &self,
        method: Method,
        mut url: Url,
        auth: Option<&str>,
        headers: HeaderMap,
        body: Body,
        what: &str,
    ) -> Result<Response, RegistryError> {
        let mut body = Some(body);
        for _ in 0..10 {
            let mut rb = self
                .http
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            let with_auth = auth.is_some() && self.same_origin(&url);
            if let (true, Some(a)) = (with_auth, auth) {
                rb = rb.header(AUTHORIZATION, a);
            }
            rb = match body.take() {
                Some(Body::Bytes(b)) => rb.body(b),
                Some(Body::Stream(Some(s))) => rb.body(s),
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
            let resp = rb.send().await.map_err(|e| RegistryError::Connect {
                what: what.to_string(),
                host: url.host_str().unwrap_or_default().to_string()
                    + &url.port().map(|p| format!(":{p}")).unwrap_or_default(),
                message: error_chain(&e),
            })?;
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

    /// A 401 on a registry that looked open at ping time: take its challenge.
    async fn learn_challenge(&self, resp: &Response) {
        let found = resp
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(auth::parse_challenges)
            .collect::<Vec<_>>();
        if let Some(ch) = auth::choose(found) {
            let mut slot = self.challenge.write().await;
            if !matches!(slot.as_ref(), Some(Some(_))) {
                *slot = Some(Some(ch));
            }
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
            message: error_chain(&e),
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
        }
    }
}

fn retryable_status(s: StatusCode) -> bool {
    s == StatusCode::REQUEST_TIMEOUT || s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error()
}

fn retry_after(resp: &Response) -> Option<Duration> {
    let v = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs.min(60)));
    }
    let when = jiff::fmt::rfc2822::parse(v.trim()).ok()?.timestamp();
    let now = jiff::Timestamp::now();
    let d = when.duration_since(now);
    Some(Duration::from_secs(d.as_secs().clamp(0, 60) as u64))
}

/// Exponential backoff with full jitter; a server's Retry-After wins.
pub fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(d) = retry_after {
        return d;
    }
    let base = env_u64("CR_RETRY_BASE_MS", 250);
    let cap = base.saturating_mul(1 << attempt.min(6)).min(10_000);
    Duration::from_millis(cap / 2 + fastrand::u64(0..=cap / 2))
}

/// The cause chain of a reqwest error, which alone says little ("error sending request").
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

/// A URL for traces: query values that may carry signatures or tokens are hidden.
pub fn redact_url(u: &Url) -> String {
    let mut u = u.clone();
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let lk = k.to_ascii_lowercase();
                let secret = [
                    "sig",
                    "token",
                    "credential",
                    "key",
                    "secret",
                    "password",
                    "state",
                ]
                .iter()
                .any(|s| lk.contains(s));
                (
                    k.into_owned(),
                    if secret {
                        "<redacted>".into()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    let _ = u.set_password(None);
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_query_secrets() {
        let u = Url::parse("https://s3.example/b?X-Amz-Signature=abc&X-Amz-Credential=k&part=1")
            .unwrap();
        let s = redact_url(&u);
        assert!(!s.contains("abc") && !s.contains("=k&"), "{s}");
        assert!(s.contains("part=1"));
    }

    #[test]
    fn backoff_bounds() {
        for a in 0..10 {
            assert!(backoff(a, None) <= Duration::from_secs(10));
        }
        assert_eq!(
            backoff(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
    }
}
