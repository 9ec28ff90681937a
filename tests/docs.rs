//! docs/commands/ has one page per command, generated from the clap definitions (the same
//! text as `--help`); this test fails when a page is stale. Regenerate with
//! `UPDATE_DOCS=1 cargo test --test docs`.

use clap::CommandFactory;

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
    let mut cli = cr::cli::Cli::command();
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
            "{} is stale: run UPDATE_DOCS=1 cargo test --test docs",
            path.display()
        );
        names.push(name);
    }
    assert!(names.len() >= 15, "{names:?}");
}
