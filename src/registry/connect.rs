//! Making a client for one registry: the address and scheme (TLS, or plain HTTP for insecure
//! and loopback hosts, TLS first for a loopback host with its own CA), the two HTTP clients
//! (with a per-read timeout, and without one for streamed uploads), and the credentials.

use std::time::Duration;

use url::Url;

use super::auth::TokenCache;
use super::client::Registry;
use super::error::RegistryError;
use crate::config::Settings;
use crate::credentials::{self, Credential};
use crate::reference::api_host;

/// What an HTTP client for one registry is built from.
pub(super) struct ClientSpec {
    registry: String,
    certs: Vec<reqwest::Certificate>,
    connect_timeout: Duration,
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
        if crate::config::is_loopback(&self.registry) {
            b = b.no_proxy();
        }
        for c in &self.certs {
            b = b.add_root_certificate(c.clone());
        }
        b.build().map_err(|e| RegistryError::Protocol {
            what: "build HTTP client".into(),
            host: self.registry.clone(),
            message: e.to_string(),
        })
    }
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
        let mut certs = Vec::new();
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
            certs.push(cert);
        }
        let net = &settings.net;
        let read_timeout = net.read_timeout;
        let spec = ClientSpec {
            registry: registry.to_string(),
            certs,
            connect_timeout: net.connect_timeout,
        };
        Ok(Registry {
            name: registry.to_string(),
            base,
            http: spec.client(Some(read_timeout))?,
            upload_http: tokio::sync::OnceCell::new(),
            spec,
            read_timeout,
            cred,
            challenge: tokio::sync::RwLock::new(None),
            tokens: TokenCache::default(),
            debug: settings.debug,
            insecure: settings.insecure.clone(),
            policy: net.policy,
            retries: Default::default(),
            quiet: settings.quiet.into(),
            page_size: net.page_size,
            upload_chunk: net.upload_chunk.into(),
        })
    }

    /// A client with credentials looked up for the registry (environment where its scope
    /// allows, stores, Docker). `--debug` says which source supplied them, never the secret.
    pub async fn connect(settings: &Settings, registry: &str) -> anyhow::Result<Self> {
        let name = registry.to_string();
        let scope = settings.env_scope();
        let cred = tokio::task::spawn_blocking(move || credentials::lookup(&name, &scope))
            .await
            .expect("credential lookup does not panic")?;
        if settings.debug {
            match &cred {
                Some(c) => eprintln!(
                    "credentials for {registry}: user {:?} from {}",
                    crate::text::escape(&c.username),
                    c.source
                ),
                None => eprintln!("credentials for {registry}: none (anonymous)"),
            }
            if credentials::from_env().is_some()
                && !cred.as_ref().is_some_and(|c| {
                    matches!(
                        c.source,
                        credentials::CredentialSource::ApiKeyEnv
                            | credentials::CredentialSource::UserPasswordEnv
                    )
                })
            {
                eprintln!(
                    "credentials for {registry}: the environment's are not sent here (only to the target registry {}, CR_CREDENTIAL_HOSTS and, for CR_APIKEY, *.icr.io)",
                    settings.registry
                );
            }
        }
        Ok(Self::open(settings, registry, cred).await?)
    }
}
