//! `cr credential-helper get|store|erase|list`, also run as `docker-credential-cr` (a
//! symlink): Docker's credential-helper protocol on stdin/stdout over cr's own store. As
//! Docker's helpers do, a failure is one line on stdout and exit 1.

use std::io::{Read, Write};
use std::process::ExitCode;

use crate::credentials::helper::{self, TOKEN_USER};
use crate::credentials::{Credential, CredentialSource};

/// The name Docker runs a helper by (`credsStore: cr`).
const DOCKER_NAME: &str = "docker-credential-cr";
/// Docker's protocol texts (docker-credential-helpers), matched by its clients.
const NOT_FOUND: &str = "credentials not found in native keychain";
const NO_URL: &str = "no credentials server URL";
const NO_USER: &str = "no credentials username";
/// More than any server URL or login: the rest of a larger input is not read.
const MAX_INPUT: u64 = 64 << 10;

#[derive(Debug, clap::Args)]
pub struct CredentialHelperArgs {
    /// The helper action; get, store and erase read standard input as Docker sends it.
    #[arg(value_enum)]
    pub action: Action,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Action {
    /// Server URL on stdin -> {"ServerURL","Username","Secret"} on stdout.
    Get,
    /// {"ServerURL","Username","Secret"} on stdin: stored.
    Store,
    /// Server URL on stdin: its login removed.
    Erase,
    /// {"SERVER URL":"USER",…} on stdout.
    List,
    /// cr's version.
    Version,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Creds {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    secret: String,
}

/// When the binary runs as `docker-credential-cr`: the helper, with the action in argv[1].
pub fn as_docker_helper() -> Option<ExitCode> {
    let mut args = std::env::args_os();
    let argv0 = std::path::PathBuf::from(args.next()?);
    let name = argv0.file_stem()?.to_string_lossy().into_owned();
    if name != DOCKER_NAME {
        return None;
    }
    let rest: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
    let action = match rest.as_slice() {
        [a] => match a.as_str() {
            "get" => Some(Action::Get),
            "store" => Some(Action::Store),
            "erase" => Some(Action::Erase),
            "list" => Some(Action::List),
            "version" => Some(Action::Version),
            _ => None,
        },
        _ => None,
    };
    Some(match action {
        Some(a) => run(a),
        None => fail(&format!(
            "Usage: {DOCKER_NAME} <store|get|erase|list|version>"
        )),
    })
}

fn fail(msg: &str) -> ExitCode {
    super::output::emit_line(msg);
    ExitCode::from(super::exit::FAILURE)
}

fn read_input() -> Result<String, String> {
    let mut s = String::new();
    std::io::stdin()
        .take(MAX_INPUT)
        .read_to_string(&mut s)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(s)
}

/// The registry key of a server URL read from stdin.
fn key_of(url: &str) -> Result<String, String> {
    let url = url.trim();
    if url.is_empty() {
        return Err(NO_URL.into());
    }
    helper::registry_key(url).map_err(|e| e.to_string())
}

/// Run one action; the exit code Docker expects (0, or 1 with the reason on stdout).
pub fn run(action: Action) -> ExitCode {
    match act(action) {
        Ok(out) => {
            let mut o = std::io::stdout().lock();
            match o.write_all(out.as_bytes()).and_then(|_| o.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => ExitCode::from(super::output::stdout_failed(&e)),
            }
        }
        Err(msg) => fail(&msg),
    }
}

fn act(action: Action) -> Result<String, String> {
    let err = |e: crate::credentials::CredentialError| e.to_string();
    match action {
        Action::Get => {
            let url = read_input()?;
            let key = key_of(&url)?;
            let c = helper::get(&key).map_err(err)?.ok_or(NOT_FOUND)?;
            let (username, secret) = match c.identity_token {
                Some(t) => (TOKEN_USER.to_string(), t),
                None => (c.username, c.password),
            };
            let body = Creds {
                server_url: url.trim().to_string(),
                username,
                secret,
            };
            Ok(serde_json::to_string(&body).expect("serialises") + "\n")
        }
        Action::Store => {
            let c: Creds = serde_json::from_str(&read_input()?)
                .map_err(|e| format!("cannot read the credentials JSON: {e}"))?;
            let key = key_of(&c.server_url)?;
            if c.username.is_empty() {
                return Err(NO_USER.into());
            }
            let mut cred = Credential::new(&c.username, &c.secret, CredentialSource::Flags);
            if c.username == TOKEN_USER {
                cred.identity_token = Some(c.secret.clone());
            }
            helper::store(&key, &cred).map_err(err)?;
            Ok(String::new())
        }
        Action::Erase => {
            let key = key_of(&read_input()?)?;
            if helper::erase(&key).map_err(err)? {
                Ok(String::new())
            } else {
                Err(NOT_FOUND.into())
            }
        }
        Action::List => {
            let all = helper::list().map_err(err)?;
            Ok(serde_json::to_string(&all).expect("serialises") + "\n")
        }
        Action::Version => Ok(format!(
            "{DOCKER_NAME} (cr) {}\n",
            env!("CARGO_PKG_VERSION")
        )),
    }
}
