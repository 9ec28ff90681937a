//! Whose credentials a request carried, and where they came from: named in errors (`user
//! "alice" from CR_USERNAME/CR_PASSWORD`) and read by the hints as a type, never as text.

use std::fmt;

use crate::credentials::CredentialSource;

/// The account behind a request: a user name and the credential's source, or anonymous.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Account {
    pub user: Option<String>,
    pub source: Option<CredentialSource>,
}

impl Account {
    pub fn anonymous() -> Self {
        Self::default()
    }

    pub fn is_anonymous(&self) -> bool {
        self.user.is_none()
    }

    /// The credentials came from CR_APIKEY or CR_USERNAME/CR_PASSWORD.
    pub fn from_environment(&self) -> bool {
        matches!(
            self.source,
            Some(CredentialSource::ApiKeyEnv | CredentialSource::UserPasswordEnv)
        )
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.user, &self.source) {
            (Some(u), Some(s)) => write!(f, "user {u:?} from {s}"),
            (Some(u), None) => write!(f, "user {u:?}"),
            (None, _) => f.write_str("the anonymous user"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_is_told_by_the_source_not_the_text() {
        let env = Account {
            user: Some("ci".into()),
            source: Some(CredentialSource::UserPasswordEnv),
        };
        assert!(env.from_environment());
        assert_eq!(env.to_string(), "user \"ci\" from CR_USERNAME/CR_PASSWORD");
        // A user name that reads like a source is only a name.
        let odd = Account {
            user: Some(" from CR_APIKEY".into()),
            source: Some(CredentialSource::Keyring),
        };
        assert!(!odd.from_environment());
        assert!(Account::anonymous().is_anonymous());
        assert_eq!(Account::anonymous().to_string(), "the anonymous user");
    }
}
