//! The reqwest [`Transport`]: two HTTP clients (with a per-read timeout, and, built on first
//! use, one without for streamed uploads, whose stall the body watch notices instead) and the
//! mapping of reqwest's failures to typed connect and TLS errors.

use crate::client::error::Operation;
use std::time::Duration;

use reqwest::header::CONTENT_LENGTH;
use reqwest::{RequestBuilder, Response};

use super::http::ClientSpec;
use super::{Exchanged, Outgoing, Transport};
use crate::client::cause::{self, Cause};
use crate::client::error::RegistryError;
use crate::client::registry::Body;
use crate::client::trace::error_chain;
use crate::client::watch::{watched, Watch};

/// After an upload's last byte, the registry gets ten read timeouts and a second per this many
/// bytes to answer.
const COMMIT_RATE: u64 = 10 << 20;

/// The HTTP clients of one registry.
pub(in crate::client) struct Wire {
    http: reqwest::Client,
    upload_http: tokio::sync::OnceCell<reqwest::Client>,
    spec: ClientSpec,
    read_timeout: Duration,
}

impl Wire {
    pub(in crate::client) fn new(
        spec: ClientSpec,
        read_timeout: Duration,
    ) -> Result<Self, RegistryError> {
        Ok(Wire {
            http: spec.client(Some(read_timeout))?,
            upload_http: tokio::sync::OnceCell::new(),
            spec,
            read_timeout,
        })
    }

    /// One GET with a short timeout, to see whether a host speaks TLS.
    pub(in crate::client) async fn probe(&self, url: url::Url) -> Result<Response, reqwest::Error> {
        let r = self
            .http
            .get(url)
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        if r.is_ok() {
            self.spec.identity.answered();
        }
        r
    }

    /// The request builder for `out`, and the watch over its streamed body, if any.
    async fn request(
        &self,
        out: Outgoing,
    ) -> Result<(RequestBuilder, Option<std::sync::Arc<Watch>>), RegistryError> {
        let http = match &out.body {
            Body::Stream(Some(_)) => {
                self.upload_http
                    .get_or_try_init(|| async { self.spec.client(None) })
                    .await?
            }
            _ => &self.http,
        };
        let len = out
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let rb = http.request(out.method, out.url).headers(out.headers);
        Ok(match out.body {
            Body::Bytes(b) => (rb.body(b), None),
            Body::Stream(Some(s)) => {
                let (s, w) = watched(super::retrying::carry_sink(s), len);
                (rb.body(reqwest::Body::wrap_stream(s)), Some(w))
            }
            _ => (rb, None),
        })
    }

    async fn send(&self, out: Outgoing, what: &str) -> Result<Response, RegistryError> {
        let host = host_of(&out.url);
        let op = Operation::of(&out.method, out.url.path());
        let (rb, watch) = self.request(out).await?;
        let connect = |message: String, cause| RegistryError::Connect {
            what: what.to_string(),
            host: host.clone(),
            message,
            cause,
            op,
        };
        let sent = match watch {
            None => rb.send().await,
            Some(w) => tokio::select! {
                r = rb.send() => r,
                msg = w.expired(self.read_timeout, COMMIT_RATE) => return Err(connect(msg, Cause::Timeout)),
            },
        };
        if sent.is_ok() {
            self.spec.identity.answered();
        }
        sent.map_err(|e| match self.spec.tls_failure(&e) {
            Some(why) => RegistryError::Tls {
                what: what.to_string(),
                host: host.clone(),
                why,
                message: error_chain(&e.without_url()),
                certs_d: self.spec.certs_d_for(&host),
            },
            None => {
                let cause = cause::classify(&e);
                connect(error_chain(&e.without_url()), cause)
            }
        })
    }
}

impl Transport for Wire {
    fn exchange<'a>(&'a self, out: Outgoing, what: &'a str) -> Exchanged<'a> {
        Box::pin(self.send(out, what))
    }

    fn certs_d_for(&self, host: &str) -> Option<std::path::PathBuf> {
        self.spec.certs_d_for(host)
    }
}

impl Wire {
    /// The certificate failure behind a request's error, if it is one.
    pub(in crate::client) fn tls_failure(
        &self,
        e: &(dyn std::error::Error + 'static),
    ) -> Option<crate::client::error::TlsFailure> {
        self.spec.tls_failure(e)
    }
}

/// `host[:port]` of a URL, as errors name it.
pub(in crate::client) fn host_of(url: &url::Url) -> String {
    url.host_str().unwrap_or_default().to_string()
        + &url.port().map(|p| format!(":{p}")).unwrap_or_default()
}
