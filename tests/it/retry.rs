//! One retry policy (issue #10): attempts are counted per request and never multiply across
//! layers, every retry says so on stderr, and a bad knob is a usage error.

use crate::common;

use std::time::{Duration, Instant};

use crate::common::proxy::{Action, Fault, Proxy};
use crate::common::{layout, Auth, Env, TestRegistry};

fn image(dir: &std::path::Path) -> layout::Built {
    let a = common::noise(300 << 10, 1);
    let b = common::noise(200 << 10, 2);
    layout::image(dir, Some("v1"), "amd64", &[("a", &a), ("b", &b)])
}

#[test]
fn a_persistent_500_costs_at_most_five_attempts_per_blob() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    image(&l);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let faults = vec![Fault {
        method: "GET",
        path_contains: "/blobs/sha256:",
        action: Action::Status(500, None),
        times: 10_000,
    }];
    let proxy = Proxy::before(&reg, faults, None);
    let env = Env::new();
    let out = dir.path().join("out");
    let started = Instant::now();
    let mut cmd = env.cmd();
    cmd.env("CR_RETRY_BASE_MS", "100").args([
        "pull",
        &format!("{}/ns/app:v1", proxy.host()),
        &format!("oci:{}", out.display()),
    ]);
    let o = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(err.contains("HTTP 500"), "the status is named: {err}");
    // Three blobs (config and two layers) with a budget of five attempts each; at most
    // `--jobs` blobs are tried at once, and the pull stops at the first blob that fails.
    let gets = proxy.fired();
    assert!((5..=15).contains(&gets), "{gets} blob GETs");
    let retry_lines = err
        .lines()
        .filter(|l| l.starts_with("retrying get blob"))
        .count();
    assert!(
        (4..=12).contains(&retry_lines),
        "{retry_lines} retry lines: {err}"
    );
    assert!(err.contains("(attempt 5 of 5)"), "{err}");
    assert!(!err.contains("(attempt 6 of"), "{err}");
    assert!(!out.exists());
}

#[test]
fn a_503_that_clears_is_retried_and_said_twice() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let faults = vec![Fault {
        method: "GET",
        path_contains: "/manifests/v1",
        action: Action::Status(503, None),
        times: 2,
    }];
    let proxy = Proxy::before(&reg, faults, None);
    let env = Env::new();
    let out = dir.path().join("out");
    let o = env
        .cmd()
        .args([
            "pull",
            &format!("{}/ns/app:v1", proxy.host()),
            &format!("oci:{}", out.display()),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains(&img.digest));
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("retrying ")).collect();
    assert_eq!(lines.len(), 2, "{err}");
    let host = proxy.host();
    assert_eq!(
        lines[0],
        format!("retrying get manifest ns/app:v1 on {host} after HTTP 503 (attempt 2 of 5)")
    );
    assert!(
        lines[1].ends_with("after HTTP 503 (attempt 3 of 5)"),
        "{}",
        lines[1]
    );
    // --quiet silences them.
    let out2 = dir.path().join("out2");
    let proxy = Proxy::before(
        &reg,
        vec![Fault {
            method: "GET",
            path_contains: "/manifests/v1",
            action: Action::Status(503, None),
            times: 2,
        }],
        None,
    );
    let o = env
        .cmd()
        .args([
            "pull",
            "--quiet",
            &format!("{}/ns/app:v1", proxy.host()),
            &format!("oci:{}", out2.display()),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("retrying"));
}

