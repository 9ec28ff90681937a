//! Read commands against a real docker-registry (no auth) seeded by skopeo: image-list,
//! image-digests, namespace-list, image-inspect, manifest-inspect, region; and their errors.

use crate::common;
use crate::common::json;

use crate::common::{layout, Auth, Env, TestRegistry};

struct Seeded {
    reg: TestRegistry,
    single: layout::Built,
    index_digest: String,
    index_children: Vec<layout::Built>,
    _dir: tempfile::TempDir,
}

fn seed() -> Seeded {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let single = layout::image(
        &l,
        Some("v1"),
        "amd64",
        &[("a.txt", b"hello"), ("b.txt", b"world")],
    );
    let (index_digest, index_children) = layout::index(&l, "multi", &["amd64", "arm64"]);
    reg.skopeo_push(&l, "v1", "team/app:v1");
    reg.skopeo_push(&l, "v1", "team/app:v1-alias");
    reg.skopeo_push(&l, "v1", "other/tool:1.0");
    reg.skopeo_push(&l, "multi", "team/multi:latest");
    Seeded {
        reg,
        single,
        index_digest,
        index_children,
        _dir: dir,
    }
}

#[test]
fn image_list_formats_and_facts() {
    let s = seed();
    let env = Env::new();
    let host = s.reg.host.as_str();
    let rows = json(&env.ok(&["--registry", host, "image-list", "-o", "json"]));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");
    let app = rows
        .iter()
        .find(|r| r["Tag"] == "v1" && r["Repository"] == format!("{host}/team/app"))
        .unwrap();
    assert_eq!(app["Digest"], s.single.digest);
    assert_eq!(app["Digest"], s.reg.skopeo_digest("team/app:v1"));
    assert_eq!(app["Namespace"], "team");
    assert_eq!(app["Size"], s.single.image_size);
    assert_eq!(app["Created"], 1704164645); // 2024-01-02T03:04:05Z from the config
    assert_eq!(app["ManifestType"], layout::OCI_MANIFEST);
    let keys: Vec<&String> = app.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "Repository",
            "Tag",
            "Digest",
            "Namespace",
            "Created",
            "Size",
            "ManifestType"
        ]
    );
    let multi = rows
        .iter()
        .find(|r| r["Repository"] == format!("{host}/team/multi"))
        .unwrap();
    assert_eq!(multi["Digest"], s.index_digest);
    assert_eq!(multi["ManifestType"], layout::OCI_INDEX);
    let sum: u64 = s.index_children.iter().map(|c| c.image_size).sum();
    assert_eq!(multi["Size"], sum);

    // Table, with the short digest and a relative time.
    let table = env.ok(&["--registry", host, "image-list"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("Repository")
            && lines[0].contains("Digest")
            && lines[0].contains("Size"),
        "{table}"
    );
    assert_eq!(lines.len(), 5, "{table}");
    assert!(table.contains(&s.single.digest[7..19]) && !table.contains(&s.single.digest[7..40]));
    assert!(table.contains("ago"));
    let full = env.ok(&["--registry", host, "images", "--no-trunc", "--show-type"]);
    assert!(
        full.contains(&s.single.digest) && full.contains("OCI index"),
        "{full}"
    );

    // -q, --restrict, --format
    let q = env.ok(&[
        "--registry",
        host,
        "image-list",
        "-q",
        "--restrict",
        "team/app",
    ]);
    assert_eq!(q, format!("{host}/team/app:v1\n{host}/team/app:v1-alias\n"));
    let f = env.ok(&[
        "--registry",
        host,
        "image-list",
        "--restrict",
        "other",
        "--format",
        "{{ .Repository }}:{{ .Tag }} {{ .Size }}",
    ]);
    assert_eq!(
        f,
        format!("{host}/other/tool:1.0 {}\n", s.single.image_size)
    );

    // CR_REGISTRY chooses the target too.
    let out = env
        .cmd()
        .env("CR_REGISTRY", host)
        .args(["images", "-q"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);
}

#[test]
fn digests_namespaces_inspect() {
    let s = seed();
    let env = Env::new();
    let host = s.reg.host.as_str();
    let rows = json(&env.ok(&[
        "--registry",
        host,
        "image-digests",
        "-o",
        "json",
        "--restrict",
        "team/app",
    ]));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["Tags"], serde_json::json!(["v1", "v1-alias"]));
    assert_eq!(rows[0]["Digest"], s.single.digest);
    let d = env.ok(&["--registry", host, "digests", "-q"]);
    assert!(
        d.contains(&format!("{host}/team/app@{}", s.single.digest)),
        "{d}"
    );

    let ns = json(&env.ok(&["--registry", host, "namespace-list", "-o", "json"]));
    assert_eq!(ns[0]["Namespace"], "other");
    assert_eq!(ns[0]["Repositories"], 1);
    assert_eq!(ns[1]["Namespace"], "team");
    assert_eq!(ns[1]["Repositories"], 2);
    assert_eq!(
        env.ok(&["--registry", host, "namespaces", "-q"]),
        "other\nteam\n"
    );

    let insp = json(&env.ok(&["--registry", host, "image-inspect", "team/app:v1"]));
    assert_eq!(insp[0]["Id"], s.single.config);
    assert_eq!(insp[0]["Architecture"], "amd64");
    assert_eq!(
        insp[0]["RepoDigests"][0],
        format!("{host}/team/app@{}", s.single.digest)
    );
    assert_eq!(insp[0]["Layers"].as_array().unwrap().len(), 2);
    assert_eq!(insp[0]["Config"]["Labels"]["test"], "cr");
    let arm = env.ok(&[
        "--registry",
        host,
        "image-inspect",
        "--platform",
        "linux/arm64",
        "--format",
        "{{ .Architecture }} {{ .ManifestDigest }}",
        &format!("{host}/team/multi"),
    ]);
    assert_eq!(arm, format!("arm64 {}\n", s.index_children[1].digest));

    // manifest-inspect prints the stored bytes exactly.
    let out = env
        .cmd()
        .args(["--registry", host, "manifest-inspect", "team/multi:latest"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(common::cr_digest(&out.stdout), s.index_digest);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        s.reg.skopeo_inspect("team/multi:latest", true)
    );
}

#[test]
fn errors_name_the_image_and_exit_codes() {
    let s = seed();
    let env = Env::new();
    let host = s.reg.host.as_str();
    let (code, _, err) = env.run(&["--registry", host, "image-inspect", "team/app:nope"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("team/app:nope") && err.contains("MANIFEST_UNKNOWN") && err.contains("hint:"),
        "{err}"
    );

    let (code, _, err) = env.run(&["--registry", host, "manifest-inspect", "Team/App:v1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("must be lowercase"), "{err}");
    let (code, _, err) = env.run(&["--registry", host, "manifest-inspect", "team/app:-bad"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid tag"), "{err}");

    // One bad image among good ones: the good one is printed, exit non-zero.
    let (code, out, err) = env.run(&[
        "--registry",
        host,
        "image-inspect",
        "team/app:v1",
        "team/none:v1",
    ]);
    assert_eq!(code, 5, "{err}");
    assert_eq!(json(&out).as_array().unwrap().len(), 1);

    let dead = common::free_port();
    let (code, _, err) = env.run(&["--registry", &format!("127.0.0.1:{dead}"), "image-list"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot reach") && err.contains(&dead.to_string()),
        "{err}"
    );

    let (code, _, err) = env.run(&[
        "--registry",
        host,
        "image-list",
        "--format",
        "{{ .Repository ",
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = env.run(&["--registry", "bad host!", "image-list"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad host!"), "{err}");
    let (code, _, _) = env.run(&["image-lst"]);
    assert_eq!(code, 2);
}

#[test]
fn catalog_pages_are_followed() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(&l, Some("t"), "amd64", &[("x", b"x")]);
    for i in 0..5 {
        reg.skopeo_push(&l, "t", &format!("ns{}/repo{i}:t", i % 2));
    }
    let env = Env::new();
    let out = env
        .cmd()
        .env("CR_PAGE_SIZE", "2")
        .args(["--registry", &reg.host, "images", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 5);
    let ns = env
        .cmd()
        .env("CR_PAGE_SIZE", "2")
        .args(["--registry", &reg.host, "namespace-list", "-o", "json"])
        .output()
        .unwrap();
    let v = json(&String::from_utf8_lossy(&ns.stdout));
    assert_eq!(v[0]["Repositories"], 3);
    assert_eq!(v[1]["Repositories"], 2);
}

#[test]
fn region_and_region_set() {
    let env = Env::new();
    assert!(env
        .ok(&["region"])
        .contains("localhost:5000, from the default"));
    assert!(env.ok(&["region-set", "us-south"]).contains("us.icr.io"));
    let v = json(&env.ok(&["region", "-o", "json"]));
    assert_eq!(v["Registry"], "us.icr.io");
    assert_eq!(v["Source"], "config");
    assert_eq!(v["Region"], "us-south");
    // IBM's docs call Frankfurt eu-central.
    assert!(env.ok(&["region-set", "eu-central"]).contains("de.icr.io"));
    assert_eq!(
        env.ok(&["region"]).trim(),
        "Target registry: eu-central (de.icr.io), from the config file, set by cr region-set"
    );
    env.ok(&["region-set", "registry.example.com:8443"]);
    assert!(env
        .ok(&["region"])
        .contains("registry.example.com:8443, from the config file"));
    assert!(env
        .ok(&["--registry", "eu-de", "region"])
        .contains("eu-de (de.icr.io), from the --registry flag"));
    let out = env
        .cmd()
        .env("CR_REGISTRY", "jp.icr.io")
        .arg("region")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("jp.icr.io, from the CR_REGISTRY"));
    let (code, _, err) = env.run(&["region-set", "bad host!"]);
    assert_eq!(code, 2, "{err}");
    // Typos of a region are not stored as hosts: exit 2, the closest region suggested.
    for (typo, closest) in [("us-souht", "us-south"), ("eu-centrl", "eu-central")] {
        let (code, _, err) = env.run(&["region-set", typo]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(&format!("did you mean {closest}?")), "{err}");
        let (code, _, err) = env.run(&["--registry", typo, "region"]);
        assert_eq!(code, 2, "{err}");
    }
    assert!(
        env.ok(&["region"]).contains("registry.example.com:8443"),
        "nothing stored by a typo"
    );
    // Without an argument: the regions and their hosts.
    let list = env.ok(&["region-set"]);
    assert!(
        list.lines()
            .any(|l| l.split_whitespace().eq(["eu-central", "de.icr.io"])),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.split_whitespace().eq(["us-south", "us.icr.io"])),
        "{list}"
    );
    assert!(env.ok(&["region-set", "localhost"]).contains("localhost"));
}

#[test]
fn tls_registry_on_loopback_with_ca_cert() {
    let reg = TestRegistry::start_tls();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let b = layout::image(&l, Some("v1"), "amd64", &[("t", b"tls")]);
    reg.skopeo_push(&l, "v1", "sec/app:v1");
    let env = Env::new();
    let cert = reg.cert();
    let out = env.ok(&[
        "--ca-cert",
        cert.to_str().unwrap(),
        "--registry",
        &reg.host,
        "image-list",
        "--format",
        "{{ .Digest }}",
    ]);
    assert_eq!(out.trim(), b.digest);
    // Without the CA, loopback means plain HTTP, which a TLS port refuses: a clear failure.
    let (code, _, err) = env.run(&["--registry", &reg.host, "image-list"]);
    assert_ne!(code, 0);
    assert!(err.contains(&reg.host), "{err}");
}

#[test]
fn ipv6_loopback_registry() {
    let reg = TestRegistry::start_v6();
    assert!(reg.host.starts_with("[::1]:"));
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let b = layout::image(&l, Some("v1"), "amd64", &[("six", b"ipv6")]);
    let env = Env::new();
    let h = reg.host.as_str();
    let out = env.ok(&[
        "push",
        &format!("oci:{}:v1", l.display()),
        &format!("{h}/v6/app:v1"),
    ]);
    assert_eq!(out.trim(), format!("{h}/v6/app@{}", b.digest));
    env.ok(&[
        "image-tag",
        &format!("{h}/v6/app:v1"),
        &format!("{h}/v6/copy:v2"),
    ]);
    let q = env.ok(&["--registry", h, "image-list", "-q"]);
    assert_eq!(q, format!("{h}/v6/app:v1\n{h}/v6/copy:v2\n"));
    let out_dir = dir.path().join("pulled");
    env.ok(&[
        "pull",
        &format!("{h}/v6/copy:v2"),
        &format!("oci:{}", out_dir.display()),
    ]);
    assert!(out_dir.join("index.json").exists());
}

/// `image-inspect --platform P` of a single-platform image that is not P is "not found"
/// (exit 3), as for pull; the image's own platform, or an index's, is described (issue #18).
#[test]
fn inspect_of_a_platform_the_image_lacks_is_not_found() {
    let s = seed();
    let env = Env::new();
    let app = format!("{}/team/app:v1", s.reg.host);
    let (code, out, err) = env.run(&["image-inspect", &app, "--platform", "linux/arm64"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.trim().is_empty() || out.trim() == "[]", "{out}");
    assert!(
        err.contains("linux/arm64") && err.contains("linux/amd64"),
        "{err}"
    );
    let ok = json(&env.ok(&["image-inspect", &app, "--platform", "linux/amd64"]));
    assert_eq!(ok[0]["Architecture"], "amd64");
    assert_eq!(ok[0]["Digest"], s.single.digest.as_str());
    let multi = format!("{}/team/multi:latest", s.reg.host);
    let arm = json(&env.ok(&["image-inspect", &multi, "--platform", "linux/arm64"]));
    assert_eq!(arm[0]["Architecture"], "arm64");
    assert_eq!(
        arm[0]["ManifestDigest"],
        s.index_children[1].digest.as_str()
    );
}

/// Listings never drop a row silently (issue #18): a platform deleted from under a tagged
/// index, and a tag whose manifest is gone while tags/list still names it, are each reported
/// on stderr with exit 5, every other row printed; pull names the missing platform, never
/// "no tag 1.0".
#[test]
fn listings_report_what_they_cannot_read() {
    let s = seed();
    let env = Env::new();
    let h = s.reg.host.clone();
    let arm = s.index_children[1].digest.clone();
    env.ok(&["image-rm", "--force", &format!("{h}/team/multi@{arm}")]);
    let (code, out, err) = env.run(&["image-list", "--no-cache", "--registry", &h]);
    assert_eq!(code, 5, "{out}{err}");
    assert!(err.contains(&arm) && err.contains("missing"), "{err}");
    assert!(
        out.contains("team/app") && out.contains("v1-alias"),
        "{out}"
    );
    let pulled = s._dir.path().join("pulled");
    let (code, _, err) = env.run(&[
        "pull",
        &format!("{h}/team/multi:latest"),
        &format!("oci:{}", pulled.display()),
    ]);
    assert_ne!(code, 0);
    assert!(!err.contains("closest tags"), "{err}");
    assert!(
        err.contains("lists") && err.contains("which is missing"),
        "{err}"
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains(&arm), "{err}");
    // other/tool:1.0 loses its manifest revision: tags/list still names the tag, GET 404s.
    let hex = s.single.digest.trim_start_matches("sha256:");
    let link = s.reg.storage().join(format!(
        "docker/registry/v2/repositories/other/tool/_manifests/revisions/sha256/{hex}/link"
    ));
    std::fs::remove_file(&link).unwrap();
    assert!(s.reg.skopeo_tags("other/tool").contains(&"1.0".to_string()));
    for args in [
        vec!["image-list", "--no-cache", "--registry", &h],
        vec!["image-digests", "-q", "--registry", &h],
    ] {
        let (code, out, err) = env.run(&args);
        assert_eq!(code, 5, "{args:?}: {out}{err}");
        assert!(err.contains("other/tool") && err.contains("1.0"), "{err}");
        assert!(out.contains("team/app"), "{out}");
    }
}
