//! Registries as they are (#21), client side: each test puts our proxy in front of the real
//! docker-registry, playing one hosted registry's departure from the spec (the catalogue line
//! is cited at each fault: /work/shared/registry-quirks.md), and checks what cr did by what
//! the upstream registry holds (skopeo), what the proxy and the storage server received, and
//! what cr said.

use crate::common;

use crate::common::proxy::{Action, Fault, Proxy};
use crate::common::{layout, Auth, Env, TestRegistry};

const MIB: u64 = 1 << 20;

fn fault(method: &'static str, path: &'static str, action: Action, times: usize) -> Fault {
    Fault {
        method,
        path_contains: path,
        action,
        times,
    }
}

/// One image of one `size`-byte layer, tagged v1 in the layout at `dir`.
fn image(dir: &std::path::Path, size: usize, seed: u64) -> layout::Built {
    let data = common::noise(size, seed);
    layout::image(dir, Some("v1"), "amd64", &[("big", &data)])
}

/// The whole-blob PUT refused (as a proxy's body limit does), so that the upload goes in PATCHes.
fn no_monolithic() -> Fault {
    fault("PUT", "/blobs/uploads/", Action::BodyLimit(MIB / 2), 100)
}

/// GHCR refuses PATCHes over 4 MiB with 416 (catalogue §2 "PATCH body limit 4 MiB"): cr halves
/// its chunks until they pass, and every byte arrives.
#[test]
fn ghcr_416_on_large_patches_means_smaller_chunks() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 18 << 20, 1);
    let faults = vec![
        no_monolithic(),
        fault("PATCH", "/blobs/uploads/", Action::PatchCap(4 * MIB), 100),
    ];
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
    let env = Env::new();
    let out = env.ok(&[
        "push",
        &format!("oci:{}:v1", l.display()),
        &format!("{}/ns/app:v1", proxy.host()),
    ]);
    assert!(out.contains(&img.digest), "{out}");
    assert_eq!(reg.skopeo_digest("ns/app:v1"), img.digest);
    let patches: Vec<u64> = proxy
        .lengths("PATCH", "/blobs/uploads/")
        .into_iter()
        .map(|l| l.unwrap_or(u64::MAX))
        .collect();
    // 16 MiB and 8 MiB refused once each, then 4 MiB pieces (the shared size moved once).
    let refused = patches.iter().filter(|&&n| n > 4 * MIB).count();
    assert!((1..=3).contains(&refused), "{patches:?}");
    let passed: u64 = patches.iter().filter(|&&n| n <= 4 * MIB).sum();
    assert!(passed >= 18 * MIB, "{patches:?}");
    assert!(patches.len() <= 12, "{patches:?}");
}

