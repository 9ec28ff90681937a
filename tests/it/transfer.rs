//! push, pull and copy against real docker-registry instances, with skopeo as the peer: every
//! local format, indexes kept byte-exact, --platform, --all-tags, corruption, bad input.

use crate::common;
use crate::common::json;

use std::path::Path;

use crate::common::issuer::{ADMIN, ADMIN_PASSWORD};
use crate::common::{layout, Auth, Env, Issuer, Peer, TestRegistry};
use serde_json::Value;

fn tar_dir(dir: &Path, out: &Path) {
    let f = std::fs::File::create(out).unwrap();
    let mut b = tar::Builder::new(f);
    b.append_dir_all(".", dir).unwrap();
    b.finish().unwrap();
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn push_oci_layout_and_archive_keep_digests() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(
        &l,
        Some("v1"),
        "amd64",
        &[("big", &common::noise(600_000, 1)), ("small", b"s")],
    );
    let (index, children) = layout::index(&l, "multi", &["amd64", "arm64", "ppc64le"]);
    let h = reg.host.as_str();

    let out = env.ok(&[
        "push",
        &format!("oci:{}:v1", l.display()),
        &format!("{h}/ns/app:v1"),
    ]);
    assert_eq!(out.trim(), format!("{h}/ns/app@{}", img.digest));
    assert_eq!(reg.skopeo_digest("ns/app:v1"), img.digest);

    // A second push skips every blob.
    let v = json(&env.ok(&[
        "push",
        "-o",
        "json",
        &format!("oci:{}:v1", l.display()),
        &format!("{h}/ns/app:v1"),
    ]));
    assert_eq!(v["BlobsSkipped"], 3);
    assert_eq!(v["BlobsMoved"], 0);

    // An index: all platforms, byte-exact; then one platform only.
    env.ok(&[
        "push",
        &format!("oci:{}:multi", l.display()),
        &format!("{h}/ns/multi:all"),
    ]);
    assert_eq!(reg.skopeo_digest("ns/multi:all"), index);
    let raw = std::fs::read(l.join("blobs/sha256").join(&index[7..])).unwrap();
    assert_eq!(
        reg.skopeo_inspect("ns/multi:all", true).as_bytes(),
        raw.as_slice()
    );
    env.ok(&[
        "push",
        "--platform",
        "linux/arm64",
        &format!("oci:{}:multi", l.display()),
        &format!("{h}/ns/multi:arm"),
    ]);
    assert_eq!(reg.skopeo_digest("ns/multi:arm"), children[1].digest);

    // oci-archive, tag detected from the archive (no prefix: the kind is detected too).
    let single = dir.path().join("single");
    layout::image(&single, Some("only"), "amd64", &[("x", b"archive")]);
    let ar = dir.path().join("single.tar");
    tar_dir(&single, &ar);
    let out = env.ok(&["push", ar.to_str().unwrap(), &format!("{h}/ns/archived")]);
    assert!(out.contains("@sha256:"));
    assert_eq!(reg.skopeo_tags("ns/archived"), ["only"]);
}

