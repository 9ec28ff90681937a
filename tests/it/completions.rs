//! Shell completions in completions/ and man pages must match the current CLI: regenerate with
//! `UPDATE_COMPLETIONS=1 cargo test --test it completions::`.

use clap::CommandFactory;
use clap_complete::Shell;

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
        clap_complete::generate(shell, &mut cr::cli::Cli::command(), "cr", &mut buf);
        let path = dir.join(file);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &buf).unwrap();
        }
        let current = std::fs::read(&path).unwrap_or_default();
        assert!(
            current == buf,
            "{} is stale: run UPDATE_COMPLETIONS=1 cargo test --test it completions::",
            path.display()
        );
    }
}

#[test]
fn man_pages_render() {
    let dir = tempfile::tempdir().unwrap();
    clap_mangen::generate_to(cr::cli::Cli::command(), dir.path()).unwrap();
    let main = std::fs::read_to_string(dir.path().join("cr.1")).unwrap();
    assert!(main.contains("image\\-list"), "{main}");
    assert!(dir.path().join("cr-image-list.1").exists());
}
