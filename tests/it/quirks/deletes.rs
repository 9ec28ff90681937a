//! Deletes as hosted registries have them: tag DELETE, the dangling-tag refusal, no
//! deletion through the registry API.

use super::*;
use crate::common::proxy::{Action, Proxy};
use crate::common::Env;

/// Tag deletion where the registry has it (Quay, zot, GitLab; catalogue §12 "DELETE
/// manifest"): image-untag sends `DELETE …/manifests/TAG`, no placeholder is pushed.
#[test]
fn untag_uses_tag_deletion_where_the_registry_has_it() {
    let reg = crate::common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1024, 4);
    reg.skopeo_push(&l, "v1", "ns/app:a");
    reg.skopeo_push(&l, "v1", "ns/app:b");
    let faults = vec![fault("DELETE", "/manifests/", Action::TagDelete, 100)];
    let proxy = Proxy::before(&reg, faults, None);
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
    let reg = crate::common::ns();
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
    let proxy = Proxy::before(&reg, faults, None);
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
    let reg = crate::common::ns();
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
    let proxy = Proxy::before(&reg, faults, None);
    let env = Env::new();
    let (code, _, err) = env.run(&["image-rm", &format!("{}/ns/app:a", proxy.host())]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("GitHub's packages API"), "{err}");
    assert_eq!(reg.skopeo_digest("ns/app:a"), img.digest);
}
