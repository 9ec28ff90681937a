//! Authentication: `WWW-Authenticate` challenges (parsed tolerantly), least-privilege scopes,
//! and bearer tokens from the realm (GET with Basic credentials, OAuth2 POST with a refresh
//! token), cached per scope set and renewed before expiry.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One parsed challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: HashMap<String, String>,
}

impl Challenge {
    pub fn is_bearer(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("bearer")
    }
    pub fn is_basic(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("basic")
    }
    pub fn param(&self, k: &str) -> Option<&str> {
        self.params.get(k).map(String::as_str)
    }
}

/// Parse a `WWW-Authenticate` value that may hold several challenges, unquoted values and extra
/// spaces: `Basic realm="x", Bearer realm=https://a/token , service = "s"`.
pub fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let s = header.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < s.len() && (s[*i] == b' ' || s[*i] == b'\t' || s[*i] == b',') {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= s.len() {
            break;
        }
        let start = i;
        while i < s.len() && !matches!(s[i], b' ' | b'\t' | b',' | b'=') {
            i += 1;
        }
        let token = header[start..i].to_string();
        // Is this token a parameter name (followed by '=') or a new scheme?
        let mut j = i;
        while j < s.len() && (s[j] == b' ' || s[j] == b'\t') {
            j += 1;
        }
        if j < s.len() && s[j] == b'=' && !out.is_empty() {
            i = j + 1;
            while i < s.len() && (s[i] == b' ' || s[i] == b'\t') {
                i += 1;
            }
            let value = if i < s.len() && s[i] == b'"' {
                i += 1;
                let mut v = String::new();
                while i < s.len() && s[i] != b'"' {
                    if s[i] == b'\\' && i + 1 < s.len() {
                        i += 1;
                    }
                    v.push(s[i] as char);
                    i += 1;
                }
                i += 1;
                v
            } else {
                let vs = i;
                while i < s.len() && s[i] != b',' {
                    i += 1;
                }
                header[vs..i].trim().to_string()
            };
            out.last_mut()
                .expect("non-empty")
                .params
                .insert(token.to_ascii_lowercase(), value);
        } else if !token.is_empty() {
            out.push(Challenge {
                scheme: token,
                params: HashMap::new(),
            });
        } else {
            i += 1;
        }
    }
    out
}

/// Choose the challenge to answer: Bearer over Basic.
pub fn choose(challenges: Vec<Challenge>) -> Option<Challenge> {
    let mut basic = None;
    for c in challenges {
        if c.is_bearer() && c.param("realm").is_some() {
            return Some(c);
        }
        if c.is_basic() {
            basic = Some(c);
        }
    }
    basic
}

/// Least-privilege access scopes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(String);

