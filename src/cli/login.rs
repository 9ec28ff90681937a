//! `cr login` and `cr logout`: take credentials from flags, stdin, environment or a no-echo
//! prompt, prove them against the registry, store them, and say where.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use anyhow::Context;

use super::exit::usage;
use super::output::emit_line;
use crate::app::Session;
use crate::config::Settings;
use crate::credentials::{Credential, CredentialSource, Stored};

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// Registry to log in to (default: the target registry).
    pub registry: Option<String>,
    /// User name.
    #[arg(short, long)]
    pub username: Option<String>,
    /// Read the password from standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// API key (user iamapikey), or @FILE to read it from a file. Also CR_APIKEY.
    #[arg(long, value_name = "KEY|@FILE")]
    pub apikey: Option<String>,
    /// Not taken: a password on the command line is visible to every process.
    #[arg(short = 'p', long = "password", hide = true, value_name = "PASSWORD")]
    pub password: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    /// Registry to log out of (default: the target registry).
    pub registry: Option<String>,
}

fn target(settings: &Settings, arg: Option<&str>) -> anyhow::Result<String> {
    match arg {
        Some(r) => Ok(crate::config::target(r)?.0),
        None => Ok(settings.registry.clone()),
    }
}

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

/// The credentials the user gave, in order of precedence.
async fn gather(session: &Session, a: &LoginArgs, host: &str) -> anyhow::Result<Credential> {
    if a.password.is_some() {
        return Err(usage(
            "-p/--password is not taken: a password on the command line is visible to every process",
            "pipe it in: echo \"$PASSWORD\" | cr login -u USER --password-stdin",
        ));
    }
    if let Some(k) = &a.apikey {
        return Ok(Credential::api_key(&api_key(k)?, CredentialSource::Flags));
    }
    if a.password_stdin {
        let user = a.username.clone().ok_or_else(|| {
            usage(
                "--password-stdin needs --username",
                "cr login -u USER --password-stdin",
            )
        })?;
        return Ok(Credential::new(
            &user,
            &read_secret_stdin("password")?,
            CredentialSource::Flags,
        ));
    }
    if a.username.is_none() {
        if let Some(c) = session.env_credential() {
            return Ok(c);
        }
    }
    if !std::io::stdin().is_terminal() {
        return Err(usage(
            format!("no credentials given for {host}"),
            "use -u USER --password-stdin, --apikey KEY|@FILE, or set CR_APIKEY",
        ));
    }
    let user = match &a.username {
        Some(u) => u.clone(),
        None => super::prompt::line(&format!("Username for {host}: "))
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

pub async fn login(settings: Settings, a: LoginArgs) -> anyhow::Result<ExitCode> {
    let host = target(&settings, a.registry.as_deref())?;
    let session = Session::new(&settings);
    let cred = gather(&session, &a, &host).await?;
    let stored = crate::app::login::login(&session, &host, cred).await?;
    match stored {
        Stored::Keyring => eprintln!("Credentials stored in the OS keyring."),
        Stored::Helper(h) => eprintln!("Credentials stored with docker-credential-{h}."),
        Stored::File { path, warn } => {
            if warn {
                eprintln!(
                    "warning: no OS keyring is usable here; credentials are stored unencrypted (base64) in {} (mode 0600). Set CR_CREDENTIAL_STORE=file to silence this.",
                    path.display()
                );
            } else {
                eprintln!("Credentials stored in {}.", path.display());
            }
        }
    }
    emit_line(&format!("Login Succeeded: {host}"));
    Ok(ExitCode::SUCCESS)
}

pub async fn logout(settings: Settings, a: LogoutArgs) -> anyhow::Result<ExitCode> {
    let host = target(&settings, a.registry.as_deref())?;
    let removed = Session::new(&settings).erase(&host).await?;
    if removed.is_empty() {
        emit_line(&format!("Not logged in to {host}"));
    } else {
        emit_line(&format!(
            "Removed login for {host} from {}",
            removed.join(" and ")
        ));
    }
    Ok(ExitCode::SUCCESS)
}
