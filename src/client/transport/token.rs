//! Authentication state of a registry client: the challenge learned from `/v2/` (or from a
//! 401), the Authorization value for a scope set (Basic, or a cached bearer token renewed
//! before expiry), and token requests to the realm (GET with Basic, OAuth2 POST with a
//! refresh token).

use crate::client::error::Operation;
use base64::Engine;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use url::Url;

use super::auth::{self, Challenge, Scope, Token, TokenResponse};
use super::retrying::{Attempt, Step};
use crate::client::error::RegistryError;
use crate::client::registry::{read_capped, Body, Registry};

/// Upper bound on a token service's answer.
const MAX_TOKEN_ANSWER: usize = 1 << 20;

/// What a TLS server answers (with 400) to plain HTTP: Go's (docker-registry, zot) and
/// nginx's (Harbor, most reverse proxies).
const HTTPS_ONLY: [&str; 2] = [
    "Client sent an HTTP request to an HTTPS server",
    "The plain HTTP request was sent to HTTPS port",
];

/// How much of a token service's refusal is quoted (in characters).
const MAX_TOKEN_QUOTE: usize = 300;

impl Registry {
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
        let ch = self.ping_challenges(resp).await?;
        let chosen = auth::choose(ch);
        *slot = Some(chosen.clone());
        Ok(chosen)
    }

    /// The challenges a ping's answer carries (none: no authentication needed), or why the
    /// host is no registry to talk to.
    async fn ping_challenges(&self, resp: Response) -> Result<Vec<Challenge>, RegistryError> {
        let status = resp.status();
        // A ping redirected to another host does not speak for the registry: its challenge
        // is not learned (credentials would follow it).
        if status == StatusCode::UNAUTHORIZED && !self.same_origin(resp.url()) {
            return Ok(Vec::new());
        }
        if status == StatusCode::UNAUTHORIZED {
            return Ok(resp
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(auth::parse_challenges)
                .collect());
        }
        if status.is_success() {
            return Ok(Vec::new());
        }
        if status == StatusCode::BAD_REQUEST && self.base.scheme() == "http" {
            return Err(self.bad_ping(resp).await);
        }
        if status == StatusCode::NOT_FOUND {
            return Err(self.protocol(
                "ping /v2/",
                "HTTP 404: this host does not serve the registry API (/v2/)".into(),
            ));
        }
        Err(self.error(resp, ("ping /v2/", Operation::Other), &[]).await)
    }

    /// A plain-HTTP ping answered 400: Go's TLS server and nginx (Harbor, most proxies)
    /// answer so and say why, each in its own words (the server's protocol signal).
    async fn bad_ping(&self, mut resp: Response) -> RegistryError {
        let body = match tokio::time::timeout(
            std::time::Duration::from_secs(5),
            read_capped(&mut resp, 1024),
        )
        .await
        {
            Ok(Ok((b, _))) => b,
            _ => bytes::Bytes::new(),
        };
        let text = String::from_utf8_lossy(&body);
        if HTTPS_ONLY.iter().any(|signal| text.contains(signal)) {
            return RegistryError::HttpsOnly {
                what: "ping /v2/".into(),
                host: self.name.clone(),
                listed: crate::host::listed(&self.insecure, &self.name),
                certs_d: self.transport.certs_d_for(&self.name),
            };
        }
        self.protocol("ping /v2/", "HTTP 400 Bad Request".into())
    }

    /// Prove the credential this client holds: a token from the realm, or `/v2/` answering
    /// 2xx with Basic. False when the registry asks for no authentication at all.
    pub async fn prove_login(&self) -> Result<bool, RegistryError> {
        let Some(ch) = self.challenge().await? else {
            return Ok(false);
        };
        if ch.is_bearer() {
            self.fetch_token(&ch, &[]).await?;
        } else {
            let req = crate::client::Req::new(Method::GET, self.url(""), vec![], "log in");
            self.send_ok(req).await?;
        }
        Ok(true)
    }

    /// The Authorization value for `scopes` (a cached token unless `renew`).
    /// The Authorization value for `scopes`. `refused`: the value a request just sent and got
    /// 401 for; the token is renewed once (it may have expired mid-operation) unless another
    /// request renewed it already or it is itself a renewal after a refusal (then the account
    /// lacks the scope: one token fetch per scope set, not one per refused request).
    pub(in crate::client) async fn authorization(
        &self,
        scopes: &[Scope],
        refused: Option<&str>,
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
        if let Some(t) = guard.as_ref().filter(|t| t.fresh()) {
            let current = format!("Bearer {}", t.value);
            let keep = match refused {
                None => true,
                Some(used) => used != current || t.after_refusal,
            };
            if keep {
                return Ok(Some(current));
            }
        }
        let mut t = self.fetch_token_narrowing(&ch, scopes).await?;
        t.after_refusal = refused.is_some();
        let v = format!("Bearer {}", t.value);
        *guard = Some(t);
        Ok(Some(v))
    }

    /// A token for `scopes`; when the token service refuses them with 400 (Quay refuses any
    /// `delete` action and `registry:catalog:*`: quirks §6), once more with the narrower
    /// scopes it accepts (see [`auth::narrowed`]). Decided on the token service's status, not
    /// on the host name.
    async fn fetch_token_narrowing(
        &self,
        ch: &Challenge,
        scopes: &[Scope],
    ) -> Result<Token, RegistryError> {
        match self.fetch_token(ch, scopes).await {
            Err(RegistryError::Token { status: 400, .. }) if auth::narrowed(scopes).is_some() => {
                let narrow = auth::narrowed(scopes).unwrap_or_default();
                if self.debug {
                    crate::notice::status(&format!(
                        "the token service of {} refused the scopes asked (HTTP 400); asking for {}",
                        self.name,
                        if narrow.is_empty() {
                            "no scope".to_string()
                        } else {
                            narrow.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
                        }
                    ));
                }
                self.fetch_token(ch, &narrow).await
            }
            r => r,
        }
    }

    /// Get a token from the challenge's realm.
    pub async fn fetch_token(
        &self,
        ch: &Challenge,
        scopes: &[Scope],
    ) -> Result<Token, RegistryError> {
        let post = self
            .cred
            .as_ref()
            .is_some_and(|c| c.identity_token.is_some());
        match self.fetch_token_by(ch, scopes, post).await {
            // Token services that take no OAuth2 POST answer 400 (ACR), 401 (Artifactory),
            // 404 (GCR), 405 (Harbor, Quay) or 5xx (quirks §0): ask again by GET, with the
            // identity token as the Basic password, as docker and containerd do.
            Err(RegistryError::Token { status, .. })
                if post && (status >= 400 && status != 429) =>
            {
                self.fetch_token_by(ch, scopes, false).await
            }
            r => r,
        }
    }

    /// One token request: an OAuth2 POST with the identity token (`post`), or a GET with Basic
    /// credentials (the password, or the identity token when there is one), tried by the one
    /// retry loop.
    async fn fetch_token_by(
        &self,
        ch: &Challenge,
        scopes: &[Scope],
        post: bool,
    ) -> Result<Token, RegistryError> {
        let realm = ch.param("realm").unwrap_or_default();
        let terr = |status: u16, message: String| self.token_error(realm, status, message);
        // A relative realm (quirks §0) is resolved against the registry, whose challenge it is.
        let url = match Url::parse(realm) {
            Err(url::ParseError::RelativeUrlWithoutBase) => self.base.join(realm),
            other => other,
        }
        .map_err(|e| terr(0, format!("bad realm: {e}")))?;
        self.check_realm(&url)?;
        let service = ch.param("service").unwrap_or_default();
        let identity = self.cred.as_ref().and_then(|c| c.identity_token.as_ref());
        let mut asking = match identity.filter(|_| post) {
            Some(refresh) => TokenAsk::post(self, url, service, scopes, refresh),
            None => TokenAsk::get(self, url, service, scopes).map_err(|m| terr(0, m))?,
        };
        let budget = self.policy.budget();
        let resp = self
            .retry_loop("get token", &budget, true, &mut asking)
            .await?;
        self.token_answer(resp, realm).await
    }

    /// The token in a token service's answer, or its refusal as a typed error.
    async fn token_answer(&self, mut resp: Response, realm: &str) -> Result<Token, RegistryError> {
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let wait = self.read_timeout.min(std::time::Duration::from_secs(10));
            // Read past the quoted part, so that a secret the answer echoes is cut out whole
            // before the quote is shortened.
            let bytes = match tokio::time::timeout(wait, read_capped(&mut resp, 16 << 10)).await {
                Ok(Ok((b, _))) => b,
                _ => bytes::Bytes::new(),
            };
            let text = self.secrets().redact(&String::from_utf8_lossy(&bytes));
            let text: String = text.trim().chars().take(MAX_TOKEN_QUOTE).collect();
            return Err(self.token_error(realm, status, text.trim_end().to_string()));
        }
        let bytes = self
            .read_limited(&mut resp, MAX_TOKEN_ANSWER, "get token")
            .await?;
        let token = serde_json::from_slice::<TokenResponse>(&bytes)
            .ok()
            .and_then(TokenResponse::into_token)
            .ok_or_else(|| self.token_error(realm, status, "the answer holds no token".into()))?;
        self.note_issued(&token.value);
        Ok(token)
    }

    /// A token service's failure, naming the realm and whose credentials were used.
    fn token_error(&self, realm: &str, status: u16, message: String) -> RegistryError {
        RegistryError::Token {
            host: self.name.clone(),
            realm: realm.to_string(),
            account: Box::new(self.account()),
            status,
            message,
        }
    }

    /// Whether credentials may go to a token realm: http(s) only, and https when the registry
    /// is reached over TLS (a plain-HTTP realm only on a host listed with
    /// `--insecure-registry`): a TLS registry's password never travels in clear.
    fn check_realm(&self, realm: &Url) -> Result<(), RegistryError> {
        let host = realm.host_str().unwrap_or_default();
        let with_port = match realm.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let refused = |plain_http| RegistryError::RefusedRealm {
            host: self.name.clone(),
            realm: format!("{}://{with_port}{}", realm.scheme(), realm.path()),
            realm_host: with_port.clone(),
            plain_http,
        };
        match realm.scheme() {
            "https" => Ok(()),
            "http"
                if self.base.scheme() == "http"
                    || crate::host::listed(&self.insecure, &with_port) =>
            {
                Ok(())
            }
            "http" => Err(refused(true)),
            _ => Err(refused(false)),
        }
    }

    /// A 401 on a registry that looked open at ping time: take its challenge, but only from
    /// the registry's own origin (a redirect target's 401 does not speak for it).
    pub(in crate::client) async fn learn_challenge(&self, resp: &Response) {
        if !self.same_origin(resp.url()) {
            return;
        }
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
}