#[test]
fn docker_archive_push_gzip_and_plain() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(
        &l,
        Some("v1"),
        "amd64",
        &[("a", &common::noise(300_000, 2)), ("b", b"bee")],
    );
    let archive = dir.path().join("saved.tar");
    // skopeo writes a legacy docker-archive (manifest.json + uncompressed layers).
    common::skopeo(&[
        "copy".into(),
        format!("oci:{}:v1", l.display()),
        format!("docker-archive:{}:saved/img:v1", archive.display()),
    ]);

    let out = env.ok(&[
        "push",
        &format!("docker-archive:{}", archive.display()),
        &format!("{}/ns/fromdocker:v1", reg.host),
    ]);
    let digest = out.trim().rsplit('@').next().unwrap().to_string();
    assert_eq!(reg.skopeo_digest("ns/fromdocker:v1"), digest);
    let m = json(&reg.skopeo_inspect("ns/fromdocker:v1", true));
    assert_eq!(
        m["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(
        m["config"]["digest"], img.config,
        "the config (and its diff_ids) is unchanged"
    );
    for layer in m["layers"].as_array().unwrap() {
        assert_eq!(
            layer["mediaType"],
            "application/vnd.docker.image.rootfs.diff.tar.gzip"
        );
    }
    // Pushed again: what each layer compressed to is remembered, the registry has those blobs,
    // so nothing is compressed or sent, and the image is the same.
    let again = json(&env.ok(&[
        "push",
        "-o",
        "json",
        &format!("docker-archive:{}", archive.display()),
        &format!("{}/ns/fromdocker:v2", reg.host),
    ]));
    assert_eq!(again["Digest"], digest.as_str());
    // The config and both layers (the config is a blob like any other).
    assert_eq!(again["BlobsSkipped"], 3, "{again}");
    assert_eq!(again["BlobsMoved"], 0, "{again}");
    // Another repository does not have them: compressed and sent again.
    let other = json(&env.ok(&[
        "push",
        "-o",
        "json",
        &format!("docker-archive:{}", archive.display()),
        &format!("{}/ns/elsewhere:v1", reg.host),
    ]));
    assert_eq!(other["BlobsMoved"], 3, "{other}");
    assert_eq!(
        reg.skopeo_digest("ns/elsewhere:v1"),
        other["Digest"].as_str().unwrap()
    );
    // skopeo can read every layer back (digests verified on its side).
    let back = dir.path().join("back");
    common::skopeo(&[
        "copy".into(),
        "--src-tls-verify=false".into(),
        format!("docker://{}/ns/fromdocker:v1", reg.host),
        format!("oci:{}:x", back.display()),
    ]);

    env.ok(&[
        "push",
        "--compression",
        "none",
        &format!("docker-archive:{}:saved/img:v1", archive.display()),
        &format!("{}/ns/plain:v1", reg.host),
    ]);
    let m = json(&reg.skopeo_inspect("ns/plain:v1", true));
    assert_eq!(
        m["layers"][0]["mediaType"],
        "application/vnd.docker.image.rootfs.diff.tar"
    );
    assert_eq!(m["config"]["digest"], img.config);

    // A Docker 25+ archive: an OCI layout with manifest.json beside it; digests kept.
    std::fs::write(
        l.join("manifest.json"),
        br#"[{"Config":"x","RepoTags":["v1"],"Layers":[]}]"#,
    )
    .unwrap();
    let d25 = dir.path().join("d25.tar");
    tar_dir(&l, &d25);
    env.ok(&[
        "push",
        &format!("docker-archive:{}:v1", d25.display()),
        &format!("{}/ns/d25:v1", reg.host),
    ]);
    assert_eq!(reg.skopeo_digest("ns/d25:v1"), img.digest);
}

