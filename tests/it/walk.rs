//! `app::Session` and `app::walk` from a Rust program: one client per host per session, and
//! the walk's digest level (rm's tag walk) and its one rule for reading a tag, checked against
//! skopeo's digests.

use std::sync::Arc;

use crate::common::{cr_digest, layout, Auth, TestRegistry};
use cr::app::{walk, Session};
use cr::client::{Kind, Options};
use cr::oci::Tag;

#[test]
fn a_session_shares_its_client_and_the_walk_reads_what_skopeo_reads() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let mut pushed = Vec::new();
    for tag in ["v1", "v2", "v10"] {
        let l = dir.path().join(tag);
        layout::image(&l, Some(tag), "amd64", &[("f.txt", tag.as_bytes())]);
        reg.skopeo_push(&l, tag, &format!("team/app:{tag}"));
        pushed.push((tag, reg.skopeo_digest(&format!("team/app:{tag}"))));
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let session = Session::with_options(Options::default());
    let a = rt.block_on(session.get(&reg.host)).unwrap();
    let b = rt.block_on(session.get(&reg.host)).unwrap();
    assert!(Arc::ptr_eq(&a, &b), "one client per host per session");

    // Digest level: every tag, sorted by name, with the digest skopeo sees.
    let tagged = rt
        .block_on(walk::tag_digests(
            &a,
            &cr::oci::name::Repository::parse("team/app").unwrap(),
        ))
        .unwrap();
    let got: Vec<(String, String)> = tagged
        .iter()
        .map(|t| (t.tag.to_string(), t.digest.clone().unwrap().into_string()))
        .collect();
    let mut want: Vec<(String, String)> = pushed
        .iter()
        .map(|(t, d)| (t.to_string(), d.clone()))
        .collect();
    want.sort();
    assert_eq!(got, want);
    assert!(tagged
        .iter()
        .all(|t| t.media_type.as_deref() == Some("application/vnd.oci.image.manifest.v1+json")));

    // The rule: without a HEAD, one GET whose bytes are the digest's; with one, the digest
    // alone; a tag that is not there is None after a HEAD.
    let tag = |t: &str| t.parse::<Tag>().unwrap();
    let got = rt
        .block_on(walk::resolve_tag(
            &a,
            &cr::oci::name::Repository::parse("team/app").unwrap(),
            &tag("v2"),
            false,
        ))
        .unwrap()
        .unwrap();
    assert_eq!(got.digest, pushed[1].1);
    assert_eq!(cr_digest(&got.manifest.unwrap().bytes), pushed[1].1);
    let got = rt
        .block_on(walk::resolve_tag(
            &a,
            &cr::oci::name::Repository::parse("team/app").unwrap(),
            &tag("v10"),
            true,
        ))
        .unwrap()
        .unwrap();
    assert_eq!(got.digest, pushed[2].1);
    assert!(got.manifest.is_none());
    assert!(rt
        .block_on(walk::resolve_tag(
            &a,
            &cr::oci::name::Repository::parse("team/app").unwrap(),
            &tag("v3"),
            true
        ))
        .unwrap()
        .is_none());

    // A repository that is not there is NotFound, not an empty list.
    let e = rt
        .block_on(walk::tag_digests(
            &a,
            &cr::oci::name::Repository::parse("team/missing").unwrap(),
        ))
        .unwrap_err();
    assert_eq!(e.kind(), Kind::NotFound);
}
