//! The multi-image library calls without the binary: `app::untag::untag_images` and
//! `app::inspect::inspect_images` take each image in turn, hand a failure over as it happens
//! with the name as given, and go on; skopeo confirms which tags remain.

use crate::common::{self, layout};
use cr::app::inspect::inspect_images;
use cr::app::untag::{untag_images, Method};
use cr::app::Session;
use cr::client::{Kind, Options, RegistryError};
use cr::oci::reference::Reference;

/// Names as given, with their references in the test's namespace.
fn refs(ns: &common::shared::Ns, names: &[&str]) -> Vec<(String, Reference)> {
    let parse = |s: &str| Reference::parse(&format!("{}/{s}", ns.host), "unused").unwrap();
    names.iter().map(|s| (s.to_string(), parse(s))).collect()
}

#[test]
fn untag_and_inspect_each_image_and_go_on_past_a_failure() {
    let ns = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let (la, lb) = (dir.path().join("a"), dir.path().join("b"));
    let a = layout::image(&la, Some("v1"), "amd64", &[("f", b"image a")]).digest;
    let b = layout::image(&lb, Some("v2"), "arm64", &[("f", b"image b")]).digest;
    ns.skopeo_push(&la, "v1", "app:v1");
    ns.skopeo_push(&lb, "v2", "app:v2");
    ns.skopeo_push(&lb, "v2", "app:v3");
    let session = Session::with_options(Options::default());
    let rt = tokio::runtime::Runtime::new().unwrap();

    // Untagged in turn: the missing tag fails (handed over with its name, its row carrying
    // the error chain) and the next image is still untagged.
    let mut failed = Vec::new();
    let names = refs(&ns, &["app:v1", "app:nope", "app:v3"]);
    let rows = rt.block_on(untag_images(&session, &names, |what, e| {
        failed.push((what.to_string(), e))
    }));
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "app:nope");
    let not_found = failed[0]
        .1
        .chain()
        .filter_map(|c| c.downcast_ref::<RegistryError>())
        .any(|r| r.kind() == Kind::NotFound);
    assert!(not_found, "{:#}", failed[0].1);
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.untagged, r.digest.as_ref().map(|d| d.to_string())))
        .collect();
    let want = [
        (true, Some(a.clone())),
        (false, None),
        (true, Some(b.clone())),
    ];
    assert_eq!(got, want);
    // distribution 2.8 has no tag deletion: the placeholder went in and out.
    assert_eq!(rows[0].method, Some(Method::Placeholder));
    let error = rows[1].error.as_deref().unwrap();
    assert!(
        error.starts_with(&format!("cannot untag {}/app:nope", ns.host)),
        "{error}"
    );
    assert_eq!(ns.skopeo_tags("app"), ["v2"]);
    // Only the tags went: both images are still there by digest.
    assert!(ns.skopeo_exists(&format!("app@{a}")));
    assert!(ns.skopeo_exists(&format!("app@{b}")));

    // Inspected in turn: the untagged name fails as not found, the others are described.
    let mut failed = Vec::new();
    let names = refs(&ns, &[&format!("app@{a}"), "app:v1", "app:v2"]);
    let out = rt.block_on(inspect_images(&session, &names, None, |what, e| {
        failed.push((what.to_string(), e))
    }));
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "app:v1");
    assert!(failed[0].1.downcast_ref::<cr::app::NotFound>().is_some());
    let got: Vec<_> = out
        .iter()
        .map(|i| (i.digest.to_string(), i.architecture.clone()))
        .collect();
    assert_eq!(got, [(a, "amd64".into()), (b.clone(), "arm64".into())]);
    assert_eq!(out[1].repo_tags, [format!("{}/app:v2", ns.host)]);
}
