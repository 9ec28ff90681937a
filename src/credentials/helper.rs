//! cr as a Docker credential helper (`docker-credential-cr`): get, store, erase and list on
//! cr's own store — the OS keyring, else the `auths` of Docker's config.json — never through
//! another helper (Docker's `credsStore: cr` would otherwise call cr again, forever). Server
//! URLs (`https://host:port`, `host:port`, `https://index.docker.io/v1/`) become cr's host
//! keys by the one host grammar.

use std::collections::BTreeMap;

use super::{
    docker, keyring, store_choice, Credential, CredentialError, CredentialSource, StoreChoice,
    Stored,
};
use crate::host::Host;
use crate::oci::reference::ReferenceError;

/// Docker's user name for an identity (refresh) token held as the secret.
pub const TOKEN_USER: &str = "<token>";

/// A request of Docker's helper protocol, with what came on stdin.
#[derive(Debug, Clone, Copy)]
pub enum Request<'a> {
    /// A server URL.
    Get(&'a str),
    /// `{"ServerURL","Username","Secret"}`.
    Store(&'a str),
    /// A server URL.
    Erase(&'a str),
    List,
}

/// Why a request failed, in the protocol's words (the helper prints this line, exit 1).
#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    /// Docker's exact text, which its clients match.
    #[error("credentials not found in native keychain")]
    NotFound,
    #[error("no credentials server URL")]
    NoServerUrl,
    #[error("no credentials username")]
    NoUsername,
    #[error("invalid server URL: {0}")]
    BadServerUrl(ReferenceError),
    #[error("cannot read the credentials JSON: {0}")]
    BadJson(String),
    #[error(transparent)]
    Store(#[from] CredentialError),
}

/// The protocol's credentials object.
#[derive(serde::Serialize, serde::Deserialize)]
struct Creds {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// The host key of a server URL read from stdin.
fn key_of(url: &str) -> Result<String, HelperError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(HelperError::NoServerUrl);
    }
    registry_key(url).map_err(HelperError::BadServerUrl)
}

/// The host key of a server URL asked about: one that is not a host cr could have stored a
/// login for is simply not found (a helper's other errors stop Docker's whole operation).
fn known_key(url: &str) -> Result<String, HelperError> {
    match key_of(url) {
        Err(HelperError::BadServerUrl(_)) => Err(HelperError::NotFound),
        other => other,
    }
}

/// Answer one request: what goes to stdout.
pub fn answer(request: Request<'_>) -> Result<String, HelperError> {
    match request {
        Request::Get(url) => {
            let c = get(&known_key(url)?)?.ok_or(HelperError::NotFound)?;
            let (username, secret) = match c.identity_token {
                Some(t) => (TOKEN_USER.to_string(), t),
                None => (c.username, c.password),
            };
            let body = Creds {
                server_url: url.trim().to_string(),
                username,
                secret,
            };
            Ok(serde_json::to_string(&body).expect("serialises") + "\n")
        }
        Request::Store(json) => {
            let c: Creds =
                serde_json::from_str(json).map_err(|e| HelperError::BadJson(e.to_string()))?;
            let key = key_of(&c.server_url)?;
            if c.username.is_empty() {
                return Err(HelperError::NoUsername);
            }
            let mut cred = Credential::new(&c.username, &c.secret, CredentialSource::Flags);
            if c.username == TOKEN_USER {
                cred.identity_token = Some(c.secret.clone());
            }
            store(&key, &cred)?;
            Ok(String::new())
        }
        Request::Erase(url) => match erase(&known_key(url)?)? {
            true => Ok(String::new()),
            false => Err(HelperError::NotFound),
        },
        Request::List => Ok(serde_json::to_string(&list()?).expect("serialises") + "\n"),
    }
}

/// cr's host key for a server URL as Docker sends it.
pub fn registry_key(server_url: &str) -> Result<String, ReferenceError> {
    Host::from_key(server_url.trim()).map(|h| h.to_string())
}

fn keyring_used() -> Result<bool, CredentialError> {
    Ok(store_choice()? != StoreChoice::File && keyring::usable())
}

/// The login cr holds for `registry` (a host key), from its own store only.
pub fn get(registry: &str) -> Result<Option<Credential>, CredentialError> {
    if keyring_used()? {
        if let Some(c) = keyring::get(registry) {
            return Ok(Some(c));
        }
    }
    docker::lookup_auths(registry)
}

/// Store a login in cr's own store: the keyring when usable (or forced), else config.json.
pub fn store(registry: &str, cred: &Credential) -> Result<Stored, CredentialError> {
    let choice = store_choice()?;
    if choice == StoreChoice::Keyring || (choice == StoreChoice::Auto && keyring::usable()) {
        match keyring::set(registry, cred) {
            Ok(()) => return Ok(Stored::Keyring),
            Err(e) if choice == StoreChoice::Keyring => return Err(e),
            Err(_) => {}
        }
    }
    docker::store_auths(registry, cred)
}

/// Remove the login from cr's own store; true when there was one.
pub fn erase(registry: &str) -> Result<bool, CredentialError> {
    let from_keyring = keyring::usable() && keyring::delete(registry);
    let from_file = docker::erase_auths(registry)?;
    Ok(from_keyring || from_file)
}

/// The logins of config.json's `auths`, server URL -> user name. (An OS keyring cannot be
/// listed: its logins are found by `get` but not listed.)
pub fn list() -> Result<BTreeMap<String, String>, CredentialError> {
    Ok(docker::list_auths()?.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_become_host_keys() {
        for (url, key) in [
            ("https://127.0.0.1:5000", "127.0.0.1:5000"),
            ("127.0.0.1:5000", "127.0.0.1:5000"),
            ("http://Registry.Example:443/", "registry.example:443"),
            ("https://index.docker.io/v1/", "docker.io"),
            ("us.icr.io\n", "us.icr.io"),
            ("https://[::1]:5000/v2/", "[::1]:5000"),
        ] {
            assert_eq!(registry_key(url).unwrap(), key, "{url}");
        }
        for bad in [
            "",
            "https://evil.example#.icr.io/",
            "user@host",
            "host/path",
        ] {
            assert!(registry_key(bad).is_err(), "{bad:?}");
        }
    }
}
