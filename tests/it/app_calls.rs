//! The commands' library calls without the binary: images listed (`app::images`), removed by
//! name (`app::rm`), copied (`app::copy`), pulled into a layout and pushed back (`app::pull`,
//! `app::push`), skopeo confirming what each left on the registry.

use crate::common::{self, layout};
use cr::app::images::{self, digest_rows, list_rows, ListRequest};
use cr::app::rm::{remove_images, RmOptions};
use cr::app::walk::Depth;
use cr::app::Session;
use cr::client::Options;
use cr::local::LocalRef;
use cr::oci::reference::Reference;

#[test]
fn list_remove_copy_pull_and_push_through_the_library() {
    let ns = common::ns();
    let dir = tempfile::tempdir().unwrap();
    // app:v1 and app:v2 are one image (a), app:v3 another (b).
    let (la, lb) = (dir.path().join("a"), dir.path().join("b"));
    let a = layout::image(&la, Some("v1"), "amd64", &[("f", b"image a")]).digest;
    let b = layout::image(&lb, Some("v3"), "amd64", &[("f", b"image b")]).digest;
    ns.skopeo_push(&la, "v1", "app:v1");
    ns.skopeo_push(&la, "v1", "app:v2");
    ns.skopeo_push(&lb, "v3", "app:v3");
    let name = |s: &str| Reference::parse(&format!("{}/{s}", ns.host), "unused").unwrap();
    let session = Session::with_options(Options::default());
    let rt = tokio::runtime::Runtime::new().unwrap();

    // Listed: one row per tag, and per digest with its tags.
    let req = ListRequest {
        restrict: Some(ns.ns.clone()),
        all_tags: false,
        depth: Depth::Full,
    };
    let l = rt.block_on(images::list(&session, &ns.addr, &req)).unwrap();
    assert!(l.problems.is_empty() && l.placeholders.is_empty());
    let tags: Vec<(String, Option<String>)> = list_rows(&l.host, &l.images)
        .into_iter()
        .map(|r| {
            (
                format!("{}:{}", r.repository, r.tag),
                r.digest.map(|d| d.into_string()),
            )
        })
        .collect();
    let repo = format!("{}/app", ns.host);
    let want: Vec<(String, Option<String>)> = [("v1", &a), ("v2", &a), ("v3", &b)]
        .iter()
        .map(|(t, d)| (format!("{repo}:{t}"), Some(d.to_string())))
        .collect();
    assert_eq!(tags, want);
    let mut by_digest: Vec<(String, Vec<String>)> = digest_rows(&l.host, &l.images)
        .into_iter()
        .map(|r| (r.digest.into_string(), r.tags))
        .collect();
    by_digest.sort();
    let mut want = vec![
        (a.clone(), vec!["v1".to_string(), "v2".to_string()]),
        (b.clone(), vec!["v3".to_string()]),
    ];
    want.sort();
    assert_eq!(by_digest, want);

    // Removed: two tags of one digest are one deletion; a missing tag is a failure, handed
    // over as it happens, and the rest goes on.
    let refs: Vec<(String, Reference)> = ["app:v1", "app:nope", "app:v2"]
        .iter()
        .map(|s| (s.to_string(), name(s)))
        .collect();
    let mut failed = Vec::new();
    let rows = rt.block_on(remove_images(
        &session,
        &refs,
        RmOptions::default(),
        |what, e| failed.push((what.to_string(), e)),
    ));
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "app:nope");
    assert!(failed[0].1.downcast_ref::<cr::app::NotFound>().is_some());
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].digest.as_str(), rows[0].deleted),
        (a.as_str(), true)
    );
    assert_eq!(rows[0].tags, ["v1", "v2"]);
    assert_eq!(ns.skopeo_tags("app"), ["v3"]);
    assert!(!ns.skopeo_exists(&format!("app@{a}")));

    // Copied to another repository (default tag: the source's), digest kept.
    let (src, dst) = (name("app:v3"), name("copy"));
    let req = cr::app::copy::CopyRequest {
        src: &src,
        dst: &dst,
        no_referrers: false,
        as_oci: false,
    };
    let r = rt
        .block_on(cr::app::copy::image(&session, &req, Default::default))
        .unwrap();
    assert_eq!(r.digest, b);
    assert_eq!(ns.skopeo_digest("copy:v3"), b);

    // Pulled into an OCI layout, then pushed from it to a third repository.
    let out = dir.path().join("pulled");
    let local = LocalRef::parse(&format!("oci:{}:v3", out.display()), true).unwrap();
    let pulled = rt
        .block_on(cr::app::pull::pull(
            &session,
            &src,
            &local,
            Default::default,
        ))
        .unwrap();
    assert_eq!(pulled.report.digest, b);
    assert!(!pulled.replaced && !pulled.interrupted);
    drop(pulled);
    let back = name("back:v3");
    let req = cr::app::push::PushRequest {
        src: &LocalRef::parse(&format!("oci:{}:v3", out.display()), false).unwrap(),
        src_name: "pulled",
        dst: &back,
        gzip: true,
        as_oci: false,
    };
    let pushed = rt
        .block_on(cr::app::push::push(&session, &req, Default::default))
        .unwrap();
    assert_eq!(pushed.digest, b);
    assert_eq!(ns.skopeo_digest("back:v3"), b);
}
