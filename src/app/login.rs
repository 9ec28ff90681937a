//! Login as a library call: prove a credential against the registry (one authenticated
//! request), then store it (keyring, helper or file, as configured); nothing is stored when
//! the registry refuses it.

use anyhow::Context;

use super::Session;
use crate::client::Kind;
use crate::credentials::{Credential, Stored};

/// Prove `cred` against `host`, then store it. A registry that asks for no authentication is
/// noted, and the login is stored anyway. Where it went is returned.
pub async fn login(session: &Session, host: &str, cred: Credential) -> anyhow::Result<Stored> {
    let reg = session.with_credential(host, cred.clone()).await?;
    let needs_auth = match reg.prove_login().await {
        Ok(n) => n,
        // Only an answer about the credentials blames them; a certificate, a connection or
        // cr's own refusal never sent them.
        Err(e) if matches!(e.kind(), Kind::Unauthorized | Kind::Denied) => {
            return Err(anyhow::Error::new(e).context(format!(
                "login to {host} failed: the registry refused the credentials of user {:?}; nothing was stored",
                cred.username
            )))
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!(
                "cannot log in to {host}: the credentials were not checked; nothing was stored"
            )))
        }
    };
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
