//! Login as a library call: prove a credential against the registry (one authenticated
//! request), then store it (keyring, helper or file, as configured); nothing is stored when
//! the registry refuses it.

use anyhow::Context;

use super::Session;
use crate::credentials::{Credential, Stored};

/// Prove `cred` against `host`, then store it. A registry that asks for no authentication is
/// noted, and the login is stored anyway. Where it went is returned.
pub async fn login(session: &Session, host: &str, cred: Credential) -> anyhow::Result<Stored> {
    let reg = session.with_credential(host, cred.clone()).await?;
    let needs_auth = reg.prove_login().await.with_context(|| {
        format!(
            "login to {host} failed: the registry refused the credentials of user {:?}; nothing was stored",
            cred.username
        )
    })?;
    if !needs_auth {
        crate::notice::note(&format!(
            "{host} does not ask for authentication; storing the login anyway"
        ));
    }
    session
        .store(host, cred)
        .await
        .with_context(|| format!("storing the login for {host}"))
}
