//! `cr append` and `cr mutate` against a real docker-registry, with skopeo as the reader:
//! reproducible digests, the new layer's diff_id, one upload per layer across platforms,
//! --platform, refused input with nothing pushed, config changes and created times.

use std::io::Read;
use std::path::Path;

use crate::common::proxy::{Action, Fault, Proxy};
use crate::common::{self, cr_digest, layout, skopeo, skopeo_json, Env, Peer};

const BASE_CREATED: &str = "2024-01-02T03:04:05Z";

/// A directory tree for a layer: nested dirs, an executable, a symlink.
fn tree(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir.join("usr/bin")).unwrap();
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    std::fs::write(dir.join("etc/app.conf"), b"mode = test\n").unwrap();
    std::fs::write(dir.join("usr/bin/app"), b"#!/bin/sh\necho app\n").unwrap();
    std::fs::set_permissions(
        dir.join("usr/bin/app"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::os::unix::fs::symlink("usr/bin/app", dir.join("app")).unwrap();
    // Incompressible: stored in the gzip, not deflated.
    std::fs::write(dir.join("usr/bin/blob"), crate::common::noise(3 << 20, 7)).unwrap();
}

/// The digest in `HOST/REPO@sha256:…` on stdout.
fn digest_of(out: &str) -> String {
    out.trim().rsplit('@').next().unwrap().to_string()
}

fn blob(layout: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(layout.join("blobs/sha256").join(&digest[7..])).unwrap()
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

fn raw(reg: &Peer, name: &str) -> serde_json::Value {
    serde_json::from_str(&reg.skopeo_inspect(name, true)).unwrap()
}

#[test]
fn append_of_a_directory_is_reproducible_and_skopeo_reads_it() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("base");
    let base = layout::image(&l, Some("v1"), "amd64", &[("a.txt", b"base layer")]);
    reg.skopeo_push(&l, "v1", "ns/base:v1");
    let files = dir.path().join("files");
    tree(&files);
    let env = Env::new();
    let b = format!("{}/ns/base:v1", reg.host);
    // Into another repository (blobs mounted), twice: the same digest.
    let one = env.ok(&[
        "append",
        &b,
        "--layer",
        files.to_str().unwrap(),
        "-t",
        &format!("{}/ns/app:a", reg.host),
    ]);
    // Touched files: mtimes are not part of the layer.
    std::fs::write(files.join("etc/app.conf"), b"mode = test\n").unwrap();
    let two = env.ok(&[
        "append",
        &b,
        "--layer",
        files.to_str().unwrap(),
        "-t",
        &format!("{}/ns/app:b", reg.host),
    ]);
    let d = digest_of(&one);
    assert_eq!(d, digest_of(&two), "{one} {two}");
    assert_eq!(reg.skopeo_digest("ns/app:a"), d);
    assert_eq!(reg.skopeo_digest("ns/app:b"), d);

    // skopeo copies it into an OCI layout (it verifies every blob on the way).
    let out = dir.path().join("out");
    skopeo(&[
        "copy".into(),
        "--src-tls-verify=false".into(),
        format!("docker://{}/ns/app:a", reg.host),
        format!("oci:{}:x", out.display()),
    ]);
    let idx = json(&std::fs::read(out.join("index.json")).unwrap());
    let m = json(&blob(&out, idx["manifests"][0]["digest"].as_str().unwrap()));
    assert_eq!(m["mediaType"], layout::OCI_MANIFEST);
    let layers: Vec<String> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0], base.layers[0], "the base layer is unchanged");
    assert_eq!(
        m["layers"][1]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
    let cfg = json(&blob(&out, m["config"]["digest"].as_str().unwrap()));
    let diff_ids = cfg["rootfs"]["diff_ids"].as_array().unwrap();
    assert_eq!(diff_ids.len(), 2);
    // The new layer's diff_id is the sha256 of its tar, decompressed from the blob skopeo read.
    let gz = blob(&out, &layers[1]);
    assert_eq!(cr_digest(&gz), layers[1]);
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut tar)
        .unwrap();
    assert_eq!(diff_ids[1], cr_digest(&tar).as_str());
    assert!(
        gz.len() > 3 << 20 && gz.len() < (3 << 20) + (64 << 10),
        "{}",
        gz.len()
    );
    // Entries sorted, owner 0:0 without names, mtime 0, modes kept, the symlink a symlink.
    let mut a = tar::Archive::new(&tar[..]);
    let mut names = Vec::new();
    for e in a.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        assert_eq!(
            (h.uid().unwrap(), h.gid().unwrap(), h.mtime().unwrap()),
            (0, 0, 0)
        );
        assert_eq!(h.username().unwrap(), Some(""));
        let name = e.path().unwrap().display().to_string();
        match name.as_str() {
            "usr/bin/app" => assert_eq!(h.mode().unwrap(), 0o755),
            "app" => {
                assert!(h.entry_type().is_symlink());
                assert_eq!(
                    e.link_name().unwrap().unwrap().to_str(),
                    Some("usr/bin/app")
                );
            }
            _ => {}
        }
        names.push(name);
    }
    assert_eq!(
        names,
        [
            "app",
            "etc/",
            "etc/app.conf",
            "usr/",
            "usr/bin/",
            "usr/bin/app",
            "usr/bin/blob"
        ]
    );
    // History: one entry per layer, created as the base was.
    let h = cfg["history"].as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1]["created_by"], "cr append");
    assert_eq!(h[1]["created"], BASE_CREATED);
    assert_eq!(cfg["created"], BASE_CREATED);
    // The base is untouched.
    assert_eq!(reg.skopeo_digest("ns/base:v1"), base.digest);

    // A .tar.gz is sent as it is: the same blob, the same diff_id.
    let tgz = dir.path().join("layer.tgz");
    std::fs::write(&tgz, &gz).unwrap();
    let three = env.ok(&[
        "append",
        &b,
        "--layer",
        tgz.to_str().unwrap(),
        "-t",
        &format!("{}/ns/app:c", reg.host),
    ]);
    assert_eq!(digest_of(&three), d);
    // A plain tar is compressed as a directory is: the same diff_id.
    let plain = dir.path().join("layer.tar");
    std::fs::write(&plain, &tar).unwrap();
    let four = env.ok(&[
        "append",
        &b,
        "--layer",
        plain.to_str().unwrap(),
        "-t",
        &format!("{}/ns/app:d", reg.host),
        "-o",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&four).unwrap();
    assert_eq!(v["Layers"][0]["DiffId"], diff_ids[1]);
}