#[test]
fn pull_to_every_format_readable_by_skopeo() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(
        &l,
        Some("v1"),
        "amd64",
        &[("a", &common::noise(200_000, 3))],
    );
    let (index, _) = layout::index(&l, "multi", &["amd64", "arm64"]);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    reg.skopeo_push(&l, "multi", "ns/multi:1");
    let h = reg.host.as_str();
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();

    let oci = out_dir.join("oci");
    let out = env.ok(&[
        "pull",
        &format!("{h}/ns/multi:1"),
        &format!("oci:{}", oci.display()),
    ]);
    assert_eq!(out.trim(), format!("{h}/ns/multi@{index}"));
    let other = common::ns();
    other.skopeo_push(&oci, "1", "copy/multi:1");
    assert_eq!(
        other.skopeo_digest("copy/multi:1"),
        index,
        "byte-exact through a layout"
    );
    // A second image into the same layout keeps the first.
    env.ok(&[
        "pull",
        &format!("{h}/ns/app:v1"),
        &format!("oci:{}:v1", oci.display()),
    ]);
    let idx = json(&std::fs::read_to_string(oci.join("index.json")).unwrap());
    assert_eq!(idx["manifests"].as_array().unwrap().len(), 2);

    let da = out_dir.join("app.tar");
    env.ok(&["pull", &format!("{h}/ns/app:v1"), da.to_str().unwrap()]);
    let cfg = String::from_utf8(
        common::skopeo(&[
            "inspect".into(),
            "--config".into(),
            format!("docker-archive:{}", da.display()),
        ])
        .stdout,
    )
    .unwrap();
    assert_eq!(common::cr_digest(cfg.trim_end().as_bytes()).len(), 71);
    let mut ar = tar::Archive::new(std::fs::File::open(&da).unwrap());
    let mut manifest = None;
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_str() == Some("manifest.json") {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut e, &mut s).unwrap();
            manifest = Some(json(&s));
        }
    }
    let manifest = manifest.expect("manifest.json in the docker-archive");
    assert_eq!(manifest[0]["RepoTags"][0], format!("{h}/ns/app:v1"));
    assert_eq!(manifest[0]["Layers"].as_array().unwrap().len(), 1);
    let back = out_dir.join("back");
    common::skopeo(&[
        "copy".into(),
        format!("docker-archive:{}", da.display()),
        format!("oci:{}:x", back.display()),
    ]);
    let m = common::skopeo_json(&["inspect", "--raw", &format!("oci:{}:x", back.display())]);
    assert_eq!(m["config"]["digest"], img.config);

    // docker-archive of an index picks one platform.
    let dm = out_dir.join("multi.tar");
    env.ok(&[
        "pull",
        &format!("{h}/ns/multi:1"),
        &format!("docker-archive:{}:m:1", dm.display()),
    ]);
    let v = common::skopeo_json(&["inspect", &format!("docker-archive:{}", dm.display())]);
    assert_eq!(v["Architecture"], "amd64");

    let oa = out_dir.join("app-oci.tar");
    env.ok(&[
        "pull",
        &format!("{h}/ns/app:v1"),
        &format!("oci-archive:{}", oa.display()),
    ]);
    let v = common::skopeo_json(&["inspect", "--raw", &format!("oci-archive:{}", oa.display())]);
    assert_eq!(v["config"]["digest"], img.config);
    assert!(
        leftovers(&out_dir)
            .iter()
            .all(|n| !n.starts_with(".cr-pull")),
        "{:?}",
        leftovers(&out_dir)
    );
}

#[test]
fn copy_between_open_and_authenticated_registries() {
    let open = common::ns();
    let authed = TestRegistry::start(Auth::Token(Issuer::start(vec![], 300)));
    let env = Env::new();
    env.login(&authed.host, ADMIN, ADMIN_PASSWORD);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(&l, Some("v1"), "amd64", &[("a", b"copy me")]);
    let (index, _) = layout::index(&l, "multi", &["amd64", "arm64"]);
    open.skopeo_push(&l, "v1", "src/app:v1");
    open.skopeo_push(&l, "v1", "src/app:v2");
    open.skopeo_push(&l, "multi", "src/app:multi");

    let out = env.ok(&[
        "copy",
        &format!("{}/src/app:multi", open.host),
        &format!("{}/dst/app", authed.host),
    ]);
    assert_eq!(out.trim(), format!("{}/dst/app@{index}", authed.host));
    assert_eq!(authed.skopeo_digest("dst/app:multi"), index);

    let v = json(&env.ok(&[
        "copy",
        "--all-tags",
        "-o",
        "json",
        &format!("{}/src/app", open.host),
        &format!("{}/all/app", authed.host),
    ]));
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(authed.skopeo_tags("all/app"), ["multi", "v1", "v2"]);
    assert_eq!(authed.skopeo_digest("all/app:v2"), img.digest);

    // --all-tags --no-referrers: a cosign signature tag is not an image and stays behind.
    let sig = format!("{}.sig", img.digest.replace(':', "-"));
    open.skopeo_push(&l, "v1", &format!("src/app:{sig}"));
    env.ok(&[
        "copy",
        "--all-tags",
        "--no-referrers",
        &format!("{}/src/app", open.host),
        &format!("{}/bare/app", authed.host),
    ]);
    assert_eq!(authed.skopeo_tags("bare/app"), ["multi", "v1", "v2"]);

    // Back the other way, by digest, one platform.
    env.ok(&[
        "copy",
        "--platform",
        "linux/arm64",
        &format!("{}/dst/app@{index}", authed.host),
        &format!("{}/back/app:arm", open.host),
    ]);
    let m = json(&open.skopeo_inspect("back/app:arm", true));
    assert_eq!(m["mediaType"], layout::OCI_MANIFEST);
    let (code, _, err) = env.run(&[
        "copy",
        "--platform",
        "linux/s390x",
        &format!("{}/dst/app:multi", authed.host),
        &format!("{}/back/app:s", open.host),
    ]);
    assert_eq!(code, 3, "a missing platform is not found");
    assert!(
        err.contains("linux/s390x") && err.contains("linux/arm64"),
        "{err}"
    );
}

