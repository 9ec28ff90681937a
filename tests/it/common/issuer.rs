//! A small token issuer for distribution's `auth.token`: checks Basic credentials (GET) or a
//! refresh token / password (OAuth2 POST), grants the requested actions each account may have,
//! and signs RS256 JWTs whose `x5c` header chains to the registry's `rootcertbundle`. It is a
//! `Hostile` server whose handler is the issuer.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::hostile::{Hostile, Reply, Seen};

use base64::Engine;

pub const SERVICE: &str = "cr-test-registry";
pub const ISSUER: &str = "cr-test-issuer";
pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-pass";
pub const API_KEY: &str = "test-api-key-0123";
pub const REFRESH_TOKEN: &str = "refresh-token-for-admin";

/// An account: its password and, per repository prefix, the actions it may have.
#[derive(Clone)]
pub struct User {
    pub name: String,
    pub password: String,
    /// (repository prefix, actions); "*" prefix matches everything.
    pub rules: Vec<(String, Vec<String>)>,
    pub catalog: bool,
}

impl User {
    pub fn admin() -> Self {
        User {
            name: ADMIN.into(),
            password: ADMIN_PASSWORD.into(),
            rules: vec![(
                "*".into(),
                vec!["pull".into(), "push".into(), "delete".into()],
            )],
            catalog: true,
        }
    }
    pub fn new(name: &str, password: &str, rules: &[(&str, &[&str])], catalog: bool) -> Self {
        User {
            name: name.into(),
            password: password.into(),
            rules: rules
                .iter()
                .map(|(p, a)| (p.to_string(), a.iter().map(|s| s.to_string()).collect()))
                .collect(),
            catalog,
        }
    }
    fn allowed(&self, repo: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (prefix, actions) in &self.rules {
            if prefix == "*" || repo == prefix || repo.starts_with(&format!("{prefix}/")) {
                for a in actions {
                    if !out.contains(a) {
                        out.push(a.clone());
                    }
                }
            }
        }
        out
    }
}

struct State {
    users: Vec<User>,
    key: PathBuf,
    cert_der_b64: String,
    expires_in: u64,
    requests: AtomicUsize,
    posts: AtomicUsize,
    scopes_seen: Mutex<Vec<String>>,
}

pub struct Issuer {
    pub port: u16,
    dir: tempfile::TempDir,
    state: Arc<State>,
    _server: Hostile,
}

impl Issuer {
    /// Admin, `iamapikey` with [`API_KEY`] (admin rights), and the given users.
    pub fn start(mut users: Vec<User>, expires_in: u64) -> Self {
        super::require("openssl");
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.pem");
        let cert = dir.path().join("cert.pem");
        // The signing key and its certificate are made once per run: no test needs its own.
        static KEY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
        let made = super::shared::made_once(&KEY, "issuer", |d| {
            let pair = super::certs::Pair {
                cert: d.join("cert.pem"),
                key: d.join("key.pem"),
            };
            super::certs::x509(d, "cr-test-issuer", &[], &pair)
        });
        super::shared::copy_files(made, dir.path());
        let pem = std::fs::read_to_string(&cert).unwrap();
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        users.insert(0, User::admin());
        let mut apikey = User::admin();
        apikey.name = "iamapikey".into();
        apikey.password = API_KEY.into();
        users.push(apikey);
        let state = Arc::new(State {
            users,
            key,
            cert_der_b64: b64,
            expires_in,
            requests: AtomicUsize::new(0),
            posts: AtomicUsize::new(0),
            scopes_seen: Mutex::new(Vec::new()),
        });
        let s = state.clone();
        let server = Hostile::start(move |seen| handle(seen, &s));
        Issuer {
            port: server.port,
            dir,
            state,
            _server: server,
        }
    }

    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }
    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }
    /// Token requests answered so far (GET and POST).
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }
    pub fn posts(&self) -> usize {
        self.state.posts.load(Ordering::SeqCst)
    }
    pub fn scopes_seen(&self) -> Vec<String> {
        self.state.scopes_seen.lock().unwrap().clone()
    }
}

fn respond(status: u16, body: &str) -> Reply {
    Reply::json(status, body)
}

fn b64url(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn sign(state: &State, claims: &serde_json::Value) -> String {
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [state.cert_der_b64]});
    let input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let mut sign = Command::new("openssl");
    sign.args(["dgst", "-sha256", "-sign"]).arg(&state.key);
    let out = super::output_with_stdin(sign, input.as_bytes());
    format!("{input}.{}", b64url(&out.stdout))
}

fn decode_query(q: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(q.as_bytes())
        .into_owned()
        .collect()
}

fn handle(seen: &Seen, state: &State) -> Reply {
    let (method, target) = (&seen.method, &seen.target);
    state.requests.fetch_add(1, Ordering::SeqCst);
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    let mut params = decode_query(query);
    let mut user: Option<&User> = None;
    let mut authenticated_attempt = false;
    if method == "POST" {
        state.posts.fetch_add(1, Ordering::SeqCst);
        params = decode_query(&String::from_utf8_lossy(&seen.body));
        let get = |k: &str| params.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
        authenticated_attempt = true;
        match get("grant_type").as_deref() {
            Some("refresh_token") if get("refresh_token").as_deref() == Some(REFRESH_TOKEN) => {
                user = state.users.first();
            }
            Some("password") => {
                let (u, p) = (
                    get("username").unwrap_or_default(),
                    get("password").unwrap_or_default(),
                );
                user = state.users.iter().find(|x| x.name == u && x.password == p);
            }
            _ => {}
        }
        // OAuth2 scopes are one space-separated parameter.
        let scope = get("scope").unwrap_or_default();
        params = scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(|s| ("scope".to_string(), s.to_string()))
            .collect();
    } else if let Some(a) = seen.header("authorization") {
        authenticated_attempt = true;
        if let Some(b) = a.strip_prefix("Basic ") {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&raw).to_string();
            if let Some((u, p)) = text.split_once(':') {
                user = state.users.iter().find(|x| x.name == u && x.password == p);
            }
        }
    }
    if authenticated_attempt && user.is_none() {
        return respond(401, r#"{"details":"incorrect username or password"}"#);
    }
    let mut access = Vec::new();
    for (k, v) in &params {
        if k != "scope" {
            continue;
        }
        state.scopes_seen.lock().unwrap().push(v.clone());
        let mut it = v.splitn(3, ':');
        let (typ, name, actions) = (
            it.next().unwrap_or(""),
            it.next().unwrap_or(""),
            it.next().unwrap_or(""),
        );
        let granted: Vec<String> = match (typ, user) {
            ("registry", Some(u)) if name == "catalog" && u.catalog => vec!["*".into()],
            ("repository", Some(u)) => {
                let allowed = u.allowed(name);
                actions
                    .split(',')
                    .filter(|a| allowed.iter().any(|x| x == a))
                    .map(String::from)
                    .collect()
            }
            _ => Vec::new(),
        };
        access.push(serde_json::json!({"type": typ, "name": name, "actions": granted}));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "iss": ISSUER,
        "sub": user.map(|u| u.name.clone()).unwrap_or_default(),
        "aud": SERVICE,
        "exp": now + state.expires_in,
        "nbf": now - 5,
        "iat": now,
        "jti": format!("{now}-{}", state.requests.load(Ordering::SeqCst)),
        "access": access,
    });
    let token = sign(state, &claims);
    let body = if method == "POST" {
        serde_json::json!({"access_token": token, "expires_in": state.expires_in, "token_type": "Bearer"})
    } else {
        serde_json::json!({"token": token, "expires_in": state.expires_in})
    };
    respond(200, &body.to_string())
}