/// ECR answers PATCH with 201, keeps answering the first chunk's `Range`, and refuses a chunk
/// after one smaller than 5 MiB (catalogue §3 "PATCH returns 201", "Minimum chunk size 5 MiB",
/// "Stale Range"): cr keeps its own offset, and a chunk size set below 5 MiB grows to it.
#[test]
fn ecr_201_stale_range_and_a_5_mib_minimum() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 13 << 20, 2);
    let faults = vec![
        no_monolithic(),
        fault("PATCH", "/blobs/uploads/", Action::EcrPatch(5 * MIB), 1000),
    ];
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
    let env = Env::new();
    // Chunks of 2 MiB asked for: refused by the second PATCH, then 5 MiB ones.
    let o = env
        .cmd()
        .env("CR_UPLOAD_CHUNK_MIB", "2")
        .args([
            "push",
            &format!("oci:{}:v1", l.display()),
            &format!("{}/ns/app:v1", proxy.host()),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(reg.skopeo_digest("ns/app:v1"), img.digest);
    let patches: Vec<u64> = proxy
        .lengths("PATCH", "/blobs/uploads/")
        .into_iter()
        .map(|l| l.unwrap())
        .collect();
    // First 2 MiB pieces (the layer's second one refused), then the layer (13 MiB and its tar
    // header) in 5 + 5 + 3 MiB: every chunk but the last at least 5 MiB.
    assert_eq!(
        patches.iter().filter(|&&n| n == 2 * MIB).count(),
        2,
        "{patches:?}"
    );
    let tail = &patches[patches.len() - 3..];
    assert_eq!(tail[..2], [5 * MIB, 5 * MIB], "{patches:?}");
    assert!(tail[2] < 5 * MIB && tail[2] > 3 * MIB, "{patches:?}");
    assert!(patches.len() <= 8, "{patches:?}");
}

/// Blobs redirected to presigned storage (catalogue §0 "Redirects that cross hosts", §3
/// "Always a 307 to a presigned S3 URL", §13.3): no Authorization goes to storage, storage
/// gets GETs only (a HEAD answered with a redirect is not followed), and an expired URL is
/// asked for again at the registry.
#[test]
fn presigned_storage_gets_no_authorization_no_head_and_expired_urls_are_renewed() {
    let reg = TestRegistry::start(Auth::Htpasswd(vec![("alice".into(), "pw".into())]));
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 2 << 20, 3);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let faults = vec![
        // The first blob GET gets a URL that expired already; the rest fresh ones.
        fault("GET", "/blobs/sha256:", Action::Presigned(-1000), 1),
        fault("GET", "/blobs/sha256:", Action::Presigned(60_000), 100),
        fault("HEAD", "/blobs/sha256:", Action::Presigned(60_000), 100),
    ];
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
    let env = Env::new();
    env.login(&proxy.host(), "alice", "pw");
    let out = dir.path().join("out");
    let res = env.ok(&[
        "pull",
        &format!("{}/ns/app:v1", proxy.host()),
        &format!("oci:{}", out.display()),
    ]);
    assert!(res.contains(&img.digest), "{res}");
    // Byte-exact: skopeo reads the pulled layout's digest.
    let pulled = common::skopeo_json(&["inspect", &format!("oci:{}:v1", out.display())]);
    assert_eq!(pulled["Digest"], img.digest.as_str());
    let log = proxy.storage_log.lock().unwrap().clone();
    assert!(log.iter().all(|(_, _, auth, _)| !auth), "{log:?}");
    assert_eq!(log.iter().filter(|e| e.3 == 403).count(), 1, "{log:?}");
    // Config and layer: two blobs, one URL renewed.
    assert_eq!(log.iter().filter(|e| e.3 == 200).count(), 2, "{log:?}");
    assert_eq!(proxy.count("GET", "/blobs/sha256:"), 3);

    // A push of what is there: the blob HEADs answered with redirects say "present".
    let res = env.ok(&[
        "push",
        "-o",
        "json",
        &format!("oci:{}:v1", l.display()),
        &format!("{}/ns/app:v2", proxy.host()),
    ]);
    let v: serde_json::Value = serde_json::from_str(res.trim()).unwrap();
    assert_eq!(v["BlobsSkipped"], 2, "{res}");
    let log = proxy.storage_log.lock().unwrap().clone();
    assert!(log.iter().all(|(m, _, _, _)| m == "GET"), "{log:?}");
    assert_eq!(reg.skopeo_digest("ns/app:v2"), img.digest);
}

/// Tag deletion where the registry has it (Quay, zot, GitLab; catalogue §12 "DELETE
/// manifest"): image-untag sends `DELETE …/manifests/TAG`, no placeholder is pushed.
#[test]
fn untag_uses_tag_deletion_where_the_registry_has_it() {
    let reg = TestRegistry::start_with(Auth::None, true);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1024, 4);
    reg.skopeo_push(&l, "v1", "ns/app:a");
    reg.skopeo_push(&l, "v1", "ns/app:b");
    let faults = vec![fault("DELETE", "/manifests/", Action::TagDelete, 100)];
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
    let env = Env::new();
    env.ok(&["image-untag", &format!("{}/ns/app:a", proxy.host())]);
    assert_eq!(reg.skopeo_tags("ns/app"), vec!["b".to_string()]);
    assert_eq!(reg.skopeo_digest("ns/app:b"), img.digest);
    assert_eq!(proxy.count("DELETE", "/v2/ns/app/manifests/a"), 1);
    assert_eq!(
        proxy.count("PUT", "/manifests/"),
        0,
        "{:?}",
        proxy.requests()
    );
}

