//! `cr auth token [--scope S]… [HOST]`: a registry bearer token for curl and other tools,
//! asked with cr's own credentials; a warning when it would land on a terminal.

use std::io::IsTerminal;
use std::process::ExitCode;

use super::exit::usage;
use super::output::emit_line;
use crate::app::Session;
use crate::client::Scope;
use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: AuthCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AuthCommand {
    /// Print a bearer token of the registry's token service, for curl and other tools.
    #[command(after_long_help = "EXAMPLES:
  TOKEN=$(cr auth token --scope repository:myns/app:pull us.icr.io)
  curl -H \"Authorization: Bearer $TOKEN\" https://us.icr.io/v2/myns/app/tags/list")]
    Token(TokenArgs),
}

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// Registry HOST[:PORT] (default: the target registry).
    #[arg(value_name = "REGISTRY")]
    pub host: Option<String>,
    /// Access to ask for: repository:NS/REPO:pull[,push,delete] or registry:catalog:*
    /// (repeatable; none: a token for /v2/ only).
    #[arg(long, value_name = "SCOPE")]
    pub scope: Vec<String>,
}

pub async fn run(settings: Settings, a: AuthArgs) -> anyhow::Result<ExitCode> {
    let AuthCommand::Token(a) = a.command;
    let scopes = a
        .scope
        .iter()
        .map(|s| {
            Scope::parse(s).map_err(|m| {
                usage(
                    crate::text::escape(&m).into_owned(),
                    "write --scope repository:NAMESPACE/REPO:pull (or :pull,push)",
                )
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let host = match a.host.as_deref() {
        Some(r) => crate::config::target(r)?.0,
        None => settings.registry.clone(),
    };
    let reg = Session::new(&settings).get(&host).await?;
    let token = crate::app::token::token(&reg, &scopes).await.map_err(|e| {
        e.context(format!(
            "cannot get a token for {host} as {}",
            reg.account()
        ))
    })?;
    if std::io::stdout().is_terminal() {
        eprintln!("warning: printing a bearer token on the terminal: it grants access until it expires; capture it instead, e.g. TOKEN=$(cr auth token …)");
    }
    emit_line(token.expose());
    Ok(ExitCode::SUCCESS)
}
