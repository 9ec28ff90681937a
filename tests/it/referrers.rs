//! Referrers travel with their images, against real docker-registry instances (no referrers
//! API: the fallback tag schema) and through a proxy that adds the API: `cr push` of an
//! artifact with a subject keeps the fallback index, `cr referrers` finds signatures, SBOMs,
//! a signature of the SBOM and a cosign tag, and `cr copy` brings them all, which skopeo
//! confirms at the destination.

use crate::common;
use crate::common::json;

use crate::common::referrers_api::ReferrersApi;
use crate::common::{layout, Auth, Env, TestRegistry};
use serde_json::Value;

struct Artifacts {
    image: layout::Built,
    sig: layout::Built,
    sbom: layout::Built,
    sbom_sig: layout::Built,
    cosign: layout::Built,
    _dir: tempfile::TempDir,
}

fn fallback(d: &str) -> String {
    d.replacen(':', "-", 1)
}

/// Push an image `v1` and its referrers to `host/repo` with cr.
fn push_all(env: &Env, host: &str, repo: &str) -> Artifacts {
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let image = layout::image(&l, Some("v1"), "amd64", &[("app", b"the app")]);
    let subject = (image.digest.as_str(), image.size, layout::OCI_MANIFEST);
    let sig = layout::artifact(
        &l,
        "sig",
        "application/vnd.example.signature",
        Some(subject),
        b"sig of v1",
    );
    let sbom = layout::artifact(
        &l,
        "sbom",
        "application/spdx+json",
        Some(subject),
        b"{\"spdx\":1}",
    );
    let sbom_subject = (sbom.digest.as_str(), sbom.size, layout::OCI_MANIFEST);
    let sbom_sig = layout::artifact(
        &l,
        "sbomsig",
        "application/vnd.example.signature",
        Some(sbom_subject),
        b"sig of the sbom",
    );
    let cosign = layout::artifact(
        &l,
        "cosign",
        "application/vnd.dev.cosign.simplesigning.v1+json",
        None,
        b"cosign payload",
    );
    let cosign_tag = format!("{}.sig", fallback(&image.digest));
    for (tag, dest) in [
        ("v1", "v1".to_string()),
        ("sig", "sig".to_string()),
        ("sbom", "sbom".to_string()),
        ("sbomsig", "sbomsig".to_string()),
        ("cosign", cosign_tag),
    ] {
        env.ok(&[
            "push",
            "-q",
            &format!("oci:{}:{tag}", l.display()),
            &format!("{host}/{repo}:{dest}"),
        ]);
    }
    Artifacts {
        image,
        sig,
        sbom,
        sbom_sig,
        cosign,
        _dir: dir,
    }
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn referrers_by_tag_schema_travel_with_copy() {
    let src = common::ns();
    let dst = common::ns();
    let env = Env::new();
    let a = push_all(&env, &src.host, "team/app");

    // cr push kept the fallback index at a registry without the referrers API.
    assert_eq!(
        src.fallback_index("team/app", &a.image.digest),
        sorted(&[&a.sig.digest, &a.sbom.digest])
    );
    assert_eq!(
        src.fallback_index("team/app", &a.sbom.digest),
        sorted(&[&a.sbom_sig.digest])
    );

    // cr referrers: the signature, the SBOM, the SBOM's signature and the cosign tag.
    let v = json(&env.ok(&[
        "referrers",
        &format!("{}/team/app:v1", src.host),
        "-o",
        "json",
    ]));
    let found: Vec<(String, String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["Digest"].as_str().unwrap().to_string(),
                r["Subject"].as_str().unwrap().to_string(),
                r["FoundBy"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |d: &str, s: &str, by: &str| found.iter().any(|f| f.0 == d && f.1 == s && f.2 == by);
    assert_eq!(found.len(), 4, "{v}");
    assert!(has(&a.sig.digest, &a.image.digest, "tag"), "{v}");
    assert!(has(&a.sbom.digest, &a.image.digest, "tag"), "{v}");
    assert!(has(&a.sbom_sig.digest, &a.sbom.digest, "tag"), "{v}");
    assert!(has(&a.cosign.digest, &a.image.digest, "cosign"), "{v}");
    let v = json(&env.ok(&[
        "referrers",
        &format!("{}/team/app:v1", src.host),
        "--artifact-type",
        "application/spdx+json",
        "-o",
        "json",
    ]));
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["Digest"], a.sbom.digest);
    assert_eq!(
        v[0]["Annotations"]["org.opencontainers.image.created"],
        "2024-01-02T03:04:05Z"
    );

    // cr copy brings every referrer; skopeo finds them and the fallback indexes at the
    // destination, and the cosign tag.
    let r = json(&env.ok(&[
        "copy",
        "-q",
        &format!("{}/team/app:v1", src.host),
        &format!("{}/mirror/app:v1", dst.host),
        "-o",
        "json",
    ]));
    assert_eq!(r["Digest"], a.image.digest);
    let mut copied: Vec<String> = r["Referrers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    copied.sort();
    assert_eq!(
        copied,
        sorted(&[
            &a.sig.digest,
            &a.sbom.digest,
            &a.sbom_sig.digest,
            &a.cosign.digest
        ])
    );
    for d in [&a.image, &a.sig, &a.sbom, &a.sbom_sig, &a.cosign] {
        assert_eq!(
            dst.skopeo_digest(&format!("mirror/app@{}", d.digest)),
            d.digest
        );
    }
    assert_eq!(
        dst.fallback_index("mirror/app", &a.image.digest),
        sorted(&[&a.sig.digest, &a.sbom.digest])
    );
    assert_eq!(
        dst.fallback_index("mirror/app", &a.sbom.digest),
        sorted(&[&a.sbom_sig.digest])
    );
    let cosign_tag = format!("mirror/app:{}.sig", fallback(&a.image.digest));
    assert_eq!(dst.skopeo_digest(&cosign_tag), a.cosign.digest);
    assert_eq!(
        dst.skopeo_tags("mirror/app"),
        sorted(&[
            "v1",
            &fallback(&a.image.digest),
            &fallback(&a.sbom.digest),
            &format!("{}.sig", fallback(&a.image.digest))
        ])
    );

    // Again: nothing new to copy. --no-referrers: the image alone.
    let r = json(&env.ok(&[
        "copy",
        "-q",
        &format!("{}/team/app:v1", src.host),
        &format!("{}/mirror/app:v1", dst.host),
        "-o",
        "json",
    ]));
    assert_eq!(r["Referrers"], serde_json::json!([]));
    env.ok(&[
        "copy",
        "-q",
        "--no-referrers",
        &format!("{}/team/app:v1", src.host),
        &format!("{}/bare/app:v1", dst.host),
    ]);
    assert_eq!(dst.skopeo_tags("bare/app"), ["v1"]);
}

#[test]
fn referrers_api_is_used_where_the_registry_has_it() {
    let src = TestRegistry::start(Auth::None);
    let api = ReferrersApi::start(src.port);
    let dst = TestRegistry::start(Auth::None);
    let env = Env::new();
    let a = push_all(&env, &api.host(), "team/app");

    // The registry said it indexed the subjects (OCI-Subject): no fallback tags were made.
    assert!(!src
        .skopeo_tags("team/app")
        .iter()
        .any(|t| t == &fallback(&a.image.digest)));
    let v = json(&env.ok(&[
        "referrers",
        &format!("{}/team/app:v1", api.host()),
        "-o",
        "json",
    ]));
    let by_api: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["FoundBy"] == "api")
        .map(|r| r["Digest"].as_str().unwrap())
        .collect();
    assert_eq!(by_api.len(), 3, "{v}");
    assert!(api.api_calls() >= 2);

    // Copied to a registry without the API: cr keeps the fallback indexes there.
    env.ok(&[
        "image-tag",
        "-q",
        &format!("{}/team/app:v1", api.host()),
        &format!("{}/mirror/app:v1", dst.host),
    ]);
    assert_eq!(
        dst.fallback_index("mirror/app", &a.image.digest),
        sorted(&[&a.sig.digest, &a.sbom.digest])
    );
    assert_eq!(
        dst.fallback_index("mirror/app", &a.sbom.digest),
        sorted(&[&a.sbom_sig.digest])
    );
    assert_eq!(
        dst.skopeo_digest(&format!("mirror/app:{}.sig", fallback(&a.image.digest))),
        a.cosign.digest
    );
}

#[test]
fn referrers_of_an_index_platform_travel_with_the_index() {
    let src = common::ns();
    let dst = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let (index, children) = layout::index(&l, "multi", &["amd64", "arm64"]);
    let arm = &children[1];
    let att = layout::artifact(
        &l,
        "att",
        "application/vnd.in-toto+json",
        Some((&arm.digest, arm.size, layout::OCI_MANIFEST)),
        b"provenance of the arm64 image",
    );
    for tag in ["multi", "att"] {
        env.ok(&[
            "push",
            "-q",
            &format!("oci:{}:{tag}", l.display()),
            &format!("{}/team/multi:{tag}", src.host),
        ]);
    }
    let v = json(&env.ok(&[
        "referrers",
        &format!("{}/team/multi:multi", src.host),
        "-o",
        "json",
    ]));
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["Subject"], arm.digest);
    env.ok(&[
        "copy",
        "-q",
        &format!("{}/team/multi:multi", src.host),
        &format!("{}/team/multi:multi", dst.host),
    ]);
    assert_eq!(dst.skopeo_digest("team/multi:multi"), index);
    assert_eq!(
        dst.fallback_index("team/multi", &arm.digest),
        sorted(&[&att.digest])
    );
}

/// Referrer tags (the `sha256-<hex>` fallback index, cosign's `.sig`) are not images: listings
/// hide them without a request spent on them; `--all-tags` shows them; tag-list stays raw; a
/// year-1 Created shows `-` (issue #18).
#[test]
fn listings_hide_referrer_tags() {
    let reg = TestRegistry::start(Auth::None);
    let env = Env::new();
    let a = push_all(&env, &reg.host, "team/app");
    let fb = fallback(&a.image.digest);
    let proxy = common::proxy::Proxy::before(&reg, vec![], None);
    let h = proxy.host();
    let names = env.ok(&["image-list", "-q", "--registry", &h]);
    let mut names: Vec<&str> = names.lines().collect();
    names.sort();
    let want: Vec<String> = ["sbom", "sbomsig", "sig", "v1"]
        .iter()
        .map(|t| format!("{h}/team/app:{t}"))
        .collect();
    assert_eq!(names, want);
    let digests = env.ok(&["image-digests", "-q", "--registry", &h]);
    assert!(!digests.contains(&a.cosign.digest), "{digests}");
    // Not one manifest request named a referrer tag.
    assert!(
        proxy
            .requests()
            .iter()
            .all(|(_, path)| !path.contains("/manifests/sha256-")),
        "{:?}",
        proxy.requests()
    );
    let all = env.ok(&["image-list", "-q", "--all-tags", "--registry", &h]);
    assert!(all.contains(&format!(":{fb}.sig")), "{all}");
    assert!(all.contains(&format!(":{fb}\n")), "{all}");
    let raw = env.ok(&["tag-list", &format!("{h}/team/app")]);
    assert!(raw.contains(&format!("{fb}.sig")), "{raw}");
    // The table: no referrer row, and an artifact without a creation time shows "-".
    let table = env.ok(&["image-list", "--registry", &h, "--all-tags"]);
    let row = table
        .lines()
        .find(|l| l.contains(".sig"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(!row.contains("years ago"), "{row}");
}

/// An OCI index listing `manifests` (descriptors), tagged `tag` in the layout at `l`.
fn layout_index(l: &std::path::Path, tag: &str, manifests: Value) {
    let idx = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": layout::OCI_INDEX,
        "manifests": manifests,
    });
    let bytes = serde_json::to_vec(&idx).unwrap();
    let d = common::cr_digest(&bytes);
    std::fs::write(l.join("blobs/sha256").join(&d[7..]), &bytes).unwrap();
    let p = l.join("index.json");
    let mut top: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    top["manifests"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "mediaType": layout::OCI_INDEX,
            "digest": d,
            "size": bytes.len(),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }));
    std::fs::write(&p, serde_json::to_vec(&top).unwrap()).unwrap();
}

