//! Making a client for one registry: the address and scheme (TLS, or plain HTTP for insecure
//! and loopback hosts, TLS first for a loopback host with its own CA), the two HTTP clients
//! (with a per-read timeout, and without one for streamed uploads), and the credentials.

use std::time::Duration;

use url::Url;

use super::auth::TokenCache;
use super::client::Registry;
use super::error::RegistryError;
use super::http::ClientSpec;
use super::options::Options;
use crate::credentials::{self, Credential};
use crate::reference::{api_host, is_loopback};

impl Registry {
    /// A client for `registry` with the given credential (None: anonymous).
    pub fn new(
        opts: &Options,
        registry: &str,
        cred: Option<Credential>,
    ) -> Result<Self, RegistryError> {
        Self::build(opts, registry, cred, !opts.use_http(registry))
    }

    /// Like `new`, but a loopback registry is tried over TLS first when `--ca-cert` was given
    /// (a local registry with its own CA); it falls back to plain HTTP as Docker does.
    pub async fn open(
        opts: &Options,
        registry: &str,
        cred: Option<Credential>,
    ) -> Result<Self, RegistryError> {
        let listed = opts.insecure.iter().any(|h| h == registry);
        if opts.ca_certs.is_empty() || listed || !is_loopback(registry) {
            return Self::new(opts, registry, cred);
        }
        let tls = Self::build(opts, registry, cred.clone(), true)?;
        let probe = tls
            .http
            .get(tls.url(""))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        if probe.is_ok() {
            return Ok(tls);
        }
        Self::build(opts, registry, cred, false)
    }

    fn build(
        opts: &Options,
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
        for path in &opts.ca_certs {
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
        let read_timeout = opts.read_timeout;
        let spec = ClientSpec {
            registry: registry.to_string(),
            certs,
            connect_timeout: opts.connect_timeout,
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
            debug: opts.debug,
            insecure: opts.insecure.clone(),
            policy: opts.policy,
            retries: Default::default(),
            quiet: opts.quiet.into(),
            page_size: opts.page_size,
            upload_chunk: opts.upload_chunk.into(),
        })
    }

    /// A client with credentials looked up for the registry (environment where its scope
    /// allows, stores, Docker). `--debug` says which source supplied them, never the secret.
    pub async fn connect(opts: &Options, registry: &str) -> anyhow::Result<Self> {
        let name = registry.to_string();
        let scope = opts.env_scope.clone();
        let cred = tokio::task::spawn_blocking(move || credentials::lookup(&name, &scope))
            .await
            .expect("credential lookup does not panic")?;
        if opts.debug {
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
                    opts.env_scope.target
                );
            }
        }
        Ok(Self::open(opts, registry, cred).await?)
    }
}
