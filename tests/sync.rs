//! `cr sync` between real docker-registry instances: tag filters, a repository the account may
//! not read (reported; the others proceed; exit 5), blobs moved once per destination and
//! mounted elsewhere, referrers travelling with their images, an incremental second run that
//! moves nothing (counted by a proxy), and `--dry-run` writing nothing. skopeo confirms the
//! destination.

mod common;

use common::issuer::{Issuer, User};
use common::proxy::Proxy;
use common::{layout, Auth, Env, TestRegistry};
use serde_json::Value;

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

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
    let dst = TestRegistry::start(Auth::None);
    let proxy = Proxy::start(dst.port, dst.storage(), vec![], None);
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
    let src = TestRegistry::start(Auth::None);
    let dst = TestRegistry::start(Auth::None);
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