fn descriptor(b: &layout::Built, artifact_type: &str) -> Value {
    serde_json::json!({
        "mediaType": layout::OCI_MANIFEST,
        "digest": b.digest,
        "size": b.size,
        "artifactType": artifact_type,
    })
}

#[test]
fn a_referrer_naming_another_subject_is_never_indexed_under_it() {
    let src = common::ns();
    let dst = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let a = layout::image(&l, Some("a"), "amd64", &[("app", b"image a")]);
    let b = layout::image(&l, Some("b"), "amd64", &[("app", b"image b, unrelated")]);
    let sig_type = "application/vnd.example.signature";
    // A's own signature, and an "approved" signature whose subject is B, both listed in A's
    // fallback index at the source (pushed as an index, so the registry keeps no other).
    let own = layout::artifact(
        &l,
        "own",
        sig_type,
        Some((&a.digest, a.size, layout::OCI_MANIFEST)),
        b"signature of a",
    );
    let forged = layout::artifact(
        &l,
        "forged",
        sig_type,
        Some((&b.digest, b.size, layout::OCI_MANIFEST)),
        b"approved",
    );
    layout_index(
        &l,
        "index",
        serde_json::json!([descriptor(&own, sig_type), descriptor(&forged, sig_type)]),
    );
    src.skopeo_push(&l, "a", "team/app:a");
    // (skopeo refuses this index; cr pushes it as it is, its children by digest.)
    env.ok(&[
        "push",
        "-q",
        &format!("oci:{}:index", l.display()),
        &format!("{}/team/app:{}", src.host, fallback(&a.digest)),
    ]);
    assert!(!src.skopeo_exists(&format!("team/app:{}", fallback(&b.digest))));
    // The destination has B, unsigned.
    dst.skopeo_push(&l, "b", "mirror/app:b");
    dst.skopeo_push(&l, "b", "synced/app:b");

    let check = |repo: &str, err: &str| {
        assert!(
            err.contains(&format!("warning: {}/team/app@{}", src.host, forged.digest))
                && err.contains("skipped"),
            "{err}"
        );
        assert_eq!(dst.skopeo_digest(&format!("{repo}:a")), a.digest);
        assert_eq!(dst.fallback_index(repo, &a.digest), sorted(&[&own.digest]));
        assert!(!dst.skopeo_exists(&format!("{repo}@{}", forged.digest)));
        assert!(!dst.skopeo_exists(&format!("{repo}:{}", fallback(&b.digest))));
        assert_eq!(
            dst.skopeo_tags(repo),
            sorted(&["a", "b", &fallback(&a.digest)])
        );
    };
    // cr copy.
    let (code, _, err) = env.run(&[
        "copy",
        "-q",
        &format!("{}/team/app:a", src.host),
        &format!("{}/mirror/app:a", dst.host),
    ]);
    assert_eq!(code, 0, "{err}");
    check("mirror/app", &err);
    // cr sync, the same.
    let (code, _, err) = env.run(&[
        "sync",
        "-q",
        &format!("{}/team/app", src.host),
        &format!("{}/synced/app", dst.host),
    ]);
    assert_eq!(code, 0, "{err}");
    check("synced/app", &err);
}

