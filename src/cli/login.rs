//! `cr login` and `cr logout`: take credentials from flags, stdin, environment or a no-echo
//! prompt (`gather`), prove them against the registry and store them (`app::login`), and say
//! where.

use std::process::ExitCode;

use super::exit::usage;
use super::output::emit_line;
use crate::app::Session;
use crate::config::Settings;
use crate::credentials::Stored;

mod gather;

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// Registry to log in to (default: the target registry, if one was chosen).
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

/// The registry named on the command line, else the target registry.
fn target(settings: &Settings, arg: Option<&str>) -> anyhow::Result<String> {
    match arg {
        Some(r) => Ok(crate::config::target(r)?.0),
        None => Ok(settings.registry.clone()),
    }
}

/// The registry to log in to: the one named, else the target registry if one was chosen.
/// The default target (`localhost:5000`) is not logged in to unnamed: whatever listens there
/// would get the credential, `CR_APIKEY` included.
fn login_target(settings: &Settings, arg: Option<&str>) -> anyhow::Result<String> {
    if arg.is_none() && settings.registry_source == crate::config::Source::Default {
        return Err(usage(
            "no registry to log in to: none is named and no target registry is set",
            format!(
                "name it (`cr login HOST`), or choose the target with --registry HOST, CR_REGISTRY=HOST or `cr region-set REGION` (for the local registry: `cr login {}`)",
                crate::config::DEFAULT_REGISTRY
            ),
        ));
    }
    target(settings, arg)
}

pub async fn login(settings: Settings, a: LoginArgs) -> anyhow::Result<ExitCode> {
    gather::refuse_password_flag(&a)?;
    let host = login_target(&settings, a.registry.as_deref())?;
    let session = Session::new(&settings);
    let cred = gather::gather(&session, &a, &host).await?;
    let stored = crate::app::login::login(&session, &host, cred).await?;
    say_stored(&stored);
    emit_line(&format!("Login Succeeded: {host}"));
    Ok(ExitCode::SUCCESS)
}

/// Where the login went, on stderr (a file without a keyring is warned about).
fn say_stored(stored: &Stored) {
    match stored {
        Stored::Keyring => eprintln!("Credentials stored in the OS keyring."),
        Stored::Helper(h) => eprintln!("Credentials stored with docker-credential-{h}."),
        Stored::File { path, warn: true } => eprintln!(
            "warning: no OS keyring is usable here; credentials are stored unencrypted (base64) in {} (mode 0600). Set CR_CREDENTIAL_STORE=file to silence this.",
            path.display()
        ),
        Stored::File { path, .. } => eprintln!("Credentials stored in {}.", path.display()),
    }
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
