//! Credentials for a registry: the lookup chain (environment, cr's keyring store, Docker's
//! config.json and its helpers, containers auth.json), and where `cr login` stores them.
//! Credential types redact their secrets in `Debug`.

pub(crate) mod docker;
pub mod helper;
pub(crate) mod keyring;

use std::fmt;
use std::path::PathBuf;

/// A username with a password, API key or identity (refresh) token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub password: String,
    /// An OAuth2 refresh token (Docker's `identitytoken`): tokens are then fetched by POST.
    pub identity_token: Option<String>,
    pub source: CredentialSource,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field(
                "identity_token",
                &self.identity_token.as_ref().map(|_| "<redacted>"),
            )
            .field("source", &self.source)
            .finish()
    }
}

/// Where a credential was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    ApiKeyEnv,
    UserPasswordEnv,
    Flags,
    Keyring,
    DockerConfig(PathBuf),
    Helper(String),
    AuthJson(PathBuf),
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::ApiKeyEnv => f.write_str("CR_APIKEY"),
            CredentialSource::UserPasswordEnv => f.write_str("CR_USERNAME/CR_PASSWORD"),
            CredentialSource::Flags => f.write_str("the command line"),
            CredentialSource::Keyring => f.write_str("the OS keyring"),
            CredentialSource::DockerConfig(p) => write!(f, "{}", p.display()),
            CredentialSource::Helper(h) => write!(f, "docker-credential-{h}"),
            CredentialSource::AuthJson(p) => write!(f, "{}", p.display()),
        }
    }
}

impl Credential {
    pub fn new(username: &str, password: &str, source: CredentialSource) -> Self {
        Credential {
            username: username.to_string(),
            password: password.to_string(),
            identity_token: None,
            source,
        }
    }

    /// IBM Cloud style API key login.
    pub fn api_key(key: &str, source: CredentialSource) -> Self {
        Self::new("iamapikey", key, source)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("credential helper docker-credential-{helper} failed: {message}")]
    Helper { helper: String, message: String },
    #[error("OS keyring: {0}")]
    Keyring(String),
    #[error("CR_CREDENTIAL_STORE must be 'keyring' or 'file', not {0:?}")]
    BadStoreChoice(String),
}

/// Credentials from the environment alone: `CR_APIKEY`, or `CR_USERNAME` + `CR_PASSWORD`.
pub fn from_env() -> Option<Credential> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let Some(key) = get("CR_APIKEY") {
        return Some(Credential::api_key(&key, CredentialSource::ApiKeyEnv));
    }
    match (get("CR_USERNAME"), get("CR_PASSWORD")) {
        (Some(u), Some(p)) => Some(Credential::new(&u, &p, CredentialSource::UserPasswordEnv)),
        _ => None,
    }
}

/// Which hosts the environment's credentials (`CR_APIKEY`, `CR_USERNAME`+`CR_PASSWORD`) may
/// go to: the target registry when one was chosen, the hosts listed in `CR_CREDENTIAL_HOSTS`,
/// and, for `CR_APIKEY` only, IBM Cloud registries (`icr.io`, `*.icr.io`). Every other host
/// uses stored logins only, so that a key meant for one registry never reaches a registry the
/// user merely reads from, nor whatever listens on the default `localhost:5000`.
#[derive(Debug, Clone, Default)]
pub struct EnvScope {
    /// The target registry, if one was chosen (`--registry` > `CR_REGISTRY` > config).
    pub target: Target,
    /// Hosts from `CR_CREDENTIAL_HOSTS`, normalised.
    pub hosts: Vec<String>,
}

/// The target registry as far as the environment's credentials are concerned: a host the user
/// chose, or none (the default target, `localhost:5000`, was not chosen: any local user can
/// listen there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target(pub Option<String>);

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(h) => f.write_str(h),
            None => f.write_str("[none chosen: set --registry or CR_REGISTRY]"),
        }
    }
}

impl EnvScope {
    /// Whether a credential from `source` may be sent to `registry`. Hosts are compared
    /// parsed, name and port exactly; a name that does not parse as a host gets nothing.
    pub fn allows(&self, registry: &str, source: &CredentialSource) -> bool {
        let Ok(host) = crate::host::Host::parse(registry) else {
            return false;
        };
        if crate::host::listed(self.target.0.as_slice(), registry)
            || crate::host::listed(&self.hosts, registry)
        {
            return true;
        }
        *source == CredentialSource::ApiKeyEnv && host.is_ibm_cloud()
    }
}

/// Say once per run that the environment's credentials were kept from `registry` because no
/// target registry was chosen (with one chosen, `--debug` says it per host).
fn withheld_unchosen(registry: &str, source: &CredentialSource) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        crate::notice::warning(&format!(
            "{source} is set, but not sent to {registry}: no target registry was chosen, and the environment's credentials go only to a chosen one; set --registry or CR_REGISTRY (or list the host in CR_CREDENTIAL_HOSTS)"
        ))
    });
}

