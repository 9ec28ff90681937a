//! index-create, index-add and index-rm against a real docker-registry, with skopeo as the
//! reader; push and copy to a digest-only destination (`REPO@sha256:…`).

use std::path::Path;

use crate::common::json;
use crate::common::proxy::Proxy;
use crate::common::{self, cr_digest, layout, skopeo, Auth, Env, Peer, TestRegistry};
use serde_json::Value;

/// An image for `arch` pushed by skopeo as `dest` (REPO:TAG); `seed` makes its content differ.
fn pushed(reg: &Peer, dir: &Path, arch: &str, seed: &str, dest: &str) -> layout::Built {
    let l = dir.join(format!("layout-{}", dest.replace(['/', ':'], "-")));
    let content = format!("{arch} {seed}");
    let b = layout::image(&l, Some("t"), arch, &[("f", content.as_bytes())]);
    reg.skopeo_push(&l, "t", dest);
    b
}

/// (digest, os/arch) of each entry of an index.
fn entries(raw: &str) -> Vec<(String, String)> {
    json(raw)["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let p = &m["platform"];
            let plat = format!(
                "{}/{}",
                p["os"].as_str().unwrap_or(""),
                p["architecture"].as_str().unwrap_or("")
            );
            (m["digest"].as_str().unwrap().to_string(), plat)
        })
        .collect()
}

fn repo_dir(reg: &TestRegistry, repo: &str) -> std::path::PathBuf {
    reg.storage()
        .join("docker/registry/v2/repositories")
        .join(repo)
}

