//! An in-process [`Transport`] for tests: a handler answers each request (or fails it as a
//! connection would), and every request is recorded (method, URL, headers, body) so that a
//! test asserts what the server received.

use std::sync::{Arc, Mutex};

use reqwest::header::{HeaderMap, AUTHORIZATION};
use reqwest::{Method, ResponseBuilderExt};
use url::Url;

use super::{Exchanged, Outgoing, Transport};
use crate::client::cause::Cause;
use crate::client::error::RegistryError;
use crate::client::registry::{Body, Registry};
use crate::client::Options;

/// A request as the fake received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Seen {
    /// The Authorization header sent, if any.
    pub fn auth(&self) -> Option<&str> {
        self.headers.get(AUTHORIZATION)?.to_str().ok()
    }
}

/// The fake's answer to one request.
pub enum Reply {
    /// An HTTP answer: status, headers, body.
    Http(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// A connection failure with this cause.
    Fail(Cause),
}

impl Reply {
    pub fn status(s: u16) -> Self {
        Reply::Http(s, Vec::new(), Vec::new())
    }
    pub fn with(s: u16, headers: &[(&'static str, &str)], body: &str) -> Self {
        let h = headers.iter().map(|(k, v)| (*k, v.to_string())).collect();
        Reply::Http(s, h, body.as_bytes().to_vec())
    }
}

type Handler = Box<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

/// The fake: `handler(request, n)` answers the n-th request (0-based) of the whole run.
pub struct Fake {
    handler: Handler,
    pub seen: Mutex<Vec<Seen>>,
}

impl Fake {
    pub fn new(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Fake {
            handler: Box::new(handler),
            seen: Mutex::new(Vec::new()),
        })
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen lock").clone()
    }

    /// A client of `https://registry.test` that sends through this fake.
    pub fn registry(
        self: &Arc<Self>,
        opts: &Options,
        cred: Option<crate::credentials::Credential>,
    ) -> Registry {
        let mut reg = Registry::new(opts, "registry.test", cred).expect("a client");
        reg.transport = self.clone();
        reg
    }

    async fn answer(&self, out: Outgoing, what: &str) -> Result<reqwest::Response, RegistryError> {
        let body = match out.body {
            Body::Bytes(b) => b.to_vec(),
            _ => Vec::new(),
        };
        let seen = Seen {
            method: out.method,
            url: out.url,
            headers: out.headers,
            body,
        };
        let n = {
            let mut all = self.seen.lock().expect("seen lock");
            all.push(seen.clone());
            all.len() - 1
        };
        match (self.handler)(&seen, n) {
            Reply::Fail(cause) => Err(RegistryError::Connect {
                what: what.to_string(),
                host: super::wire::host_of(&seen.url),
                message: "connection failed (fake)".into(),
                cause,
                op: crate::client::Operation::of(&seen.method, seen.url.path()),
            }),
            Reply::Http(status, headers, body) => {
                let mut b = http::Response::builder()
                    .status(status)
                    .url(seen.url.clone());
                for (k, v) in headers {
                    b = b.header(k, v);
                }
                Ok(b.body(body).expect("a response").into())
            }
        }
    }
}

impl Transport for Fake {
    fn exchange<'a>(&'a self, out: Outgoing, what: &'a str) -> Exchanged<'a> {
        Box::pin(self.answer(out, what))
    }
}
