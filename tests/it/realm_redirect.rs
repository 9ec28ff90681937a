//! Credentials sent to a token realm do not follow a redirect to another host.

use cr::client::transport::auth::Challenge;
use cr::client::Registry;
use cr::config::Settings;
use cr::credentials::{Credential, CredentialSource};

use crate::common::hostile::{Hostile, Reply};

#[tokio::test]
async fn realm_redirect_drops_basic_credentials() {
    let body = r#"{"token":"t","expires_in":60}"#;
    let target = Hostile::start(move |_| Reply::json(200, body));
    let to = format!("http://{}/token2", target.host());
    let realm = Hostile::start(move |_| Reply::status(307).with_header("Location", &to));
    let settings = Settings::resolve(Some("127.0.0.1:1"), &[], vec![], false).unwrap();
    let cred = Credential::new("alice", "secret", CredentialSource::Flags);
    let reg = Registry::new(&settings.registry_options(), "127.0.0.1:1", Some(cred)).unwrap();
    let mut params = std::collections::HashMap::new();
    params.insert(
        "realm".to_string(),
        format!("http://{}/token", realm.host()),
    );
    params.insert("service".to_string(), "svc".to_string());
    let ch = Challenge {
        scheme: "Bearer".into(),
        params,
    };
    let token = reg
        .fetch_token(&ch, &[])
        .await
        .expect("token through the redirect");
    assert_eq!(token.value, "t");
    assert!(
        realm.authorized().iter().any(|s| s
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("Basic ")),
        "the realm gets the credentials"
    );
    let at_target = target.seen();
    assert!(!at_target.is_empty());
    assert!(target.authorized().is_empty(), "{at_target:?}");
}