/// Artifact Registry refuses a digest DELETE while tags point at it
/// (GOOGLE_MANIFEST_DANGLING_TAG, catalogue §6 "A tagged manifest cannot be deleted"): cr
/// deletes the tags first, then the digest.
#[test]
fn dangling_tag_refusal_deletes_the_tags_then_the_digest() {
    let reg = TestRegistry::start_with(Auth::None, true);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1024, 5);
    let other = layout::image(&l, Some("v2"), "amd64", &[("x", b"another image")]);
    reg.skopeo_push(&l, "v1", "ns/app:a");
    reg.skopeo_push(&l, "v1", "ns/app:b");
    reg.skopeo_push(&l, "v2", "ns/app:keep");
    let faults = vec![
        fault("DELETE", "/manifests/", Action::DanglingTag, 1),
        fault("DELETE", "/manifests/", Action::TagDelete, 100),
    ];
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
    let env = Env::new();
    let (code, _, err) = env.run(&["image-rm", &format!("{}/ns/app:a", proxy.host())]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(reg.skopeo_tags("ns/app"), vec!["keep".to_string()]);
    assert!(!reg.skopeo_exists(&format!("ns/app@{}", img.digest)));
    assert_eq!(reg.skopeo_digest("ns/app:keep"), other.digest);
    let deletes: Vec<String> = proxy
        .requests()
        .into_iter()
        .filter(|(m, _)| m == "DELETE")
        .map(|(_, p)| p)
        .collect();
    let by_digest = format!("/v2/ns/app/manifests/{}", img.digest);
    assert_eq!(deletes.first(), Some(&by_digest), "{deletes:?}");
    assert_eq!(deletes.last(), Some(&by_digest), "{deletes:?}");
    assert!(deletes.contains(&"/v2/ns/app/manifests/a".to_string()));
    assert!(deletes.contains(&"/v2/ns/app/manifests/b".to_string()));
    assert_eq!(deletes.len(), 4, "{deletes:?}");
}

/// GHCR answers every DELETE with 405 UNSUPPORTED (catalogue §12 "DELETE manifest"): the error
/// names the registry's own deletion route.
#[test]
fn a_registry_without_api_deletion_names_its_own_route() {
    let reg = TestRegistry::start_with(Auth::None, true);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1024, 6);
    reg.skopeo_push(&l, "v1", "ns/app:a");
    let faults = vec![fault(
        "DELETE",
        "/manifests/",
        Action::ApiError(405, "UNSUPPORTED"),
        100,
    )];
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
    let env = Env::new();
    let (code, _, err) = env.run(&["image-rm", &format!("{}/ns/app:a", proxy.host())]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("GitHub's packages API"), "{err}");
    assert_eq!(reg.skopeo_digest("ns/app:a"), img.digest);
}

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
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
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

/// ECR refuses a push into a repository that does not exist with 404 NAME_UNKNOWN (catalogue
/// §3 "Push to a missing repository"): cr says so and how to create it; nothing is retried.
#[test]
fn a_push_into_a_repository_that_must_exist_first_says_so() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    image(&l, 1024, 7);
    let faults = vec![fault(
        "POST",
        "/v2/ns/new/blobs/uploads/",
        Action::ApiError(404, "NAME_UNKNOWN"),
        100,
    )];
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
    let env = Env::new();
    let (code, _, err) = env.run(&[
        "push",
        &format!("oci:{}:v1", l.display()),
        &format!("{}/ns/new:v1", proxy.host()),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("create it first"), "{err}");
    assert!(err.contains("aws ecr create-repository"), "{err}");
    assert!(
        proxy.count("POST", "/blobs/uploads/") <= 2,
        "{:?}",
        proxy.requests()
    );
    assert!(!reg.skopeo_exists("ns/new:v1"));
}

