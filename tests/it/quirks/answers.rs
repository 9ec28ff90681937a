//! What registries answer and how cr says it: 401/403 for missing repositories, rate limits,
//! odd error bodies, OCI-only registries, Docker Hub names.

use super::*;
use crate::common;
use crate::common::proxy::{Action, Proxy};
use crate::common::{Auth, Env, TestRegistry};

/// A repository answered 403 (Artifactory's HEAD, IBM; catalogue §13.8) after the login was
/// accepted: "not found or not allowed", never a wrong password.
#[test]
fn a_missing_repository_answered_403_is_not_found_or_not_allowed() {
    let reg = TestRegistry::start(Auth::Htpasswd(vec![("alice".into(), "pw".into())]));
    let faults = vec![fault(
        "GET",
        "/v2/ns/missing/",
        Action::Raw(
            403,
            "Content-Type: application/json\r\n",
            r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#,
        ),
        100,
    )];
    let proxy = Proxy::before(&reg, faults, None);
    let env = Env::new();
    env.login(&proxy.host(), "alice", "pw");
    let (code, _, err) = env.run(&[
        "manifest-inspect",
        &format!("{}/ns/missing:1", proxy.host()),
    ]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("not found or"), "{err}");
    assert!(!err.contains("wrong"), "{err}");
    assert_eq!(proxy.count("GET", "/v2/ns/missing/"), 1);
}

/// Docker Hub's rate-limit headers are read (said under --debug), and a 429 without
/// Retry-After is retried after a jittered backoff (catalogue §1 "Headers", §13.12).
#[test]
fn rate_limit_headers_are_read_and_429_is_retried() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1024, 8);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    const RL: &[&str] = &[
        "ratelimit-limit: 100;w=21600",
        "ratelimit-remaining: 7;w=21600",
    ];
    let faults = vec![
        fault("GET", "/manifests/", Action::Status(429, None), 2),
        fault("GET", "/manifests/", Action::AddHeaders(RL), 100),
        fault("HEAD", "/manifests/", Action::AddHeaders(RL), 100),
    ];
    let proxy = Proxy::before(&reg, faults, None);
    let env = Env::new();
    let o = env
        .cmd()
        .args([
            "--debug",
            "manifest-inspect",
            &format!("{}/ns/app:v1", proxy.host()),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("schemaVersion"));
    assert!(err.contains("7 of 100 pulls left per 21600 s"), "{err}");
    assert_eq!(proxy.count("GET", "/manifests/v1"), 3);
    assert_eq!(reg.skopeo_digest("ns/app:v1"), img.digest);
}

/// Text and HTML error bodies (a CDN's challenge page, ECR Public's "404 page not found";
/// catalogue §13.14) are quoted, escaped and short, never "unknown error".
#[test]
fn text_and_html_error_bodies_are_shown() {
    let reg = common::ns();
    let faults = vec![
        fault(
            "GET",
            "/v2/ns/html/",
            Action::Raw(
                403,
                "Content-Type: text/html\r\n",
                "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>\x1b[31m<p>Checking your browser</p></body></html>",
            ),
            100,
        ),
        fault(
            "GET",
            "/v2/ns/text/",
            Action::Raw(404, "Content-Type: text/plain\r\n", "404 page not found\n"),
            100,
        ),
    ];
    let proxy = Proxy::before(&reg, faults, None);
    let env = Env::new();
    let (code, _, err) = env.run(&["manifest-inspect", &format!("{}/ns/html:1", proxy.host())]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("the registry answered: Just a moment..."),
        "{err}"
    );
    assert!(err.contains("Checking your browser"), "{err}");
    assert!(!err.contains('\x1b') && !err.contains("<title>"), "{err}");
    let (code, _, err) = env.run(&["manifest-inspect", &format!("{}/ns/text:1", proxy.host())]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("the registry answered: 404 page not found"),
        "{err}"
    );
    assert!(!err.to_lowercase().contains("unknown error"), "{err}");
}

