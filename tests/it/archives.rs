//! Docker archives written and read fast (issue #20 item 7): a pulled docker-archive holds the
//! registry's exact compressed blobs, which skopeo and a tarfile reader accept and which push
//! back as they are; a `docker save` archive's layers, compressed in parallel, give the same
//! manifest every time.

use crate::common::json;
use crate::common::{self, layout, Env};
use std::collections::HashMap;
use std::path::Path;

/// Every regular file of a tar: name -> bytes.
fn tar_files(path: &Path) -> HashMap<String, Vec<u8>> {
    let mut out = HashMap::new();
    let mut ar = tar::Archive::new(std::fs::File::open(path).unwrap());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().display().to_string();
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut b).unwrap();
        out.insert(name, b);
    }
    out
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(b), &mut out).unwrap();
    out
}

#[test]
fn a_pulled_docker_archive_holds_the_registrys_blobs_and_reads_back() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(
        &l,
        Some("v1"),
        "amd64",
        &[
            ("a", &common::noise(1_500_000, 7)),
            ("b", &b"compressible ".repeat(50_000)),
            ("c", b"small"),
        ],
    );
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let cfg = json(
        &String::from_utf8(std::fs::read(l.join("blobs/sha256").join(&img.config[7..])).unwrap())
            .unwrap(),
    );
    let diff_ids: Vec<String> = cfg["rootfs"]["diff_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();

    let da = dir.path().join("app.tar");
    env.ok(&[
        "pull",
        &format!("{}/ns/app:v1", reg.host),
        &format!("docker-archive:{}", da.display()),
    ]);
    let files = tar_files(&da);
    let manifest = json(std::str::from_utf8(&files["manifest.json"]).unwrap());
    let entry = &manifest[0];
    assert_eq!(entry["RepoTags"][0], format!("{}/ns/app:v1", reg.host));
    let config = &files[entry["Config"].as_str().unwrap()];
    assert_eq!(common::cr_digest(config), img.config, "the config as it is");
    let paths: Vec<&str> = entry["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 3);
    for ((p, blob), diff_id) in paths.iter().zip(&img.layers).zip(&diff_ids) {
        let bytes = &files[*p];
        // The registry's exact compressed blob, in order, and it unpacks to its diff_id.
        assert_eq!(&common::cr_digest(bytes), blob, "{p}");
        assert_eq!(&common::cr_digest(&gunzip(bytes)), diff_id, "{p}");
        assert_eq!(*p, format!("{}.tar.gz", &blob[7..]));
    }

    // skopeo reads it: the layers it reports are the diff_ids, and copying it out (which
    // decompresses each layer and checks it against its diff_id) keeps the config.
    let v = common::skopeo_json(&["inspect", &format!("docker-archive:{}", da.display())]);
    let layers: Vec<String> = v["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    assert_eq!(layers, diff_ids);
    let back = dir.path().join("back");
    common::skopeo(&[
        "copy".into(),
        format!("docker-archive:{}", da.display()),
        format!("oci:{}:x", back.display()),
    ]);
    let m = common::skopeo_json(&["inspect", "--raw", &format!("oci:{}:x", back.display())]);
    assert_eq!(m["config"]["digest"], img.config);
    let copied: Vec<Vec<u8>> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let d = d["digest"].as_str().unwrap();
            std::fs::read(back.join("blobs/sha256").join(&d[7..])).unwrap()
        })
        .collect();
    for (bytes, diff_id) in copied.iter().zip(&diff_ids) {
        let raw = if bytes.starts_with(&[0x1f, 0x8b]) {
            gunzip(bytes)
        } else {
            bytes.clone()
        };
        assert_eq!(&common::cr_digest(&raw), diff_id);
    }

    // A second reader: Python's tarfile and gzip, following manifest.json as `docker load` does.
    common::require("python3");
    let check = r#"
import gzip, hashlib, json, sys, tarfile
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile("manifest.json"))[0]
cfg = json.load(t.extractfile(m["Config"]))
got = ["sha256:" + hashlib.sha256(gzip.decompress(t.extractfile(p).read())).hexdigest() for p in m["Layers"]]
assert got == cfg["rootfs"]["diff_ids"], (got, cfg["rootfs"]["diff_ids"])
print(len(got))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", check, da.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "3");

    // cr pushes the archive back with its blobs as they are (not compressed twice), with gzip
    // on or off.
    for (compression, repo) in [("gzip", "ns/back:1"), ("none", "ns/plain:1")] {
        env.ok(&[
            "push",
            "--compression",
            compression,
            &format!("docker-archive:{}", da.display()),
            &format!("{}/{repo}", reg.host),
        ]);
        let m = json(&reg.skopeo_inspect(repo, true));
        let pushed: Vec<&str> = m["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["digest"].as_str().unwrap())
            .collect();
        assert_eq!(pushed, img.layers, "{compression}");
        assert_eq!(m["config"]["digest"], img.config);
        assert_eq!(
            m["layers"][0]["mediaType"],
            "application/vnd.docker.image.rootfs.diff.tar.gzip"
        );
    }
}

