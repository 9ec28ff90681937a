//! The command-line surface checked as unit tests: `--help` snapshots (insta; a change to any
//! help text shows up in review as a snapshot diff, update with
//! `INSTA_UPDATE=always cargo test --lib cli::surface` and review it), the shell completions
//! in completions/ (regenerate with `UPDATE_COMPLETIONS=1 cargo test --lib cli::surface`) and
//! the man pages.

use clap::CommandFactory;
use clap_complete::Shell;

fn help(path: &[&str]) -> String {
    let mut cmd = super::Cli::command().term_width(100);
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

#[test]
fn completions_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let update = std::env::var_os("UPDATE_COMPLETIONS").is_some();
    for (shell, file) in [
        (Shell::Bash, "cr.bash"),
        (Shell::Zsh, "_cr"),
        (Shell::Fish, "cr.fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut super::Cli::command(), "cr", &mut buf);
        let path = dir.join(file);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &buf).unwrap();
        }
        let current = std::fs::read(&path).unwrap_or_default();
        assert!(
            current == buf,
            "{} is stale: run UPDATE_COMPLETIONS=1 cargo test --lib cli::surface",
            path.display()
        );
    }
}

#[test]
fn man_pages_render() {
    let dir = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(super::Cli::command(), dir.path()).unwrap();
    let main = std::fs::read_to_string(dir.path().join("cr.1")).unwrap();
    assert!(main.contains("image\\-list"), "{main}");
    assert!(dir.path().join("cr-image-list.1").exists());
}