impl Scope {
    pub fn pull(repo: &str) -> Self {
        Scope(format!("repository:{repo}:pull"))
    }
    pub fn push(repo: &str) -> Self {
        Scope(format!("repository:{repo}:pull,push"))
    }
    pub fn delete(repo: &str) -> Self {
        Scope(format!("repository:{repo}:delete"))
    }
    pub fn pull_delete(repo: &str) -> Self {
        Scope(format!("repository:{repo}:pull,delete"))
    }
    pub fn push_delete(repo: &str) -> Self {
        Scope(format!("repository:{repo}:pull,push,delete"))
    }
    pub fn catalog() -> Self {
        Scope("registry:catalog:*".to_string())
    }
    /// A scope as a user writes it (`repository:NS/REPO:pull[,push,delete]`, `*` for all
    /// actions, or `registry:catalog:*`); the repository is checked by the name grammar.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s == "registry:catalog:*" {
            return Ok(Self::catalog());
        }
        let bad = |why: &str| format!("invalid scope {s:?}: {why}");
        let rest = s
            .strip_prefix("repository:")
            .ok_or_else(|| bad("expected repository:NS/REPO:ACTIONS or registry:catalog:*"))?;
        let (repo, actions) = rest
            .rsplit_once(':')
            .ok_or_else(|| bad("expected repository:NS/REPO:ACTIONS"))?;
        crate::oci::reference::validate_repository(repo).map_err(|e| bad(&e.to_string()))?;
        let ok = |a: &str| matches!(a, "pull" | "push" | "delete" | "*");
        if actions.is_empty() || !actions.split(',').all(ok) {
            return Err(bad("actions are pull, push, delete or *, separated by ','"));
        }
        Ok(Scope(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The scopes a strict token service (Quay: `repository:NAME:(pull|push|*)` only) accepts in
/// place of `scopes`: `delete` becomes `pull,push` (Quay deletes with push rights) and
/// `registry:` scopes are left out (Quay lists the catalog by login, without a scope). None
/// when nothing would change.
pub fn narrowed(scopes: &[Scope]) -> Option<Vec<Scope>> {
    let mut changed = false;
    let mut out = Vec::new();
    for s in scopes {
        let Some(rest) = s.0.strip_prefix("repository:") else {
            changed = true;
            continue;
        };
        let Some((name, actions)) = rest.rsplit_once(':') else {
            out.push(s.clone());
            continue;
        };
        if actions.split(',').any(|a| a == "delete") {
            changed = true;
            out.push(Scope::push(name));
        } else {
            out.push(s.clone());
        }
    }
    changed.then_some(out)
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bearer token; `Debug` never shows it.
#[derive(Clone)]
pub struct Token {
    pub value: String,
    pub renew_at: Instant,
    /// Fetched because the one before was refused (401): if this one is refused too, the
    /// account lacks the scope, and no request renews it again until it expires.
    pub after_refusal: bool,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("value", &"<redacted>")
            .field("renew_at", &self.renew_at)
            .finish()
    }
}

impl Token {
    /// A token valid for `expires_in` seconds (60 when absent or zero, at most a day) is
    /// renewed a margin before it ends.
    pub fn new(value: String, expires_in: Option<u64>) -> Self {
        let secs = expires_in
            .filter(|&s| s > 0)
            .unwrap_or(60)
            .min(MAX_TOKEN_LIFE);
        let life = Duration::from_secs(secs);
        let margin = (life / 4).min(Duration::from_secs(30));
        Token {
            value,
            renew_at: Instant::now() + life - margin,
            after_refusal: false,
        }
    }
    pub fn fresh(&self) -> bool {
        Instant::now() < self.renew_at
    }
}

/// The token service's answer.
#[derive(serde::Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    /// Seconds, as a token service sends them: usually an integer, sometimes a float, a
    /// string, negative or absurdly large. Read leniently and clamped by [`Token::new`].
    #[serde(default)]
    pub expires_in: Option<serde_json::Value>,
}

/// A token is used for at most a day, whatever its `expires_in` says.
const MAX_TOKEN_LIFE: u64 = 86_400;

impl TokenResponse {
    pub fn into_token(self) -> Option<Token> {
        let v = self
            .token
            .filter(|t| !t.is_empty())
            .or(self.access_token.filter(|t| !t.is_empty()))?;
        let secs = self.expires_in.as_ref().and_then(|e| match e {
            serde_json::Value::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 1.0)
                    .map(|f| f.min(MAX_TOKEN_LIFE as f64) as u64)
            }),
            serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        });
        Some(Token::new(v, secs))
    }
}

/// Tokens per scope set; each slot has its own lock so different scopes fetch in parallel and
/// the same scope is fetched once.
#[derive(Default)]
pub struct TokenCache {
    slots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Token>>>>>,
}

impl TokenCache {
    pub fn key(scopes: &[Scope]) -> String {
        let mut v: Vec<&str> = scopes.iter().map(Scope::as_str).collect();
        v.sort_unstable();
        v.dedup();
        v.join(" ")
    }

