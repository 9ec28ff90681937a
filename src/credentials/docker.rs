//! Docker's `config.json` (`DOCKER_CONFIG`; `auths`, `credHelpers`, `credsStore` through
//! `docker-credential-*`) and containers' `auth.json` (`REGISTRY_AUTH_FILE`): read, and write
//! `auths` entries 0600 when no keyring is usable.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use serde_json::{Map, Value};

use super::{Credential, CredentialError, CredentialSource, Stored};
use crate::oci::reference::{Host, DOCKER_HUB};

/// Docker keys Docker Hub logins by this URL.
const HUB_KEY: &str = "https://index.docker.io/v1/";

pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("config.json"));
    }
    dirs::home_dir().map(|h| h.join(".docker").join("config.json"))
}

pub fn auth_json_path() -> Option<PathBuf> {
    if let Some(f) = std::env::var_os("REGISTRY_AUTH_FILE").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(f));
    }
    if let Some(r) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        let p = PathBuf::from(r).join("containers").join("auth.json");
        if p.exists() {
            return Some(p);
        }
    }
    dirs::config_dir().map(|c| c.join("containers").join("auth.json"))
}

fn read_json(path: &Path) -> Result<Option<Map<String, Value>>, CredentialError> {
    match std::fs::read(path) {
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Ok(Some(Map::new())),
        Ok(b) => match serde_json::from_slice::<Value>(&b) {
            Ok(Value::Object(m)) => Ok(Some(m)),
            Ok(_) => Err(CredentialError::Read {
                path: path.to_path_buf(),
                message: "not a JSON object".into(),
            }),
            Err(e) => Err(CredentialError::Read {
                path: path.to_path_buf(),
                message: e.to_string(),
            }),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CredentialError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

/// Whether a key of `auths` / `credHelpers` names `registry`.
fn key_matches(key: &str, registry: &str) -> bool {
    match (Host::from_key(key), Host::parse(registry)) {
        (Ok(k), Ok(r)) => k == r,
        _ => false,
    }
}

fn find<'a>(map: Option<&'a Value>, registry: &str) -> Option<(&'a String, &'a Value)> {
    map?.as_object()?
        .iter()
        .find(|(k, _)| key_matches(k, registry))
}

/// Decode one `auths` entry: `auth` (base64 user:pass), or `username`+`password`, and
/// `identitytoken`.
fn decode_entry(v: &Value, source: CredentialSource) -> Option<Credential> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (mut user, mut pass) = (
        s("username").map(str::to_string),
        s("password").map(str::to_string),
    );
    if let Some(a) = s("auth") {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(a.trim())
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (u, p) = text.split_once(':')?;
        user = Some(u.to_string());
        pass = Some(p.to_string());
    }
    let token = s("identitytoken").map(str::to_string);
    if user.is_none() && token.is_none() {
        return None;
    }
    let mut c = Credential::new(
        user.as_deref().unwrap_or("<token>"),
        pass.as_deref().unwrap_or(""),
        source,
    );
    c.identity_token = token;
    Some(c)
}

pub fn lookup_docker_config(registry: &str) -> Result<Option<Credential>, CredentialError> {
    let Some(path) = docker_config_path() else {
        return Ok(None);
    };
    let Some(cfg) = read_json(&path)? else {
        return Ok(None);
    };
    if let Some((_, helper)) = find(cfg.get("credHelpers"), registry) {
        if let Some(h) = helper.as_str().filter(|h| !h.is_empty()) {
            return helper_get(h, registry);
        }
    }
    if let Some((_, entry)) = find(cfg.get("auths"), registry) {
        if let Some(c) = decode_entry(entry, CredentialSource::DockerConfig(path.clone())) {
            return Ok(Some(c));
        }
    }
    if let Some(h) = cfg
        .get("credsStore")
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty())
    {
        return helper_get(h, registry);
    }
    Ok(None)
}

pub fn lookup_auth_json(registry: &str) -> Result<Option<Credential>, CredentialError> {
    let Some(path) = auth_json_path() else {
        return Ok(None);
    };
    let Some(cfg) = read_json(&path)? else {
        return Ok(None);
    };
    Ok(find(cfg.get("auths"), registry)
        .and_then(|(_, e)| decode_entry(e, CredentialSource::AuthJson(path.clone()))))
}

fn server_url(registry: &str) -> &str {
    if registry == DOCKER_HUB {
        HUB_KEY
    } else {
        registry
    }
}

