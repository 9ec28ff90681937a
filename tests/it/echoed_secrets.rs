//! Registries and token services whose error pages echo the request's headers: cr quotes their
//! answers, but never the secrets it sent (the Basic value and the password in it, bearer
//! tokens); CI log masking knows only the raw secret, not its base64 form.

use base64::Engine;

use crate::common::hostile::{Hostile, Reply, Seen};
use crate::common::Env;

const USER: &str = "alice";
const SECRET: &str = "Ech0ed-Pa55word?/+";
const TOKEN: &str = "T0ken-Handed-Out-4-alice";

fn basic_value() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{SECRET}"))
}

/// An error page that echoes the request's Authorization header: as text, or as a
/// distribution error whose message JSON-escapes `/`.
fn echo(s: &Seen, json: bool) -> Reply {
    let auth = s.authorization.clone().unwrap_or_default();
    if json {
        let msg = format!("request had Authorization: {auth}").replace('/', "\\/");
        let body = format!(r#"{{"errors":[{{"code":"BAD","message":"{msg}"}}]}}"#);
        Reply::json(400, body)
    } else {
        Reply::Full {
            status: 400,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: format!("Bad request.\nAuthorization: {auth}\nHost: x\n").into_bytes(),
        }
    }
}

/// `cr manifest-inspect` of `reg`, with CR_USERNAME/CR_PASSWORD for it: (exit code,
/// stdout + stderr), after checking that neither holds a secret in any form.
fn inspect(reg: &Hostile) -> (Option<i32>, String) {
    let env = Env::new();
    let out = env
        .std_cmd()
        .env("CR_REGISTRY", reg.host())
        .env("CR_USERNAME", USER)
        .env("CR_PASSWORD", SECRET)
        .env("CR_MAX_RETRIES", "0")
        .args(["manifest-inspect", "ns/app:1"])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let b64 = basic_value();
    for leak in [SECRET, "Pa55word", b64.trim_end_matches('='), TOKEN] {
        assert!(!all.contains(leak), "{leak} in: {all}");
    }
    (out.status.code(), all)
}

/// Basic authentication (htpasswd): the 400 page quotes the Basic value cr sent.
#[test]
fn a_basic_value_echoed_in_an_error_is_redacted() {
    for json in [false, true] {
        let reg = Hostile::start(move |s| match (s.path(), &s.authorization) {
            ("/v2/", None) => {
                Reply::status(401).with_header("WWW-Authenticate", r#"Basic realm="r""#)
            }
            ("/v2/", Some(_)) => Reply::status(200),
            _ => echo(s, json),
        });
        let (code, all) = inspect(&reg);
        assert_eq!(code, Some(1), "{all}");
        let expected = format!("Basic {}", basic_value());
        let echoed: Vec<Seen> = reg
            .seen()
            .into_iter()
            .filter(|s| s.path() != "/v2/")
            .collect();
        assert!(!echoed.is_empty(), "{all}");
        assert!(echoed
            .iter()
            .all(|s| s.authorization.as_deref() == Some(&expected)));
        assert!(all.contains("Authorization: Basic [redacted]"), "{all}");
    }
}

/// Token authentication: the registry's page quotes the bearer token, and the token service's
/// refusal quotes the Basic value it was asked with.
#[test]
fn bearer_tokens_and_token_service_echoes_are_redacted() {
    let realm = Hostile::start(|s| match s.authorization {
        Some(_) => Reply::json(200, format!(r#"{{"token":"{TOKEN}","expires_in":300}}"#)),
        None => Reply::status(401),
    });
    let realm_url = format!("http://{}/token", realm.host());
    let challenge = format!(r#"Bearer realm="{realm_url}",service="s""#);
    let reg = Hostile::start(move |s| match (s.path(), &s.authorization) {
        (_, None) => Reply::status(401).with_header("WWW-Authenticate", &challenge),
        _ => echo(s, false),
    });
    let (code, all) = inspect(&reg);
    assert_eq!(code, Some(1), "{all}");
    assert!(
        reg.authorized()
            .iter()
            .any(|s| s.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))),
        "the token was sent: {all}"
    );
    assert!(all.contains("Authorization: Bearer [redacted]"), "{all}");

    // A token service whose refusal echoes the request.
    let realm = Hostile::start(|s| echo(s, false));
    let realm_url = format!("http://{}/token", realm.host());
    let challenge = format!(r#"Bearer realm="{realm_url}",service="s""#);
    let reg =
        Hostile::start(move |_| Reply::status(401).with_header("WWW-Authenticate", &challenge));
    let (code, all) = inspect(&reg);
    assert_ne!(code, Some(0), "{all}");
    assert!(
        realm
            .authorized()
            .iter()
            .all(|s| s.authorization.as_deref() == Some(&format!("Basic {}", basic_value()))),
        "{all}"
    );
    assert!(!realm.authorized().is_empty(), "{all}");
    assert!(all.contains("Authorization: Basic [redacted]"), "{all}");
}
