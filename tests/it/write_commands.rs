//! image-tag, image-untag and image-rm against distribution 2.8 with token auth, checked by
//! skopeo; an account that may only pull in one namespace; deletion disabled.

use crate::common;
use crate::common::json;

use crate::common::issuer::{ADMIN, ADMIN_PASSWORD};
use crate::common::{layout, Auth, Env, Issuer, TestRegistry, User};
use serde_json::Value;

struct Fixture {
    reg: TestRegistry,
    img: layout::Built,
    index: String,
    children: Vec<layout::Built>,
    env: Env,
    _dir: tempfile::TempDir,
}

fn fixture_with(delete: bool) -> Fixture {
    let reader = User::new("reader", "reader-pass", &[("team", &["pull"])], false);
    let reg = TestRegistry::start_with(Auth::Token(Issuer::start(vec![reader], 300)), delete);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(
        &l,
        Some("v1"),
        "amd64",
        &[("a", b"write tests a"), ("b", b"write tests b")],
    );
    let (index, children) = layout::index(&l, "multi", &["amd64", "arm64"]);
    reg.skopeo_push(&l, "v1", "team/app:v1");
    reg.skopeo_push(&l, "v1", "team/app:v1-alias");
    reg.skopeo_push(&l, "multi", "team/multi:1");
    let env = Env::new();
    env.login(&reg.host, ADMIN, ADMIN_PASSWORD);
    Fixture {
        reg,
        img,
        index,
        children,
        env,
        _dir: dir,
    }
}

fn fixture() -> Fixture {
    fixture_with(true)
}

fn issuer(reg: &TestRegistry) -> &Issuer {
    match &reg.auth {
        Auth::Token(i) => i,
        _ => unreachable!(),
    }
}

#[test]
fn image_tag_same_repo_cross_repo_and_index() {
    let f = fixture();
    let h = f.reg.host.as_str();
    let out = f
        .env
        .ok(&["--registry", h, "image-tag", "team/app:v1", "team/app:v2"]);
    assert_eq!(out.trim(), format!("{h}/team/app:v2@{}", f.img.digest));
    assert_eq!(
        f.reg.skopeo_inspect("team/app:v2", true),
        f.reg.skopeo_inspect("team/app:v1", true)
    );

    // Another repository: every blob mounted, one token with pull on the source and push on
    // the destination.
    let v = json(&f.env.ok(&[
        "--registry",
        h,
        "image-tag",
        "-o",
        "json",
        "team/app:v1",
        &format!("{h}/other/copy:v1"),
    ]));
    assert_eq!(v["Digest"], f.img.digest);
    assert_eq!(v["BlobsMounted"], 3, "{v}");
    assert_eq!(v["BlobsMoved"], 0);
    assert_eq!(f.reg.skopeo_digest("other/copy:v1"), f.img.digest);
    assert!(issuer(&f.reg)
        .scopes_seen()
        .iter()
        .any(|s| s == "repository:other/copy:pull,push"));

    // By digest, and an index: children first, bytes unchanged.
    f.env.ok(&[
        "--registry",
        h,
        "image-tag",
        &format!("team/multi@{}", f.index),
        "other/multi:x",
    ]);
    assert_eq!(f.reg.skopeo_digest("other/multi:x"), f.index);
    for c in &f.children {
        assert!(f.reg.skopeo_exists(&format!("other/multi@{}", c.digest)));
    }

    // Another registry: copied.
    let open = common::ns();
    f.env.ok(&[
        "--registry",
        h,
        "image-tag",
        "team/multi:1",
        &format!("{}/mirror/multi:1", open.host),
    ]);
    assert_eq!(open.skopeo_digest("mirror/multi:1"), f.index);
}