#[test]
fn a_bad_knob_is_a_usage_error_naming_the_variable() {
    let env = Env::new();
    for (var, value) in [
        ("CR_READ_TIMEOUT", "abc"),
        ("CR_MAX_RETRIES", "-1"),
        ("CR_PAGE_SIZE", "0"),
        ("CR_UPLOAD_CHUNK_MIB", "99999999999999999999"),
    ] {
        let o = env
            .cmd()
            .env(var, value)
            .args(["image-list"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{var}: {err}");
        assert!(err.contains(var) && err.contains(value), "{err}");
    }
}

/// A legacy docker-archive (skopeo writes uncompressed layers), pushed with gzip on the fly.
fn docker_archive(dir: &std::path::Path) -> std::path::PathBuf {
    let l = dir.join("layout");
    let a = common::noise(6 << 20, 3);
    let b = common::noise(3 << 20, 4);
    layout::image(&l, Some("v1"), "amd64", &[("a", &a), ("b", &b)]);
    let archive = dir.join("saved.tar");
    common::skopeo(&[
        "copy".into(),
        format!("oci:{}:v1", l.display()),
        format!("docker-archive:{}:saved/img:v1", archive.display()),
    ]);
    archive
}

#[test]
fn a_docker_archive_push_survives_faults_like_any_push() {
    let clean = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let archive = docker_archive(dir.path());
    let src = format!("docker-archive:{}", archive.display());
    let env = Env::new();
    let mut plain = env.cmd();
    plain
        .env("CR_CACHE_DIR", dir.path().join("cache-clean"))
        .args(["push", &src, &format!("{}/ns/app:v1", clean.host)]);
    let o = plain.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let expected = clean.skopeo_digest("ns/app:v1");
    let cases: Vec<(&str, Vec<Fault>)> = vec![
        (
            "a connection cut mid-upload",
            vec![Fault {
                method: "PATCH",
                path_contains: "/blobs/uploads/",
                action: Action::DropRequest(1 << 20),
                times: 1,
            }],
        ),
        (
            "a 500",
            vec![Fault {
                method: "PATCH",
                path_contains: "/blobs/uploads/",
                action: Action::Status(500, None),
                times: 1,
            }],
        ),
        (
            "bodies over 4 MiB refused with 413",
            vec![Fault {
                method: "PATCH",
                path_contains: "/blobs/uploads/",
                action: Action::BodyLimit(4 << 20),
                times: 1000,
            }],
        ),
    ];
    for (i, (name, faults)) in cases.into_iter().enumerate() {
        let reg = common::ns();
        let proxy = Proxy::before(&reg, faults, None);
        let mut cmd = env.cmd();
        cmd.env("CR_CACHE_DIR", dir.path().join(format!("cache-{i}")))
            .args([
                "push",
                "-o",
                "json",
                &src,
                &format!("{}/ns/app:v1", proxy.host()),
            ]);
        let o = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{name}: {err}");
        assert!(proxy.fired() >= 1, "{name}: the fault fired");
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let report = if report.is_array() {
            report[0].clone()
        } else {
            report
        };
        assert_eq!(report["Digest"], expected.as_str(), "{name}");
        assert_eq!(reg.skopeo_digest("ns/app:v1"), expected, "{name}");
        if name != "bodies over 4 MiB refused with 413" {
            assert!(err.contains("retrying upload blob"), "{name}: {err}");
            assert!(
                !report["Retries"].as_array().unwrap().is_empty(),
                "{name}: {report}"
            );
        }
    }
}

/// Five images of one repository in one command: one client, so one token per scope set.
#[test]
fn a_multi_image_command_asks_one_token_per_scope_set() {
    use common::issuer::{ADMIN, ADMIN_PASSWORD};
    use common::Issuer;
    let reg = TestRegistry::start(Auth::Token(Issuer::start(vec![], 300)));
    let issuer = match &reg.auth {
        Auth::Token(i) => i,
        _ => unreachable!(),
    };
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    image(&l);
    for t in 1..=5 {
        reg.skopeo_push(&l, "v1", &format!("team/app:t{t}"));
    }
    let env = Env::new();
    env.login(&reg.host, ADMIN, ADMIN_PASSWORD);
    let images: Vec<String> = (1..=5)
        .map(|t| format!("{}/team/app:t{t}", reg.host))
        .collect();
    let images: Vec<&str> = images.iter().map(String::as_str).collect();
    for cmd in ["image-inspect", "image-untag"] {
        let before = issuer.requests();
        let mut args = vec![cmd];
        args.extend(images.iter().copied());
        env.ok(&args);
        let tokens = issuer.requests() - before;
        assert_eq!(tokens, 1, "{cmd}: {tokens} token requests for five images");
    }
    for t in 1..=5 {
        reg.skopeo_push(&l, "v1", &format!("team/app:t{t}"));
    }
    let before = issuer.requests();
    let mut args = vec!["image-rm", "--dry-run"];
    args.extend(images.iter().copied());
    env.ok(&args);
    assert_eq!(issuer.requests() - before, 1, "image-rm --dry-run");
}

/// A registry in read-only mode answers 405 to every upload session: that refusal is final,
/// so a push says so once per blob at most and never retries (issue #18).
#[test]
fn a_read_only_registry_is_not_retried() {
    let reg = TestRegistry::start_read_only();
    let proxy = Proxy::before(&reg, vec![], None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    image(&l);
    let env = Env::new();
    let o = env
        .cmd()
        .env("CR_RETRY_BASE_MS", "50")
        .args([
            "push",
            &format!("oci:{}:v1", l.display()),
            &format!("{}/ns/app:v1", proxy.host()),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("HTTP 405"), "the refusal is named: {err}");
    assert!(!err.contains("retrying"), "no retry lines: {err}");
    // Three blobs (config and two layers): one upload session asked for each at most, none
    // asked twice.
    let posts = proxy.count("POST", "/blobs/uploads/");
    assert!((1..=3).contains(&posts), "{posts} upload sessions asked");
    assert_eq!(proxy.count("PUT", "/manifests/"), 0);
    assert!(reg.skopeo_tags("ns/app").is_empty());
}
