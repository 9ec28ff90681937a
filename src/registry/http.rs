//! The HTTP clients of one registry: redirects left to the caller (Authorization must not
//! follow them), timeouts, extra CA roots, no proxy for loopback hosts.

use std::time::Duration;

use super::error::RegistryError;

/// What an HTTP client for one registry is built from.
pub(super) struct ClientSpec {
    pub(super) registry: String,
    pub(super) certs: Vec<reqwest::Certificate>,
    pub(super) connect_timeout: Duration,
    pub(super) identity: Option<reqwest::Identity>,
    pub(super) verify: bool,
}

impl ClientSpec {
    /// A client with a per-read timeout, or (None) without one, for streamed uploads.
    pub(super) fn client(&self, read: Option<Duration>) -> Result<reqwest::Client, RegistryError> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cr/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.connect_timeout)
            .pool_max_idle_per_host(32)
            .tcp_nodelay(true);
        if let Some(t) = read {
            b = b.read_timeout(t);
        }
        if crate::reference::is_loopback(&self.registry) {
            b = b.no_proxy();
        }
        for c in &self.certs {
            b = b.add_root_certificate(c.clone());
        }
        if let Some(id) = &self.identity {
            b = b.identity(id.clone());
        }
        if !self.verify {
            b = b.danger_accept_invalid_certs(true);
        }
        b.build().map_err(|e| RegistryError::Protocol {
            what: "build HTTP client".into(),
            host: self.registry.clone(),
            message: e.to_string(),
        })
    }
}
