//! `--help` snapshots (insta): a change to any help text shows up in review as a snapshot diff.
//! Update with `INSTA_UPDATE=always cargo test --test it help::` and review the diff.

use clap::CommandFactory;

fn help(path: &[&str]) -> String {
    let mut cmd = cr::cli::Cli::command().term_width(100);
    for p in path {
        cmd = cmd
            .find_subcommand(p)
            .unwrap_or_else(|| panic!("no command {p}"))
            .clone()
            .term_width(100);
    }
    cmd.render_long_help().to_string()
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!("cr", help(&[]));
}

#[test]
fn command_help() {
    for name in [
        "login",
        "region-set",
        "image-list",
        "image-digests",
        "image-inspect",
        "image-rm",
        "image-untag",
        "push",
        "pull",
        "copy",
    ] {
        insta::assert_snapshot!(name, help(&[name]));
    }
}
