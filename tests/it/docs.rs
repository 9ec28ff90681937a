//! Every example in `--help` and in the docs/commands/ pages is run against local test
//! registries, and must exit as it says (the pages themselves are checked by the unit tests in
//! `cli::surface`).

use clap::CommandFactory;

use crate::common;

use std::collections::HashMap;
use std::path::Path;

use crate::common::{layout, Auth, Env, TestRegistry};

/// The example command lines of a `--help` text: the lines of its EXAMPLES section (without
/// the description after two spaces) and any `$ cr …` line.
fn help_examples(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_examples = false;
    for line in help.lines() {
        let t = line.trim();
        let cmd = if let Some(c) = t.strip_prefix("$ ") {
            Some(c)
        } else if !line.starts_with(' ') && !t.is_empty() {
            in_examples = t.trim_end_matches(':').eq_ignore_ascii_case("examples");
            None
        } else {
            Some(t).filter(|_| in_examples)
        };
        if let Some(c) = cmd.filter(|c| c.starts_with("cr ")) {
            out.push(c.split("  ").next().unwrap().trim().to_string());
        }
    }
    out
}

/// The example command lines of a docs page: in ```sh (or unlabelled) blocks every command
/// line that runs `cr`, in ```console blocks the `$ ` lines, and in ```text blocks (the help)
/// what `help_examples` finds.
fn page_examples(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut block: Option<(String, String)> = None; // (info string, text of a ```text block)
    for line in md.lines() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            match block.take() {
                None => block = Some((info.trim().to_string(), String::new())),
                Some((info, text)) if info == "text" => out.extend(help_examples(&text)),
                Some(_) => {}
            }
            continue;
        }
        let Some((info, text)) = &mut block else {
            continue;
        };
        let cmd = match info.as_str() {
            "text" => {
                text.push_str(line);
                text.push('\n');
                None
            }
            "console" => line.strip_prefix("$ "),
            _ => Some(line.trim()).filter(|l| !l.starts_with('#')),
        };
        if let Some(c) = cmd.filter(|c| c.split_whitespace().any(|w| w == "cr")) {
            out.push(c.to_string());
        }
    }
    assert!(block.is_none(), "an unclosed code block");
    out
}

/// Examples that are expected to exit with something other than 0, and why.
const EXPECTED: &[(&str, i32, &str)] = &[];

/// Commands that delete: their examples run with `--dry-run` added.
const DELETING: &[&str] = &["image-rm", "rmi", "retention-run"];

/// An example made local: the hosts it names become the test registries (`main` for the
/// usual names, `second` for de.icr.io, `login` for a `cr login`), and a deleting command
/// runs with `--dry-run`.
fn localise(line: &str, main: &str, second: &str, login: &str) -> String {
    let main = if line.contains("cr login") {
        login
    } else {
        main
    };
    let mut s = line
        .replace("docker.io/library/", &format!("{main}/library/"))
        .replace("us.icr.io", main)
        .replace("registry.example.com", main)
        .replace("de.icr.io", second);
    for d in DELETING {
        let pat = format!("cr {d} ");
        if s.contains(&pat) && !s.contains("--dry-run") {
            s = s.replace(&pat, &format!("{pat}--dry-run "));
        }
    }
    for untag in ["cr image-untag", "cr untag"] {
        assert!(
            !s.contains(untag),
            "{line}: image-untag has no --dry-run; run its example on a scratch tag"
        );
    }
    for host in ["icr.io", "example.", "docker.io", "quay.io", "ghcr.io"] {
        assert!(
            !s.contains(host),
            "{line}: names a host this test does not map to a test registry"
        );
    }
    s
}

/// Seed the registry the examples talk to with the images they name.
fn seed(reg: &TestRegistry, dir: &Path) {
    let l = dir.join("seed");
    let img = |tag: &str, day: u32| {
        layout::image_at(
            &l,
            Some(tag),
            "amd64",
            &[("f", tag.as_bytes())],
            &format!("2024-01-{day:02}T00:00:00Z"),
        );
    };
    for (tag, day) in [
        ("app", 1),
        ("v1", 2),
        ("v2", 3),
        ("v3", 4),
        ("v4", 5),
        ("v5", 6),
    ] {
        img(tag, day);
    }
    img("alpine", 7);
    for (tag, dest) in [
        ("app", "myns/app:1"),
        ("app", "ns/app:1"),
        ("v1", "team/app:v1"),
        ("v1", "team/app:prod"),
        ("v2", "team/app:v2"),
        ("v3", "team/app:v3"),
        ("v4", "team/app:v4"),
        ("v4", "team/app:1.0"),
        ("v5", "team/app:v5"),
        ("v5", "team/app:latest"),
        ("alpine", "library/alpine:latest"),
    ] {
        reg.skopeo_push(&l, tag, dest);
    }
    // A second platform for the index-create, index-add and index-rm examples.
    layout::image(&l, Some("arm"), "arm64", &[("f", b"arm")]);
    reg.skopeo_push(&l, "arm", "myns/arm:1");
}