/// Deleting an image deletes its referrers with it (recursively: the SBOM's own signature),
/// its fallback tag and cosign tag; `--keep-referrers` keeps them (issue #18).
#[test]
fn image_rm_takes_the_referrers_with_the_image() {
    let reg = common::ns();
    let env = Env::new();
    let h = reg.host.clone();
    let a = push_all(&env, &h, "team/app");
    let fb = fallback(&a.image.digest);
    let out = env.ok(&["image-rm", &format!("{h}/team/app:v1")]);
    assert!(
        out.contains(&a.sig.digest) && out.contains(&a.sbom_sig.digest),
        "{out}"
    );
    for d in [&a.image, &a.sig, &a.sbom, &a.sbom_sig, &a.cosign] {
        assert!(
            !reg.skopeo_exists(&format!("team/app@{}", d.digest)),
            "{} remains",
            d.digest
        );
    }
    let left = reg.skopeo_tags("team/app");
    assert!(
        !left.iter().any(|t| t.starts_with(&fb)),
        "fallback or cosign tag left: {left:?}"
    );
    // --keep-referrers: only the image goes.
    let b = push_all(&env, &h, "team/keep");
    env.ok(&["image-rm", "--keep-referrers", &format!("{h}/team/keep:v1")]);
    assert!(!reg.skopeo_exists(&format!("team/keep@{}", b.image.digest)));
    for d in [&b.sig, &b.sbom, &b.cosign] {
        assert!(reg.skopeo_exists(&format!("team/keep@{}", d.digest)));
    }
    assert_eq!(
        reg.fallback_index("team/keep", &b.image.digest).len(),
        2,
        "the fallback index keeps the signature and the SBOM"
    );
}