#[test]
fn append_to_an_index_uploads_each_layer_once_and_platform_limits_it() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("base");
    let (idx_digest, children) = layout::index(&l, "v1", &["amd64", "arm64"]);
    reg.skopeo_push(&l, "v1", "ns/multi:v1");
    let files = dir.path().join("files");
    tree(&files);
    let proxy = Proxy::before(&reg, Vec::new(), None);
    let env = Env::new();
    let b = format!("{}/ns/multi:v1", proxy.host());
    let out = env.ok(&[
        "append",
        &b,
        "--layer",
        files.to_str().unwrap(),
        "-t",
        &format!("{}/ns/multi:all", proxy.host()),
        "-o",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let layer = v["Layers"][0]["Digest"].as_str().unwrap().to_string();
    assert_eq!(
        v["Platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    // The layer went up once: one upload session's PATCH and one PUT naming it.
    let puts = proxy
        .requests()
        .iter()
        .filter(|(m, p)| m == "PUT" && p.contains("/blobs/uploads/") && p.contains(&layer[7..]))
        .count();
    assert_eq!(puts, 1, "{:#?}", proxy.requests());
    assert_eq!(
        proxy.count("PATCH", "/blobs/uploads/"),
        1,
        "{:#?}",
        proxy.requests()
    );
    // Both platforms have it, on top of their own layer.
    let idx = raw(&reg, "ns/multi:all");
    assert_eq!(idx["mediaType"], layout::OCI_INDEX);
    let ms = idx["manifests"].as_array().unwrap();
    assert_eq!(ms.len(), 2);
    for (i, c) in ms.iter().enumerate() {
        assert_ne!(c["digest"], children[i].digest.as_str());
        let m = raw(&reg, &format!("ns/multi@{}", c["digest"].as_str().unwrap()));
        let ls = m["layers"].as_array().unwrap();
        assert_eq!(ls.len(), 2);
        assert_eq!(ls[0]["digest"], children[i].layers[0].as_str());
        assert_eq!(ls[1]["digest"], layer.as_str());
    }

    // --platform: only arm64 changes; amd64 stays as it was in the new index.
    let out = env.ok(&[
        "append",
        &b,
        "--layer",
        files.to_str().unwrap(),
        "--platform",
        "linux/arm64",
        "-t",
        &format!("{}/ns/multi:arm", proxy.host()),
    ]);
    let idx = raw(&reg, "ns/multi:arm");
    assert_eq!(reg.skopeo_digest("ns/multi:arm"), digest_of(&out));
    let ms = idx["manifests"].as_array().unwrap();
    assert_eq!(ms[0]["digest"], children[0].digest.as_str());
    assert_eq!(ms[0]["platform"]["architecture"], "amd64");
    let arm = raw(
        &reg,
        &format!("ns/multi@{}", ms[1]["digest"].as_str().unwrap()),
    );
    assert_eq!(arm["layers"][1]["digest"], layer.as_str());
    assert_eq!(reg.skopeo_digest("ns/multi:v1"), idx_digest);

    // A platform the index does not have: exit 3, nothing written.
    let (code, _, err) = env.run(&[
        "append",
        &b,
        "--layer",
        files.to_str().unwrap(),
        "--platform",
        "linux/s390x",
        "-t",
        &format!("{}/ns/multi:none", proxy.host()),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("s390x"), "{err}");
    assert!(!reg.skopeo_exists("ns/multi:none"));
}

/// A new layer's upload that breaks (a cut PATCH, a 500 on the closing PUT) is read again from
/// its directory in a new session, said as a retry: the result is the image a clean run makes.
#[test]
fn append_uploads_a_layer_again_after_a_broken_session() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("base");
    layout::image(&l, Some("v1"), "amd64", &[("a.txt", b"base layer")]);
    reg.skopeo_push(&l, "v1", "ns/base:v1");
    let files = dir.path().join("files");
    tree(&files);
    let env = Env::new();
    let append = |host: &str, tag: &str| {
        env.run(&[
            "append",
            &format!("{host}/ns/base:v1"),
            "--layer",
            files.to_str().unwrap(),
            "-t",
            &format!("{host}/ns/app:{tag}"),
        ])
    };
    let (code, clean, _) = append(&reg.host, "clean");
    assert_eq!(code, 0);
    let faults = vec![
        Fault {
            method: "PATCH",
            path_contains: "/blobs/uploads/",
            action: Action::DropRequest(1 << 20),
            times: 1,
        },
        Fault {
            method: "PUT",
            path_contains: "/blobs/uploads/",
            action: Action::Status(500, None),
            times: 1,
        },
    ];
    let proxy = Proxy::before(&reg, faults, None);
    let (code, out, err) = append(&proxy.host(), "faulty");
    assert_eq!(code, 0, "{err}");
    assert_eq!(proxy.fired(), 2, "{:#?}", proxy.requests());
    assert!(err.contains("retrying upload layer"), "{err}");
    assert_eq!(digest_of(&out), digest_of(&clean));
    assert_eq!(reg.skopeo_digest("ns/app:faulty"), digest_of(&clean));
    // Two sessions took the layer's bytes: the cut one and the one that held, whose closing
    // PUT (no body) was sent again after the 500.
    assert_eq!(
        proxy.count("POST", "/blobs/uploads/"),
        2,
        "{:#?}",
        proxy.requests()
    );
    assert_eq!(
        proxy.count("PATCH", "/blobs/uploads/"),
        2,
        "{:#?}",
        proxy.requests()
    );
}

/// A tar with one entry whose name is written as it is (the tar crate refuses `..`).
fn raw_tar(name: &str) -> Vec<u8> {
    let mut h = tar::Header::new_old();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_size(4);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut t = h.as_bytes().to_vec();
    t.extend_from_slice(b"evil");
    t.resize(t.len() + 508 + 1024, 0);
    t
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("base");
    layout::image(&l, Some("v1"), "amd64", &[("a.txt", b"base layer")]);
    reg.skopeo_push(&l, "v1", "ns/base:v1");
    let proxy = Proxy::before(&reg, Vec::new(), None);
    let env = Env::new();
    let b = format!("{}/ns/base:v1", proxy.host());
    let dst = format!("{}/ns/bad:x", proxy.host());
    let w = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    };
    let climbing = w("climb.tar", &raw_tar("../evil"));
    let absolute = w("abs.tar", &raw_tar("/abs/evil"));
    let text = w("notes.txt", &[b'x'; 2000]);
    let missing = dir.path().join("missing").display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["append", &b, "--layer", &climbing, "-t", &dst],
            "climbs out",
        ),
        (
            vec!["append", &b, "--layer", &absolute, "-t", &dst],
            "is absolute",
        ),
        (
            vec!["append", &b, "--layer", &text, "-t", &dst],
            "not a tar",
        ),
        (
            vec!["append", &b, "--layer", &missing, "-t", &dst],
            "no such file",
        ),
        (
            vec!["mutate", &b, "--label", "novalue", "-t", &dst],
            "KEY=VALUE",
        ),
        (
            vec!["mutate", &b, "--created", "yesterday", "-t", &dst],
            "not a time",
        ),
        (
            vec!["mutate", &b, "--entrypoint", "[1]", "-t", &dst],
            "JSON array",
        ),
    ];
    for (args, says) in cases {
        let (code, _, err) = env.run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(proxy.requests().is_empty(), "{:#?}", proxy.requests());
    assert!(reg.skopeo_tags("ns/bad").is_empty());
    // A missing base: exit 3.
    let (code, _, err) = env.run(&[
        "mutate",
        &format!("{}/ns/base:nope", proxy.host()),
        "--label",
        "a=b",
        "-t",
        &dst,
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(reg.skopeo_tags("ns/bad").is_empty());
}

#[test]
fn mutate_sets_config_and_is_reproducible() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("base");
    let base = layout::image(&l, Some("v1"), "amd64", &[("a.txt", b"base layer")]);
    reg.skopeo_push(&l, "v1", "ns/base:v1");
    let env = Env::new();
    let b = format!("{}/ns/base:v1", reg.host);
    let args = |dst: &str| {
        vec![
            "mutate".to_string(),
            b.clone(),
            "-t".into(),
            format!("{}/{dst}", reg.host),
            "--label".into(),
            "org.example.team=core".into(),
            "--env".into(),
            "FOO=bar".into(),
            "--entrypoint".into(),
            r#"["/bin/app","-x"]"#.into(),
            "--annotation".into(),
            "org.example.note=hi".into(),
        ]
    };
    let run = |dst: &str| {
        let a = args(dst);
        env.ok(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let one = digest_of(&run("ns/m:1"));
    let two = digest_of(&run("ns/m:2"));
    assert_eq!(one, two);
    assert_eq!(reg.skopeo_digest("ns/m:1"), one);
    let tls = "--tls-verify=false";
    let seen = skopeo_json(&["inspect", tls, &format!("docker://{}/ns/m:1", reg.host)]);
    assert_eq!(seen["Labels"]["org.example.team"], "core");
    assert_eq!(seen["Labels"]["test"], "cr", "the base's labels stay");
    assert_eq!(seen["Created"], BASE_CREATED);
    assert_eq!(seen["Layers"][0], base.layers[0].as_str());
    let env_list: Vec<&str> = seen["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(env_list, ["PATH=/usr/bin", "FOO=bar"]);
    let cfg = skopeo_json(&[
        "inspect",
        "--config",
        tls,
        &format!("docker://{}/ns/m:1", reg.host),
    ]);
    assert_eq!(
        cfg["config"]["Entrypoint"],
        serde_json::json!(["/bin/app", "-x"])
    );
    assert_eq!(raw(&reg, "ns/m:1")["annotations"]["org.example.note"], "hi");

    env.ok(&[
        "mutate",
        &b,
        "--created",
        "2020-01-01T00:00:00Z",
        "-t",
        &format!("{}/ns/m:old", reg.host),
    ]);
    let seen = skopeo_json(&["inspect", tls, &format!("docker://{}/ns/m:old", reg.host)]);
    assert_eq!(seen["Created"], "2020-01-01T00:00:00Z");

    // A Docker base stays Docker, its new layer too.
    skopeo(&[
        "copy".into(),
        "--dest-tls-verify=false".into(),
        "--format".into(),
        "v2s2".into(),
        format!("oci:{}:v1", l.display()),
        format!("docker://{}/ns/dbase:v1", reg.host),
    ]);
    let files = dir.path().join("files");
    tree(&files);
    env.ok(&[
        "append",
        &format!("{}/ns/dbase:v1", reg.host),
        "--layer",
        files.to_str().unwrap(),
        "-t",
        &format!("{}/ns/dbase:v2", reg.host),
    ]);
    let m = raw(&reg, "ns/dbase:v2");
    assert_eq!(
        m["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.docker.container.image.v1+json"
    );
    assert_eq!(
        m["layers"][1]["mediaType"],
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
    );
}