/// Every example in `cr --help`, each command's `--help` and each docs/commands page runs:
/// hosts become local test registries seeded with the images named, deleting commands run
/// with `--dry-run`, pipelines run through bash (pipefail) with this `cr` first on PATH, and
/// every `cr` an example starts must exit as expected (0 unless listed in EXPECTED).
#[test]
fn every_example_in_help_and_docs_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let env = Env::new();
    let mut examples: Vec<(String, String)> = Vec::new(); // (where, line)
    let mut add = |source: String, lines: Vec<String>| {
        for l in lines {
            if !examples.iter().any(|(_, e)| *e == l) {
                examples.push((source.clone(), l));
            }
        }
    };
    add("cr --help".into(), help_examples(&env.ok(&["--help"])));
    let mut cli = cr::cli::Cli::command();
    cli.build();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        if sub.is_hide_set() || name == "help" {
            continue;
        }
        add(
            format!("cr {name} --help"),
            help_examples(&env.ok(&[name, "--help"])),
        );
    }
    let mut pages: Vec<_> = std::fs::read_dir(root.join("docs/commands"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    for p in pages {
        let md = std::fs::read_to_string(&p).unwrap();
        let name = p.strip_prefix(root).unwrap_or(&p).display().to_string();
        add(name, page_examples(&md));
    }
    assert!(examples.len() >= 15, "{examples:#?}");

    let reg = TestRegistry::start(Auth::None);
    let second = TestRegistry::start(Auth::None);
    let (key, password) = ("k3y-for-the-examples", "pw-for-the-examples");
    let login = TestRegistry::start(Auth::Htpasswd(vec![
        ("iamapikey".into(), key.into()),
        ("alice".into(), password.into()),
    ]));
    let dir = tempfile::tempdir().unwrap();
    seed(&reg, dir.path());
    // The files the examples name, in the directory they run in.
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for f in ["key.txt", "apikey.txt"] {
        std::fs::write(work.join(f), format!("{key}\n")).unwrap();
    }
    std::fs::write(
        work.join("sbom.spdx.json"),
        br#"{"spdxVersion":"SPDX-2.3"}"#,
    )
    .unwrap();
    common::skopeo(&[
        "copy".into(),
        format!("oci:{}:app", dir.path().join("seed").display()),
        format!(
            "docker-archive:{}:myns/app:1",
            work.join("app.tar").display()
        ),
    ]);
    // `cr` on PATH: this build, each run's exit code logged.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = dir.path().join("runs.log");
    std::fs::write(
        bin.join("cr"),
        "#!/bin/sh\n\"$EXAMPLE_CR\" \"$@\"\nrc=$?\necho \"$rc\" >> \"$EXAMPLE_LOG\"\nexit $rc\n",
    )
    .unwrap();
    std::fs::set_permissions(
        bin.join("cr"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let base = env.std_cmd();
    let expected: HashMap<&str, i32> = EXPECTED.iter().map(|(l, c, _)| (*l, *c)).collect();
    let mut failures = Vec::new();
    for (source, line) in &examples {
        let cmd = localise(line, &reg.host, &second.host, &login.host);
        let mut sh = std::process::Command::new("bash");
        sh.args(["-o", "pipefail", "-c", &cmd]).current_dir(&work);
        for (k, v) in base.get_envs() {
            match v {
                Some(v) => sh.env(k, v),
                None => sh.env_remove(k),
            };
        }
        sh.env("PATH", &path)
            .env("EXAMPLE_CR", env!("CARGO_BIN_EXE_cr"))
            .env("EXAMPLE_LOG", &log)
            .env("CR_REGISTRY", &reg.host)
            .env(
                "CR_INSECURE_REGISTRIES",
                format!("{},{},{}", reg.host, second.host, login.host),
            )
            .env("PASSWORD", password)
            .stdin(std::process::Stdio::null());
        let _ = std::fs::remove_file(&log);
        let out = sh.output().unwrap();
        let want = expected.get(line.as_str()).copied().unwrap_or(0);
        let runs: Vec<i32> = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        let code = out.status.code().unwrap_or(-1);
        if code != want || runs.is_empty() || runs.iter().any(|&r| r != want) {
            failures.push(format!(
                "{source}: `{line}`\n  ran `{cmd}`: exit {code} (want {want}), cr exits {runs:?}\n  stdout: {}\n  stderr: {}",
                String::from_utf8_lossy(&out.stdout).trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples failed:\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );
    // What the examples did: the deleting ones ran dry (every seeded tag remains), the
    // copies and syncs arrived, the pull wrote its layout.
    // Referrer tags (`sha256-<hex>`, from `cr attach`) are not images.
    let tags = |r: &TestRegistry, repo: &str| {
        let t = r.skopeo_tags(repo);
        let t: Vec<String> = t
            .into_iter()
            .filter(|t| !t.starts_with("sha256-"))
            .collect();
        t.join(" ")
    };
    assert_eq!(
        tags(&reg, "team/app"),
        "1.0 latest prod v1 v2 v3 v4 v5",
        "nothing deleted"
    );
    assert_eq!(tags(&reg, "ns/app"), "1");
    assert_eq!(tags(&reg, "library/alpine"), "latest");
    if examples.iter().any(|(_, l)| l.contains("myns/app:stable")) {
        assert_eq!(tags(&reg, "myns/app"), "1 stable");
    }
    if examples
        .iter()
        .any(|(_, l)| l.contains("cr sync --tags '^v[0-9]'"))
    {
        assert_eq!(tags(&second, "team/app"), "v1 v2 v3 v4 v5");
    }
    if examples
        .iter()
        .any(|(_, l)| l.contains("cr sync --dry-run"))
    {
        assert!(!reg.skopeo_exists("mirror/alpine:latest"), "a dry run");
    }
    if examples.iter().any(|(_, l)| l.contains("oci:./app")) {
        assert!(work.join("app/index.json").is_file());
    }
}
