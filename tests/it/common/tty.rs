//! `cr` on a pseudo-terminal: util-linux `script` runs it with the test's isolated environment,
//! so that what a person at a terminal sees (questions, progress bars, Ctrl-C) can be tested.

use std::process::Command;

use super::Env;

/// `script -qec 'cr ARGS' /dev/null` with `env`'s environment; stdin, stdout and the rest are
/// the caller's to set.
pub fn script(env: &Env, args: &[&str]) -> Command {
    super::require("script");
    let base = env.std_cmd();
    let mut c = Command::new("script");
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let line = std::iter::once(env!("CARGO_BIN_EXE_cr"))
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    c.args(["-qec", &line, "/dev/null"]);
    c
}