#[test]
fn a_docker_save_archive_compressed_in_parallel_pushes_the_same_manifest_twice() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(
        &l,
        Some("v1"),
        "amd64",
        &[
            ("a", &common::noise(3_000_000, 11)),
            ("b", &b"0123456789abcdef".repeat(200_000)),
            ("c", &common::noise(700_000, 12)),
            ("d", b"tiny"),
        ],
    );
    let archive = dir.path().join("saved.tar");
    common::skopeo(&[
        "copy".into(),
        format!("oci:{}:v1", l.display()),
        format!("docker-archive:{}:saved/img:v1", archive.display()),
    ]);
    let mut seen = Vec::new();
    for _ in 0..2 {
        // A fresh registry each time: every layer is compressed and sent.
        let reg = common::ns();
        let out = json(&env.ok(&[
            "push",
            "-o",
            "json",
            "--no-cache",
            &format!("docker-archive:{}", archive.display()),
            &format!("{}/ns/saved:v1", reg.host),
        ]));
        assert_eq!(out["BlobsMoved"], 5, "{out}");
        let digest = out["Digest"].as_str().unwrap().to_string();
        assert_eq!(reg.skopeo_digest("ns/saved:v1"), digest);
        let m = json(&reg.skopeo_inspect("ns/saved:v1", true));
        assert_eq!(m["config"]["digest"], img.config);
        // skopeo reads every layer back, checking each digest.
        let back = dir.path().join(format!("back{}", seen.len()));
        common::skopeo(&[
            "copy".into(),
            "--src-tls-verify=false".into(),
            format!("docker://{}/ns/saved:v1", reg.host),
            format!("oci:{}:x", back.display()),
        ]);
        seen.push((digest, m["layers"].clone()));
    }
    assert_eq!(seen[0], seen[1], "parallel compression is deterministic");
}

/// A layer whose bytes do not unpack to its config's diff_id: the pull into a docker-archive
/// fails (the blob itself matches its digest) and leaves nothing behind.
#[test]
fn a_layer_that_does_not_match_its_diff_id_fails_the_docker_archive_pull() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    std::fs::create_dir_all(l.join("blobs/sha256")).unwrap();
    std::fs::write(l.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let put = |b: &[u8]| {
        let d = common::cr_digest(b);
        std::fs::write(l.join("blobs/sha256").join(&d[7..]), b).unwrap();
        d
    };
    let (gz, _) = layout::layer("f", b"the real content");
    let (_, other) = layout::layer("f", b"other content");
    let layer = put(&gz);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [other]},
    }))
    .unwrap();
    let cd = put(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": gz.len()}],
    }))
    .unwrap();
    let md = put(&manifest);
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": manifest.len(),
         "annotations": {"org.opencontainers.image.ref.name": "1"}}]});
    std::fs::write(l.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    reg.skopeo_push(&l, "1", "ns/liar:1");

    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let da = out.join("liar.tar");
    let (code, _, err) = env.run(&[
        "pull",
        &format!("{}/ns/liar:1", reg.host),
        &format!("docker-archive:{}", da.display()),
    ]);
    assert_eq!(code, 1, "{err}");
    // It names the destination, the layer and its diff_id, never a staging file.
    assert!(
        err.contains(&format!(
            "{}: layer {layer} does not match its diff_id {other}",
            da.display()
        )),
        "{err}"
    );
    assert!(!err.contains(".cr-pull-"), "{err}");
    assert!(!da.exists());
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "no staging left"
    );
}

/// A layout's ref name is any OCI ref name, not only a registry tag: `cr pull` into
/// `oci:DIR:alpine:3.18` names the image so, as skopeo does, and skopeo reads it back by
/// that name with the registry's digest.
#[test]
fn a_layout_ref_name_with_a_colon_is_written_as_given() {
    let env = Env::new();
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let img = layout::image(
        &dir.path().join("src"),
        Some("v1"),
        "amd64",
        &[("a", b"ref")],
    );
    reg.skopeo_push(&dir.path().join("src"), "v1", "app:v1");
    let out = dir.path().join("out");
    let report = json(&env.ok(&[
        "pull",
        "-o",
        "json",
        &format!("{}/app:v1", reg.host),
        &format!("oci:{}:alpine:3.18", out.display()),
    ]));
    // The report names the image as the layout does.
    assert_eq!(
        report["Tags"],
        serde_json::json!(["alpine:3.18"]),
        "{report}"
    );
    let raw = common::skopeo(&[
        "inspect".into(),
        "--raw".into(),
        format!("oci:{}:alpine:3.18", out.display()),
    ])
    .stdout;
    assert_eq!(common::cr_digest(&raw), img.digest);
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
    let names: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str())
        .collect();
    assert_eq!(names, ["alpine:3.18"]);
}

