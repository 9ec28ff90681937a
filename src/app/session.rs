//! The session of one command: the client options derived from the settings, the one place
//! credentials are looked up (environment where its scope allows, stores, Docker) and stored,
//! and the client pool — one registry client per host, made on first use and shared (one
//! credential lookup, one ping, one token per scope set), each with the content cache in front
//! of it (`store::Cached`).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::client::{Options, Registry, RegistryError};
use crate::config::Settings;
use crate::credentials::{self, Credential, CredentialSource, Stored};
use crate::store::Cached;

/// The registry clients of one command and the credentials they use.
pub struct Session {
    opts: Options,
    cache: Option<Arc<crate::cache::Cache>>,
    pool: std::sync::Mutex<HashMap<String, Arc<OnceCell<Arc<Cached>>>>>,
}

impl Session {
    /// A session with the client options of `settings` (flags, environment, config file).
    pub fn new(settings: &Settings) -> Self {
        Self::with_options(settings.registry_options()).with_cache(settings.cache.clone())
    }

    /// A session with options a Rust program chose itself.
    pub fn with_options(opts: Options) -> Self {
        Session {
            opts,
            cache: None,
            pool: Default::default(),
        }
    }

    /// Read and fill `cache` (manifests and small blobs by digest, tag hints); None: none.
    pub fn with_cache(mut self, cache: Option<Arc<crate::cache::Cache>>) -> Self {
        self.cache = cache;
        self
    }

    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The client for `registry` (`docker.io`, `host:port`), connected once per session with
    /// the credentials looked up for it.
    pub async fn get(&self, registry: &str) -> anyhow::Result<Arc<Cached>> {
        let cell = self
            .pool
            .lock()
            .expect("session lock")
            .entry(registry.to_string())
            .or_default()
            .clone();
        let reg = cell
            .get_or_try_init(|| async {
                let cred = self.lookup(registry).await?;
                let reg = Registry::open(&self.opts, registry, cred).await?;
                Ok::<_, anyhow::Error>(Arc::new(Cached::new(reg, self.cache.clone())))
            })
            .await?;
        Ok(reg.clone())
    }

    /// A client for `registry` with the given credential, outside the pool (a login checks
    /// the credential it is about to store).
    pub async fn with_credential(
        &self,
        registry: &str,
        cred: Credential,
    ) -> Result<Registry, RegistryError> {
        Registry::open(&self.opts, registry, Some(cred)).await
    }

    /// The credential the environment gives (`CR_APIKEY`, `CR_USERNAME` + `CR_PASSWORD`).
    pub fn env_credential(&self) -> Option<Credential> {
        credentials::from_env()
    }

    /// Store a login for `registry` (keyring, helper or file, as configured).
    pub async fn store(&self, registry: &str, cred: Credential) -> anyhow::Result<Stored> {
        let h = registry.to_string();
        Ok(
            tokio::task::spawn_blocking(move || credentials::store(&h, &cred))
                .await
                .expect("store does not panic")?,
        )
    }

    /// Remove the logins stored for `registry`: the names of the stores they were in.
    pub async fn erase(&self, registry: &str) -> anyhow::Result<Vec<String>> {
        let h = registry.to_string();
        Ok(tokio::task::spawn_blocking(move || credentials::erase(&h))
            .await
            .expect("erase does not panic")?)
    }

    /// The credential for `registry`. `--debug` says which source supplied it, never the
    /// secret; `--tls-verify=false` is warned about here, once per host.
    async fn lookup(&self, registry: &str) -> anyhow::Result<Option<Credential>> {
        let opts = &self.opts;
        let name = registry.to_string();
        let scope = opts.env_scope.clone();
        let cred = tokio::task::spawn_blocking(move || credentials::lookup(&name, &scope))
            .await
            .expect("credential lookup does not panic")?;
        if !opts.tls_verify {
            crate::notice::warning(&format!(
                "TLS certificate verification is off for {registry} (--tls-verify=false): anyone on the network path can read and change what cr sends and receives"
            ));
        }
        if opts.debug {
            match &cred {
                Some(c) => crate::notice::status(&format!(
                    "credentials for {registry}: user {:?} from {}",
                    c.username, c.source
                )),
                None => {
                    crate::notice::status(&format!("credentials for {registry}: none (anonymous)"))
                }
            }
            if credentials::from_env().is_some()
                && !cred.as_ref().is_some_and(|c| {
                    matches!(
                        c.source,
                        CredentialSource::ApiKeyEnv | CredentialSource::UserPasswordEnv
                    )
                })
            {
                crate::notice::status(&format!(
                    "credentials for {registry}: the environment's are not sent here (only to the target registry {}, CR_CREDENTIAL_HOSTS and, for CR_APIKEY, *.icr.io)",
                    opts.env_scope.target
                ));
            }
        }
        Ok(cred)
    }
}
