//! Uploads as hosted registries take them: PATCH caps and minimums, 201s, stale `Range`,
//! relative `Location`s, refused mounts, repositories that must exist, manifests refused for
//! blobs.

use super::*;
use crate::common::proxy::{Action, Proxy};
use crate::common::Env;

/// GHCR refuses PATCHes over 4 MiB with 416 (catalogue §2 "PATCH body limit 4 MiB"): cr halves
/// its chunks until they pass, and every byte arrives.
#[test]
fn ghcr_416_on_large_patches_means_smaller_chunks() {
    let reg = crate::common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 18 << 20, 1);
    let faults = vec![
        no_monolithic(),
        fault("PATCH", "/blobs/uploads/", Action::PatchCap(4 * MIB), 100),
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
    let reg = crate::common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 13 << 20, 2);
    let faults = vec![
        no_monolithic(),
        fault("PATCH", "/blobs/uploads/", Action::EcrPatch(5 * MIB), 1000),
    ];
    let proxy = Proxy::before(&reg, faults, None);
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

/// ECR refuses a push into a repository that does not exist with 404 NAME_UNKNOWN (catalogue
/// §3 "Push to a missing repository"): cr says so and how to create it; nothing is retried.
#[test]
fn a_push_into_a_repository_that_must_exist_first_says_so() {
    let reg = crate::common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    image(&l, 1024, 7);
    let faults = vec![fault(
        "POST",
        "/v2/ns/new/blobs/uploads/",
        Action::ApiError(404, "NAME_UNKNOWN"),
        100,
    )];
    let proxy = Proxy::before(&reg, faults, None);
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

/// A mount refused with 401 (Harbor, for a source project the token does not cover; catalogue
/// §13.10) is not an error: the blob is uploaded.
#[test]
fn a_mount_refused_with_401_uploads_instead() {
    let reg = crate::common::ns();
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
    let proxy = Proxy::before(&reg, faults, None);
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
    let reg = crate::common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1024, 12);
    let faults = vec![fault(
        "PUT",
        "/manifests/v1",
        Action::ApiError(400, "MANIFEST_BLOB_UNKNOWN"),
        2,
    )];
    let proxy = Proxy::before(&reg, faults, None);
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

/// Upload `Location`s relative to the request, with an extra query parameter (zot, Quay, ACR;
/// catalogue §0 "Upload Location is opaque"): resolved against the request's URL, the digest
/// merged into the query.
#[test]
fn relative_upload_locations_are_followed() {
    let reg = crate::common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 3 << 20, 13);
    let faults = vec![
        fault("POST", "/blobs/uploads/", Action::RelativeLocation, 100),
        fault("PATCH", "/blobs/uploads/", Action::RelativeLocation, 100),
    ];
    let proxy = Proxy::before(&reg, faults, None);
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
