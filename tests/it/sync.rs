//! `cr sync` between real docker-registry instances: tag filters, a repository the account may
//! not read (reported; the others proceed; exit 5), blobs moved once per destination and
//! mounted elsewhere, referrers travelling with their images, an incremental second run that
//! moves nothing (counted by a proxy), and `--dry-run` writing nothing. skopeo confirms the
//! destination.

use crate::common;
use crate::common::json;

use crate::common::issuer::{Issuer, User};
use crate::common::proxy::Proxy;
use crate::common::{layout, Auth, Env, TestRegistry};

fn writes(p: &Proxy) -> usize {
    p.requests()
        .iter()
        .filter(|(m, _)| m == "PUT" || m == "POST" || m == "PATCH" || m == "DELETE")
        .count()
}

#[test]
fn sync_mirrors_a_namespace_incrementally_with_referrers() {
    let mirror = User::new(
        "mirror",
        "mirror-pass",
        &[
            ("team/a", &["pull"]),
            ("team/b", &["pull"]),
            ("team/c", &["pull"]),
        ],
        true,
    );
    let src = TestRegistry::start(Auth::Token(Issuer::start(vec![User::admin(), mirror], 300)));
    let dst = common::ns();
    let proxy = Proxy::before(&dst, vec![], None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let base: &[u8] = b"a base layer every image shares";
    let mut digests = std::collections::HashMap::new();
    for repo in ["a", "b", "c", "secret"] {
        for tag in ["v1", "v2", "v2-rc", "latest"] {
            let content = format!("{repo}:{tag}");
            let b = layout::image(
                &l,
                Some(tag),
                "amd64",
                &[("base.txt", base), ("app.txt", content.as_bytes())],
            );
            src.skopeo_push(&l, tag, &format!("team/{repo}:{tag}"));
            digests.insert(format!("{repo}:{tag}"), b.digest);
        }
    }
    let (base_gz, _) = layout::layer("base.txt", base);
    let base_digest = common::cr_digest(&base_gz);
    // A signature of team/a:v1, pushed by cr as the admin (it keeps the fallback index).
    let admin = Env::new();
    admin.login(
        &src.host,
        common::issuer::ADMIN,
        common::issuer::ADMIN_PASSWORD,
    );
    let a1 = &digests["a:v1"];
    let sig = layout::artifact(
        &l,
        "sig",
        "application/vnd.example.signature",
        Some((a1, 0, layout::OCI_MANIFEST)),
        b"signature of a:v1",
    );
    admin.ok(&[
        "push",
        "-q",
        &format!("oci:{}:sig", l.display()),
        &format!("{}/team/a:sig", src.host),
    ]);

    let env = Env::new();
    env.login(&src.host, "mirror", "mirror-pass");
    let d = proxy.host();
    let args = |extra: &[&str]| {
        let mut v: Vec<String> = vec![
            "sync".into(),
            "--tags".into(),
            "^v".into(),
            "--exclude".into(),
            "-rc$".into(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v.push(format!("{}/team", src.host));
        v.push(format!("{d}/mirror"));
        v
    };
    let run = |a: Vec<String>| {
        let out = env.cmd().args(&a).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // --dry-run writes nothing.
    let (code, out, err) = run(args(&["--dry-run"]));
    assert_eq!(code, 5, "{out}{err}");
    assert_eq!(out.matches("would copy").count(), 6, "{out}");
    assert_eq!(writes(&proxy), 0);

    // The sync: team/secret cannot be read (reported, exit 5); a, b and c are mirrored.
    let (code, out, err) = run(args(&["-o", "json"]));
    assert_eq!(code, 5, "{out}{err}");
    assert!(err.contains("team/secret"), "{err}");
    let v = json(&out);
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 6, "{v}");
    assert!(rows.iter().all(|r| r["Status"] == "copied"), "{v}");
    for repo in ["a", "b", "c"] {
        for tag in ["v1", "v2"] {
            assert_eq!(
                dst.skopeo_digest(&format!("mirror/{repo}:{tag}")),
                digests[&format!("{repo}:{tag}")]
            );
        }
    }
    assert_eq!(dst.skopeo_tags("mirror/b"), ["v1", "v2"]);
    assert!(dst.skopeo_tags("mirror/secret").is_empty());
    // The signature came with a:v1, and the fallback index lists it.
    let a_row = rows
        .iter()
        .find(|r| r["Source"] == format!("{}/team/a:v1", src.host))
        .unwrap();
    assert_eq!(a_row["Referrers"], serde_json::json!([sig.digest]));
    let idx = json(&dst.skopeo_inspect(&format!("mirror/a:{}", a1.replacen(':', "-", 1)), true));
    assert_eq!(idx["manifests"][0]["digest"], sig.digest);
    // The shared base layer was uploaded once; the other repositories mounted it.
    let uploads = proxy
        .requests()
        .iter()
        .filter(|(m, p)| m == "PUT" && p.contains(&base_digest.replace(':', "%3A")))
        .count();
    assert_eq!(uploads, 1, "{:?}", proxy.requests());
    let mounted: u64 = rows
        .iter()
        .map(|r| r["BlobsMounted"].as_u64().unwrap())
        .sum();
    assert!(mounted >= 2, "{v}");

    // Again: everything is up to date and nothing is written.
    proxy.reset();
    let (code, out, err) = run(args(&[]));
    assert_eq!(code, 5, "{out}{err}");
    assert_eq!(out.matches("up to date").count(), 6, "{out}");
    assert_eq!(writes(&proxy), 0, "{:?}", proxy.requests());
    assert_eq!(proxy.count("GET", "/blobs/"), 0);
}

#[test]
fn sync_one_platform_of_an_index_is_incremental_too() {
    let src = common::ns();
    let dst = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let (index, children) = layout::index(&l, "multi", &["amd64", "arm64"]);
    src.skopeo_push(&l, "multi", "team/multi:1.0");
    let env = Env::new();
    let args = [
        "sync",
        "--platform",
        "linux/arm64",
        &format!("{}/team/multi", src.host),
        &format!("{}/mirror/multi", dst.host),
    ];
    let out = env.ok(&args);
    assert_eq!(
        out.trim(),
        format!(
            "copied {}/mirror/multi:1.0@{}",
            dst.host, children[1].digest
        )
    );
    assert_eq!(dst.skopeo_digest("mirror/multi:1.0"), children[1].digest);
    assert_ne!(children[1].digest, index);
    let out = env.ok(&args);
    assert!(out.starts_with("up to date"), "{out}");
    // Without --platform the index itself, byte-exact, replaces it.
    env.ok(&args[3..].iter().copied().fold(vec!["sync"], |mut v, a| {
        v.push(a);
        v
    }));
    assert_eq!(dst.skopeo_digest("mirror/multi:1.0"), index);
}

/// Issue #17 finding 2: a destination that names a bare registry keeps the full source path,
/// so nothing outside `team/app…` at the destination changes; `prod/critical:1.0` there (the
/// name `team/app/prod/critical` would have taken below the root) keeps its digest.
#[test]
fn sync_into_a_bare_registry_writes_only_under_the_source_path() {
    let src = TestRegistry::start(Auth::None);
    let dst = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let push = |reg: &TestRegistry, repo: &str, content: &str| {
        let l = dir.path().join(repo.replace('/', "-"));
        let b = layout::image(&l, Some("1.0"), "amd64", &[("f.txt", content.as_bytes())]);
        reg.skopeo_push(&l, "1.0", &format!("{repo}:1.0"));
        b.digest
    };
    let mut from = std::collections::HashMap::new();
    for repo in [
        "team/app",
        "team/app/sub",
        "team/app/prod/critical",
        "other/x",
    ] {
        from.insert(repo, push(&src, repo, &format!("source {repo}")));
    }
    let critical = push(&dst, "prod/critical", "the destination's own prod/critical");
    let sub = push(&dst, "sub", "the destination's own sub");

    let env = Env::new();
    let out = env.ok(&["sync", "-q", &format!("{}/team/app", src.host), &dst.host]);
    // Where the table in docs/commands/sync.md says: the full source path.
    for repo in ["team/app", "team/app/sub", "team/app/prod/critical"] {
        assert_eq!(
            dst.skopeo_digest(&format!("{repo}:1.0")),
            from[repo],
            "{repo}: {out}"
        );
    }
    // Nothing outside team/app… changed, and other/x was not synced.
    assert_eq!(dst.skopeo_digest("prod/critical:1.0"), critical);
    assert_eq!(dst.skopeo_digest("sub:1.0"), sub);
    assert!(dst.skopeo_tags("other/x").is_empty());
    let mut repos: Vec<String> = env
        .ok(&["repo-list", "-q", "--registry", &dst.host])
        .lines()
        .map(|l| l.trim_start_matches(&format!("{}/", dst.host)).to_string())
        .collect();
    repos.sort();
    assert_eq!(
        repos,
        [
            "prod/critical",
            "sub",
            "team/app",
            "team/app/prod/critical",
            "team/app/sub"
        ]
    );
}
fn run_in(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = env.cmd();
    c.args(args);
    for (k, v) in vars {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn sync_keeps_a_destination_signature_and_merges_fallback_indexes() {
    let src = common::ns();
    let dst = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(&l, Some("v1"), "amd64", &[("app", b"the app")]);
    let subject = Some((img.digest.as_str(), img.size, layout::OCI_MANIFEST));
    let cosign = "application/vnd.dev.cosign.simplesigning.v1+json";
    let s1 = layout::artifact(&l, "s1", cosign, None, b"source signature 1");
    let s2 = layout::artifact(&l, "s2", cosign, None, b"source signature 2");
    let d1 = layout::artifact(&l, "d1", cosign, None, b"destination signature");
    let att = "application/vnd.in-toto+json";
    let r1 = layout::artifact(&l, "r1", att, subject, b"source attestation 1");
    let r2 = layout::artifact(&l, "r2", att, subject, b"destination attestation");
    let r3 = layout::artifact(&l, "r3", att, subject, b"source attestation 2");
    let sig_tag = format!("{}.sig", img.digest.replacen(':', "-", 1));
    let push = |tag: &str, to: String| {
        env.ok(&["push", "-q", &format!("oci:{}:{tag}", l.display()), &to]);
    };
    src.skopeo_push(&l, "v1", "team/app:v1");
    push("s1", format!("{}/team/app:{sig_tag}", src.host));
    push("r1", format!("{}/team/app:r1", src.host));
    let sync = |extra: &[&str]| {
        let mut a = vec!["sync", "--tags", "^v", "-o", "json"];
        a.extend_from_slice(extra);
        let (s, d) = (format!("{}/team", src.host), format!("{}/mirror", dst.host));
        a.push(&s);
        a.push(&d);
        run_in(&env, &a, &[])
    };
    let (code, out, err) = sync(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        dst.skopeo_digest(&format!("mirror/app:{sig_tag}")),
        s1.digest
    );

    // The destination signs the image its own way; the source signs it anew.
    dst.skopeo_push(&l, "d1", &format!("mirror/app:{sig_tag}"));
    push("r2", format!("{}/mirror/app:r2", dst.host));
    push("s2", format!("{}/team/app:{sig_tag}", src.host));
    push("r3", format!("{}/team/app:r3", src.host));

    // The destination's cosign tag is kept and reported (exit 5); the fallback indexes merge.
    let (code, out, err) = sync(&[]);
    assert_eq!(code, 5, "{out}{err}");
    let kept_tag = format!("{}/mirror/app:{sig_tag}", dst.host);
    assert!(
        err.lines()
            .any(|l| l.starts_with("error: kept") && l.contains(&kept_tag)),
        "{err}"
    );
    let v = json(&out);
    assert_eq!(v[0]["Status"], "up-to-date", "{v}");
    assert_eq!(v[0]["ReferrersKept"][0]["Tag"], kept_tag, "{v}");
    assert_eq!(v[0]["ReferrersKept"][0]["Destination"], d1.digest, "{v}");
    assert_eq!(v[0]["ReferrersKept"][0]["Source"], s2.digest, "{v}");
    assert_eq!(v[0]["Referrers"], serde_json::json!([r3.digest]), "{v}");
    assert_eq!(
        dst.skopeo_digest(&format!("mirror/app:{sig_tag}")),
        d1.digest
    );
    let mut all = vec![r1.digest.clone(), r2.digest.clone(), r3.digest.clone()];
    all.sort();
    assert_eq!(dst.fallback_index("mirror/app", &img.digest), all);

    // --force takes the source's.
    let (code, out, err) = sync(&["--force"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        dst.skopeo_digest(&format!("mirror/app:{sig_tag}")),
        s2.digest
    );
    assert_eq!(dst.fallback_index("mirror/app", &img.digest), all);
}

#[test]
fn sync_gives_up_on_a_failing_shared_blob_once_for_every_image() {
    let src = TestRegistry::start(Auth::None);
    let dst = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let shared: &[u8] = b"a base layer twenty images share";
    let (shared_gz, _) = layout::layer("base.txt", shared);
    let shared_digest = common::cr_digest(&shared_gz);
    for i in 0..20 {
        let own = format!("image {i}");
        layout::image(
            &l,
            Some("s"),
            "amd64",
            &[("base.txt", shared), ("own.txt", own.as_bytes())],
        );
        src.skopeo_push(&l, "s", &format!("team/shared:t{i}"));
    }
    let mut others = Vec::new();
    for i in 0..3 {
        let own = format!("another image {i}");
        let b = layout::image(&l, Some("o"), "amd64", &[("own.txt", own.as_bytes())]);
        src.skopeo_push(&l, "o", &format!("team/other:v{i}"));
        others.push(b.digest);
    }
    let path: &'static str = Box::leak(format!("/blobs/{shared_digest}").into_boxed_str());
    let proxy = Proxy::before(
        &src,
        vec![common::proxy::Fault {
            method: "GET",
            path_contains: path,
            action: common::proxy::Action::Status(500, None),
            times: 100_000,
        }],
        None,
    );
    let env = Env::new();
    let (code, out, err) = run_in(
        &env,
        &[
            "sync",
            &format!("{}/team", proxy.host()),
            &format!("{}/mirror", dst.host),
        ],
        &[("CR_MAX_RETRIES", "3"), ("CR_RETRY_BASE_MS", "1")],
    );
    assert_eq!(code, 5, "{out}{err}");
    // One retry budget for the blob (an attempt and 3 retries), not one per image.
    let gets = proxy.count("GET", path);
    assert!((1..=4).contains(&gets), "{gets} GETs of the blob\n{err}");
    // One line names the blob (besides the retries of its one budget); it counts the images.
    let naming: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(&shared_digest) && !l.starts_with("retrying"))
        .collect();
    assert_eq!(naming.len(), 1, "{err}");
    assert!(naming[0].starts_with("error: 20 images failed"), "{err}");
    assert_eq!(err.matches("  failed ").count(), 20, "{err}");
    assert!(
        err.contains("3 copied, 0 up to date, 0 would copy, 20 failed"),
        "{err}"
    );
    // The images that do not need it were copied.
    for (i, d) in others.iter().enumerate() {
        assert_eq!(dst.skopeo_digest(&format!("mirror/other:v{i}")), *d);
    }
    assert!(dst.skopeo_tags("mirror/shared").is_empty());
}

#[test]
fn a_manifest_put_answered_manifest_blob_unknown_is_healed_and_retried_once() {
    let src = common::ns();
    let dst = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(&l, Some("v1"), "amd64", &[("app", b"the app")]);
    src.skopeo_push(&l, "v1", "team/app:v1");
    // The first manifest PUT is answered as docker-registry does when a blob's link file in
    // the repository was torn by a concurrent writer (nothing is deleted here).
    let proxy = Proxy::before(
        &dst,
        vec![common::proxy::Fault {
            method: "PUT",
            path_contains: "/manifests/",
            action: common::proxy::Action::ApiError(400, "MANIFEST_BLOB_UNKNOWN"),
            times: 1,
        }],
        None,
    );
    let env = Env::new();
    let (code, out, err) = run_in(
        &env,
        &[
            "sync",
            &format!("{}/team/app", src.host),
            &format!("{}/mirror/app", proxy.host()),
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(proxy.fired(), 1);
    assert_eq!(dst.skopeo_digest("mirror/app:v1"), img.digest);
    let seen = proxy.requests();
    let first_put = seen
        .iter()
        .position(|(m, p)| m == "PUT" && p.contains("/manifests/"))
        .unwrap();
    let after = &seen[first_put + 1..];
    // Its blobs were checked, then the manifest put again, once.
    let heads: Vec<_> = after
        .iter()
        .filter(|(m, p)| m == "HEAD" && p.contains("/blobs/"))
        .collect();
    assert_eq!(heads.len(), 1 + img.layers.len(), "{seen:?}");
    assert!(
        heads.iter().any(|(_, p)| p.ends_with(&img.config)),
        "{seen:?}"
    );
    assert_eq!(
        after
            .iter()
            .filter(|(m, p)| m == "PUT" && p.contains("/manifests/v1"))
            .count(),
        1,
        "{seen:?}"
    );
}

#[test]
fn two_syncs_into_one_destination_at_once_both_succeed() {
    let src = common::ns();
    let dst = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let base = common::noise(256 << 10, 7);
    let mut digests = Vec::new();
    for i in 0..10 {
        let own = format!("image {i}");
        let b = layout::image(
            &l,
            Some("t"),
            "amd64",
            &[("base.bin", &base), ("own.txt", own.as_bytes())],
        );
        src.skopeo_push(&l, "t", &format!("team/r{i}:t"));
        digests.push(b.digest);
    }
    let env = Env::new();
    // The race (a blob mounted into one repository by both at once) does not come every
    // time: five rounds, each into a fresh destination path.
    for round in 0..5 {
        let (s, d) = (
            format!("{}/team", src.host),
            format!("{}/mirror{round}", dst.host),
        );
        let spawn = || {
            let mut c = env.std_cmd();
            c.args(["sync", "-q", "--images", "8", &s, &d]);
            c.stdout(std::process::Stdio::piped());
            c.stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        for (i, digest) in digests.iter().enumerate() {
            assert_eq!(dst.skopeo_digest(&format!("mirror{round}/r{i}:t")), *digest);
        }
    }
}

/// A source namespace or repository that does not exist is "not found" (exit 3), not
/// "0 copied" with exit 0; nothing is written at the destination (issue #18).
#[test]
fn a_missing_source_is_not_found() {
    let src = TestRegistry::start(Auth::None);
    let dst = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("a", b"present")]);
    src.skopeo_push(&l, "v1", "team/app:v1");
    let env = Env::new();
    for missing in ["nope/missing", "nope"] {
        let (code, out, err) = env.run(&[
            "sync",
            &format!("{}/{missing}", src.host),
            &format!("{}/mirror", dst.host),
        ]);
        assert_eq!(code, 3, "{missing}: {out}{err}");
        assert!(err.contains(missing), "{err}");
        assert!(!out.contains("0 copied"), "{out}");
    }
    let catalog = env.ok(&["repo-list", "-q", "--registry", &dst.host]);
    assert!(catalog.trim().is_empty(), "{catalog}");
}

/// A destination inside the source on the same registry (each run would copy its own copies
/// again, one level deeper, over what is there) is refused before any request, exit 2.
#[test]
fn a_destination_inside_the_source_is_refused() {
    use crate::common::proxy::Proxy;
    let reg = common::ns();
    let proxy = Proxy::before(&reg, Vec::new(), None);
    let env = Env::new();
    let h = proxy.host();
    for (src, dst) in [
        (format!("{h}/ov"), format!("{h}/ov/app")),
        (h.clone(), format!("{h}/mirror")),
    ] {
        let (code, out, err) = env.run(&["sync", &src, &dst]);
        assert_eq!(code, 2, "{src} {dst}: {out}{err}");
        assert!(err.contains("lies inside the source"), "{err}");
    }
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
}

/// On a terminal the sync bar counts bytes as they stream: a 3 MB layer through a 1 MB/s
/// link shows amounts between nothing and the whole before it is done (issue #18).
#[test]
fn the_sync_bar_moves_with_the_bytes() {
    common::require("script");
    let src = TestRegistry::start(Auth::None);
    let dst = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(
        &l,
        Some("v1"),
        "amd64",
        &[("big", &common::noise(3 << 20, 7))],
    );
    src.skopeo_push(&l, "v1", "team/app:v1");
    let slow = Proxy::before(&src, vec![], Some(1 << 20));
    let env = Env::new();
    let (from, to) = (
        format!("{}/team/app", slow.host()),
        format!("{}/mirror/app", dst.host),
    );
    let args = ["sync", from.as_str(), to.as_str()];
    let out = common::tty::script(&env, &args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    // Amounts drawn on the bar while the layer streamed ("1.05 MB moved"), short of 3 MB.
    let partial = screen
        .split(" moved")
        .filter_map(|s| s.rsplit(' ').nth(1).zip(s.rsplit(' ').next()))
        .filter(|(n, unit)| *unit == "MB" && n.parse::<f64>().is_ok_and(|v| v > 0.0 && v < 3.0))
        .count();
    assert!(partial >= 1, "no partial amount drawn: {screen:?}");
    assert_eq!(
        dst.skopeo_digest("mirror/app:v1"),
        src.skopeo_digest("team/app:v1")
    );
}
