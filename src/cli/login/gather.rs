//! The credential `cr login` is given: --apikey (a key or @FILE), --password-stdin, the
//! environment, or a no-echo prompt on a terminal; a password on the command line is refused.

use std::io::{IsTerminal, Read};

use anyhow::Context;

use super::LoginArgs;
use crate::app::Session;
use crate::cli::exit::usage;
use crate::credentials::{Credential, CredentialSource};

fn read_secret_stdin(what: &str) -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .with_context(|| format!("reading the {what} from standard input"))?;
    let s = s.trim_end_matches(['\n', '\r']).to_string();
    if s.is_empty() {
        return Err(usage(
            format!("the {what} on standard input is empty"),
            "pipe it in: echo \"$PASSWORD\" | cr login -u USER --password-stdin",
        ));
    }
    Ok(s)
}

/// The API key of `--apikey KEY|@FILE` (a key on the command line is warned about).
fn api_key(k: &str) -> anyhow::Result<String> {
    let key = match k.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| {
                usage(
                    format!("cannot read the API key from {path}: {e}"),
                    "--apikey @FILE names a file holding the key",
                )
            })?
            .trim()
            .to_string(),
        None => {
            // Every process on the machine can read a command line (ps, /proc).
            eprintln!(
                "warning: an API key given on the command line is visible to every process on this machine; use --apikey @FILE, --password-stdin or CR_APIKEY"
            );
            k.to_string()
        }
    };
    if key.is_empty() {
        return Err(usage(
            "the API key is empty",
            "pass --apikey KEY or --apikey @FILE",
        ));
    }
    Ok(key)
}

/// `-p/--password` is refused, before anything else is looked at.
pub(super) fn refuse_password_flag(a: &LoginArgs) -> anyhow::Result<()> {
    if a.password.is_some() {
        return Err(usage(
            "-p/--password is not taken: a password on the command line is visible to every process",
            "pipe it in: echo \"$PASSWORD\" | cr login -u USER --password-stdin",
        ));
    }
    Ok(())
}

/// The credentials the user gave, in order of precedence: --apikey, --password-stdin, the
/// environment (without --username), else a prompt on a terminal.
pub(super) async fn gather(
    session: &Session,
    a: &LoginArgs,
    host: &str,
) -> anyhow::Result<Credential> {
    refuse_password_flag(a)?;
    if let Some(k) = &a.apikey {
        return Ok(Credential::api_key(&api_key(k)?, CredentialSource::Flags));
    }
    if a.password_stdin {
        return from_stdin(a.username.as_deref());
    }
    if a.username.is_none() {
        if let Some(c) = session.env_credential() {
            return Ok(c);
        }
    }
    prompt(a.username.as_deref(), host).await
}

/// `--password-stdin`, with the user of `--username`.
fn from_stdin(user: Option<&str>) -> anyhow::Result<Credential> {
    let user = user.ok_or_else(|| {
        usage(
            "--password-stdin needs --username",
            "cr login -u USER --password-stdin",
        )
    })?;
    Ok(Credential::new(
        user,
        &read_secret_stdin("password")?,
        CredentialSource::Flags,
    ))
}

/// The user (unless given) and the password, asked on the terminal; no terminal is an error.
async fn prompt(user: Option<&str>, host: &str) -> anyhow::Result<Credential> {
    if !std::io::stdin().is_terminal() {
        return Err(usage(
            format!("no credentials given for {host}"),
            "use -u USER --password-stdin, --apikey KEY|@FILE, or set CR_APIKEY",
        ));
    }
    let user = match user {
        Some(u) => u.to_string(),
        None => crate::cli::prompt::line(&format!("Username for {host}: "))
            .await?
            .trim()
            .to_string(),
    };
    let pass = rpassword::prompt_password(format!("Password for {user}@{host}: "))
        .context("reading the password")?;
    if user.is_empty() || pass.is_empty() {
        return Err(usage(
            "user name and password are required",
            "cr login -u USER",
        ));
    }
    Ok(Credential::new(&user, &pass, CredentialSource::Flags))
}
