//! `cr retention-run` against real docker-registry instances, skopeo confirming what remains:
//! `--images`, `--older-than`, `--keep-tag`, an index's platforms, `--dry-run`, the refusal
//! without a terminal, a registry with deletion disabled, and a token account that may only
//! pull in one repository (its deletions are refused and reported, the others proceed).

use crate::common;
use crate::common::json;

use crate::common::issuer::{Issuer, User};
use crate::common::{layout, Auth, Env, Peer, TestRegistry};

/// RFC 3339 time `days` ago.
fn days_ago(days: i64) -> String {
    let t = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days);
    t.to_string()
}

/// Push `repo:tag` created `days` ago (distinct content per tag); returns its digest.
fn push_aged(reg: &Peer, dir: &std::path::Path, repo: &str, tag: &str, days: i64) -> String {
    let l = dir.join(format!("{}-{tag}", repo.replace('/', "-")));
    let b = layout::image_at(
        &l,
        Some(tag),
        "amd64",
        &[("f.txt", format!("{repo}:{tag}").as_bytes())],
        &days_ago(days),
    );
    reg.skopeo_push(&l, tag, &format!("{repo}:{tag}"));
    b.digest
}

struct App<R> {
    reg: R,
    /// v1..v5, v5 newest; digests[i] is v(i+1).
    digests: Vec<String>,
    index: String,
    child: String,
    old: String,
    _dir: tempfile::TempDir,
}

/// team/app: v1 (40 days old, also `prod`) … v5 (1 day, also `latest`);
/// team/multi: an index `multi` (2 days) whose amd64 platform is also tagged `amd64`, and
/// images `mid` (5 days) and `old` (50 days).
fn seed<R: std::ops::Deref<Target = Peer>>(reg: R) -> App<R> {
    let dir = tempfile::tempdir().unwrap();
    let ages = [40, 30, 20, 10, 1];
    let digests: Vec<String> = ages
        .iter()
        .enumerate()
        .map(|(i, d)| push_aged(&reg, dir.path(), "team/app", &format!("v{}", i + 1), *d))
        .collect();
    let env = Env::new();
    let h = reg.at.clone();
    let creds = reg.creds.clone();
    if let Some(c) = &creds {
        let (u, p) = c.split_once(':').unwrap();
        env.login(&h, u, p);
    }
    env.ok(&[
        "image-tag",
        &format!("{h}/team/app:v1"),
        &format!("{h}/team/app:prod"),
    ]);
    env.ok(&[
        "image-tag",
        &format!("{h}/team/app:v5"),
        &format!("{h}/team/app:latest"),
    ]);
    let l = dir.path().join("multi");
    let (index, children) = layout::index_at(&l, "multi", &["amd64", "arm64"], &days_ago(2));
    reg.skopeo_push(&l, "multi", "team/multi:multi");
    let child = children[0].digest.clone();
    env.ok(&[
        "image-tag",
        &format!("{h}/team/multi@{child}"),
        &format!("{h}/team/multi:amd64"),
    ]);
    push_aged(&reg, dir.path(), "team/multi", "mid", 5);
    let old = push_aged(&reg, dir.path(), "team/multi", "old", 50);
    App {
        reg,
        digests,
        index,
        child,
        old,
        _dir: dir,
    }
}