#[test]
fn image_tag_errors() {
    let f = fixture();
    let h = f.reg.host.as_str();
    let before = issuer(&f.reg).requests();
    let (code, _, err) = f
        .env
        .run(&["--registry", h, "image-tag", "team/app:v1", "team/app"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("tag required"), "{err}");
    let (code, _, err) = f.env.run(&[
        "--registry",
        h,
        "image-tag",
        "team/app:v1",
        &format!("team/app@{}", f.img.digest),
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        issuer(&f.reg).requests(),
        before,
        "usage errors make no request"
    );

    let (code, _, err) = f
        .env
        .run(&["--registry", h, "image-tag", "team/app:nope", "team/app:v3"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("team/app:nope") && err.contains("MANIFEST_UNKNOWN"),
        "{err}"
    );

    // A pull-only account cannot tag: the account and the refused scope are named.
    let reader = Env::new();
    reader.login(h, "reader", "reader-pass");
    let (code, _, err) = reader.run(&["--registry", h, "image-tag", "team/app:v1", "team/app:v9"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("reader") && err.contains("push"), "{err}");
    assert!(!f.reg.skopeo_exists("team/app:v9"));
}

#[test]
fn image_untag_keeps_digest_and_other_tags() {
    let f = fixture();
    let h = f.reg.host.as_str();
    let before = issuer(&f.reg).requests();
    let (code, _, err) = f
        .env
        .run(&["--registry", h, "image-untag", "team/app:v1", "team/app"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("tag"), "{err}");
    assert_eq!(
        issuer(&f.reg).requests(),
        before,
        "no request before the usage error"
    );
    assert_eq!(f.reg.skopeo_tags("team/app"), ["v1", "v1-alias"]);

    let out = f
        .env
        .ok(&["--registry", h, "image-untag", "team/app:v1-alias"]);
    assert!(
        out.contains("Untagged") && out.contains(&f.img.digest),
        "{out}"
    );
    assert_eq!(f.reg.skopeo_tags("team/app"), ["v1"]);
    assert_eq!(f.reg.skopeo_digest("team/app:v1"), f.img.digest);
    assert!(f.reg.skopeo_exists(&format!("team/app@{}", f.img.digest)));

    // The last tag: the manifest itself stays, reachable by digest.
    let v = json(
        &f.env
            .ok(&["--registry", h, "image-untag", "-o", "json", "team/app:v1"]),
    );
    assert_eq!(v[0]["Untagged"], true);
    assert!(f.reg.skopeo_tags("team/app").is_empty());
    assert!(f.reg.skopeo_exists(&format!("team/app@{}", f.img.digest)));
}

#[test]
fn image_untag_partial_and_denied() {
    let f = fixture();
    let h = f.reg.host.as_str();
    let (code, out, err) = f.env.run(&[
        "--registry",
        h,
        "image-untag",
        "-o",
        "json",
        "team/app:missing",
        "team/app:v1-alias",
    ]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("team/app:missing"), "{err}");
    let v = json(&out);
    assert_eq!(v[0]["Untagged"], false);
    assert_eq!(v[1]["Untagged"], true);
    assert_eq!(f.reg.skopeo_tags("team/app"), ["v1"]);

    let reader = Env::new();
    reader.login(h, "reader", "reader-pass");
    let (code, _, err) = reader.run(&["--registry", h, "image-untag", "team/app:v1"]);
    assert_eq!(code, 4, "{err}");
    assert_eq!(f.reg.skopeo_tags("team/app"), ["v1"]);
}

#[test]
fn image_untag_when_deletion_is_disabled() {
    let f = fixture_with(false);
    let h = f.reg.host.as_str();
    let (code, _, err) = f
        .env
        .run(&["--registry", h, "image-untag", "team/app:v1-alias"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("deletion") && err.contains("unchanged"),
        "{err}"
    );
    // Never silently left on a placeholder.
    assert_eq!(f.reg.skopeo_digest("team/app:v1-alias"), f.img.digest);
    assert_eq!(f.reg.skopeo_tags("team/app"), ["v1", "v1-alias"]);
    let (code, _, err) = f.env.run(&["--registry", h, "image-rm", "team/app:v1"]);
    assert_ne!(code, 0);
    assert!(err.contains("deletion disabled"), "{err}");
}

#[test]
fn image_rm_removes_all_tags_of_the_digest_only_in_that_repo() {
    let f = fixture();
    let h = f.reg.host.as_str();
    f.env
        .ok(&["--registry", h, "image-tag", "team/app:v1", "other/keep:v1"]);
    f.env.ok(&[
        "--registry",
        h,
        "image-tag",
        "team/app:v1",
        "team/app:latest",
    ]);

    let dry = f
        .env
        .ok(&["--registry", h, "image-rm", "--dry-run", "team/app"]);
    assert!(
        dry.contains("Would delete") && dry.contains("latest, v1, v1-alias"),
        "{dry}"
    );
    assert_eq!(f.reg.skopeo_tags("team/app").len(), 3);

    let v = json(
        &f.env
            .ok(&["--registry", h, "image-rm", "-o", "json", "team/app"]),
    );
    assert_eq!(v[0]["Digest"], f.img.digest);
    assert_eq!(
        v[0]["Tags"],
        serde_json::json!(["latest", "v1", "v1-alias"])
    );
    assert!(f.reg.skopeo_tags("team/app").is_empty());
    assert!(!f.reg.skopeo_exists(&format!("team/app@{}", f.img.digest)));
    assert_eq!(
        f.reg.skopeo_digest("other/keep:v1"),
        f.img.digest,
        "copies in other repositories stay"
    );

    // By digest; a missing image is named and the others still go.
    let (code, out, err) = f.env.run(&[
        "--registry",
        h,
        "image-rm",
        "team/none:v1",
        &format!("team/multi@{}", f.index),
    ]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("team/none"), "{err}");
    assert!(
        out.contains("Deleted") && out.contains("(tags: 1)"),
        "{out}"
    );
    assert!(!f.reg.skopeo_exists("team/multi:1"));

    let reader = Env::new();
    reader.login(h, "reader", "reader-pass");
    f.env.ok(&[
        "--registry",
        h,
        "image-tag",
        "other/keep:v1",
        "team/back:v1",
    ]);
    let (code, _, err) = reader.run(&["--registry", h, "image-rm", "team/back:v1"]);
    assert_eq!(code, 4, "{err}");
    assert!(f.reg.skopeo_exists("team/back:v1"));
}

/// Every command that takes `--format` checks it before its first request: a template that
/// reads a field the command does not have, or one that does not parse, exits 2 with nothing
/// sent and nothing changed (issue #18). Tags are compared by skopeo before and after.
#[test]
fn a_bad_format_changes_nothing_on_any_command() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("a", b"format check a")]);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    reg.skopeo_push(&l, "v1", "ns/app:tmp");
    let proxy = common::proxy::Proxy::before(&reg, vec![], None);
    let h = proxy.host();
    let env = Env::new();
    let before = reg.skopeo_tags("ns/app");
    let digest = reg.skopeo_digest("ns/app:v1");
    let app = |t: &str| format!("{h}/ns/app:{t}");
    let cases: Vec<Vec<String>> = vec![
        vec!["image-list".into()],
        vec!["image-digests".into()],
        vec!["image-rm".into(), app("tmp")],
        vec!["image-untag".into(), app("tmp")],
        vec!["image-tag".into(), app("v1"), app("new")],
        vec!["namespace-list".into()],
        vec!["repo-list".into()],
        vec!["region".into()],
        vec!["referrers".into(), app("v1")],
        vec!["tag-list".into(), format!("{h}/ns/app")],
        vec!["image-inspect".into(), app("v1")],
    ];
    for bad in ["{{ .Bogus }}", "{{ .Tag ", "{{ nosuchfunc .Tag }}"] {
        for c in &cases {
            let mut args: Vec<&str> = c.iter().map(String::as_str).collect();
            args.extend(["--registry", &h, "--format", bad]);
            let (code, out, err) = env.run(&args);
            assert_eq!(code, 2, "cr {args:?}: {out}{err}");
            assert!(err.contains("--format"), "cr {args:?}: {err}");
            assert!(out.is_empty(), "cr {args:?}: {out}");
            assert!(
                proxy.requests().is_empty(),
                "cr {args:?} sent {:?}",
                proxy.requests()
            );
        }
    }
    assert_eq!(reg.skopeo_tags("ns/app"), before);
    assert_eq!(reg.skopeo_digest("ns/app:tmp"), digest);
    assert!(!reg.skopeo_exists("ns/app:new"));
}

/// docker's table form: `table` and `\t` give a header of field names and aligned columns.
#[test]
fn a_table_format_prints_a_header_and_aligned_columns() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("a", b"table a")]);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    reg.skopeo_push(&l, "v1", "ns/app:a-much-longer-tag");
    let env = Env::new();
    let out = env.ok(&[
        "tag-list",
        &format!("{}/ns/app", reg.host),
        "--format",
        r"table {{.Tag}}\t{{.Repository}}",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    let repo = format!("{}/ns/app", reg.host);
    assert_eq!(lines.len(), 3, "{out}");
    // The longest tag is 17 characters; columns are padded by 3, as docker's tabwriter does.
    assert_eq!(lines[0], format!("{:<20}{}", "TAG", "REPOSITORY"));
    assert_eq!(lines[1], format!("{:<20}{repo}", "a-much-longer-tag"));
    assert_eq!(lines[2], format!("{:<20}{repo}", "v1"));
    assert!(!out.contains('\t') && !out.contains("table"), "{out}");
}

/// A platform of a tagged multi-arch index is not deleted (the index would break): exit 1
/// naming the index's tag, and skopeo still copies the whole index; `--force` deletes it with
/// a warning. Several names of one digest are one deletion, reported once (issue #18).
#[test]
fn image_rm_keeps_what_stays_whole_and_deletes_each_digest_once() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(&l, Some("v1"), "amd64", &[("a", b"rm groups a")]);
    let other = layout::image(&l, Some("v2"), "amd64", &[("a", b"rm groups b")]);
    let (index, children) = layout::index(&l, "multi", &["amd64", "arm64"]);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    reg.skopeo_push(&l, "v1", "ns/app:v1-alias");
    reg.skopeo_push(&l, "v2", "ns/app:v2");
    reg.skopeo_push(&l, "multi", "multi/app:1.0");
    let env = Env::new();
    let h = reg.host.as_str();
    let arm = &children[1].digest;
    let (code, out, err) = env.run(&["image-rm", &format!("{h}/multi/app@{arm}")]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("tagged 1.0") && err.contains("--force"),
        "{err}"
    );
    assert!(reg.skopeo_exists(&format!("multi/app@{arm}")));
    // The same when the HEAD of the index's tag has no Content-Type (registry-quirks: "may be
    // missing or wrong"): its manifest is read to tell.
    {
        use crate::common::proxy::{Action, Fault, Proxy};
        let strip = Fault {
            method: "HEAD",
            path_contains: "/manifests/1.0",
            action: Action::StripHeaders(&["content-type"]),
            times: 100,
        };
        let proxy = Proxy::before(&reg, vec![strip], None);
        let name = format!("{}/multi/app@{arm}", proxy.host());
        let (code, out, err) = env.run(&["--no-cache", "image-rm", "--dry-run", &name]);
        assert_eq!(code, 1, "{out}{err}");
        assert!(err.contains("tagged 1.0"), "{err}");
        assert!(proxy.fired() >= 1);
    }
    let copy = dir.path().join("copy");
    let o = common::skopeo(&[
        "copy".into(),
        "--all".into(),
        "--src-tls-verify=false".into(),
        format!("docker://{h}/multi/app:1.0"),
        format!("oci:{}:1.0", copy.display()),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (code, _, err) = env.run(&["image-rm", "--force", &format!("{h}/multi/app@{arm}")]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning:") && err.contains("1.0"), "{err}");
    assert!(!reg.skopeo_exists(&format!("multi/app@{arm}")));
    assert_eq!(reg.skopeo_digest("multi/app:1.0"), index);
    // Three names, two digests: each deleted once, every tag reported, exit 0.
    let names: Vec<String> = ["v1", "v1-alias", "v2"]
        .iter()
        .map(|t| format!("{h}/ns/app:{t}"))
        .collect();
    let args = |dry: bool| {
        let mut v = vec!["image-rm".to_string(), "-o".into(), "json".into()];
        if dry {
            v.push("--dry-run".into());
        }
        v.extend(names.iter().cloned());
        v
    };
    let run = |v: Vec<String>| {
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        env.run(&refs)
    };
    let (code, out, err) = run(args(true));
    assert_eq!(code, 0, "{err}");
    let rows: Value = json(&out);
    assert_eq!(rows.as_array().unwrap().len(), 2, "{out}");
    assert_eq!(reg.skopeo_tags("ns/app").len(), 3);
    let (code, out, err) = run(args(false));
    assert_eq!(code, 0, "{out}{err}");
    let rows: Value = json(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(rows[0]["Digest"], img.digest.as_str());
    assert_eq!(rows[0]["Tags"], serde_json::json!(["v1", "v1-alias"]));
    assert_eq!(rows[1]["Digest"], other.digest.as_str());
    assert_eq!(rows[1]["Tags"], serde_json::json!(["v2"]));
    assert!(reg.skopeo_tags("ns/app").is_empty());
    assert!(!reg.skopeo_exists(&format!("ns/app@{}", img.digest)));
}

/// `cr image-list -q | xargs cr image-rm` over tags that share digests exits 0 and leaves no
/// image (issue #18): each digest is deleted once, its other names are not "not found".
#[test]
fn images_q_into_xargs_image_rm_leaves_nothing() {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("a", b"xargs a")]);
    layout::image(&l, Some("v2"), "amd64", &[("a", b"xargs b")]);
    for (src, dst) in [
        ("v1", "v1"),
        ("v1", "latest"),
        ("v1", "stable"),
        ("v2", "v2"),
    ] {
        reg.skopeo_push(&l, src, &format!("ns/app:{dst}"));
    }
    reg.skopeo_push(&l, "v2", "ns/other:v2");
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_cr"), bin.join("cr")).unwrap();
    let env = Env::new();
    let c = env.std_cmd();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = std::process::Command::new("sh")
        .envs(
            c.get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .env("PATH", path)
        .env("CR_REGISTRY", &reg.host)
        .args(["-c", "cr image-list -q | xargs cr image-rm"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(reg.skopeo_tags("ns/app").is_empty());
    assert!(reg.skopeo_tags("ns/other").is_empty());
    assert!(!err.contains("not found"), "{err}");
}