/// Look up credentials for `registry` (as in a reference: `docker.io`, `host:port`) in order:
/// environment (only where `scope` allows it), cr's keyring store, Docker config (auths,
/// credHelpers, credsStore), auth.json. Blocking (keyring, helpers): call from a blocking
/// context.
pub fn lookup(registry: &str, scope: &EnvScope) -> Result<Option<Credential>, CredentialError> {
    if let Some(c) = from_env() {
        if scope.allows(registry, &c.source) {
            return Ok(Some(c));
        }
        if scope.target.0.is_none() {
            withheld_unchosen(registry, &c.source);
        }
    }
    if store_choice()? != StoreChoice::File && keyring::usable() {
        if let Some(c) = keyring::get(registry) {
            return Ok(Some(c));
        }
    }
    if let Some(c) = docker::lookup_docker_config(registry)? {
        return Ok(Some(c));
    }
    docker::lookup_auth_json(registry)
}

/// Which store `cr login` writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreChoice {
    Auto,
    Keyring,
    File,
}

pub fn store_choice() -> Result<StoreChoice, CredentialError> {
    match std::env::var("CR_CREDENTIAL_STORE").ok().as_deref() {
        None | Some("") | Some("auto") => Ok(StoreChoice::Auto),
        Some("keyring") => Ok(StoreChoice::Keyring),
        Some("file") => Ok(StoreChoice::File),
        Some(other) => Err(CredentialError::BadStoreChoice(other.to_string())),
    }
}

/// Where a login was stored, for the user.
#[derive(Debug, Clone)]
pub enum Stored {
    Keyring,
    File { path: PathBuf, warn: bool },
    Helper(String),
}

/// Store a proven credential: the OS keyring when usable (or forced), else Docker's config.json.
pub fn store(registry: &str, cred: &Credential) -> Result<Stored, CredentialError> {
    let choice = store_choice()?;
    if choice == StoreChoice::Keyring || (choice == StoreChoice::Auto && keyring::usable()) {
        match keyring::set(registry, cred) {
            Ok(()) => return Ok(Stored::Keyring),
            Err(CredentialError::Keyring(m)) if choice == StoreChoice::Keyring => {
                return Err(CredentialError::Keyring(format!(
                    "{m} (CR_CREDENTIAL_STORE=keyring; on a machine without a keyring use CR_CREDENTIAL_STORE=file)"
                )))
            }
            Err(e) if choice == StoreChoice::Keyring => return Err(e),
            Err(_) => {}
        }
    }
    let stored = docker::store(registry, cred)?;
    Ok(match stored {
        Stored::File { path, .. } => Stored::File {
            path,
            warn: choice != StoreChoice::File,
        },
        other => other,
    })
}

/// Remove a login from every store cr writes to. Returns the places it was removed from.
pub fn erase(registry: &str) -> Result<Vec<String>, CredentialError> {
    let mut removed = Vec::new();
    if keyring::usable() && keyring::delete(registry) {
        removed.push("the OS keyring".to_string());
    }
    if let Some(place) = docker::erase(registry)? {
        removed.push(place);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_scope() {
        let scope = EnvScope {
            target: Target(Some("us.icr.io".into())),
            hosts: vec!["mirror.example:5000".into()],
        };
        let key = CredentialSource::ApiKeyEnv;
        let pw = CredentialSource::UserPasswordEnv;
        assert!(scope.allows("us.icr.io", &pw));
        assert!(scope.allows("mirror.example:5000", &pw));
        assert!(scope.allows("de.icr.io", &key));
        assert!(scope.allows("icr.io", &key));
        assert!(!scope.allows("de.icr.io", &pw));
        assert!(!scope.allows("other.example", &key));
        assert!(!scope.allows("evilicr.io", &key));
        assert!(!scope.allows("icr.io.evil.example", &key));
        assert!(!scope.allows("mirror.example", &pw));
        // Only what parses as a host, compared by name and port.
        for evil in [
            "evil.example#.icr.io",
            "evil.example?.icr.io",
            "evil.example\\.icr.io",
            "x.icr.io:pw@evil.example",
            "x.icr.io@evil.example",
            "evil.example/.icr.io",
        ] {
            assert!(!scope.allows(evil, &key), "{evil}");
        }
        assert!(!scope.allows("us.icr.io:5000", &key));
        assert!(!scope.allows("mirror.example:443", &pw));
        assert!(scope.allows("US.icr.io", &pw));
    }

    /// With no target chosen, the default `localhost:5000` gets nothing from the environment;
    /// `CR_CREDENTIAL_HOSTS` and `*.icr.io` still do.
    #[test]
    fn an_unchosen_target_gets_nothing() {
        let scope = EnvScope {
            target: Target(None),
            hosts: vec!["mirror.example:5000".into()],
        };
        let key = CredentialSource::ApiKeyEnv;
        let pw = CredentialSource::UserPasswordEnv;
        assert!(!scope.allows("localhost:5000", &key));
        assert!(!scope.allows("localhost:5000", &pw));
        assert!(scope.allows("mirror.example:5000", &pw));
        assert!(scope.allows("us.icr.io", &key));
        assert!(Target(None).to_string().contains("--registry"));
    }

    #[test]
    fn debug_redacts() {
        let mut c = Credential::new("alice", "hunter2", CredentialSource::Flags);
        c.identity_token = Some("tok-secret".into());
        let s = format!("{c:?}");
        assert!(s.contains("alice"));
        assert!(!s.contains("hunter2"));
        assert!(!s.contains("tok-secret"));
    }
}