/// A fallback tag index that lists an unrelated image as a referrer of X (the image names no
/// subject) never gets that image deleted with X: only referrers whose own manifest names X go.
#[test]
fn image_rm_deletes_only_referrers_bound_to_the_image() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let x = layout::image(&l, Some("x"), "amd64", &[("a", b"image x")]);
    let y = layout::image(&l, Some("y"), "amd64", &[("a", b"image y, unrelated")]);
    reg.skopeo_push(&l, "x", "team/app:x");
    reg.skopeo_push(&l, "y", "team/app:y");
    let forged = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": layout::OCI_INDEX,
        "manifests": [{"mediaType": layout::OCI_MANIFEST, "digest": y.digest, "size": y.size}],
    }))
    .unwrap();
    common::put_manifest(
        &reg.host,
        "team/app",
        &fallback(&x.digest),
        layout::OCI_INDEX,
        &forged,
    );
    let env = Env::new();
    let (code, out, err) = env.run(&["image-rm", &format!("{}/team/app:x", reg.host)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("not deleted with"), "{err}");
    assert!(!reg.skopeo_exists(&format!("team/app@{}", x.digest)));
    assert_eq!(reg.skopeo_digest("team/app:y"), y.digest);
}

/// A referrer that something staying still holds is never deleted with an image: an SBOM
/// shared by two images (one cosign SBOM, two cosign tags), and an image that a cosign tag of
/// the deleted image also points at. A referrer deleted on its own leaves its subject's
/// fallback index. And the image goes first: when the registry refuses to delete it, its
/// signatures are all still there.
#[test]
fn image_rm_keeps_what_stays_and_deletes_the_image_first() {
    use crate::common::proxy::{Action, Fault, Proxy};
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let x = layout::image(&l, Some("x"), "amd64", &[("a", b"image x")]);
    let y = layout::image(&l, Some("y"), "amd64", &[("a", b"image y")]);
    let p = layout::image(&l, Some("p"), "amd64", &[("a", b"image prod")]);
    let sbom = layout::artifact(&l, "sbom", "text/spdx", None, b"the same sbom");
    let sig = layout::artifact(&l, "sig", "application/vnd.example.sig", None, b"x's sig");
    let r = layout::artifact(
        &l,
        "r",
        "application/vnd.example.sbom",
        Some((&y.digest, y.size, layout::OCI_MANIFEST)),
        b"a referrer of y",
    );
    let env = Env::new();
    let h = reg.host.clone();
    let push = |tag: &str, dest: &str| {
        env.ok(&[
            "push",
            "-q",
            &format!("oci:{}:{tag}", l.display()),
            &format!("{h}/team/app:{dest}"),
        ]);
    };
    push("x", "x");
    push("y", "y");
    push("p", "prod");
    push("sbom", &format!("{}.sbom", fallback(&x.digest)));
    push("sbom", &format!("{}.sbom", fallback(&y.digest)));
    push("p", &format!("{}.att", fallback(&x.digest)));
    push("sig", &format!("{}.sig", fallback(&x.digest)));
    push("r", "r");
    assert_eq!(
        reg.fallback_index("team/app", &y.digest),
        std::slice::from_ref(&r.digest)
    );

    // The registry refuses to delete x: nothing of x's goes.
    let proxy = Proxy::before(
        &reg,
        vec![Fault {
            method: "DELETE",
            path_contains: Box::leak(format!("/manifests/{}", x.digest).into_boxed_str()),
            action: Action::ApiError(403, "DENIED"),
            times: 1,
        }],
        None,
    );
    let (code, _, err) = env.run(&["image-rm", &format!("{}/team/app:x", proxy.host())]);
    assert_ne!(code, 0, "{err}");
    for d in [&x, &sig, &sbom, &p] {
        assert!(
            reg.skopeo_exists(&format!("team/app@{}", d.digest)),
            "{err}"
        );
    }
    assert_eq!(
        reg.skopeo_digest(&format!("team/app:{}.sig", fallback(&x.digest))),
        sig.digest
    );

    // Deleted: x and its own signature; kept: the SBOM y shares, the image `prod` names.
    let out = env.ok(&["image-rm", &format!("{h}/team/app:x")]);
    assert!(out.contains(&sig.digest), "{out}");
    assert!(!reg.skopeo_exists(&format!("team/app@{}", x.digest)));
    assert!(!reg.skopeo_exists(&format!("team/app@{}", sig.digest)));
    assert_eq!(reg.skopeo_digest("team/app:prod"), p.digest);
    assert_eq!(
        reg.skopeo_digest(&format!("team/app:{}.sbom", fallback(&y.digest))),
        sbom.digest
    );

    // A referrer deleted by itself is taken out of its subject's fallback index.
    env.ok(&["image-rm", &format!("{h}/team/app@{}", r.digest)]);
    assert!(!reg.skopeo_exists(&format!("team/app@{}", r.digest)));
    assert_eq!(
        reg.fallback_index("team/app", &y.digest),
        Vec::<String>::new()
    );
    assert_eq!(reg.skopeo_digest("team/app:y"), y.digest);
}

