//! OCI 1.1 artifacts: `cr attach` pushes files with a subject, `cr referrers` lists them, and
//! `cr artifact-get` writes them back byte-exact, against a real docker-registry (fallback tag
//! schema) and through a proxy that adds the referrers API; skopeo reads what was pushed. Hostile
//! titles and corrupted layers write nothing; a missing subject or a file over --max-size
//! pushes nothing; image-rm takes the attached artifacts with their subject.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::json;
use crate::common::proxy::{Action, Fault, Proxy};
use crate::common::referrers_api::ReferrersApi;
use crate::common::{self, layout, Auth, Env, Peer, TestRegistry};

const EMPTY_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
const TITLE: &str = "org.opencontainers.image.title";

fn fallback(d: &str) -> String {
    d.replacen(':', "-", 1)
}

/// An image `team/app:v1` pushed with skopeo; returns its digest.
fn seed(reg: &Peer, dir: &Path) -> String {
    let l = dir.join("layout");
    let img = layout::image(&l, Some("v1"), "amd64", &[("app", b"the app")]);
    reg.skopeo_push(&l, "v1", "team/app:v1");
    img.digest
}

/// Write `files` into `dir`; their paths.
fn files(dir: &Path, files: &[(&str, &[u8])]) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    files
        .iter()
        .map(|(n, b)| {
            let p = dir.join(n);
            std::fs::write(&p, b).unwrap();
            p
        })
        .collect()
}

/// `cr attach` of `paths` to `image` with `extra` flags; the printed `HOST/REPO@sha256:…`.
fn attach(env: &Env, image: &str, paths: &[PathBuf], ty: &str, extra: &[&str]) -> String {
    let mut args = vec!["attach", "-q", image, "--artifact-type", ty];
    let p: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(p.iter().map(String::as_str));
    args.extend_from_slice(extra);
    env.ok(&args).trim().to_string()
}

