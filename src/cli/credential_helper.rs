//! `cr credential-helper get|store|erase|list`, also run as `docker-credential-cr` (a
//! symlink): Docker's credential-helper protocol on stdin/stdout over cr's own store. As
//! Docker's helpers do, a failure is one line on stdout and exit 1.

use std::io::{Read, Write};
use std::process::ExitCode;

use crate::credentials::helper::{self, Request};

/// The name Docker runs a helper by (`credsStore: cr`).
const DOCKER_NAME: &str = "docker-credential-cr";
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

/// When the binary runs as `docker-credential-cr`: the helper, with the action in argv[1].
pub fn as_docker_helper() -> Option<ExitCode> {
    let mut args = std::env::args_os();
    let argv0 = std::path::PathBuf::from(args.next()?);
    if argv0.file_stem()?.to_string_lossy() != DOCKER_NAME {
        return None;
    }
    let rest: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
    let action = match rest.as_slice() {
        [a] => clap::ValueEnum::from_str(a, false).ok(),
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

/// Run one action; the exit code Docker expects (0, or 1 with the reason on stdout).
pub fn run(action: Action) -> ExitCode {
    let mut input = String::new();
    if matches!(action, Action::Get | Action::Store | Action::Erase) {
        if let Err(e) = std::io::stdin().take(MAX_INPUT).read_to_string(&mut input) {
            return fail(&format!("cannot read standard input: {e}"));
        }
    }
    let request = match action {
        Action::Get => Request::Get(&input),
        Action::Store => Request::Store(&input),
        Action::Erase => Request::Erase(&input),
        Action::List => Request::List,
        Action::Version => {
            super::output::emit_line(&format!("{DOCKER_NAME} (cr) {}", env!("CARGO_PKG_VERSION")));
            return ExitCode::SUCCESS;
        }
    };
    match helper::answer(request) {
        Ok(out) => {
            let mut o = std::io::stdout().lock();
            match o.write_all(out.as_bytes()).and_then(|_| o.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => ExitCode::from(super::output::stdout_failed(&e)),
            }
        }
        Err(e) => fail(&e.to_string()),
    }
}