/// Docker Hub's rate-limit headers are read (said under --debug), and a 429 without
/// Retry-After is retried after a jittered backoff (catalogue §1 "Headers", §13.12).
#[test]
fn rate_limit_headers_are_read_and_429_is_retried() {
    let reg = TestRegistry::start(Auth::None);
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
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
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

/// ECR sends no Docker-Content-Digest on manifest GET and no Location on manifest PUT
/// (catalogue §13.13): cr computes the digest and needs no Location.
#[test]
fn missing_digest_and_location_headers_are_fine() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1024, 9);
    const DIGEST: &[&str] = &["Docker-Content-Digest"];
    const LOCATION: &[&str] = &["Location", "Docker-Content-Digest"];
    let faults = vec![
        fault("GET", "/manifests/", Action::StripHeaders(DIGEST), 100),
        fault("HEAD", "/manifests/", Action::StripHeaders(DIGEST), 100),
        fault("PUT", "/manifests/", Action::StripHeaders(LOCATION), 100),
    ];
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
    let env = Env::new();
    let out = env.ok(&[
        "push",
        &format!("oci:{}:v1", l.display()),
        &format!("{}/ns/app:v1", proxy.host()),
    ]);
    assert!(out.contains(&img.digest), "{out}");
    assert_eq!(reg.skopeo_digest("ns/app:v1"), img.digest);
    // The digest of a tag, with no header to say it: computed from the bytes.
    let tags = env.ok(&[
        "image-tag",
        &format!("{}/ns/app:v1", proxy.host()),
        &format!("{}/ns/app:v2", proxy.host()),
    ]);
    assert!(tags.contains(&img.digest), "{tags}");
    assert_eq!(reg.skopeo_digest("ns/app:v2"), img.digest);
}

/// Text and HTML error bodies (a CDN's challenge page, ECR Public's "404 page not found";
/// catalogue §13.14) are quoted, escaped and short, never "unknown error".
#[test]
fn text_and_html_error_bodies_are_shown() {
    let reg = TestRegistry::start(Auth::None);
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
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
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
/// default"): cr names the cause and the way out.
#[test]
fn a_docker_image_into_an_oci_only_registry_names_the_cause() {
    let src = TestRegistry::start(Auth::None);
    let dst = TestRegistry::start(Auth::None);
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
    let proxy = Proxy::start(dst.port, dst.storage(), faults, None);
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
}

/// A mount refused with 401 (Harbor, for a source project the token does not cover; catalogue
/// §13.10) is not an error: the blob is uploaded.
#[test]
fn a_mount_refused_with_401_uploads_instead() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1024, 11);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let faults = vec![fault(
        "POST",
        "mount=",
        Action::ApiError(401, "UNAUTHORIZED"),
        100,
    )];
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
    let env = Env::new();
    let res = env.ok(&[
        "copy",
        "-o",
        "json",
        &format!("{}/ns/app:v1", proxy.host()),
        &format!("{}/other/app:v1", proxy.host()),
    ]);
    let v: serde_json::Value = serde_json::from_str(res.trim()).unwrap();
    assert_eq!(v["BlobsMoved"], 2, "{res}");
    assert_eq!(reg.skopeo_digest("other/app:v1"), img.digest);
    assert!(proxy.count("POST", "mount=") >= 2);
}

/// A manifest refused with MANIFEST_BLOB_UNKNOWN twice in a row (docker-registry's link files
/// torn by another process placing the same blobs, one after another): cr checks the blobs
/// and stores the manifest again each time, a bounded number of times.
#[test]
fn a_manifest_refused_for_unknown_blobs_twice_is_stored_on_the_third_try() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1024, 12);
    let faults = vec![fault(
        "PUT",
        "/manifests/v1",
        Action::ApiError(400, "MANIFEST_BLOB_UNKNOWN"),
        2,
    )];
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
    let env = Env::new();
    let out = env.ok(&[
        "push",
        &format!("oci:{}:v1", l.display()),
        &format!("{}/ns/app:v1", proxy.host()),
    ]);
    assert!(out.contains(&img.digest), "{out}");
    assert_eq!(reg.skopeo_digest("ns/app:v1"), img.digest);
    assert_eq!(proxy.count("PUT", "/manifests/v1"), 3);
    // Each round checked both blobs (config and layer), and found them: nothing sent again.
    assert_eq!(proxy.count("HEAD", "/blobs/sha256:"), 2 + 2 * 2);
    assert_eq!(proxy.count("PUT", "/blobs/uploads/"), 2);
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

