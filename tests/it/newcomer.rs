//! The newcomer's path (issue #11): one exit code per condition, whatever the command, and
//! pull destinations that say what they are.

use crate::common;

use crate::common::{layout, Auth, Env, TestRegistry};

#[test]
fn exit_codes_one_rule_per_condition() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("a", b"exit codes")]);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let env = Env::new();
    let h = reg.host.as_str();
    let out = |name: &str| format!("oci:{}", dir.path().join(name).display());
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        // Not found is 3 everywhere.
        (
            vec!["image-rm".into(), "ns/app:nope".into()],
            3,
            "not found",
        ),
        (
            vec!["image-inspect".into(), "ns/app:nope".into()],
            3,
            "MANIFEST_UNKNOWN",
        ),
        (
            vec!["manifest-inspect".into(), "ns/nothing:v1".into()],
            3,
            "",
        ),
        (vec!["pull".into(), "ns/app:nope".into(), out("a")], 3, ""),
        // A missing platform is 3 everywhere, a single-platform image included.
        (
            vec![
                "pull".into(),
                "--platform".into(),
                "linux/arm64".into(),
                "ns/app:v1".into(),
                out("b"),
            ],
            3,
            "linux/amd64 only",
        ),
        (
            vec![
                "copy".into(),
                "--platform".into(),
                "linux/arm64".into(),
                "ns/app:v1".into(),
                "ns/other:v1".into(),
            ],
            3,
            "linux/amd64 only",
        ),
        // Conflicting output flags are usage errors.
        (
            vec!["image-list".into(), "-q".into(), "-o".into(), "json".into()],
            2,
            "cannot be used with",
        ),
        (
            vec![
                "image-list".into(),
                "-q".into(),
                "--format".into(),
                "{{.Tag}}".into(),
            ],
            2,
            "cannot be used with",
        ),
        (
            vec![
                "namespace-list".into(),
                "-q".into(),
                "-o".into(),
                "json".into(),
            ],
            2,
            "cannot be used with",
        ),
        // A missing @FILE is bad input.
        (
            vec![
                "login".into(),
                "--apikey".into(),
                "@/nonexistent/key".into(),
            ],
            2,
            "/nonexistent/key",
        ),
    ];
    for (args, code, says) in cases {
        let mut full = vec!["--registry", h];
        full.extend(args.iter().map(String::as_str));
        let (got, _o, err) = env.run(&full);
        assert_eq!(got, code, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(
        !dir.path().join("b").exists(),
        "nothing written for a missing platform"
    );
    assert!(!reg.skopeo_exists("ns/other:v1"));
    // The right platform goes through.
    env.ok(&[
        "--registry",
        h,
        "pull",
        "--platform",
        "linux/amd64",
        "ns/app:v1",
        &out("c"),
    ]);
}

#[test]
fn argument_mistakes_get_answers() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let img = format!("oci:{}", dir.path().join("img").display());
    std::fs::create_dir(dir.path().join("img")).unwrap();
    std::fs::write(
        dir.path().join("img/oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["push", "demo/hello:v1", &img], "look swapped"),
        (vec!["pull", &img, "demo/hello:v1"], "look swapped"),
        (
            vec!["push", "registry.example.com/ns/x:1", "127.0.0.1:9/ns/y:1"],
            "cr copy registry.example.com/ns/x:1",
        ),
        (
            vec!["image-inspect", "https://registry.example.com/ns/repo:tag"],
            "write registry.example.com/ns/repo:tag",
        ),
        (vec!["login", "-p", "secret-pass"], "--password-stdin"),
        (vec!["pull", "ns/x:1", "out.tar.gz"], "plain tar"),
        (vec!["image-lst"], "did you mean 'image-list'?"),
    ];
    for (args, says) in cases {
        let (code, _o, err) = env.run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("secret-pass"), "{err}");
    }
    // A local source that is not there: not found (3), said plainly.
    let (code, _, err) = env.run(&["push", "/nonexistent/dir/img", "ns/x:1"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("/nonexistent/dir/img: no such file or directory"),
        "{err}"
    );
    let (_, _, err) = env.run(&["image-lst"]);
    assert_eq!(
        err.matches('\'').count(),
        4,
        "one suggestion, not a list: {err}"
    );
    assert_eq!(
        env.ok(&["version"]).trim(),
        format!("cr {}", env!("CARGO_PKG_VERSION"))
    );
    let help = env.ok(&["--help"]);
    for part in [
        "EXAMPLES:",
        "ENVIRONMENT:",
        "Global options:",
        "completions",
        "man",
        "[aliases: images, ls]",
    ] {
        assert!(help.contains(part), "{part} missing from --help");
    }
}

#[test]
fn a_tar_suffix_in_any_case_is_a_docker_archive() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("a", b"upper case")]);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let env = Env::new();
    let out = dir.path().join("OUT.TAR");
    env.ok(&[
        "--registry",
        &reg.host,
        "pull",
        "ns/app:v1",
        &out.display().to_string(),
    ]);
    assert!(out.is_file(), "a file, not a directory");
    let o = common::skopeo(&[
        "inspect".into(),
        format!("docker-archive:{}", out.display()),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn authentication_errors_say_whose_credentials_and_why() {
    use common::issuer::{Issuer, User};
    let reg = TestRegistry::start(Auth::Htpasswd(vec![("alice".into(), "right".into())]));
    let env = Env::new();
    let h = reg.host.as_str();
    // Wrong credentials from the environment: say so, and do not send the user to cr login.
    let o = env
        .cmd()
        .env("CR_USERNAME", "alice")
        .env("CR_PASSWORD", "wrong")
        .args(["--registry", h, "manifest-inspect", "ns/x:1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(
        err.contains(r#"user "alice" from CR_USERNAME/CR_PASSWORD"#),
        "{err}"
    );
    assert!(err.contains("unset them"), "{err}");
    assert!(!err.contains("run `cr login"), "{err}");
    // No credentials at all.
    let (code, _, err) = env.run(&["--registry", h, "manifest-inspect", "ns/x:1"]);
    assert_eq!(code, 4);
    assert!(err.contains("no credentials were found"), "{err}");
    // A loopback registry that is not there: no --insecure-registry advice (it is plain HTTP).
    let (code, _, err) = env.run(&["--registry", "127.0.0.1:9", "manifest-inspect", "ns/x:1"]);
    assert_eq!(code, 1);
    assert!(!err.contains("--insecure-registry"), "{err}");
    // Accepted but not allowed (403 / insufficient scope): which account and which scope.
    let reader = User::new("reader", "reader-pass", &[("team", &["pull"])], false);
    let treg = TestRegistry::start(Auth::Token(Issuer::start(vec![reader], 300)));
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("a", b"denied")]);
    let env2 = Env::new();
    env2.login(&treg.host, "reader", "reader-pass");
    let (code, _, err) = env2.run(&[
        "push",
        &format!("oci:{}:v1", l.display()),
        &format!("{}/team/app:v1", treg.host),
    ]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains(r#"accepted user "reader""#), "{err}");
    assert!(err.contains("repository:team/app:pull,push"), "{err}");
}

#[test]
fn output_lines_say_what_happened_once() {
    let src = TestRegistry::start(Auth::None);
    let dst = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let a = layout::image(&l, Some("a"), "amd64", &[("a", b"tag a")]);
    let b = layout::image(&l, Some("b"), "amd64", &[("b", b"tag b")]);
    src.skopeo_push(&l, "a", "ns/app:a");
    src.skopeo_push(&l, "b", "ns/app:b");
    let env = Env::new();
    let out = env.ok(&[
        "copy",
        "--all-tags",
        &format!("{}/ns/app", src.host),
        &format!("{}/ns/app", dst.host),
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        vec![
            format!("{}/ns/app:a@{}", dst.host, a.digest),
            format!("{}/ns/app:b@{}", dst.host, b.digest)
        ]
    );
    // image-untag: one line per image, nothing more.
    let o = env
        .cmd()
        .args([
            "--registry",
            &dst.host,
            "image-untag",
            "ns/app:a",
            "ns/app:b",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(!String::from_utf8_lossy(&o.stderr).contains("untagged"));
    // --restrict that matches nothing says so.
    let o = env
        .cmd()
        .args([
            "--registry",
            &dst.host,
            "image-list",
            "--restrict",
            "nothing-here",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no repository"),
        "{o:?}"
    );
}

#[test]
fn a_missing_tag_names_the_closest_ones() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("a", b"closest")]);
    for t in ["v1.0", "v1.1", "v2.0", "stable"] {
        reg.skopeo_push(&l, "v1", &format!("ns/app:{t}"));
    }
    let env = Env::new();
    // The registry by --registry, the repository under this test's namespace.
    let h = reg.addr.as_str();
    let app = format!("{}/ns/app", reg.ns);
    let (code, _, err) = env.run(&["--registry", h, "image-inspect", &app]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("latest was assumed"), "{err}");
    let (code, _, err) = env.run(&["--registry", h, "manifest-inspect", &format!("{app}:v1.2")]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("the closest tags are v1.0, v1.1, v2.0, stable"),
        "{err}"
    );
}

#[test]
fn pull_and_copy_of_a_missing_tag_name_the_closest_ones() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("a", b"closest pull")]);
    reg.skopeo_push(&l, "v1", "ns/app:v1.0");
    let env = Env::new();
    // The registry by --registry, the repository under this test's namespace.
    let h = reg.addr.as_str();
    let (app, other) = (
        format!("{}/ns/app:v1.9", reg.ns),
        format!("{}/ns/other:x", reg.ns),
    );
    let out = format!("oci:{}", dir.path().join("out").display());
    for args in [
        vec!["pull", app.as_str(), out.as_str()],
        vec!["pull", app.as_str(), "out.tar"],
        vec!["copy", app.as_str(), other.as_str()],
    ] {
        let mut full = vec!["--registry", h];
        full.extend(args.iter().copied());
        let (code, _, err) = env.run(&full);
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(err.contains("the closest tags are v1.0"), "{args:?}: {err}");
    }
}