    pub fn slot(&self, scopes: &[Scope]) -> Arc<tokio::sync::Mutex<Option<Token>>> {
        self.slots
            .lock()
            .expect("token cache lock")
            .entry(Self::key(scopes))
            .or_default()
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_standard_bearer() {
        let c = parse_challenges(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#,
        );
        assert_eq!(c.len(), 1);
        assert!(c[0].is_bearer());
        assert_eq!(c[0].param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(
            c[0].param("scope"),
            Some("repository:samalba/my-app:pull,push")
        );
    }

    #[test]
    fn tolerant_parsing() {
        let c = parse_challenges(
            r#"  Basic realm="Registry Realm" ,  bearer realm = https://h/token , Service = reg  "#,
        );
        assert_eq!(c.len(), 2, "{c:?}");
        assert!(c[0].is_basic());
        assert_eq!(c[0].param("realm"), Some("Registry Realm"));
        assert!(c[1].is_bearer());
        assert_eq!(c[1].param("realm"), Some("https://h/token"));
        assert_eq!(c[1].param("service"), Some("reg"));
        let chosen = choose(c).unwrap();
        assert!(chosen.is_bearer());
        assert!(choose(parse_challenges("Basic")).unwrap().is_basic());
        assert!(choose(parse_challenges("")).is_none());
    }

    #[test]
    fn scopes_as_users_write_them() {
        for ok in [
            "repository:ns/app:pull",
            "repository:ns/app:pull,push",
            "repository:a/b/c:*",
            "registry:catalog:*",
        ] {
            assert_eq!(Scope::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "ns/app",
            "repository:ns/app",
            "repository:NS/App:pull",
            "repository:ns/app:steal",
            "repository:ns/app:",
            "repository:../x:pull",
            "registry:catalog:pull",
            "repository:ns/app:pull\n",
        ] {
            assert!(Scope::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn token_fields() {
        let t: TokenResponse =
            serde_json::from_str(r#"{"access_token":"a","expires_in":2}"#).unwrap();
        let t = t.into_token().unwrap();
        assert_eq!(t.value, "a");
        assert!(t.fresh());
        assert!(!format!("{t:?}").contains("\"a\""));
        for (raw, life) in [
            ("18446744073709551615", MAX_TOKEN_LIFE),
            ("-5", 60),
            ("1e300", MAX_TOKEN_LIFE),
            ("30.5", 30),
            ("\"120\"", 120),
            ("null", 60),
        ] {
            let t: TokenResponse =
                serde_json::from_str(&format!(r#"{{"token":"t","expires_in":{raw}}}"#)).unwrap();
            let t = t.into_token().unwrap();
            let left = t.renew_at - Instant::now();
            let margin = (Duration::from_secs(life) / 4).min(Duration::from_secs(30));
            assert!(
                left <= Duration::from_secs(life) - margin,
                "{raw}: {left:?}"
            );
            assert!(
                left + Duration::from_secs(2) >= Duration::from_secs(life) - margin,
                "{raw}"
            );
        }
        let t: TokenResponse = serde_json::from_str(r#"{"token":"b"}"#).unwrap();
        assert!(t.into_token().unwrap().renew_at > Instant::now() + Duration::from_secs(40));
        assert_eq!(
            TokenCache::key(&[Scope::push("b"), Scope::pull("a"), Scope::pull("a")]),
            "repository:a:pull repository:b:pull,push"
        );
    }

    #[test]
    fn narrowing_for_strict_token_services() {
        assert_eq!(narrowed(&[Scope::pull("a/b"), Scope::push("c")]), None);
        assert_eq!(
            narrowed(&[Scope::pull_delete("a/b"), Scope::catalog()]),
            Some(vec![Scope::push("a/b")])
        );
        assert_eq!(narrowed(&[Scope::catalog()]), Some(vec![]));
        assert_eq!(
            narrowed(&[Scope::delete("x"), Scope::pull("y")]),
            Some(vec![Scope::push("x"), Scope::pull("y")])
        );
    }
}
