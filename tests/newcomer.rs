//! The newcomer's path (issue #11): one exit code per condition, whatever the command, and
//! pull destinations that say what they are.

mod common;

use common::{layout, Auth, Env, TestRegistry};

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