/// The entries of a directory (none when it does not exist).
fn entries(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<String> = rd
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Whether the registry stores a blob with this digest (anywhere).
fn stored(reg: &TestRegistry, digest: &str) -> bool {
    let hex = &digest[7..];
    reg.storage()
        .join("docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data")
        .exists()
}

/// attach → skopeo → referrers → artifact-get, at `host` (cr's view: the registry itself or
/// the referrers API proxy in front of it); `reg` is the registry skopeo reads.
fn round_trip(reg: &Peer, host: &str, api: bool) {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let image = seed(reg, dir.path());
    let big = common::noise(3 << 20, 7);
    let sbom = br#"{"spdxVersion":"SPDX-2.3"}"#;
    let paths = files(
        &dir.path().join("in"),
        &[("sbom.spdx.json", sbom), ("report.bin", &big)],
    );
    let out = attach(
        &env,
        &format!("{host}/team/app:v1"),
        &paths,
        "application/spdx+json",
        &["--annotation", "team=qa"],
    );
    let (name, digest) = out.split_once('@').unwrap();
    assert_eq!(name, format!("{host}/team/app"));

    // skopeo reads the artifact manifest; its bytes hash to the printed digest.
    let raw = reg.skopeo_inspect(&format!("team/app@{digest}"), true);
    assert_eq!(common::cr_digest(raw.as_bytes()), digest);
    let m = json(&raw);
    assert_eq!(m["mediaType"], layout::OCI_MANIFEST);
    assert_eq!(m["artifactType"], "application/spdx+json");
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.oci.empty.v1+json"
    );
    assert_eq!(m["config"]["digest"], EMPTY_DIGEST);
    assert_eq!(m["config"]["size"], 2);
    assert_eq!(m["subject"]["digest"], image.as_str());
    assert_eq!(m["subject"]["mediaType"], layout::OCI_MANIFEST);
    assert_eq!(m["annotations"]["team"], "qa");
    assert!(m["annotations"]["org.opencontainers.image.created"].is_string());
    let layers: Vec<(String, String, u64)> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["annotations"][TITLE].as_str().unwrap().to_string(),
                l["digest"].as_str().unwrap().to_string(),
                l["size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        layers,
        vec![
            (
                "sbom.spdx.json".to_string(),
                common::cr_digest(sbom),
                sbom.len() as u64
            ),
            (
                "report.bin".to_string(),
                common::cr_digest(&big),
                big.len() as u64
            ),
        ]
    );

    // Where the registry lacks the API, the fallback index lists it; with the API, no
    // fallback tag is made.
    let subject_tag = fallback(&image);
    if api {
        assert_eq!(reg.skopeo_tags("team/app"), vec!["v1".to_string()]);
    } else {
        assert_eq!(
            reg.fallback_index("team/app", &image),
            vec![digest.to_string()]
        );
    }

    // cr referrers lists it with its artifact type.
    let v = json(&env.ok(&["referrers", &format!("{host}/team/app:v1"), "-o", "json"]));
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{v}");
    assert_eq!(rows[0]["Digest"], digest);
    assert_eq!(rows[0]["Subject"], image.as_str());
    assert_eq!(rows[0]["ArtifactType"], "application/spdx+json");
    assert_eq!(rows[0]["FoundBy"], if api { "api" } else { "tag" });

    // A second artifact keeps the first listed.
    let sig = files(&dir.path().join("sig"), &[("sig.txt", b"signed")]);
    let out2 = attach(
        &env,
        &format!("{host}/team/app:v1"),
        &sig,
        "application/vnd.example.signature",
        &[],
    );
    let digest2 = out2.split_once('@').unwrap().1;
    if !api {
        let mut both = vec![digest.to_string(), digest2.to_string()];
        both.sort();
        assert_eq!(reg.fallback_index("team/app", &image), both);
        assert_eq!(
            reg.skopeo_tags("team/app"),
            vec![subject_tag.clone(), "v1".to_string()]
        );
    }
    let v = json(&env.ok(&["referrers", &format!("{host}/team/app:v1"), "-o", "json"]));
    let mut found: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["Digest"].as_str().unwrap().to_string(),
                r["ArtifactType"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    let mut want = vec![
        (digest.to_string(), "application/spdx+json".to_string()),
        (
            digest2.to_string(),
            "application/vnd.example.signature".to_string(),
        ),
    ];
    want.sort();
    assert_eq!(found, want);

    // artifact-get writes each file by its title, byte-exact, and nothing else.
    let got = dir.path().join("got");
    let printed = env.ok(&[
        "artifact-get",
        "-q",
        &format!("{host}/team/app@{digest}"),
        "-o",
        got.to_str().unwrap(),
    ]);
    assert_eq!(entries(&got), ["report.bin", "sbom.spdx.json"]);
    assert_eq!(std::fs::read(got.join("sbom.spdx.json")).unwrap(), sbom);
    assert_eq!(std::fs::read(got.join("report.bin")).unwrap(), big);
    assert_eq!(
        printed.lines().collect::<Vec<_>>(),
        [
            got.join("sbom.spdx.json").display().to_string(),
            got.join("report.bin").display().to_string()
        ]
    );

    // --artifact-type takes the newest referrer of that type (by its created annotation,
    // not by the order of attaching).
    let newer = files(&dir.path().join("newer"), &[("sbom.spdx.json", b"newer")]);
    let older = files(&dir.path().join("older"), &[("sbom.spdx.json", b"older")]);
    for (f, when) in [
        (&newer, "2031-01-01T00:00:00Z"),
        (&older, "2030-01-01T00:00:00Z"),
    ] {
        attach(
            &env,
            &format!("{host}/team/app:v1"),
            f,
            "application/vnd.example.sbom",
            &[
                "--annotation",
                &format!("org.opencontainers.image.created={when}"),
            ],
        );
    }
    let pick = dir.path().join("pick");
    env.ok(&[
        "artifact-get",
        "-q",
        &format!("{host}/team/app:v1"),
        "--artifact-type",
        "application/vnd.example.sbom",
        "-o",
        pick.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(pick.join("sbom.spdx.json")).unwrap(),
        b"newer"
    );
    let (code, _, err) = env.run(&[
        "artifact-get",
        &format!("{host}/team/app:v1"),
        "--artifact-type",
        "application/x-none",
        "-o",
        dir.path().join("none").to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(!dir.path().join("none").exists());
}

#[test]
fn attach_and_get_round_trip_through_the_tag_schema() {
    let reg = common::ns();
    round_trip(&reg, &reg.host.clone(), false);
}

#[test]
fn attach_and_get_round_trip_through_the_referrers_api() {
    let reg = TestRegistry::start(Auth::None);
    let api = ReferrersApi::start(reg.port);
    round_trip(&reg, &api.host(), true);
    assert!(api.api_calls() > 0);
}

#[test]
fn hostile_titles_write_nothing() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let image = seed(&reg, dir.path());
    // A real artifact first: its blob and the empty config are in the repository.
    let paths = files(&dir.path().join("in"), &[("x", b"payload")]);
    let out = attach(
        &env,
        &format!("{}/team/app:v1", reg.host),
        &paths,
        "text/plain",
        &[],
    );
    let good = json(&reg.skopeo_inspect(
        &format!("team/app@{}", out.split_once('@').unwrap().1),
        true,
    ));
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for (i, title) in ["../x", "/etc/cr-artifact-test-x", "a/b", "", ".."]
        .iter()
        .enumerate()
    {
        let mut m = good.clone();
        m["layers"][0]["annotations"][TITLE] = Value::from(*title);
        let body = serde_json::to_vec(&m).unwrap();
        let tag = format!("evil{i}");
        common::put_manifest(&reg.host, "team/app", &tag, layout::OCI_MANIFEST, &body);
        let out_dir = work.join("out");
        let (code, stdout, err) = env.run(&[
            "artifact-get",
            &format!("{}/team/app:{tag}", reg.host),
            "-o",
            out_dir.to_str().unwrap(),
        ]);
        assert_eq!(code, 1, "{title:?}: {err}");
        assert!(err.contains("refused"), "{title:?}: {err}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(!out_dir.exists(), "{title:?}: the directory was made");
        assert_eq!(entries(&work), Vec::<String>::new(), "{title:?}");
        assert!(!dir.path().join("x").exists());
        assert!(!Path::new("/etc/cr-artifact-test-x").exists());
    }
    // The subject is untouched.
    assert_eq!(reg.skopeo_digest("team/app:v1"), image);
}

#[test]
fn a_corrupted_layer_leaves_no_file() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    seed(&reg, dir.path());
    // Two files of one size: the proxy answers the second's GET with the first's bytes.
    let (a, b) = (common::noise(100_000, 1), common::noise(100_000, 2));
    let paths = files(&dir.path().join("in"), &[("a.bin", &a), ("b.bin", &b)]);
    let out = attach(
        &env,
        &format!("{}/team/app:v1", reg.host),
        &paths,
        "application/octet-stream",
        &[],
    );
    let digest = out.split_once('@').unwrap().1.to_string();
    let (da, db) = (common::cr_digest(&a), common::cr_digest(&b));
    let from: &'static str = Box::leak(format!("/blobs/{db}").into_boxed_str());
    let p = Proxy::before(
        &reg,
        vec![Fault {
            method: "GET",
            path_contains: from,
            action: Action::Rewrite(from, format!("/blobs/{da}")),
            times: 100,
        }],
        None,
    );
    let got = dir.path().join("got");
    let (code, stdout, err) = env.run(&[
        "artifact-get",
        &format!("{}/team/app@{digest}", p.host()),
        "-o",
        got.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("verification"), "{err}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(p.fired() > 0);
    // a.bin had arrived complete, b.bin did not verify: neither is there, nor any staging.
    assert_eq!(entries(&got), Vec::<String>::new());
}

#[test]
fn a_missing_subject_or_a_file_too_large_pushes_nothing() {
    let reg = TestRegistry::start(Auth::None);
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    seed(&reg, dir.path());
    let content = b"eleven byte";
    let paths = files(&dir.path().join("in"), &[("f.txt", content)]);
    let f = paths[0].to_str().unwrap();

    let (code, _, err) = env.run(&[
        "attach",
        &format!("{}/team/app:nope", reg.host),
        f,
        "--artifact-type",
        "text/plain",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("nope"), "{err}");

    let (code, _, err) = env.run(&[
        "attach",
        &format!("{}/team/app:v1", reg.host),
        f,
        "--artifact-type",
        "text/plain",
        "--max-size",
        "10",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--max-size"), "{err}");

    // Two files of one name (one title), or a directory: usage errors.
    let twin = files(&dir.path().join("twin"), &[("f.txt", b"other")]);
    for (a, b) in [
        (f, twin[0].to_str().unwrap()),
        (f, dir.path().to_str().unwrap()),
    ] {
        let (code, _, err) = env.run(&[
            "attach",
            &format!("{}/team/app:v1", reg.host),
            a,
            b,
            "--artifact-type",
            "text/plain",
        ]);
        assert_eq!(code, 2, "{err}");
    }

    // A file not there: not found; a bad artifact type: usage.
    let (code, _, err) = env.run(&[
        "attach",
        &format!("{}/team/app:v1", reg.host),
        dir.path().join("absent").to_str().unwrap(),
        "--artifact-type",
        "text/plain",
    ]);
    assert_eq!(code, 3, "{err}");
    let (code, _, err) = env.run(&[
        "attach",
        &format!("{}/team/app:v1", reg.host),
        f,
        "--artifact-type",
        "plain",
    ]);
    assert_eq!(code, 2, "{err}");

    // Nothing was pushed: no new tag, no fallback index, no blob, no empty config.
    assert_eq!(reg.skopeo_tags("team/app"), vec!["v1".to_string()]);
    assert!(!stored(&reg, &common::cr_digest(content)));
    assert!(!stored(&reg, EMPTY_DIGEST));

    // The same file within the limit goes.
    env.ok(&[
        "attach",
        "-q",
        &format!("{}/team/app:v1", reg.host),
        f,
        "--artifact-type",
        "text/plain",
        "--max-size",
        "1K",
    ]);
    assert!(stored(&reg, &common::cr_digest(content)));
}

#[test]
fn image_rm_takes_attached_artifacts_with_the_subject() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let image = seed(&reg, dir.path());
    let paths = files(&dir.path().join("in"), &[("sbom.json", b"{}")]);
    let out = attach(
        &env,
        &format!("{}/team/app:v1", reg.host),
        &paths,
        "application/spdx+json",
        &[],
    );
    let digest = out.split_once('@').unwrap().1;
    assert!(reg.skopeo_exists(&format!("team/app@{digest}")));
    assert_eq!(
        reg.skopeo_tags("team/app"),
        vec![fallback(&image), "v1".to_string()]
    );
    env.ok(&["image-rm", &format!("{}/team/app:v1", reg.host)]);
    assert!(!reg.skopeo_exists(&format!("team/app@{digest}")));
    assert!(!reg.skopeo_exists(&format!("team/app@{image}")));
    assert_eq!(reg.skopeo_tags("team/app"), Vec::<String>::new());
}
