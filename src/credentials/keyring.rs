//! cr's own credential store in the OS keyring (Keychain, Credential Manager, Secret Service):
//! one entry per registry under the service `cr`, holding `{"username","password"}` as JSON.

use super::{Credential, CredentialError, CredentialSource};

const SERVICE: &str = "cr";

/// Whether an OS keyring can be used here. On Linux the Secret Service needs a D-Bus session;
/// headless machines and CI have none, so we do not even try (no hang, no prompt).
pub fn usable() -> bool {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return true;
    }
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty())
}

fn entry(registry: &str) -> Result<keyring::Entry, CredentialError> {
    keyring::Entry::new(SERVICE, registry).map_err(|e| CredentialError::Keyring(e.to_string()))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    username: String,
    password: String,
}

/// The stored credential, if any. Errors of the keyring count as "none here".
pub fn get(registry: &str) -> Option<Credential> {
    let raw = entry(registry).ok()?.get_password().ok()?;
    let s: Stored = serde_json::from_str(&raw).ok()?;
    let mut c = Credential::new(&s.username, &s.password, CredentialSource::Keyring);
    // Docker's user name for an identity token (stored through `cr credential-helper`).
    if s.username == super::helper::TOKEN_USER {
        c.identity_token = Some(s.password);
    }
    Some(c)
}

pub fn set(registry: &str, cred: &Credential) -> Result<(), CredentialError> {
    let body = serde_json::to_string(&Stored {
        username: cred.username.clone(),
        password: cred.password.clone(),
    })
    .expect("serialises");
    entry(registry)?
        .set_password(&body)
        .map_err(|e| CredentialError::Keyring(e.to_string()))
}

/// Delete the entry; true when one was there.
pub fn delete(registry: &str) -> bool {
    entry(registry)
        .and_then(|e| {
            e.delete_credential()
                .map_err(|e| CredentialError::Keyring(e.to_string()))
        })
        .is_ok()
}
