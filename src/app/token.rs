//! Registry bearer tokens for other tools (`cr auth token`): the token cr would use for a set
//! of scopes, from the registry's token service with cr's own credentials. The token is a
//! secret: its `Debug` is redacted.

use std::fmt;

use crate::client::{Registry, Scope};

/// A bearer token handed to the caller; `Debug` never shows it.
pub struct BearerToken(String);

impl BearerToken {
    /// The token itself, for the one place that prints it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

/// Why no token can be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{host} asks for no authentication: there is no token to get (send requests without Authorization)")]
    Open { host: String },
    #[error("{host} uses Basic authentication only: it has no token service, so there is no bearer token to get (send user and password, e.g. curl -u USER)")]
    BasicOnly { host: String },
}

/// A fresh bearer token for `scopes` from the token service `reg` names in its challenge,
/// asked with the credentials `reg` holds (or anonymously).
pub async fn token(reg: &Registry, scopes: &[Scope]) -> anyhow::Result<BearerToken> {
    let Some(ch) = reg.challenge().await? else {
        return Err(TokenError::Open {
            host: reg.name.clone(),
        }
        .into());
    };
    if !ch.is_bearer() {
        return Err(TokenError::BasicOnly {
            host: reg.name.clone(),
        }
        .into());
    }
    let t = reg.fetch_token(&ch, scopes).await?;
    Ok(BearerToken(t.value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let t = BearerToken("s3cret-token".into());
        assert!(!format!("{t:?}").contains("s3cret"));
        assert_eq!(t.expose(), "s3cret-token");
    }
}