#[test]
fn index_create_from_two_images_is_read_and_copied_by_skopeo() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let h = &reg.host;
    let amd = pushed(&reg, dir.path(), "amd64", "a", "ns/app:amd64");
    let arm = pushed(&reg, dir.path(), "arm64", "a", "ns/app:arm64");
    let out = env.ok(&[
        "index-create",
        &format!("{h}/ns/app:multi"),
        &format!("{h}/ns/app:amd64"),
        &format!("{h}/ns/app:arm64"),
        "--annotation",
        "org.opencontainers.image.description=two platforms",
    ]);
    let raw = reg.skopeo_inspect("ns/app:multi", true);
    let digest = cr_digest(raw.as_bytes());
    assert_eq!(out.trim(), format!("{h}/ns/app@{digest}"));
    let v = json(&raw);
    assert_eq!(v["mediaType"], layout::OCI_INDEX);
    assert_eq!(
        v["annotations"]["org.opencontainers.image.description"],
        "two platforms"
    );
    assert_eq!(
        entries(&raw),
        [
            (amd.digest.clone(), "linux/amd64".to_string()),
            (arm.digest.clone(), "linux/arm64".to_string())
        ]
    );
    assert_eq!(v["manifests"][0]["size"], amd.size);
    assert_eq!(v["manifests"][1]["mediaType"], layout::OCI_MANIFEST);
    // Canonical bytes: keys sorted, no whitespace outside strings.
    assert!(raw.starts_with(r#"{"annotations":{"#), "{raw}");
    assert!(!raw.contains('\n') && !raw.contains(": ") && !raw.contains(", "));

    // skopeo copies every platform; each child keeps its source's digest.
    let oci = dir.path().join("copied");
    skopeo(&[
        "copy".into(),
        "--all".into(),
        "--src-tls-verify=false".into(),
        format!("docker://{h}/ns/app:multi"),
        format!("oci:{}:multi", oci.display()),
    ]);
    let top: Value =
        serde_json::from_slice(&std::fs::read(oci.join("index.json")).unwrap()).unwrap();
    assert_eq!(top["manifests"][0]["digest"], digest.as_str());
    for b in [&amd, &arm] {
        let p = oci.join("blobs/sha256").join(&b.digest[7..]);
        assert_eq!(cr_digest(&std::fs::read(p).unwrap()), b.digest);
        assert_eq!(reg.skopeo_digest(&format!("ns/app@{}", b.digest)), b.digest);
    }

    // The same request gives the same bytes; -o json is the typed row.
    let row = json(&env.ok(&[
        "index-create",
        &format!("{h}/ns/app:again"),
        &format!("{h}/ns/app:amd64"),
        &format!("{h}/ns/app:arm64"),
        "--annotation",
        "org.opencontainers.image.description=two platforms",
        "--tag",
        "third",
        "-o",
        "json",
    ]));
    assert_eq!(row["Digest"], digest.as_str());
    assert_eq!(row["Tags"], serde_json::json!(["again", "third"]));
    assert_eq!(row["Manifests"][1]["Platform"], "linux/arm64");
    assert_eq!(row["ManifestsCopied"], 0);
    assert_eq!(reg.skopeo_digest("ns/app:third"), digest);

    // --platform keeps only what is named; --docker with OCI children is refused.
    let out = env.ok(&[
        "index-create",
        &format!("{h}/ns/app:armonly"),
        &format!("{h}/ns/app:multi"),
        "--platform",
        "linux/arm64",
    ]);
    let raw = reg.skopeo_inspect("ns/app:armonly", true);
    assert!(out.contains(&cr_digest(raw.as_bytes())));
    assert_eq!(entries(&raw), [(arm.digest.clone(), "linux/arm64".into())]);
    let (code, _, err) = env.run(&[
        "index-create",
        &format!("{h}/ns/app:s390x"),
        &format!("{h}/ns/app:multi"),
        "--platform",
        "linux/s390x",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("linux/amd64, linux/arm64"), "{err}");
    assert!(!reg.skopeo_tags("ns/app").contains(&"s390x".to_string()));
    let (code, _, err) = env.run(&[
        "index-create",
        &format!("{h}/ns/app:dockerlist"),
        &format!("{h}/ns/app:amd64"),
        "--docker",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Docker v2 manifests only"), "{err}");
    assert!(!reg
        .skopeo_tags("ns/app")
        .contains(&"dockerlist".to_string()));
}

#[test]
fn children_in_other_repositories_are_mounted() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let amd = pushed(&reg, dir.path(), "amd64", "x", "ns/a:v1");
    let arm = pushed(&reg, dir.path(), "arm64", "x", "ns/b:v1");
    let proxy = Proxy::before(&reg, vec![], None);
    let ph = proxy.host();
    let row = json(&env.ok(&[
        "index-create",
        &format!("{ph}/ns/multi:v1"),
        &format!("{ph}/ns/a:v1"),
        &format!("{ph}/ns/b:v1"),
        "-o",
        "json",
    ]));
    let blobs = 2 * (1 + amd.layers.len());
    assert_eq!(row["ManifestsCopied"], 2);
    assert_eq!(row["BlobsMounted"], blobs);
    assert_eq!(row["BlobsMoved"], 0);
    let reqs = proxy.requests();
    let mounts = reqs
        .iter()
        .filter(|(m, p)| m == "POST" && p.starts_with("/v2/ns/multi/blobs/uploads/?mount="))
        .count();
    assert_eq!(mounts, blobs, "{reqs:#?}");
    // The only blobs read are the two configs (for their platforms); none is uploaded.
    let got: Vec<&String> = reqs
        .iter()
        .filter(|(m, p)| m == "GET" && p.contains("/blobs/"))
        .map(|(_, p)| p)
        .collect();
    assert_eq!(got.len(), 2, "{reqs:#?}");
    assert!(got
        .iter()
        .all(|p| p.ends_with(&amd.config) || p.ends_with(&arm.config)));
    assert!(
        !reqs
            .iter()
            .any(|(m, p)| (m == "PUT" || m == "PATCH") && p.contains("/blobs/")),
        "{reqs:#?}"
    );
    for b in [&amd, &arm] {
        assert_eq!(
            reg.skopeo_digest(&format!("ns/multi@{}", b.digest)),
            b.digest
        );
    }
    let raw = reg.skopeo_inspect("ns/multi:v1", true);
    assert_eq!(
        entries(&raw),
        [
            (amd.digest.clone(), "linux/amd64".into()),
            (arm.digest.clone(), "linux/arm64".into())
        ]
    );
    // The index is complete in its own repository: skopeo copies it from there.
    skopeo(&[
        "copy".into(),
        "--all".into(),
        "--src-tls-verify=false".into(),
        format!("docker://{}/ns/multi:v1", reg.host),
        format!("oci:{}:m", dir.path().join("m").display()),
    ]);
    // An index in another repository as SRC: its children come along, by digest.
    let row = json(&env.ok(&[
        "index-create",
        &format!("{ph}/ns/other:v1"),
        &format!("{ph}/ns/multi:v1"),
        "-o",
        "json",
    ]));
    assert_eq!(row["ManifestsCopied"], 2);
    assert_eq!(row["BlobsMoved"], 0);
    assert_eq!(
        entries(&reg.skopeo_inspect("ns/other:v1", true)),
        entries(&raw)
    );
    for b in [&amd, &arm] {
        assert_eq!(
            reg.skopeo_digest(&format!("ns/other@{}", b.digest)),
            b.digest
        );
    }
}

#[test]
fn docker_list_of_docker_images_is_read_by_skopeo() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let h = &reg.host;
    // Docker v2 schema 2 images, converted by skopeo.
    for arch in ["amd64", "arm64"] {
        let l = dir.path().join(arch);
        layout::image(&l, Some("t"), arch, &[("f", arch.as_bytes())]);
        skopeo(&[
            "copy".into(),
            "--format".into(),
            "v2s2".into(),
            "--dest-tls-verify=false".into(),
            format!("oci:{}:t", l.display()),
            format!("docker://{h}/ns/dk:{arch}"),
        ]);
    }
    let out = env.ok(&[
        "index-create",
        "--docker",
        &format!("{h}/ns/dk:list"),
        &format!("{h}/ns/dk:amd64"),
        &format!("{h}/ns/dk:arm64"),
    ]);
    let raw = reg.skopeo_inspect("ns/dk:list", true);
    assert_eq!(
        out.trim(),
        format!("{h}/ns/dk@{}", cr_digest(raw.as_bytes()))
    );
    let v = json(&raw);
    assert_eq!(
        v["mediaType"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    let children = entries(&raw);
    assert_eq!(children[0].0, reg.skopeo_digest("ns/dk:amd64"));
    assert_eq!(children[1].0, reg.skopeo_digest("ns/dk:arm64"));
    assert!(v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"));
    // skopeo copies the whole list to another repository, digests kept.
    skopeo(&[
        "copy".into(),
        "--all".into(),
        "--preserve-digests".into(),
        "--src-tls-verify=false".into(),
        "--dest-tls-verify=false".into(),
        format!("docker://{h}/ns/dk:list"),
        format!("docker://{h}/ns/dk2:list"),
    ]);
    assert_eq!(reg.skopeo_inspect("ns/dk2:list", true), raw);
}

#[test]
fn eight_platforms_cost_one_request_each_plus_the_put() {
    let reg = common::ns();
    let env = Env::new();
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let arches = [
        "amd64", "arm64", "s390x", "ppc64le", "386", "riscv64", "mips64le", "loong64",
    ];
    for a in arches {
        pushed(&reg, dir.path(), a, "m", &format!("ns/many:{a}"));
    }
    let proxy = Proxy::before(&reg, vec![], None);
    let ph = proxy.host();
    let srcs: Vec<String> = arches.iter().map(|a| format!("{ph}/ns/many:{a}")).collect();
    let run = |tag: &str| {
        let mut c = env.cmd();
        c.env("CR_CACHE_DIR", cache.path())
            .arg("index-create")
            .arg(format!("{ph}/ns/many:{tag}"))
            .args(&srcs);
        let out = c.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        proxy
            .requests()
            .into_iter()
            .filter(|(_, p)| p != "/v2/")
            .collect::<Vec<_>>()
    };
    let count = |reqs: &[(String, String)], m: &str, part: &str| {
        reqs.iter()
            .filter(|(x, p)| x == m && p.contains(part))
            .count()
    };
    // A cold cache: each child's manifest and config, then the index.
    let cold = run("all");
    assert_eq!(count(&cold, "GET", "/manifests/"), 8, "{cold:#?}");
    assert_eq!(count(&cold, "GET", "/blobs/"), 8, "{cold:#?}");
    assert_eq!(count(&cold, "PUT", "/manifests/all"), 1, "{cold:#?}");
    assert_eq!(cold.len(), 17, "{cold:#?}");
    // Configs known: one request per child (its tag may have moved) and the index PUT.
    proxy.reset();
    let warm = run("again");
    assert_eq!(count(&warm, "GET", "/manifests/"), 8, "{warm:#?}");
    assert_eq!(count(&warm, "PUT", "/manifests/again"), 1, "{warm:#?}");
    assert_eq!(warm.len(), 9, "{warm:#?}");
    let raw = reg.skopeo_inspect("ns/many:again", true);
    let plats: Vec<String> = entries(&raw).into_iter().map(|(_, p)| p).collect();
    let want: Vec<String> = arches.iter().map(|a| format!("linux/{a}")).collect();
    assert_eq!(plats, want);
}

#[test]
fn duplicates_replace_add_and_rm() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let h = &reg.host;
    let a = pushed(&reg, dir.path(), "amd64", "1", "ns/d:a");
    let b = pushed(&reg, dir.path(), "arm64", "1", "ns/d:b");
    let a2 = pushed(&reg, dir.path(), "amd64", "2", "ns/d:a2");
    let name = |t: &str| format!("{h}/ns/d:{t}");

    let (code, _, err) = env.run(&[
        "index-create",
        &name("multi"),
        &name("a"),
        &name("b"),
        &name("a2"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("platform linux/amd64 is given twice")
            && err.contains(&name("a"))
            && err.contains(&name("a2")),
        "{err}"
    );
    assert!(!reg.skopeo_tags("ns/d").contains(&"multi".to_string()));
    env.ok(&[
        "index-create",
        &name("multi"),
        &name("a"),
        &name("b"),
        &name("a2"),
        "--replace",
    ]);
    let raw = reg.skopeo_inspect("ns/d:multi", true);
    assert_eq!(
        entries(&raw),
        [
            (a2.digest.clone(), "linux/amd64".into()),
            (b.digest.clone(), "linux/arm64".into())
        ]
    );

    // index-add: a platform added under the same tag.
    env.ok(&["index-create", &name("two"), &name("a")]);
    let before = reg.skopeo_digest("ns/d:two");
    let out = env.ok(&["index-add", &name("two"), &name("b")]);
    let raw = reg.skopeo_inspect("ns/d:two", true);
    let after = cr_digest(raw.as_bytes());
    assert_ne!(before, after);
    assert_eq!(out.trim(), format!("{h}/ns/d@{after}"));
    assert_eq!(
        entries(&raw),
        [
            (a.digest.clone(), "linux/amd64".into()),
            (b.digest.clone(), "linux/arm64".into())
        ]
    );
    // Adding an amd64 again is a duplicate, refused; the index is unchanged.
    let (code, _, err) = env.run(&["index-add", &name("two"), &name("a2")]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(reg.skopeo_digest("ns/d:two"), after);

    // index-rm: one platform goes, the rest stays byte-exact.
    env.ok(&["index-rm", &name("two"), "--platform", "linux/amd64"]);
    let raw = reg.skopeo_inspect("ns/d:two", true);
    assert_eq!(entries(&raw), [(b.digest.clone(), "linux/arm64".into())]);
    assert_eq!(json(&raw)["manifests"][0]["size"], b.size);
    assert_eq!(reg.skopeo_digest(&format!("ns/d@{}", b.digest)), b.digest);
    let kept = cr_digest(raw.as_bytes());

    // Bad input changes nothing: a platform the index lacks (3), a malformed annotation, an
    // image on another registry (2).
    let (code, _, err) = env.run(&["index-rm", &name("two"), "--platform", "linux/s390x"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("no platform linux/s390x") && err.contains("linux/arm64"),
        "{err}"
    );
    let (code, _, err) = env.run(&[
        "index-add",
        &name("two"),
        &name("a"),
        "--annotation",
        "novalue",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("malformed annotation"), "{err}");
    let (code, _, err) = env.run(&["index-add", &name("two"), "127.0.0.1:1/ns/d:a"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("works within one registry"), "{err}");
    assert!(err.contains("copy it first"), "{err}");
    let (code, _, err) = env.run(&[
        "index-create",
        &name("other"),
        &name("a"),
        "127.0.0.1:1/ns/d:a",
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(reg.skopeo_digest("ns/d:two"), kept);
    assert!(!reg.skopeo_tags("ns/d").contains(&"other".to_string()));
}

#[test]
fn push_and_copy_to_a_digest_put_no_tag() {
    let reg = TestRegistry::start(Auth::None);
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let h = &reg.host;
    let l = dir.path().join("l");
    let img = layout::image(&l, Some("v1"), "amd64", &[("f", b"by digest")]);
    let src = format!("oci:{}:v1", l.display());
    let wrong = format!("sha256:{}", "0".repeat(64));

    let out = env.ok(&["push", &src, &format!("{h}/ns/pd@{}", img.digest)]);
    assert_eq!(out.trim(), format!("{h}/ns/pd@{}", img.digest));
    assert_eq!(
        reg.skopeo_digest(&format!("ns/pd@{}", img.digest)),
        img.digest
    );
    assert!(reg.skopeo_tags("ns/pd").is_empty());

    let (code, _, err) = env.run(&["push", &src, &format!("{h}/ns/pw@{wrong}")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&wrong) && err.contains(&img.digest), "{err}");
    // Refused before any blob moved: the repository was never made.
    assert!(!repo_dir(&reg, "ns/pw").exists());

    // A legacy docker archive: its manifest is known once the layers are compressed, so a
    // wrong digest is found after they moved; no manifest is stored, nothing is tagged.
    let tar = dir.path().join("app.tar");
    skopeo(&[
        "copy".into(),
        format!("oci:{}:v1", l.display()),
        format!("docker-archive:{}:ns/app:v1", tar.display()),
    ]);
    let tar = tar.to_str().unwrap();
    let out = env.ok(&["push", "-q", tar, &format!("{h}/ns/dt:v1")]);
    let gz = out.trim().rsplit_once('@').unwrap().1.to_string();
    let out = env.ok(&["push", "-q", tar, &format!("{h}/ns/dd@{gz}")]);
    assert_eq!(out.trim(), format!("{h}/ns/dd@{gz}"));
    assert_eq!(reg.skopeo_digest(&format!("ns/dd@{gz}")), gz);
    assert!(reg.skopeo_tags("ns/dd").is_empty());
    let (code, _, err) = env.run(&["push", "-q", tar, &format!("{h}/ns/dw@{wrong}")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&wrong) && err.contains(&gz), "{err}");
    assert!(!repo_dir(&reg, "ns/dw").join("_manifests").exists());

    reg.skopeo_push(&l, "v1", "ns/src:v1");
    let out = env.ok(&[
        "copy",
        &format!("{h}/ns/src:v1"),
        &format!("{h}/ns/cd@{}", img.digest),
    ]);
    assert_eq!(out.trim(), format!("{h}/ns/cd@{}", img.digest));
    assert_eq!(
        reg.skopeo_digest(&format!("ns/cd@{}", img.digest)),
        img.digest
    );
    assert!(reg.skopeo_tags("ns/cd").is_empty());

    let (code, _, err) = env.run(&[
        "copy",
        &format!("{h}/ns/src:v1"),
        &format!("{h}/ns/cw@{wrong}"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&wrong), "{err}");
    assert!(!repo_dir(&reg, "ns/cw").exists());
}

#[test]
fn least_privilege_token_pull_on_sources_push_on_the_index() {
    use crate::common::{Issuer, User};
    let builder = User::new(
        "builder",
        "builder-pass",
        &[("base", &["pull"]), ("apps", &["pull", "push"])],
        false,
    );
    let outsider = User::new(
        "outsider",
        "outsider-pass",
        &[("apps", &["pull", "push"])],
        false,
    );
    let reg = TestRegistry::start(Auth::Token(Issuer::start(vec![builder, outsider], 300)));
    let dir = tempfile::tempdir().unwrap();
    let h = &reg.host;
    let amd = pushed(&reg, dir.path(), "amd64", "t", "base/a:v1");
    let arm = pushed(&reg, dir.path(), "arm64", "t", "base/b:v1");
    let args = |tag: &str| {
        vec![
            "index-create".to_string(),
            format!("{h}/apps/multi:{tag}"),
            format!("{h}/base/a:v1"),
            format!("{h}/base/b:v1"),
        ]
    };
    // Without pull on the sources: exit 4, nothing written.
    let env = Env::new();
    env.login(h, "outsider", "outsider-pass");
    let (code, _, err) = env.run(&args("v1").iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 4, "{err}");
    assert!(reg.skopeo_tags("apps/multi").is_empty());
    let env = Env::new();
    env.login(h, "builder", "builder-pass");
    env.ok(&args("v1").iter().map(String::as_str).collect::<Vec<_>>());
    let raw = reg.skopeo_inspect("apps/multi:v1", true);
    assert_eq!(
        entries(&raw),
        [
            (amd.digest.clone(), "linux/amd64".into()),
            (arm.digest.clone(), "linux/arm64".into())
        ]
    );
    assert_eq!(
        reg.skopeo_digest(&format!("apps/multi@{}", arm.digest)),
        arm.digest
    );
}
