//! Nothing from outside drives the terminal (issue #9, finding 7): names, labels, registry
//! error codes and messages, and `--format` output have their control characters escaped on
//! stdout and stderr; `-o json` writes DEL and C1 as `\u00XX`; a newline in a registry's
//! message cannot forge a `hint:` line.

use crate::common;

use crate::common::hostile::{Hostile, Reply};
use crate::common::layout::OCI_MANIFEST;
use crate::common::{cr_digest, Env};

/// No byte a terminal would act on: C0 (but newline and tab), DEL, C1.
fn assert_inert(what: &str, s: &str) {
    let bad: Vec<char> = s
        .chars()
        .filter(|&c| cr::text::is_control(c) && c != '\n' && c != '\t')
        .collect();
    assert!(bad.is_empty(), "{what} holds {bad:?}: {s:?}");
}

const LABEL: &str = "red\u{1b}[31m\u{9b}2J\u{7}\u{7f}";

fn hostile_registry() -> Hostile {
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Labels": {"evil": LABEL, "k\u{1b}]0;title\u{7}": "v"}},
        "rootfs": {"type": "layers", "diff_ids": []},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": cr_digest(&config), "size": config.len()},
        "layers": [],
    }))
    .unwrap();
    let config_path = format!("/v2/ns/app/blobs/{}", cr_digest(&config));
    Hostile::start(move |s| {
        let t = s.target.as_str();
        if t == "/v2/" {
            return Reply::status(200);
        }
        if t == "/v2/ns/app/manifests/1" {
            return Reply::manifest(OCI_MANIFEST, &manifest);
        }
        if t == config_path {
            return Reply::Full {
                status: 200,
                headers: vec![],
                body: config.clone(),
            };
        }
        Reply::json(
            403,
            "{\"errors\":[{\"code\":\"DENIED\\u001b]0;pwned\\u0007\",\"message\":\"bad\\nhint: run rm -rf / \\u009b2J\\u001b[31m\"}]}",
        )
    })
}

#[test]
fn registry_messages_cannot_drive_the_terminal_or_forge_hints() {
    let reg = hostile_registry();
    let env = Env::new();
    let (code, out, err) = env.run(&["--registry", &reg.host(), "manifest-inspect", "ns/app:2"]);
    assert_eq!(code, 4, "{err}");
    assert_inert("stdout", &out);
    assert_inert("stderr", &err);
    assert!(err.contains("DENIED\\x1b]0;pwned\\x07"), "{err}");
    assert!(
        !err.lines()
            .any(|l| l.trim_start().starts_with("hint: run rm")),
        "a forged hint line: {err}"
    );
    assert!(err.contains("bad\\x0ahint: run rm"), "{err}");
    // The same through a multi-image command's report.
    let (code, _out, err) = env.run(&["--registry", &reg.host(), "image-rm", "ns/app:2"]);
    assert_ne!(code, 0);
    assert_inert("stderr", &err);
    assert!(
        !err.lines()
            .any(|l| l.trim_start().starts_with("hint: run rm")),
        "{err}"
    );
}

#[test]
fn labels_are_escaped_in_templates_and_json() {
    let reg = hostile_registry();
    let env = Env::new();
    let host = reg.host();
    let out = env.ok(&["--registry", &host, "image-inspect", "ns/app:1"]);
    assert_inert("json", &out);
    assert!(
        out.contains("\\u009b") && out.contains("\\u001b") && out.contains("\\u007f"),
        "{out}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v[0]["Config"]["Labels"]["evil"], LABEL,
        "JSON keeps the value exactly"
    );
    for template in [
        "{{ .Config.Labels }}",
        "{{ index .Config.Labels \"evil\" }}",
        "{{ json .Config.Labels }}",
        "{{json .}}",
    ] {
        let out = env.ok(&[
            "--registry",
            &host,
            "image-inspect",
            "--format",
            template,
            "ns/app:1",
        ]);
        assert_inert(template, &out);
        assert_eq!(out.trim_end().lines().count(), 1, "{template}: {out}");
    }
    let out = env.ok(&[
        "--registry",
        &host,
        "image-inspect",
        "--format",
        "{{ index .Config.Labels \"evil\" }}",
        "ns/app:1",
    ]);
    assert_eq!(out.trim_end(), "red\\x1b[31m\\u{9b}2J\\x07\\x7f");
    // manifest-inspect to a pipe: the exact bytes, so that a script can hash them.
    let raw = env
        .cmd()
        .args(["--registry", &host, "manifest-inspect", "ns/app:1"])
        .output()
        .unwrap();
    assert!(raw.status.success());
    let digest = cr_digest(&raw.stdout);
    let seen = reg.seen();
    assert!(seen.iter().any(|s| s.target == "/v2/ns/app/manifests/1"));
    let again = env.ok(&["--registry", &host, "image-inspect", "ns/app:1"]);
    let v: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(v[0]["Digest"], digest.as_str());
}

#[test]
fn an_api_key_on_the_command_line_is_warned_about_and_jobs_are_bounded() {
    use common::{Auth, TestRegistry};
    let key = "K3y-On-The-Command-Line-42";
    let reg = TestRegistry::start(Auth::Htpasswd(vec![("iamapikey".into(), key.into())]));
    let env = Env::new();
    let (code, out, err) = env.run(&["login", &reg.host, "--apikey", key]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("visible to every process"), "{err}");
    assert!(err.contains("--apikey @FILE"), "{err}");
    assert!(!err.contains(key) && !out.contains(key));
    // From a file: no warning.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("key");
    std::fs::write(&f, key).unwrap();
    let (code, _, err) = env.run(&["login", &reg.host, "--apikey", &format!("@{}", f.display())]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("visible to every process"), "{err}");
    // --jobs: a usage error outside 1..=64, never a panic.
    for j in ["18446744073709551615", "0", "65", "-1"] {
        let (code, _, err) = env.run(&["pull", "-j", j, &format!("{}/ns/x:1", reg.host), "oci:x"]);
        assert_eq!(code, 2, "{j}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A usage error made by cr keeps its line breaks, indented under the message (a regular
/// expression's error draws a caret under the bad part); nothing is escaped as `\x0a`.
#[test]
fn a_regex_error_keeps_its_lines() {
    let env = common::Env::new();
    let (code, _, err) = env.run(&[
        "retention-run",
        "--images",
        "1",
        "--keep-tag",
        "(unclosed",
        "--dry-run",
        "ns",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("\\x0a"), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].starts_with("error: invalid --keep-tag"), "{err}");
    assert!(lines.iter().any(|l| l.trim() == "(unclosed"), "{err}");
    // Every line of the message is indented under it; only cr's own hint starts a line.
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.starts_with("       ") || l.starts_with("  hint: ")),
        "{err}"
    );
}