fn tags(reg: &Peer, repo: &str) -> Vec<String> {
    reg.skopeo_tags(repo)
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn keeps_the_newest_and_the_protected() {
    let a = seed(TestRegistry::start(Auth::None));
    let h = a.reg.host.as_str();
    let env = Env::new();
    let all_app = strs(&["latest", "prod", "v1", "v2", "v3", "v4", "v5"]);
    let all_multi = strs(&["amd64", "mid", "multi", "old"]);

    // No terminal and no --force: refused, nothing deleted.
    let (code, out, err) = env.run(&["retention-run", "--images", "2", &format!("{h}/team")]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("--force") && err.contains("--dry-run"),
        "{err}"
    );
    assert_eq!(tags(&a.reg, "team/app"), all_app);

    // --dry-run names what would go and deletes nothing.
    let out = env.ok(&[
        "retention-run",
        "--images",
        "2",
        "--dry-run",
        &format!("{h}/team"),
    ]);
    for d in &a.digests[..3] {
        assert!(
            out.contains(&format!("would delete {h}/team/app@{d}")),
            "{out}"
        );
    }
    assert!(
        out.contains(&format!("would delete {h}/team/multi@{}", a.old)),
        "{out}"
    );
    assert!(
        !out.contains(&a.child),
        "a platform of a tagged index is never deleted alone"
    );
    assert_eq!(out.lines().count(), 4, "{out}");
    assert_eq!(tags(&a.reg, "team/app"), all_app);
    assert_eq!(tags(&a.reg, "team/multi"), all_multi);

    // --images 2 with --keep-tag: v1 (prod) stays, v2 and v3 go with their tags.
    let out = env.ok(&[
        "retention-run",
        "--images",
        "2",
        "--keep-tag",
        "^prod$",
        "--force",
        &format!("{h}/team"),
    ]);
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    let mut want = vec![
        format!("deleted {h}/team/app@{} (tags: v2)", a.digests[1]),
        format!("deleted {h}/team/app@{} (tags: v3)", a.digests[2]),
        format!("deleted {h}/team/multi@{} (tags: old)", a.old),
    ];
    want.sort();
    assert_eq!(lines, want);
    assert_eq!(
        tags(&a.reg, "team/app"),
        strs(&["latest", "prod", "v1", "v4", "v5"])
    );
    assert_eq!(tags(&a.reg, "team/multi"), strs(&["amd64", "mid", "multi"]));
    assert!(!a.reg.skopeo_exists(&format!("team/app@{}", a.digests[1])));
    assert_eq!(a.reg.skopeo_digest("team/multi:multi"), a.index);
    assert_eq!(a.reg.skopeo_digest("team/multi:amd64"), a.child);

    // --older-than 5d on one repository, -o json: v4 goes; v5 is newer; prod is protected.
    let v = json(&env.ok(&[
        "retention-run",
        "--older-than",
        "5d",
        "--keep-tag",
        "^prod$",
        "--force",
        "-o",
        "json",
        &format!("{h}/team/app"),
    ]));
    let r = &v[0];
    assert_eq!(r["Repository"], format!("{h}/team/app"));
    assert_eq!(r["DryRun"], false);
    let deleted: Vec<&str> = r["Deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Digest"].as_str().unwrap())
        .collect();
    assert_eq!(deleted, [a.digests[3].as_str()]);
    let reason = |d: &str| {
        r["Kept"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["Digest"] == d)
            .map(|k| k["Reason"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(reason(&a.digests[4]), "newer than --older-than");
    assert_eq!(reason(&a.digests[0]), "tag matches --keep-tag");
    assert_eq!(
        tags(&a.reg, "team/app"),
        strs(&["latest", "prod", "v1", "v5"])
    );

    // Bad input: no rule, a bad duration, a bad regex, a missing namespace.
    for (args, code) in [
        (vec!["retention-run", "--force", "team"], 2),
        (
            vec!["retention-run", "--older-than", "5x", "--force", "team"],
            2,
        ),
        (
            vec![
                "retention-run",
                "--images",
                "1",
                "--keep-tag",
                "(",
                "--force",
                "team",
            ],
            2,
        ),
        (
            vec!["retention-run", "--images", "1", "--force", "nothere"],
            3,
        ),
    ] {
        let mut full = vec!["--registry", h];
        full.extend(args.iter());
        let (c, out, err) = env.run(&full);
        assert_eq!(c, code, "{args:?}: {out}{err}");
    }
    assert_eq!(
        tags(&a.reg, "team/app"),
        strs(&["latest", "prod", "v1", "v5"])
    );
}

#[test]
fn deletion_disabled_is_reported() {
    let a = seed(TestRegistry::start_with(Auth::None, false));
    let h = a.reg.host.as_str();
    let env = Env::new();
    let (code, out, err) = env.run(&[
        "retention-run",
        "--images",
        "3",
        "--force",
        &format!("{h}/team/app"),
    ]);
    assert_eq!(code, 5, "{out}{err}");
    assert!(err.contains("deletion disabled"), "{err}");
    assert!(
        err.contains(&a.digests[0]) && err.contains(&a.digests[1]),
        "{err}"
    );
    assert_eq!(
        tags(&a.reg, "team/app"),
        strs(&["latest", "prod", "v1", "v2", "v3", "v4", "v5"])
    );
}

#[test]
fn refused_deletions_do_not_stop_the_others() {
    let limited = User::new(
        "ci",
        "ci-password",
        &[
            ("team/app", &["pull"]),
            ("team/multi", &["pull", "push", "delete"]),
        ],
        true,
    );
    let reg = TestRegistry::start(Auth::Token(Issuer::start(
        vec![User::admin(), limited],
        300,
    )));
    let a = seed(reg);
    let h = a.reg.host.as_str();
    let env = Env::new();
    env.login(h, "ci", "ci-password");
    let Auth::Token(issuer) = &a.reg.auth else {
        unreachable!()
    };
    let before = issuer.requests();
    let (code, out, err) = env.run(&[
        "retention-run",
        "--images",
        "1",
        "--force",
        &format!("{h}/team"),
    ]);
    assert_eq!(code, 5, "{out}{err}");
    // One token per scope set (the catalog, pull on each repository, pull+delete on each
    // repository with deletions) and one renewal where deletions were refused, never one per
    // deletion.
    let tokens = issuer.requests() - before;
    assert!(
        tokens <= 6,
        "{tokens} token requests: {:?}",
        issuer.scopes_seen()
    );
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.contains(&format!("deleted {h}/team/multi@{} (tags: old)\n", a.old)),
        "{out}"
    );
    assert!(out.contains("(tags: mid)"), "{out}");
    assert!(err.contains("team/app@"), "{err}");
    assert_eq!(
        tags(&a.reg, "team/app"),
        strs(&["latest", "prod", "v1", "v2", "v3", "v4", "v5"])
    );
    assert_eq!(tags(&a.reg, "team/multi"), strs(&["amd64", "multi"]));
    assert_eq!(a.reg.skopeo_digest("team/multi:amd64"), a.child);
}

/// `cr ARGS` on a pseudo-terminal (util-linux `script`), answering `answer` to its question.
fn on_tty(env: &Env, args: &[&str], answer: &str, meanwhile: impl FnOnce()) -> (i32, String) {
    use std::io::Write;
    let mut child = common::tty::script(env, args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    meanwhile();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn on_a_terminal_it_asks_first() {
    common::require("script");
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let d: Vec<String> = (1..=3)
        .map(|i| push_aged(&reg, dir.path(), "team/app", &format!("v{i}"), 10 - i))
        .collect();
    let env = Env::new();
    let h = reg.host.as_str();
    let args = [
        "--registry",
        h,
        "retention-run",
        "--images",
        "1",
        "team/app",
    ];
    let (code, out) = on_tty(&env, &args, "n\n", || {});
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Delete 2 images"), "{out}");
    assert!(
        out.contains(&format!("to delete {h}/team/app@{}", d[0])),
        "{out}"
    );
    assert!(out.contains("nothing was deleted"), "{out}");
    assert_eq!(tags(&reg, "team/app"), strs(&["v1", "v2", "v3"]));
    // While the question waits, `prod` is pushed onto v1, which the plan shown deletes: the
    // plan is made again after the answer, and v1 is kept for its protected tag.
    let protected = [&args[..], &["--keep-tag", "^prod$"]].concat();
    let (code, out) = on_tty(&env, &protected, "y\n", || {
        env.ok(&[
            "image-tag",
            &format!("{h}/team/app:v1"),
            &format!("{h}/team/app:prod"),
        ]);
    });
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("to delete {h}/team/app@{}", d[0])),
        "{out}"
    );
    assert!(
        !out.contains(&format!("deleted {h}/team/app@{}", d[0])),
        "{out}"
    );
    assert!(
        out.contains(&format!("deleted {h}/team/app@{} (tags: v2)", d[1])),
        "{out}"
    );
    assert_eq!(tags(&reg, "team/app"), strs(&["prod", "v1", "v3"]));
}

/// Ctrl-C at the confirmation question ends cr at once with 130, and nothing is deleted
/// (issue #18). The terminal's own line discipline turns the typed ^C into SIGINT.
#[test]
fn ctrl_c_at_the_question_exits_130_at_once() {
    use std::io::Write;
    common::require("script");
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    for i in 1..=3 {
        push_aged(&reg, dir.path(), "team/app", &format!("v{i}"), 10 - i);
    }
    let env = Env::new();
    let h = reg.host.clone();
    let args = [
        "--registry",
        &h,
        "retention-run",
        "--images",
        "1",
        "team/app",
    ];
    let mut child = common::tty::script(&env, &args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\x03").unwrap();
    stdin.flush().unwrap();
    // Bounded: without the fix cr would sit on the question until Enter.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    let status = status.unwrap_or_else(|| panic!("cr did not end on Ctrl-C: {out}"));
    assert_eq!(status.code(), Some(130), "{out}");
    assert!(out.contains("Delete 2 images"), "{out}");
    assert!(out.contains("interrupted"), "{out}");
    assert_eq!(tags(&reg, "team/app"), strs(&["v1", "v2", "v3"]));
}

/// Issue #17 finding 1: `retention-run NS/REPO` prunes that repository alone; a nested
/// repository (`team/app/sub`) only with `--recursive`; `team/application` never.
#[test]
fn a_repository_target_is_that_repository_alone() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let mut digests = std::collections::HashMap::new();
    for repo in ["team/app", "team/app/sub", "team/application"] {
        for (tag, days) in [("a", 3), ("b", 2), ("c", 1)] {
            let d = push_aged(&reg, dir.path(), repo, tag, days);
            digests.insert(format!("{repo}:{tag}"), d);
        }
    }
    let untouched = |repo: &str| {
        assert_eq!(tags(&reg, repo), strs(&["a", "b", "c"]), "{repo}");
        for tag in ["a", "b", "c"] {
            let name = format!("{repo}:{tag}");
            assert_eq!(reg.skopeo_digest(&name), digests[&name], "{name}");
        }
    };
    let env = Env::new();
    let target = format!("{}/team/app", reg.host);
    let out = env.ok(&["retention-run", "--images", "1", "--force", &target]);
    assert_eq!(tags(&reg, "team/app"), strs(&["c"]));
    assert_eq!(
        reg.skopeo_digest("team/app:c"),
        digests["team/app:c"],
        "the newest stays"
    );
    assert!(!out.contains("team/app/sub"), "{out}");
    untouched("team/app/sub");
    untouched("team/application");

    // Two repositories planned, deletions in one: the summary counts that one.
    let (code, out, err) = env.run(&[
        "retention-run",
        "--images",
        "1",
        "--dry-run",
        "--recursive",
        &target,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("2 images to delete in 1 repositories"),
        "{out}{err}"
    );
    // --recursive: the nested repository too, and still not team/application.
    let (code, out, err) = env.run(&[
        "retention-run",
        "--images",
        "1",
        "--force",
        "--recursive",
        &target,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("team/app/sub@"), "{out}");
    assert_eq!(tags(&reg, "team/app/sub"), strs(&["c"]));
    assert_eq!(
        reg.skopeo_digest("team/app/sub:c"),
        digests["team/app/sub:c"]
    );
    assert_eq!(tags(&reg, "team/app"), strs(&["c"]));
    untouched("team/application");

    // A bare namespace is every repository under it.
    env.ok(&[
        "retention-run",
        "--images",
        "1",
        "--force",
        &format!("{}/team", reg.host),
    ]);
    assert_eq!(tags(&reg, "team/application"), strs(&["c"]));
}

/// team/app: v1 (40 days, also `prod`), v2 (30 days), v3 (1 day); returns their digests.
fn three(reg: &Peer, dir: &std::path::Path) -> Vec<String> {
    let d: Vec<String> = [40, 30, 1]
        .iter()
        .enumerate()
        .map(|(i, age)| push_aged(reg, dir, "team/app", &format!("v{}", i + 1), *age))
        .collect();
    let h = &reg.at;
    Env::new().ok(&[
        "image-tag",
        &format!("{h}/team/app:v1"),
        &format!("{h}/team/app:prod"),
    ]);
    d
}

fn proxy_to(
    reg: &impl common::proxy::Upstream,
    faults: Vec<common::proxy::Fault>,
) -> common::proxy::Proxy {
    common::proxy::Proxy::before(reg, faults, None)
}

#[test]
fn a_listed_tag_that_answers_404_leaves_the_repository_alone() {
    use common::proxy::{Action, Fault};
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    three(&reg, dir.path());
    let p = proxy_to(
        &reg,
        vec![Fault {
            method: "GET",
            path_contains: "/manifests/prod",
            action: Action::Status(404, None),
            times: 100,
        }],
    );
    let (code, out, err) = Env::new().run(&[
        "retention-run",
        "--images",
        "1",
        "--keep-tag",
        "^prod$",
        "--force",
        &format!("{}/team/app", p.host()),
    ]);
    assert_eq!(code, 5, "{out}{err}");
    assert!(err.contains("team/app:prod"), "{err}");
    assert!(err.contains("nothing deleted there"), "{err}");
    assert_eq!(p.count("DELETE", "/manifests/"), 0);
    assert_eq!(tags(&reg, "team/app"), strs(&["prod", "v1", "v2", "v3"]));
}

/// A protected tag whose HEAD and GET name different digests just before the deletions (a
/// stale cache on either side: which one cannot be told) leaves its repository alone, exit 5:
/// neither answer is believed enough to delete on.
#[test]
fn a_tag_answered_two_ways_leaves_the_repository_alone() {
    use common::proxy::{Action, Fault};
    let env = Env::new();
    let run = |target: &str| {
        env.run(&[
            "retention-run",
            "--images",
            "1",
            "--keep-tag",
            "^prod$",
            "--force",
            target,
        ])
    };
    // A stale HEAD: `prod` moved to v2 straight at the registry, HEAD still names v1.
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let d = three(&reg, dir.path());
    env.ok(&[
        "image-tag",
        &format!("{}/team/app:v2", reg.host),
        &format!("{}/team/app:prod", reg.host),
    ]);
    let stale_head = Fault {
        method: "HEAD",
        path_contains: "/manifests/prod",
        action: Action::Rewrite("/manifests/prod", format!("/manifests/{}", d[0])),
        times: 100,
    };
    let p = proxy_to(&reg, vec![stale_head]);
    let (code, out, err) = run(&format!("{}/team/app", p.host()));
    assert_eq!(code, 5, "{out}{err}");
    assert!(
        err.contains("team/app:prod is answered inconsistently"),
        "{err}"
    );
    assert!(err.contains(&d[0]) && err.contains(&d[1]), "{err}");
    assert_eq!(p.count("DELETE", "/manifests/"), 0);
    assert_eq!(tags(&reg, "team/app"), strs(&["prod", "v1", "v2", "v3"]));

    // A stale GET: `prod` is v1 (HEAD says so), every GET answers v3's manifest. Believing the
    // GET would delete v1 and `prod` with it.
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let d = three(&reg, dir.path());
    let stale_get = Fault {
        method: "GET",
        path_contains: "/manifests/prod",
        action: Action::Rewrite("/manifests/prod", format!("/manifests/{}", d[2])),
        times: 100,
    };
    let p = proxy_to(&reg, vec![stale_get]);
    let (code, out, err) = run(&format!("{}/team/app", p.host()));
    assert_eq!(code, 5, "{out}{err}");
    assert_eq!(p.count("DELETE", "/manifests/"), 0);
    assert_eq!(reg.skopeo_digest("team/app:prod"), d[0]);
    assert_eq!(tags(&reg, "team/app"), strs(&["prod", "v1", "v2", "v3"]));
}

#[test]
fn a_protected_tag_moved_during_the_run_keeps_its_image() {
    use common::proxy::{Action, Fault, Gate};
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let d = three(&reg, dir.path());
    // The first HEAD of `prod` (the check just before the deletions) waits for the test.
    let gate = std::sync::Arc::new(Gate::default());
    let p = proxy_to(
        &reg,
        vec![Fault {
            method: "HEAD",
            path_contains: "/manifests/prod",
            action: Action::HoldUntil(gate.clone()),
            times: 1,
        }],
    );
    let env = Env::new();
    let mut cmd = env.std_cmd();
    cmd.args([
        "retention-run",
        "--images",
        "1",
        "--keep-tag",
        "^prod$",
        "--force",
        &format!("{}/team/app", p.host()),
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let held = gate.wait_held();
    // While it waits, `prod` moves from v1 onto v2, which the plan deletes.
    env.ok(&[
        "image-tag",
        &format!("{}/team/app:v2", reg.host),
        &format!("{}/team/app:prod", reg.host),
    ]);
    gate.open();
    let out = child.wait_with_output().unwrap();
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(held, "no HEAD of prod before the deletions: {o}{e}");
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    assert!(o.contains("kept: tag moved during the run"), "{o}");
    assert!(o.contains(&d[1]), "{o}");
    assert_eq!(reg.skopeo_digest("team/app:prod"), d[1]);
    assert!(reg.skopeo_exists(&format!("team/app@{}", d[1])));
    assert_eq!(tags(&reg, "team/app"), strs(&["prod", "v1", "v2", "v3"]));
}

/// `repo:tag` created `days` ago with a signature artifact (subject: the image, listed by
/// the fallback tag index) and a cosign `.sig` tag whose config says 0001-01-01, pushed to a
/// staging repository and brought over by `cr copy` (so the signature is untagged);
/// returns (image, signature, cosign) digests.
fn signed(
    env: &Env,
    reg: &Peer,
    dir: &std::path::Path,
    repo: &str,
    tag: &str,
    days: i64,
) -> (String, String, String) {
    let h = &reg.at;
    let l = dir.join(format!("signed-{}-{tag}", repo.replace('/', "-")));
    let img = layout::image_at(
        &l,
        Some(tag),
        "amd64",
        &[("f.txt", format!("{repo}:{tag}").as_bytes())],
        &days_ago(days),
    );
    let subject = (img.digest.as_str(), img.size, layout::OCI_MANIFEST);
    let sig = layout::artifact(
        &l,
        "sig",
        "application/vnd.example.signature",
        Some(subject),
        format!("sig of {tag}").as_bytes(),
    );
    let cosign = layout::image_at(
        &l,
        Some("cosign"),
        "amd64",
        &[("payload", format!("cosign of {}", img.digest).as_bytes())],
        "0001-01-01T00:00:00Z",
    );
    let cosign_tag = format!("{}.sig", img.digest.replacen(':', "-", 1));
    let stage = format!("stage/{}", repo.replace('/', "-"));
    for (t, dest) in [(tag, tag), ("sig", "sig"), ("cosign", cosign_tag.as_str())] {
        env.ok(&[
            "push",
            "-q",
            &format!("oci:{}:{t}", l.display()),
            &format!("{h}/{stage}:{dest}"),
        ]);
    }
    env.ok(&[
        "copy",
        "-q",
        &format!("{h}/{stage}:{tag}"),
        &format!("{h}/{repo}:{tag}"),
    ]);
    (img.digest, sig.digest, cosign.digest)
}

#[test]
fn referrers_go_only_with_their_subject() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new();
    let h = reg.host.clone();
    let fb = |d: &str| d.replacen(':', "-", 1);
    let (old, old_sig, old_cosign) = signed(&env, &reg, dir.path(), "team/app", "old", 40);
    let (new, new_sig, new_cosign) = signed(&env, &reg, dir.path(), "team/app", "new", 1);
    let mut all = strs(&["new", "old"]);
    all.extend([
        fb(&new),
        format!("{}.sig", fb(&new)),
        fb(&old),
        format!("{}.sig", fb(&old)),
    ]);
    all.sort();
    assert_eq!(tags(&reg, "team/app"), all);

    // The plan names the referrers that go with old, and their subject.
    let out = env.ok(&[
        "retention-run",
        "--images",
        "1",
        "--dry-run",
        &format!("{h}/team/app"),
    ]);
    for d in [&old_sig, &old_cosign] {
        assert!(
            out.contains(&format!(
                "would delete {h}/team/app@{d} (referrer of {old})"
            )),
            "{out}"
        );
    }
    assert_eq!(out.lines().count(), 3, "{out}");

    let out = env.ok(&[
        "retention-run",
        "--images",
        "1",
        "--force",
        &format!("{h}/team/app"),
    ]);
    assert!(
        out.contains(&format!("deleted {h}/team/app@{old} (tags: old)")),
        "{out}"
    );
    let mut want = strs(&["new"]);
    want.extend([fb(&new), format!("{}.sig", fb(&new))]);
    want.sort();
    assert_eq!(tags(&reg, "team/app"), want);
    for d in [&old, &old_sig, &old_cosign] {
        assert!(!reg.skopeo_exists(&format!("team/app@{d}")), "{d} remains");
    }
    assert_eq!(reg.fallback_index("team/app", &old), Vec::<String>::new());
    assert_eq!(reg.fallback_index("team/app", &new), vec![new_sig.clone()]);
    assert_eq!(
        reg.skopeo_digest(&format!("team/app:{}.sig", fb(&new))),
        new_cosign
    );

    // --keep-referrers: the image goes, its signature, cosign tag and fallback index stay.
    let (kold, kold_sig, kold_cosign) = signed(&env, &reg, dir.path(), "team/keep", "old", 40);
    signed(&env, &reg, dir.path(), "team/keep", "new", 1);
    env.ok(&[
        "retention-run",
        "--images",
        "1",
        "--keep-referrers",
        "--force",
        &format!("{h}/team/keep"),
    ]);
    assert!(!reg.skopeo_exists(&format!("team/keep@{kold}")));
    assert!(reg.skopeo_exists(&format!("team/keep@{kold_sig}")));
    assert_eq!(reg.fallback_index("team/keep", &kold), vec![kold_sig]);
    assert_eq!(
        reg.skopeo_digest(&format!("team/keep:{}.sig", fb(&kold))),
        kold_cosign
    );
}

#[test]
fn everything_under_a_kept_nested_index_stays() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("nested");
    let (inner, kids) = layout::index_at(&l, "inner", &["amd64", "arm64"], &days_ago(20));
    // An index whose only entry is the inner index, tagged `top`.
    let idx = std::fs::read(
        l.join("blobs/sha256")
            .join(inner.strip_prefix("sha256:").unwrap()),
    )
    .unwrap();
    let outer = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": layout::OCI_INDEX,
        "manifests": [{"mediaType": layout::OCI_INDEX, "digest": inner, "size": idx.len()}],
    }))
    .unwrap();
    let top = common::cr_digest(&outer);
    let env = Env::new();
    let h = reg.host.clone();
    // Neither skopeo nor cr pushes an index inside an index: the inner index goes up under
    // `g1` (moved below), the outer one by a plain PUT.
    reg.skopeo_push(&l, "inner", "team/nest:g1");
    common::put_manifest(&h, "team/nest", "top", layout::OCI_INDEX, &outer);
    // A grandchild of `top` carries its own tag; a newer image is the most recent.
    env.ok(&[
        "image-tag",
        &format!("{h}/team/nest@{}", kids[0].digest),
        &format!("{h}/team/nest:g1"),
    ]);
    let newer = push_aged(&reg, dir.path(), "team/nest", "newer", 1);
    let old = push_aged(&reg, dir.path(), "team/nest", "old", 50);
    let out = env.ok(&[
        "retention-run",
        "--images",
        "1",
        "--keep-tag",
        "^top$",
        "--force",
        &format!("{h}/team/nest"),
    ]);
    assert_eq!(
        out.trim(),
        format!("deleted {h}/team/nest@{old} (tags: old)"),
        "{out}"
    );
    assert_eq!(tags(&reg, "team/nest"), strs(&["g1", "newer", "top"]));
    assert_eq!(reg.skopeo_digest("team/nest:g1"), kids[0].digest);
    assert_eq!(reg.skopeo_digest("team/nest:newer"), newer);
    for d in [&top, &inner, &kids[0].digest, &kids[1].digest] {
        assert!(reg.skopeo_exists(&format!("team/nest@{d}")), "{d} is gone");
    }
}

/// Bad arguments change nothing: `--images 0`, a bad duration and a bad regular expression
/// are usage errors (exit 2) before any request (issue #18).
#[test]
fn bad_arguments_are_refused_before_any_request() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    for i in 1..=2 {
        push_aged(&reg, dir.path(), "team/app", &format!("v{i}"), 10 - i);
    }
    let proxy = common::proxy::Proxy::before(&reg, vec![], None);
    let env = Env::new();
    let target = format!("{}/team/app", proxy.host());
    for bad in [
        vec!["--images", "0"],
        vec!["--older-than", "3x"],
        vec!["--images", "1", "--keep-tag", "(prod"],
    ] {
        let mut args = vec!["retention-run", "--force"];
        args.extend(bad.iter().copied());
        args.push(&target);
        let (code, out, err) = env.run(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            proxy.requests().is_empty(),
            "{args:?}: {:?}",
            proxy.requests()
        );
    }
    assert_eq!(tags(&reg, "team/app"), strs(&["v1", "v2"]));
}