fn run_helper(helper: &str, verb: &str, input: &[u8]) -> Result<(bool, Vec<u8>), CredentialError> {
    let herr = |message: String| CredentialError::Helper {
        helper: helper.to_string(),
        message,
    };
    let mut child = Command::new(format!("docker-credential-{helper}"))
        .arg(verb)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| herr(format!("cannot run it: {e}")))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input)
        .map_err(|e| herr(e.to_string()))?;
    let out = child.wait_with_output().map_err(|e| herr(e.to_string()))?;
    Ok((out.status.success(), out.stdout))
}

fn helper_get(helper: &str, registry: &str) -> Result<Option<Credential>, CredentialError> {
    let (ok, out) = run_helper(helper, "get", server_url(registry).as_bytes())?;
    if !ok {
        // "credentials not found in native keychain" and the like: no login here.
        return Ok(None);
    }
    let v: Value = serde_json::from_slice(&out).map_err(|e| CredentialError::Helper {
        helper: helper.to_string(),
        message: format!("unreadable answer: {e}"),
    })?;
    let user = v.get("Username").and_then(Value::as_str).unwrap_or("");
    let secret = v.get("Secret").and_then(Value::as_str).unwrap_or("");
    let source = CredentialSource::Helper(helper.to_string());
    if user == "<token>" {
        let mut c = Credential::new(user, "", source);
        c.identity_token = Some(secret.to_string());
        return Ok(Some(c));
    }
    Ok(Some(Credential::new(user, secret, source)))
}

/// Write `map` as the config file at `path` (0600), atomically, as docker's `configfile.Save`
/// does: a missing directory is made 0700, and a `config.json` that is a symbolic link (a
/// dotfiles checkout) keeps being one: the file it points at is replaced, not the link.
fn write_0600(path: &Path, map: &Map<String, Value>) -> Result<(), CredentialError> {
    // A dangling link, or no file yet: written at `path` (docker does the same).
    let resolved = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let path = resolved.as_path();
    let werr = |source| CredentialError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(werr)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(werr)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o600))
            .map_err(werr)?;
    }
    let mut body = serde_json::to_vec_pretty(map).expect("serialises");
    body.push(b'\n');
    tmp.write_all(&body).map_err(werr)?;
    tmp.persist(path).map_err(|e| werr(e.error))?;
    Ok(())
}

