//! The command-line surface checked as unit tests: `--help` snapshots (insta; a change to any
//! help text shows up in review as a snapshot diff, update with
//! `INSTA_UPDATE=always cargo test --lib cli::surface` and review it), the shell completions
//! in completions/ (regenerate with `UPDATE_COMPLETIONS=1 cargo test --lib cli::surface`), the
//! man pages, and docs/commands/ with one page per command from the same text as `--help` plus
//! docs/notes/ (regenerate with `UPDATE_DOCS=1 cargo test --lib cli::surface`).

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

fn page(cmd: &mut clap::Command, name: &str, notes: &str) -> String {
    let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
    let mut cmd = cmd.clone().term_width(100);
    let help = cmd.render_long_help().to_string();
    let aliases: Vec<&str> = cmd.get_visible_aliases().collect();
    let mut s = format!("# cr {name}\n\n{about}\n\n");
    if !aliases.is_empty() {
        s.push_str(&format!("Alias: `cr {}`.\n\n", aliases.join("`, `cr ")));
    }
    s.push_str("```text\n");
    s.push_str(help.trim_end());
    s.push_str("\n```\n");
    if !notes.is_empty() {
        s.push('\n');
        s.push_str(notes);
    }
    s.push_str("\nSee also: [scripting](../scripting.md) for exit codes, JSON and templates.\n");
    s
}

#[test]
fn command_pages_are_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("docs/commands");
    let notes_dir = root.join("docs/notes");
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut cli = super::Cli::command();
    cli.build();
    let mut names = Vec::new();
    for sub in cli.get_subcommands_mut() {
        let name = sub.get_name().to_string();
        if sub.is_hide_set() || name == "help" {
            continue;
        }
        let notes =
            std::fs::read_to_string(notes_dir.join(format!("{name}.md"))).unwrap_or_default();
        let text = page(
            &mut sub.clone().bin_name(format!("cr {name}")),
            &name,
            &notes,
        );
        let path = dir.join(format!("{name}.md"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == text,
            "{} is stale: run UPDATE_DOCS=1 cargo test --lib cli::surface",
            path.display()
        );
        names.push(name);
    }
    assert!(names.len() >= 15, "{names:?}");
}