/// Upload `Location`s relative to the request, with an extra query parameter (zot, Quay, ACR;
/// catalogue §0 "Upload Location is opaque"): resolved against the request's URL, the digest
/// merged into the query.
#[test]
fn relative_upload_locations_are_followed() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 3 << 20, 13);
    let faults = vec![
        fault("POST", "/blobs/uploads/", Action::RelativeLocation, 100),
        fault("PATCH", "/blobs/uploads/", Action::RelativeLocation, 100),
    ];
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
    let env = Env::new();
    let o = env
        .cmd()
        .env("CR_UPLOAD_CHUNK_MIB", "1")
        .args([
            "push",
            &format!("oci:{}:v1", l.display()),
            &format!("{}/ns/app:v1", proxy.host()),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(reg.skopeo_digest("ns/app:v1"), img.digest);
    // Every PATCH and the final PUTs went to the session URLs, with the extra parameter.
    let reqs = proxy.requests();
    let later: Vec<_> = reqs
        .iter()
        .filter(|(m, _)| m == "PATCH" || m == "PUT")
        .filter(|(_, p)| p.contains("/blobs/uploads/"))
        .collect();
    assert!(later.len() >= 6, "{reqs:?}");
    assert!(later.iter().all(|(_, p)| p.contains("quirk=1")), "{reqs:?}");
}

/// On a terminal, without --debug, a rate limit with fewer than 10% of its pulls left is said
/// once, as a warning; with plenty left nothing is said (catalogue §1 "Headers").
#[test]
fn a_nearly_spent_rate_limit_is_said_once_on_a_terminal() {
    let reg = TestRegistry::start(Auth::None);
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
        let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
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

/// A registry without manifest HEAD (405), or answering it 403 where 404 is meant
/// (Artifactory, catalogue §0 "HEAD on manifests may be missing or wrong"; §10 "403 instead
/// of 404"): cr asks with GET, and a missing tag is still "not found".
#[test]
fn manifest_head_refused_falls_back_to_get() {
    let reg = TestRegistry::start_with(Auth::None, true);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1024, 15);
    reg.skopeo_push(&l, "v1", "ns/app:a");
    reg.skopeo_push(&l, "v1", "ns/app:b");
    let faults = vec![
        fault(
            "HEAD",
            "/manifests/gone",
            Action::ApiError(403, "DENIED"),
            100,
        ),
        fault(
            "HEAD",
            "/manifests/",
            Action::ApiError(405, "UNSUPPORTED"),
            100,
        ),
        fault("HEAD", "/blobs/", Action::Raw(403, "", ""), 100),
    ];
    let proxy = Proxy::start(reg.port, reg.storage(), faults, None);
    let env = Env::new();
    let (code, _, err) = env.run(&["image-rm", &format!("{}/ns/app:gone", proxy.host())]);
    assert_eq!(code, 3, "{err}");
    let out = env.ok(&["image-rm", &format!("{}/ns/app:a", proxy.host())]);
    assert!(out.contains(&img.digest), "{out}");
    assert!(out.contains("a, b"), "{out}");
    assert!(reg.skopeo_tags("ns/app").is_empty());
    assert!(proxy.count("GET", "/manifests/") >= 2);
    // A push whose blob HEADs are refused uploads them (the registry dedups): it works.
    env.ok(&[
        "push",
        &format!("oci:{}:v1", l.display()),
        &format!("{}/ns/app:c", proxy.host()),
    ]);
    assert_eq!(reg.skopeo_digest("ns/app:c"), img.digest);
}