/// An interrupted retention run lists the deletions it sent, answered or not, instead of
/// saying nothing was changed (issue #19).
#[test]
fn an_interrupted_run_lists_the_deletions_it_sent() {
    use common::proxy::{Action, Fault, Proxy};
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let d: Vec<String> = (1..=3)
        .map(|i| push_aged(&reg, dir.path(), "team/app", &format!("v{i}"), 10 - i))
        .collect();
    // The first DELETE is answered at once, the second held: the run is interrupted while
    // one deletion is done and one is on its way.
    let faults = vec![Fault {
        method: "DELETE",
        path_contains: "/manifests/sha256:",
        action: Action::Hold(5000),
        times: 1,
    }];
    let proxy = Proxy::before(&reg, faults, None);
    let env = Env::new();
    let child = env
        .std_cmd()
        .args([
            "retention-run",
            "--images",
            "1",
            "--force",
            &format!("{}/team/app", proxy.host()),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while proxy.count("DELETE", "/manifests/sha256:") < 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("deletions were sent"), "{err}");
    assert!(!err.contains("nothing was left half-written"), "{err}");
    // Each DELETE the proxy saw is named.
    for (_, path) in proxy.requests().iter().filter(|(m, _)| m == "DELETE") {
        let digest = path.rsplit('/').next().unwrap();
        assert!(err.contains(digest), "{digest} not listed: {err}");
        assert!(d[..2].iter().any(|x| x == digest));
    }
}

/// A fallback index that lists a referrer deleted since (another tool, an interrupted run) does
/// not stop the repository's retention: referrer tags are resolved, never walked into.
#[test]
fn a_stale_fallback_index_does_not_stop_retention() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let d = three(&reg, dir.path());
    let l = dir.path().join("sbom");
    let sbom = layout::artifact(
        &l,
        "sbom",
        "application/spdx+json",
        Some((&d[2], 0, layout::OCI_MANIFEST)),
        b"{}",
    );
    let env = Env::new();
    env.ok(&[
        "push",
        "-q",
        &format!("oci:{}:sbom", l.display()),
        &format!("{}/team/app@{}", reg.host, sbom.digest),
    ]);
    assert_eq!(
        reg.fallback_index("team/app", &d[2]),
        std::slice::from_ref(&sbom.digest)
    );
    // Deleted behind cr's back: the index still lists it.
    let o = common::skopeo(&[
        "delete".into(),
        "--tls-verify=false".into(),
        format!("docker://{}/team/app@{}", reg.at, sbom.digest),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (code, out, err) = env.run(&[
        "retention-run",
        "--images",
        "1",
        "--keep-tag",
        "^prod$",
        "--force",
        &format!("{}/team/app", reg.host),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.trim(),
        format!("deleted {}/team/app@{} (tags: v2)", reg.host, d[1]),
        "{out}"
    );
    assert_eq!(
        tags(&reg, "team/app"),
        strs(&["prod", &fb(&d[2]), "v1", "v3"])
    );
}

fn fb(d: &str) -> String {
    d.replacen(':', "-", 1)
}