#[test]
fn corrupted_blob_fails_the_pull_and_leaves_nothing() {
    let reg = TestRegistry::start(Auth::None);
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(
        &l,
        Some("v1"),
        "amd64",
        &[("a", &common::noise(100_000, 4))],
    );
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let hex = &img.layers[0][7..];
    let data = reg.storage().join(format!(
        "docker/registry/v2/blobs/sha256/{}/{hex}/data",
        &hex[..2]
    ));
    let mut bytes = std::fs::read(&data).unwrap();
    bytes[5000] ^= 0xff;
    std::fs::write(&data, bytes).unwrap();

    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    for dst in ["oci:OUT/layout", "OUT/img.tar", "oci-archive:OUT/o.tar"] {
        let dst = dst.replace("OUT", out_dir.to_str().unwrap());
        let (code, out, err) = env.run(&["pull", &format!("{}/ns/app:v1", reg.host), &dst]);
        assert_ne!(code, 0, "{dst}: {out} {err}");
        assert!(err.contains(&img.layers[0]), "names the digest: {err}");
        assert!(
            leftovers(&out_dir).is_empty(),
            "left {:?}",
            leftovers(&out_dir)
        );
    }
    // A copy to another registry reads the bytes and refuses them too (within one registry
    // the blob would be mounted, never read).
    let other = common::ns();
    let (code, _, err) = env.run(&[
        "copy",
        &format!("{}/ns/app:v1", reg.host),
        &format!("{}/ns/copy:v1", other.host),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("verification"), "{err}");
    assert!(!other.skopeo_exists("ns/copy:v1"));
}

#[test]
fn bad_input_is_explained_and_creates_nothing() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let h = reg.host.as_str();
    let l = dir.path().join("layout");
    layout::image(&l, Some("a"), "amd64", &[("x", b"1")]);
    layout::image(&l, Some("b"), "amd64", &[("x", b"2")]);
    // Not there: exit 3, like a missing image in a registry; no tag to pick one by: exit 2.
    let cases: Vec<(String, &str, i32)> = vec![
        (
            format!("oci:{}/missing", dir.path().display()),
            "no such",
            3,
        ),
        (format!("oci:{}", l.display()), "name one with :TAG", 2),
        ("oci:".to_string(), "names no file or directory", 2),
        (format!("oci:{}:nope", l.display()), "no image tagged", 3),
        (
            dir.path().join("nothing.tar").display().to_string(),
            "no such",
            3,
        ),
    ];
    for (src, msg, want) in cases {
        let (code, _, err) = env.run(&["push", &src, &format!("{h}/ns/bad:v1")]);
        assert_eq!(code, want, "{src}: {err}");
        assert!(err.contains(msg), "{src}: {err}");
    }
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, common::noise(5000, 9)).unwrap();
    let (code, _, err) = env.run(&[
        "push",
        &format!("docker-archive:{}", junk.display()),
        &format!("{h}/ns/bad:v1"),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("junk.tar"), "{err}");
    let notimg = dir.path().join("notimg.tar");
    let empty = dir.path().join("emptydir");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("readme"), "hi").unwrap();
    tar_dir(&empty, &notimg);
    let (code, _, err) = env.run(&["push", notimg.to_str().unwrap(), &format!("{h}/ns/bad:v1")]);
    assert_ne!(code, 0);
    assert!(err.contains("not an image"), "{err}");
    let (code, _, err) = env.run(&[
        "push",
        &format!("oci:{}:a", l.display()),
        &format!("{h}/ns/bad@sha256:{}", "0".repeat(64)),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(reg.skopeo_tags("ns/bad").is_empty());
    // A layout blob that does not match its digest: the push fails naming it, no tag appears.
    let c = dir.path().join("corrupt");
    let b = layout::image(&c, Some("v1"), "amd64", &[("x", &common::noise(50_000, 5))]);
    let p = c.join("blobs/sha256").join(&b.layers[0][7..]);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&p, bytes).unwrap();
    let (code, _, err) = env.run(&[
        "push",
        &format!("oci:{}:v1", c.display()),
        &format!("{h}/ns/corrupt:v1"),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains(&b.layers[0]), "{err}");
    assert!(reg.skopeo_tags("ns/corrupt").is_empty());
    // Pull of a missing image creates nothing.
    let out = dir.path().join("pulled");
    let (code, _, _) = env.run(&[
        "pull",
        &format!("{h}/ns/none:v1"),
        &format!("oci:{}", out.display()),
    ]);
    assert_eq!(code, 3);
    assert!(!out.exists());
}

/// `cr pull IMAGE HOST/REPO:TAG` (the user meant copy) is a usage error that writes nothing,
/// neither a `./HOST/` layout nor anything in the registry (issue #18).
#[test]
fn a_pull_to_a_registry_name_says_use_copy() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("x", b"pull to registry")]);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let env = Env::new();
    let cwd = dir.path().join("cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let h = reg.host.as_str();
    let o = env
        .cmd()
        .current_dir(&cwd)
        .args(["pull", &format!("{h}/ns/app:v1"), &format!("{h}/ns/app:v2")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("cr copy"), "{err}");
    assert_eq!(
        std::fs::read_dir(&cwd).unwrap().count(),
        0,
        "nothing written"
    );
    assert_eq!(reg.skopeo_tags("ns/app"), vec!["v1".to_string()]);
    // A relative path that merely has a dot, given with oci:, still works.
    let o = env
        .cmd()
        .current_dir(&cwd)
        .args(["pull", &format!("{h}/ns/app:v1"), "oci:out.d/app"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(cwd.join("out.d/app/index.json").is_file());
}

/// Eight images ns/app:t0..t7 (one small layer each, sharing one layer), pushed by skopeo.
fn eight_tags(reg: &Peer, dir: &Path) -> Vec<layout::Built> {
    let l = dir.join("eight");
    let shared = common::noise(30_000, 99);
    let built: Vec<layout::Built> = (0..8)
        .map(|i| {
            let own = common::noise(20_000, 200 + 2 * i); // the seed's low bit is ignored
            layout::image(
                &l,
                Some(&format!("t{i}")),
                "amd64",
                &[("shared", &shared), ("own", &own)],
            )
        })
        .collect();
    for i in 0..8 {
        reg.skopeo_push(&l, &format!("t{i}"), &format!("ns/app:t{i}"));
    }
    built
}

/// Run `cr pull HOST/ns/app:tI DST(I)` for the eight tags at once; each must succeed.
fn pull_eight_at_once(env: &Env, host: &str, dst: impl Fn(usize) -> String) {
    let children: Vec<_> = (0..8)
        .map(|i| {
            env.std_cmd()
                .args(["pull", "-q", &format!("{host}/ns/app:t{i}"), &dst(i)])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "t{i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The ref.name -> digest entries of an index.json.
fn tags_of(index: &[u8]) -> std::collections::BTreeMap<String, String> {
    let v: Value = serde_json::from_slice(index).expect("index.json is JSON");
    v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["annotations"]["org.opencontainers.image.ref.name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                m["digest"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn eight_parallel_pulls_into_one_layout_and_one_archive_keep_every_tag() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let built = eight_tags(&reg, dir.path());
    let want: std::collections::BTreeMap<String, String> = built
        .iter()
        .enumerate()
        .map(|(i, b)| (format!("t{i}"), b.digest.clone()))
        .collect();
    let distinct: std::collections::BTreeSet<&String> = want.values().collect();
    assert_eq!(distinct.len(), 8, "eight different images");
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();

    // An existing layout (the read-modify-write of its index.json); the archive below starts
    // from nothing (eight runs creating it at once).
    let l = out_dir.join("layout");
    env.ok(&[
        "pull",
        "-q",
        &format!("{}/ns/app:t0", reg.host),
        &format!("oci:{}", l.display()),
    ]);
    pull_eight_at_once(&env, &reg.host, |_| format!("oci:{}", l.display()));
    assert_eq!(tags_of(&std::fs::read(l.join("index.json")).unwrap()), want);
    for (tag, digest) in &want {
        let raw = common::skopeo(&[
            "inspect".into(),
            "--raw".into(),
            format!("oci:{}:{tag}", l.display()),
        ])
        .stdout;
        assert_eq!(&common::cr_digest(&raw), digest, "skopeo reads {tag}");
        assert_eq!(reg.skopeo_digest(&format!("ns/app:{tag}")), *digest);
    }

    let a = out_dir.join("app.tar");
    pull_eight_at_once(&env, &reg.host, |_| format!("oci-archive:{}", a.display()));
    let mut ar = tar::Archive::new(std::fs::File::open(&a).unwrap());
    let mut index = None;
    let mut blobs = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
        if name == "index.json" {
            index = Some(bytes);
        } else if let Some(hex) = name.strip_prefix("blobs/sha256/") {
            // Every blob holds the bytes its name says.
            assert_eq!(common::cr_digest(&bytes), format!("sha256:{hex}"));
            blobs.push(format!("sha256:{hex}"));
        }
    }
    assert_eq!(tags_of(&index.expect("index.json in the archive")), want);
    for (i, b) in built.iter().enumerate() {
        for d in std::iter::once(&b.digest)
            .chain(std::iter::once(&b.config))
            .chain(&b.layers)
        {
            assert!(blobs.contains(d), "t{i}: {d} is in the archive");
        }
        let raw = common::skopeo(&[
            "inspect".into(),
            "--raw".into(),
            format!("oci-archive:{}:t{i}", a.display()),
        ])
        .stdout;
        assert_eq!(common::cr_digest(&raw), b.digest, "skopeo reads t{i}");
    }
    let staging: Vec<String> = leftovers(&out_dir)
        .into_iter()
        .filter(|n| n.starts_with(".cr-"))
        .collect();
    assert!(staging.is_empty(), "{staging:?}");
}

#[test]
fn a_corrupt_blob_in_an_existing_archive_is_refused_not_copied() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let built = eight_tags(&reg, dir.path());
    let a = dir.path().join("app.tar");
    env.ok(&[
        "pull",
        &format!("{}/ns/app:t0", reg.host),
        &format!("oci-archive:{}", a.display()),
    ]);
    // Flip a byte inside t0's own layer, in place: the tar stays valid, the blob is wrong.
    let own = &built[0].layers[1];
    let name = format!("blobs/sha256/{}", &own[7..]);
    let mut ar = tar::Archive::new(std::fs::File::open(&a).unwrap());
    let offset = ar
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .find(|e| e.path().unwrap().to_string_lossy() == name)
        .map(|e| e.raw_file_position())
        .expect("the layer is in the archive");
    let mut bytes = std::fs::read(&a).unwrap();
    bytes[offset as usize + 100] ^= 0xff;
    std::fs::write(&a, &bytes).unwrap();

    let (code, out, err) = env.run(&[
        "pull",
        &format!("{}/ns/app:t1", reg.host),
        &format!("oci-archive:{}", a.display()),
    ]);
    assert_eq!(code, 1, "{out} {err}");
    assert!(err.contains(own.as_str()), "names the blob: {err}");
    assert_eq!(
        std::fs::read(&a).unwrap(),
        bytes,
        "the archive is untouched"
    );
    let staging: Vec<String> = leftovers(dir.path())
        .into_iter()
        .filter(|n| n.starts_with(".cr-"))
        .collect();
    assert!(staging.is_empty(), "{staging:?}");
}

/// The config of a legacy docker-archive (its manifest.json's `Config` file), parsed.
fn archive_config(archive: &Path) -> Value {
    let files: std::collections::HashMap<String, Vec<u8>> =
        tar::Archive::new(std::fs::File::open(archive).unwrap())
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().to_string_lossy().into_owned();
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut data).unwrap();
                (name.trim_start_matches("./").to_string(), data)
            })
            .collect();
    let list: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let config = list[0]["Config"].as_str().unwrap();
    serde_json::from_slice(&files[config]).unwrap()
}

#[test]
fn a_gzip_compressed_docker_archive_is_pushed_like_the_plain_one() {
    let reg = TestRegistry::start(Auth::None);
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(
        &l,
        Some("v1"),
        "amd64",
        &[("a", &common::noise(400_000, 5)), ("b", b"bee")],
    );
    let plain = dir.path().join("app.tar");
    common::skopeo(&[
        "copy".into(),
        format!("oci:{}:v1", l.display()),
        format!("docker-archive:{}:app:v1", plain.display()),
    ]);
    // `docker save app | gzip > app.tar.gz`
    let gz = dir.path().join("app.tar.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &std::fs::read(&plain).unwrap()).unwrap();
    let gz_bytes = enc.finish().unwrap();
    std::fs::write(&gz, &gz_bytes).unwrap();
    let diff_ids = archive_config(&plain)["rootfs"]["diff_ids"].clone();
    assert_eq!(diff_ids.as_array().unwrap().len(), 2);

    let pushed = |src: String, dest: &str| -> String {
        let out = json(&env.ok(&["push", "-o", "json", &src, &format!("{}/{dest}", reg.host)]));
        out["Digest"].as_str().unwrap().to_string()
    };
    let from_plain = pushed(plain.display().to_string(), "ns/plain:v1");
    // Detected by its magic bytes without a prefix, and read with the docker-archive: prefix.
    let from_gz = pushed(gz.display().to_string(), "ns/app:v1");
    let prefixed = pushed(format!("docker-archive:{}", gz.display()), "ns/app:v2");
    assert_eq!(from_gz, from_plain, "same content, same digests");
    assert_eq!(prefixed, from_plain);
    // `--compression none` streams the layer tars as they are: decompressed from the archive.
    let raw = |src: &Path, dest: &str| -> String {
        let out = env.ok(&[
            "push",
            "-o",
            "json",
            "--compression",
            "none",
            &src.display().to_string(),
            &format!("{}/{dest}", reg.host),
        ]);
        json(&out)["Digest"].as_str().unwrap().to_string()
    };
    let raw_gz = raw(&gz, "ns/raw:gz");
    assert_eq!(raw_gz, raw(&plain, "ns/raw:plain"));
    let m = json(&reg.skopeo_inspect("ns/raw:gz", true));
    let layer_digests: Vec<&Value> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["digest"])
        .collect();
    assert_eq!(
        layer_digests,
        diff_ids.as_array().unwrap().iter().collect::<Vec<_>>(),
        "uncompressed layers are their diff_ids"
    );
    for tag in ["ns/app:v1", "ns/app:v2"] {
        assert_eq!(reg.skopeo_digest(tag), from_plain);
        let config = common::skopeo_json(&[
            "inspect",
            "--config",
            "--tls-verify=false",
            &format!("docker://{}/{tag}", reg.host),
        ]);
        assert_eq!(config["rootfs"]["diff_ids"], diff_ids, "{tag}");
    }

    // cr writes plain tars only: a gzip archive as a pull destination is left as it is.
    let (code, _, err) = env.run(&[
        "pull",
        &format!("{}/ns/app:v1", reg.host),
        &gz.display().to_string(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read(&gz).unwrap(), gz_bytes, "untouched");

    // Cut short: refused with the file's name before anything is pushed.
    let cut = dir.path().join("cut.tar.gz");
    std::fs::write(&cut, &gz_bytes[..gz_bytes.len() / 2]).unwrap();
    for src in [
        cut.display().to_string(),
        format!("docker-archive:{}", cut.display()),
    ] {
        let (code, out, err) = env.run(&["push", &src, &format!("{}/ns/cut:v1", reg.host)]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(
            err.contains(&cut.display().to_string()) && err.contains("cut short"),
            "{err}"
        );
    }
    let log = reg.log();
    assert!(
        log.contains("/v2/ns/app/blobs/uploads"),
        "the log names uploads"
    );
    assert!(
        !log.contains("/v2/ns/cut/"),
        "nothing was sent for the cut archive"
    );
    assert!(reg.skopeo_tags("ns/cut").is_empty());
}
