//! Credentials sent to a token realm do not follow a redirect to another host.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use cr::client::auth::Challenge;
use cr::client::Registry;
use cr::config::Settings;
use cr::credentials::{Credential, CredentialSource};

/// Serve one request per connection: record the headers, answer with `reply(port)`.
fn server(reply: impl Fn() -> String + Send + 'static) -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    std::thread::spawn(move || {
        for c in l.incoming().flatten().take(8) {
            let mut r = BufReader::new(c.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                s.lock().unwrap().push(line.trim().to_ascii_lowercase());
            }
            let _ = (&c).write_all(reply().as_bytes());
        }
    });
    (port, seen)
}

#[tokio::test]
async fn realm_redirect_drops_basic_credentials() {
    let body = r#"{"token":"t","expires_in":60}"#;
    let (target, seen_target) = server(move || {
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
    });
    let (realm, seen_realm) = server(move || {
        format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{target}/token2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    });
    let settings = Settings::resolve(Some("127.0.0.1:1"), &[], vec![], false).unwrap();
    let cred = Credential::new("alice", "secret", CredentialSource::Flags);
    let reg = Registry::new(&settings.registry_options(), "127.0.0.1:1", Some(cred)).unwrap();
    let mut params = std::collections::HashMap::new();
    params.insert(
        "realm".to_string(),
        format!("http://127.0.0.1:{realm}/token"),
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
        seen_realm
            .lock()
            .unwrap()
            .iter()
            .any(|h| h.starts_with("authorization: basic")),
        "the realm gets the credentials"
    );
    let target_headers = seen_target.lock().unwrap().clone();
    assert!(!target_headers.is_empty());
    assert!(
        !target_headers
            .iter()
            .any(|h| h.starts_with("authorization")),
        "{target_headers:?}"
    );
}
