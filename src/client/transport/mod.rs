//! The transport layer under the typed endpoints: the connection (TLS, plain-HTTP fallback),
//! one exchange per hop behind the [`Transport`] seam (reqwest on the wire, a fake in tests),
//! redirects, authentication (challenge, token cache, credential source) and the one retry
//! loop every request and token fetch goes through, drawing from a shared [`retry::Budget`].

pub mod auth;
mod connect;
#[cfg(test)]
pub(crate) mod fake;
pub(crate) mod http;
mod redirect;
pub(crate) mod retry;
pub mod retrying;
#[cfg(test)]
mod tests;
mod token;
mod wire;

use std::future::Future;
use std::pin::Pin;

use reqwest::header::HeaderMap;
use reqwest::{Method, Response};
use url::Url;

use super::error::RegistryError;
use super::registry::Body;

pub(in crate::client) use wire::Wire;

/// One request as it goes on the wire: the Authorization, if any, is already in `headers`.
pub struct Outgoing {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Body,
}

/// What a [`Transport`] answers: a response (status, headers, body stream) or a typed
/// connection error (`Connect` with its cause, `Tls`).
pub type Exchanged<'a> = Pin<Box<dyn Future<Output = Result<Response, RegistryError>> + Send + 'a>>;

/// The seam under the client: one request in, one answer out; no redirects, no retries, no
/// authentication (the layers above own those). `what` names the operation for errors.
pub trait Transport: Send + Sync {
    fn exchange<'a>(&'a self, out: Outgoing, what: &'a str) -> Exchanged<'a>;

    /// The certs.d directory read for `host` (`DIR/HOST[:PORT]`), if one is: named in hints.
    fn certs_d_for(&self, _host: &str) -> Option<std::path::PathBuf> {
        None
    }
}