/// One token request, as the retry loop sends it (again and again: its body is bytes).
struct TokenAsk<'r> {
    reg: &'r Registry,
    method: Method,
    url: Url,
    headers: HeaderMap,
    form: Option<bytes::Bytes>,
}

impl<'r> TokenAsk<'r> {
    /// The OAuth2 POST of a refresh token.
    fn post(reg: &'r Registry, url: Url, service: &str, scopes: &[Scope], refresh: &str) -> Self {
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
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        TokenAsk {
            reg,
            method: Method::POST,
            url,
            headers,
            form: Some(form.into()),
        }
    }

    /// The GET with the service and scopes in the query, and Basic credentials if any.
    fn get(
        reg: &'r Registry,
        mut url: Url,
        service: &str,
        scopes: &[Scope],
    ) -> Result<Self, String> {
        {
            let mut q = url.query_pairs_mut();
            if !service.is_empty() {
                q.append_pair("service", service);
            }
            for s in scopes {
                q.append_pair("scope", s.as_str());
            }
        }
        let mut headers = HeaderMap::new();
        if let Some(c) = &reg.cred {
            let secret = c.identity_token.as_deref().unwrap_or(&c.password);
            let raw = format!("{}:{secret}", c.username);
            let v = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            );
            let mut v = HeaderValue::from_str(&v)
                .map_err(|_| "credentials contain characters HTTP cannot carry".to_string())?;
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }
        Ok(TokenAsk {
            reg,
            method: Method::GET,
            url,
            headers,
            form: None,
        })
    }
}

impl Attempt for TokenAsk<'_> {
    async fn once(&mut self, _attempt: u32, _of: u32) -> Step {
        let body = match &self.form {
            Some(b) => Body::Bytes(b.clone()),
            None => Body::Empty,
        };
        let (method, url, headers) = (self.method.clone(), self.url.clone(), self.headers.clone());
        Step::Sent(
            self.reg
                .raw_send(method, url, None, headers, body, "get token")
                .await,
        )
    }
}