/// A legacy docker-archive of `(name, bytes)` files whose manifest.json lists `layers`.
fn saved(path: &Path, config: &[u8], layers: &[(&str, &[u8])]) {
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": "config.json", "RepoTags": ["liar/gz:1"],
        "Layers": layers.iter().map(|l| l.0).collect::<Vec<_>>(),
    }]))
    .unwrap();
    let mut t = tar::Builder::new(Vec::new());
    let files = [("manifest.json", &manifest[..]), ("config.json", config)];
    for (name, data) in files.iter().chain(layers) {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        t.append_data(&mut h, name, *data).unwrap();
    }
    std::fs::write(path, t.into_inner().unwrap()).unwrap();
}

/// A gzip-compressed layer whose config's diff_id belongs to other content is refused when the
/// archive is opened, naming the layer and the diff_id, before anything reaches the registry
/// (its uncompressed form always was); with the right diff_id the same archive pushes, and the
/// pushed layer is the archive's blob.
#[test]
fn a_gzip_layer_that_does_not_match_its_diff_id_is_refused_before_any_push() {
    let reg = common::TestRegistry::start(common::Auth::None);
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("liar.tar");
    let (gz, real) = layout::layer("f", b"the real content");
    let (_, other) = layout::layer("f", b"other content");
    let config = |diff_id: &str| {
        serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux", "config": {},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }))
        .unwrap()
    };
    // Named by its digest (as cr pull writes it), and under a name that carries none.
    let named = format!("{}.tar.gz", &common::cr_digest(&gz)[7..]);
    for (i, name) in [named.as_str(), "l1/layer.tar"].into_iter().enumerate() {
        saved(&archive, &config(&other), &[(name, &gz)]);
        let src = format!("docker-archive:{}", archive.display());
        for compression in ["gzip", "none"] {
            let dst = format!("{}/ns/liar{i}:1", reg.host);
            let (code, _, err) = env.run(&["push", "--compression", compression, &src, &dst]);
            assert_eq!(code, 1, "{err}");
            assert!(
                err.contains(name) && err.contains(&other) && err.contains("diff_id"),
                "{err}"
            );
        }
        let repos = reg.storage().join("docker/registry/v2/repositories");
        assert!(
            !repos.join(format!("ns/liar{i}")).exists(),
            "nothing pushed"
        );
        saved(&archive, &config(&real), &[(name, &gz)]);
        env.ok(&["push", &src, &format!("{}/ns/liar{i}:1", reg.host)]);
        let m = json(&reg.peer().skopeo_inspect(&format!("ns/liar{i}:1"), true));
        assert_eq!(m["layers"][0]["digest"], common::cr_digest(&gz));
    }
}

/// Pulling into a Docker 25+ save archive (an OCI layout plus manifest.json and repositories)
/// as an oci-archive adds the image and keeps every other file of the archive byte for byte,
/// so `docker load` still finds what it loaded before.
#[test]
fn pulling_into_a_docker_25_archive_keeps_its_other_files() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    let first = layout::image(&old, Some("v1"), "amd64", &[("a", b"first")]);
    let src = dir.path().join("src");
    let second = layout::image(&src, Some("v2"), "amd64", &[("b", b"second")]);
    reg.skopeo_push(&src, "v2", "ns/d25:v2");
    let manifest = format!(
        r#"[{{"Config":"blobs/sha256/{}","RepoTags":["d25:v1"],"Layers":[]}}]"#,
        &first.config[7..]
    );
    let repositories = br#"{"d25":{"v1":"x"}}"#;
    let archive = dir.path().join("d25.tar");
    let mut t = tar::Builder::new(Vec::new());
    t.append_dir_all(".", &old).unwrap();
    for (name, data) in [
        ("manifest.json", manifest.as_bytes()),
        ("repositories", &repositories[..]),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        t.append_data(&mut h, name, data).unwrap();
    }
    std::fs::write(&archive, t.into_inner().unwrap()).unwrap();

    env.ok(&[
        "pull",
        &format!("{}/ns/d25:v2", reg.host),
        &format!("oci-archive:{}:v2", archive.display()),
    ]);
    let files = tar_files(&archive);
    assert_eq!(files["manifest.json"], manifest.as_bytes());
    assert_eq!(files["repositories"], repositories);
    for (tag, img) in [("v1", &first), ("v2", &second)] {
        let raw = common::skopeo(&[
            "inspect".into(),
            "--raw".into(),
            format!("oci-archive:{}:{tag}", archive.display()),
        ])
        .stdout;
        assert_eq!(common::cr_digest(&raw), img.digest, "{tag}");
    }
}
