//! Downloads and existence checks: presigned storage redirects, missing headers, manifest HEAD
//! refused.

use super::*;
use crate::common;
use crate::common::proxy::{Action, Proxy};
use crate::common::{Auth, Env, TestRegistry};

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
    let proxy = Proxy::before(&reg, faults, None);
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

/// ECR sends no Docker-Content-Digest on manifest GET and no Location on manifest PUT
/// (catalogue §13.13): cr computes the digest and needs no Location.
#[test]
fn missing_digest_and_location_headers_are_fine() {
    let reg = common::ns();
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
    let proxy = Proxy::before(&reg, faults, None);
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

/// A registry without manifest HEAD (405), or answering it 403 where 404 is meant
/// (Artifactory, catalogue §0 "HEAD on manifests may be missing or wrong"; §10 "403 instead
/// of 404"): cr asks with GET, and a missing tag is still "not found".
#[test]
fn manifest_head_refused_falls_back_to_get() {
    let reg = common::ns();
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
    let proxy = Proxy::before(&reg, faults, None);
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