/// Store in Docker's config: through its credential helper when one is configured for the
/// registry, else as an `auths` entry in config.json (0600).
pub fn store(registry: &str, cred: &Credential) -> Result<Stored, CredentialError> {
    let path = docker_config_path().ok_or_else(|| CredentialError::Write {
        path: PathBuf::from("~/.docker/config.json"),
        source: std::io::Error::other("no home directory"),
    })?;
    let cfg = read_json(&path)?.unwrap_or_default();
    let helper = find(cfg.get("credHelpers"), registry)
        .and_then(|(_, h)| h.as_str().map(str::to_string))
        .or_else(|| {
            cfg.get("credsStore")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .filter(|h| !h.is_empty());
    if let Some(h) = helper {
        let body = serde_json::json!({
            "ServerURL": server_url(registry),
            "Username": cred.username,
            "Secret": cred.password,
        });
        let (ok, out) = run_helper(&h, "store", body.to_string().as_bytes())?;
        if !ok {
            return Err(CredentialError::Helper {
                helper: h,
                message: String::from_utf8_lossy(&out).trim().to_string(),
            });
        }
        return Ok(Stored::Helper(h));
    }
    put_auths(path, cfg, registry, cred)
}

/// Write the registry's `auths` entry into config.json (0600) itself, never through a helper:
/// cr's own file store, also when cr is the helper Docker calls.
pub fn store_auths(registry: &str, cred: &Credential) -> Result<Stored, CredentialError> {
    let path = docker_config_path().ok_or_else(|| CredentialError::Write {
        path: PathBuf::from("~/.docker/config.json"),
        source: std::io::Error::other("no home directory"),
    })?;
    let cfg = read_json(&path)?.unwrap_or_default();
    put_auths(path, cfg, registry, cred)
}

fn put_auths(
    path: PathBuf,
    mut cfg: Map<String, Value>,
    registry: &str,
    cred: &Credential,
) -> Result<Stored, CredentialError> {
    let auths = cfg
        .entry("auths")
        .or_insert_with(|| Value::Object(Map::new()));
    if !auths.is_object() {
        *auths = Value::Object(Map::new());
    }
    let auths = auths.as_object_mut().expect("object");
    auths.retain(|k, _| !key_matches(k, registry));
    let entry = match &cred.identity_token {
        // Docker's form for an identity (refresh) token: no user name, no password.
        Some(t) => serde_json::json!({ "identitytoken": t }),
        None => {
            let auth = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", cred.username, cred.password));
            serde_json::json!({ "auth": auth })
        }
    };
    auths.insert(server_url(registry).to_string(), entry);
    write_0600(&path, &cfg)?;
    Ok(Stored::File { path, warn: true })
}

/// The registry's `auths` entry of config.json alone (no helper is asked).
pub fn lookup_auths(registry: &str) -> Result<Option<Credential>, CredentialError> {
    let Some(path) = docker_config_path() else {
        return Ok(None);
    };
    let Some(cfg) = read_json(&path)? else {
        return Ok(None);
    };
    Ok(find(cfg.get("auths"), registry)
        .and_then(|(_, e)| decode_entry(e, CredentialSource::DockerConfig(path.clone()))))
}

/// Remove the registry's `auths` entry of config.json alone; true when there was one.
pub fn erase_auths(registry: &str) -> Result<bool, CredentialError> {
    let Some(path) = docker_config_path() else {
        return Ok(false);
    };
    let Some(mut cfg) = read_json(&path)? else {
        return Ok(false);
    };
    let Some(auths) = cfg.get_mut("auths").and_then(Value::as_object_mut) else {
        return Ok(false);
    };
    let before = auths.len();
    auths.retain(|k, _| !key_matches(k, registry));
    if auths.len() == before {
        return Ok(false);
    }
    write_0600(&path, &cfg)?;
    Ok(true)
}

/// The `auths` entries of config.json with a user name: (key as written, user).
pub fn list_auths() -> Result<Vec<(String, String)>, CredentialError> {
    let Some(path) = docker_config_path() else {
        return Ok(Vec::new());
    };
    let Some(cfg) = read_json(&path)? else {
        return Ok(Vec::new());
    };
    let Some(auths) = cfg.get("auths").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    Ok(auths
        .iter()
        .filter_map(|(k, e)| {
            decode_entry(e, CredentialSource::DockerConfig(path.clone()))
                .map(|c| (k.clone(), c.username))
        })
        .collect())
}

/// Remove the registry's `auths` entry (and the helper's copy). Returns where it was.
pub fn erase(registry: &str) -> Result<Option<String>, CredentialError> {
    let Some(path) = docker_config_path() else {
        return Ok(None);
    };
    let Some(mut cfg) = read_json(&path)? else {
        return Ok(None);
    };
    let mut place = None;
    if let Some(h) = find(cfg.get("credHelpers"), registry)
        .and_then(|(_, h)| h.as_str().map(str::to_string))
        .or_else(|| {
            cfg.get("credsStore")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .filter(|h| !h.is_empty())
    {
        if let Ok((true, _)) = run_helper(&h, "erase", server_url(registry).as_bytes()) {
            place = Some(format!("docker-credential-{h}"));
        }
    }
    if let Some(auths) = cfg.get_mut("auths").and_then(Value::as_object_mut) {
        let before = auths.len();
        auths.retain(|k, _| !key_matches(k, registry));
        if auths.len() != before {
            write_0600(&path, &cfg)?;
            place = Some(path.display().to_string());
        }
    }
    Ok(place)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_auth_and_token() {
        let v = serde_json::json!({"auth": "YWxpY2U6czNjcjN0"});
        let c = decode_entry(&v, CredentialSource::Flags).unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("alice", "s3cr3t")
        );
        let v = serde_json::json!({"identitytoken": "rt"});
        let c = decode_entry(&v, CredentialSource::Flags).unwrap();
        assert_eq!(c.identity_token.as_deref(), Some("rt"));
        assert!(decode_entry(&serde_json::json!({}), CredentialSource::Flags).is_none());
    }

    #[test]
    fn hub_keys_match() {
        assert!(key_matches("https://index.docker.io/v1/", "docker.io"));
        assert!(key_matches("localhost:5000", "localhost:5000"));
        assert!(key_matches("http://localhost:5000", "localhost:5000"));
        assert!(!key_matches("localhost:5001", "localhost:5000"));
    }
}