/// A referrer the destination has, but its subject's fallback index there does not list (an
/// index update that failed or was cut off) is listed again by the next copy, which writes
/// nothing when all is listed.
#[test]
fn a_copy_again_lists_a_referrer_the_destination_index_lost() {
    use crate::common::proxy::Proxy;
    let src = common::ns();
    let dst = common::ns();
    let env = Env::new();
    let a = push_all(&env, &src.host, "team/app");
    let (from, to) = (
        format!("{}/team/app:v1", src.host),
        format!("{}/team/app:v1", dst.host),
    );
    env.ok(&["copy", "-q", &from, &to]);
    let both = sorted(&[&a.sig.digest, &a.sbom.digest]);
    assert_eq!(dst.fallback_index("team/app", &a.image.digest), both);
    // The index at the destination loses the SBOM.
    let tag = fallback(&a.image.digest);
    let mut index = json(&dst.skopeo_inspect(&format!("team/app:{tag}"), true));
    index["manifests"]
        .as_array_mut()
        .unwrap()
        .retain(|d| d["digest"] != a.sbom.digest.as_str());
    common::put_manifest(
        &dst.host,
        "team/app",
        &tag,
        layout::OCI_INDEX,
        index.to_string().as_bytes(),
    );
    assert_eq!(
        dst.fallback_index("team/app", &a.image.digest),
        std::slice::from_ref(&a.sig.digest)
    );
    env.ok(&["copy", "-q", &from, &to]);
    assert_eq!(dst.fallback_index("team/app", &a.image.digest), both);
    // All listed: a copy again leaves the index alone.
    let proxy = Proxy::before(&dst, Vec::new(), None);
    env.ok(&[
        "copy",
        "-q",
        &from,
        &format!("{}/team/app:v1", proxy.host()),
    ]);
    let writes: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|(m, p)| m != "GET" && m != "HEAD" && p.contains(&tag))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}