/// zot refuses Docker-format manifests with 415 MANIFEST_INVALID (catalogue §11 "OCI-only by
/// default"): cr names the cause and the way out; `--format oci` converts.
#[test]
fn a_docker_image_into_an_oci_only_registry_names_the_cause() {
    let src = common::ns();
    let dst = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    image(&l, 1024, 10);
    common::skopeo(&[
        "copy".into(),
        "--format=v2s2".into(),
        "--dest-tls-verify=false".into(),
        format!("oci:{}:v1", l.display()),
        format!("docker://{}/ns/app:v1", src.host),
    ]);
    let faults = vec![fault("PUT", "/manifests/", Action::OciOnly, 100)];
    let proxy = Proxy::before(&dst, faults, None);
    let env = Env::new();
    let (code, _, err) = env.run(&[
        "copy",
        &format!("{}/ns/app:v1", src.host),
        &format!("{}/ns/app:v1", proxy.host()),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("HTTP 415"), "{err}");
    assert!(err.contains("accepts OCI manifests only"), "{err}");
    assert!(!dst.skopeo_exists("ns/app:v1"));

    // Opt-in conversion: the same blobs under an OCI manifest, with a new digest, said.
    let (code, out, err) = env.run(&[
        "copy",
        "--format",
        "oci",
        &format!("{}/ns/app:v1", src.host),
        &format!("{}/ns/app:v1", proxy.host()),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("converted to OCI"), "{err}");
    let source: serde_json::Value =
        serde_json::from_str(&src.skopeo_inspect("ns/app:v1", true)).unwrap();
    let copied: serde_json::Value =
        serde_json::from_str(&dst.skopeo_inspect("ns/app:v1", true)).unwrap();
    assert_eq!(
        copied["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        copied["config"]["mediaType"],
        "application/vnd.oci.image.config.v1+json"
    );
    assert_eq!(copied["config"]["digest"], source["config"]["digest"]);
    assert_eq!(copied["layers"][0]["digest"], source["layers"][0]["digest"]);
    assert_eq!(
        copied["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
    let digest = dst.skopeo_digest("ns/app:v1");
    assert_ne!(digest, src.skopeo_digest("ns/app:v1"));
    assert!(out.contains(&digest), "{out}");
}

/// Docker Hub names as docker has them: `alpine` (with docker.io the target registry),
/// `docker.io/alpine`, `index.docker.io/...`
/// and `registry-1.docker.io/library/...` are one registry, asked at its API host for
/// `library/alpine`, with the login docker keeps under `https://index.docker.io/v1/`. The API
/// host is a local stand-in here (CR_DOCKER_HUB_API, taken for loopback addresses only).
#[test]
fn docker_hub_names_and_the_index_docker_io_login_are_one_registry() {
    use crate::common::hostile::{Hostile, Reply};
    use base64::Engine;
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    let hub = Hostile::start(move |s| {
        if s.authorization.is_none() {
            return Reply::json(
                401,
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
            )
            .with_header("WWW-Authenticate", r#"Basic realm="hub""#);
        }
        if s.target == "/v2/library/alpine/manifests/latest" {
            Reply::manifest("application/vnd.oci.image.manifest.v1+json", manifest)
        } else {
            Reply::status(404)
        }
    });
    let env = Env::new();
    let auth = base64::engine::general_purpose::STANDARD.encode("hubuser:hubpass");
    std::fs::create_dir_all(env.docker_config()).unwrap();
    std::fs::write(
        env.docker_config().join("config.json"),
        format!(r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    for name in [
        "alpine",
        "docker.io/alpine",
        "index.docker.io/library/alpine",
        "registry-1.docker.io/library/alpine:latest",
    ] {
        let o = env
            .cmd()
            .env("CR_DOCKER_HUB_API", hub.host())
            .args([
                "--registry",
                "docker.io",
                "--insecure-registry",
                "docker.io",
            ])
            .args(["manifest-inspect", name])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{name}: {err}");
        assert!(String::from_utf8_lossy(&o.stdout).contains("schemaVersion"));
    }
    let asked: Vec<_> = hub
        .authorized()
        .into_iter()
        .filter(|s| s.target.contains("/manifests/"))
        .collect();
    assert_eq!(asked.len(), 4, "{:?}", hub.seen());
    for s in asked {
        assert_eq!(s.target, "/v2/library/alpine/manifests/latest");
        assert_eq!(s.authorization.as_deref(), Some(&*format!("Basic {auth}")));
    }
    // Elsewhere than loopback, the variable is ignored: nothing reaches the stand-in.
    let before = hub.seen().len();
    let o = env
        .cmd()
        .env("CR_DOCKER_HUB_API", "192.0.2.1:9")
        .env("CR_CONNECT_TIMEOUT", "1")
        .args([
            "--insecure-registry",
            "docker.io",
            "manifest-inspect",
            "alpine",
        ])
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(hub.seen().len(), before);
}

/// On a terminal, without --debug, a rate limit with fewer than 10% of its pulls left is said
/// once, as a warning; with plenty left nothing is said (catalogue §1 "Headers").
#[test]
fn a_nearly_spent_rate_limit_is_said_once_on_a_terminal() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    image(&l, 1024, 14);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    const LOW: &[&str] = &[
        "ratelimit-limit: 100;w=21600",
        "ratelimit-remaining: 3;w=21600",
    ];
    const PLENTY: &[&str] = &["ratelimit-limit: 100", "ratelimit-remaining: 50"];
    let run = |headers: &'static [&'static str]| {
        let faults = vec![
            fault("GET", "/", Action::AddHeaders(headers), 100),
            fault("HEAD", "/", Action::AddHeaders(headers), 100),
        ];
        let proxy = Proxy::before(&reg, faults, None);
        let env = Env::new();
        let out = dir
            .path()
            .join(format!("out{}", headers.len() + headers[1].len()));
        let (from, to) = (
            format!("{}/ns/app:v1", proxy.host()),
            format!("oci:{}", out.display()),
        );
        let args = ["pull", from.as_str(), to.as_str()];
        let o = common::tty::script(&env, &args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let screen = String::from_utf8_lossy(&o.stdout).to_string();
        assert_eq!(o.status.code(), Some(0), "{screen}");
        assert!(proxy.count("GET", "/") >= 3);
        screen
    };
    let low = run(LOW);
    assert_eq!(low.matches("3 of 100 pulls left").count(), 1, "{low}");
    let plenty = run(PLENTY);
    assert!(!plenty.contains("pulls left"), "{plenty}");
}
