//! One request with its redirects: each hop goes through the [`super::Transport`], traced
//! under `--debug` with secrets redacted; GET and HEAD follow up to ten redirects, and the
//! Authorization goes only to the registry itself.

use std::time::Instant;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, LOCATION};
use reqwest::{Method, Response, StatusCode};
use url::Url;

use super::Outgoing;
use crate::client::error::RegistryError;
use crate::client::registry::{Body, Registry};
use crate::client::trace::redact_url;

/// Redirects followed for one request.
const MAX_REDIRECTS: usize = 10;

/// The `Location` of a redirect ("" when absent).
fn loc_of(resp: &Response) -> &str {
    resp.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

impl Registry {
    /// Send once, following redirects for GET/HEAD; Authorization only to the registry itself.
    pub(in crate::client) async fn raw_send(
        &self,
        method: Method,
        mut url: Url,
        auth: Option<&str>,
        mut headers: HeaderMap,
        body: Body,
        what: &str,
    ) -> Result<Response, RegistryError> {
        let mut body = body;
        let first = url.origin();
        for _ in 0..MAX_REDIRECTS {
            let hop_body = std::mem::replace(&mut body, Body::Empty);
            let resp = self
                .hop(&method, &url, auth, &headers, hop_body, what)
                .await?;
            let Some(next) = self.redirect_target(&method, &url, &resp, what)? else {
                return Ok(resp);
            };
            url = next;
            // Credentials given for one host (a token realm's Basic header) do not follow a
            // redirect to another.
            if url.origin() != first {
                headers.remove(AUTHORIZATION);
            }
        }
        Err(self.protocol(what, "too many redirects".into()))
    }

    /// One exchange through the transport, traced; the registry's rate-limit headers noted.
    async fn hop(
        &self,
        method: &Method,
        url: &Url,
        auth: Option<&str>,
        headers: &HeaderMap,
        body: Body,
        what: &str,
    ) -> Result<Response, RegistryError> {
        let mut headers = headers.clone();
        let with_auth = auth.is_some() && self.same_origin(url);
        if let (true, Some(a)) = (with_auth, auth) {
            if let Ok(mut v) = HeaderValue::from_str(a) {
                v.set_sensitive(true);
                headers.insert(AUTHORIZATION, v);
            }
        }
        let started = Instant::now();
        if self.debug {
            crate::notice::status(&format!(
                "> {method} {}{}",
                redact_url(url),
                if with_auth { " (authorized)" } else { "" }
            ));
        }
        let out = Outgoing {
            method: method.clone(),
            url: url.clone(),
            headers,
            body,
        };
        let resp = self.transport.exchange(out, what).await?;
        if self.debug {
            crate::notice::status(&format!(
                "< {} ({} ms)",
                resp.status(),
                started.elapsed().as_millis()
            ));
        }
        if self.same_origin(url) {
            self.caps
                .note_rate_limit(&self.name, resp.headers(), self.debug);
        }
        Ok(resp)
    }

    /// Where a redirect sends the request next; None: the answer stands (no redirect, a
    /// method that is not followed, or a HEAD sent elsewhere).
    fn redirect_target(
        &self,
        method: &Method,
        url: &Url,
        resp: &Response,
        what: &str,
    ) -> Result<Option<Url>, RegistryError> {
        let redirect = resp.status().is_redirection()
            && matches!(*method, Method::GET | Method::HEAD)
            && resp.status() != StatusCode::NOT_MODIFIED;
        if !redirect {
            return Ok(None);
        }
        // A HEAD answered with a redirect to storage elsewhere (a presigned URL, valid for
        // GET only): the answer itself says the content is there; not followed.
        if *method == Method::HEAD {
            let target = url.join(loc_of(resp)).ok();
            if target.is_some_and(|t| !self.same_origin(&t)) {
                return Ok(None);
            }
        }
        let loc = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                self.protocol(what, format!("redirect {} without Location", resp.status()))
            })?;
        url.join(loc)
            .map(Some)
            .map_err(|e| self.protocol(what, format!("bad redirect: {e}")))
    }

    /// A protocol error of `what` on this registry.
    pub(in crate::client) fn protocol(&self, what: &str, message: String) -> RegistryError {
        RegistryError::Protocol {
            what: what.to_string(),
            host: self.name.clone(),
            message,
        }
    }
}
