//! Registries as they are (issue #21): the commands that talk to a registry, run against each
//! hosted-registry personality of tests/it/common/personality.rs (one proxy, one shared
//! docker-registry, a namespace per personality). Results are checked with skopeo against the
//! shared registry (digests byte-exact, the tags that remain) and with the proxy's request log
//! (no Authorization at the storage endpoint, token endpoint use, what each registry was asked).
//!
//! Cells that need the upload/delete/rate-limit fixes of the client side of #21 are in tests
//! named `*`.

use std::sync::{Arc, Mutex, Weak};

use crate::common::json;
use crate::common::layout;
use crate::common::personality::{Personalities, P};
use crate::common::Env;

/// One proxy and registry for every test of this module that runs at the same time; stopped
/// when the last of them ends.
static SHARED: Mutex<Weak<Personalities>> = Mutex::new(Weak::new());

fn shared() -> Arc<Personalities> {
    let mut g = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = g.upgrade() {
        return p;
    }
    let p = Arc::new(Personalities::start());
    *g = Arc::downgrade(&p);
    p
}

fn fallback(d: &str) -> String {
    d.replacen(':', "-", 1)
}

/// A logged-in environment for `p`.
fn env_for(px: &Personalities, p: P) -> Env {
    let env = Env::new();
    let (u, pw) = p.login();
    env.login(&px.host(p), u, pw);
    env
}

/// Run cr with extra environment variables; (exit code, stdout, stderr).
fn run_with(env: &Env, vars: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut c = env.cmd();
    for (k, v) in vars {
        c.env(k, v);
    }
    let out = c.args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok_with(env: &Env, vars: &[(&str, &str)], args: &[&str]) -> String {
    let (code, out, err) = run_with(env, vars, args);
    assert_eq!(code, 0, "cr {args:?} failed ({code}):\n{out}\n{err}");
    out
}

/// A registry received only its own credentials (its users' Basic, its own tokens).
fn assert_own_credentials(px: &Personalities, p: P) {
    let foreign: Vec<_> = px
        .seen(p.name())
        .into_iter()
        .filter(|s| s.cred_of.is_some_and(|o| o != p.name()))
        .collect();
    assert!(
        foreign.is_empty(),
        "{p:?} received others' credentials: {foreign:?}"
    );
}

/// The storage endpoint never receives Authorization, from any personality.
fn assert_storage_clean(px: &Personalities) {
    let bad: Vec<_> = px
        .seen("storage")
        .into_iter()
        .filter(|s| s.auth.is_some())
        .collect();
    assert!(bad.is_empty(), "Authorization reached storage: {bad:?}");
}

/// Registries that have no catalog to give (quirks §1 line 147, §2 line 241, §9 line 721).
fn no_catalog(p: P) -> bool {
    matches!(p, P::DockerHub | P::Ghcr | P::Gitlab)
}

/// Registries whose blob GETs are redirected to storage.
fn redirects_blobs(p: P) -> bool {
    !matches!(p, P::Zot | P::Artifactory | P::Harbor | P::Ibm)
}

/// Login, push (an image and a signature), tag-list (paginated), image-tag, image-list,
/// repo-list, namespace-list, image-inspect, manifest-inspect, pull, copy, referrers, sync and
/// a retention dry run, against one personality.
fn core(p: P) {
    let px = shared();
    let h = px.host(p);
    let ns = p.name();
    let env = env_for(&px, p);
    let reg = &px.registry;

    // Push an image and a signature of it.
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(
        &l,
        Some("v1"),
        "amd64",
        &[("app", format!("the {ns} app").as_bytes())],
    );
    let sig = layout::artifact(
        &l,
        "sig",
        "application/vnd.example.signature",
        Some((&img.digest, img.size, layout::OCI_MANIFEST)),
        format!("signature for {ns}").as_bytes(),
    );
    let app = format!("{h}/{ns}/app");
    for tag in ["v1", "sig"] {
        env.ok(&[
            "push",
            "-q",
            &format!("oci:{}:{tag}", l.display()),
            &format!("{app}:{tag}"),
        ]);
    }
    assert_eq!(reg.skopeo_digest(&format!("{ns}/app:v1")), img.digest);
    assert_eq!(reg.skopeo_digest(&format!("{ns}/app:sig")), sig.digest);
    // The referrer is findable: through the API where the registry has one, else through the
    // fallback tag (written on Docker Hub despite its OCI-Subject header, quirks §1 line 167).
    let fallback_tag = format!("{ns}/app:{}", fallback(&img.digest));
    assert_eq!(
        reg.skopeo_exists(&fallback_tag),
        !p.has_referrers_api(),
        "{p:?}: fallback tag"
    );

    if p == P::Ghcr {
        // The uploads went to the singular path GHCR handed out (quirks §2 line 270).
        assert!(px
            .seen(ns)
            .iter()
            .any(|s| s.method == "PUT" && s.path.contains("/blobs/upload/")));
    }

    // image-tag twice, so that tag lists have pages.
    for t in ["v2", "v3"] {
        env.ok(&[
            "image-tag",
            "-q",
            &format!("{app}:v1"),
            &format!("{app}:{t}"),
        ]);
        assert_eq!(reg.skopeo_digest(&format!("{ns}/app:{t}")), img.digest);
    }

    // tag-list, two entries a page: every pagination variant ends with every tag.
    let out = ok_with(&env, &[("CR_PAGE_SIZE", "2")], &["tag-list", &app]);
    let tags: Vec<&str> = out.lines().collect();
    for t in ["v1", "v2", "v3", "sig"] {
        assert!(tags.contains(&t), "{p:?}: {t} missing from {tags:?}");
    }
    assert!(
        !tags.iter().any(|t| t.starts_with("sha256:")),
        "{p:?}: a digest listed as a tag: {tags:?}"
    );
    let tag_pages = px
        .seen(ns)
        .iter()
        .filter(|s| s.method == "GET" && s.path.contains("/app/tags/list"))
        .count();
    assert!(tag_pages >= 2 || p == P::Gitlab, "{p:?}: {tag_pages} pages");

    // image-list of the repository: no catalog needed (GHCR and Docker Hub have none), and the
    // tag list read to find the repository is the one listed (not read twice).
    let tag_lists = || {
        px.seen(ns)
            .iter()
            .filter(|s| s.status == 200 && s.path.starts_with(&format!("/v2/{ns}/app/tags/list")))
            .count()
    };
    let before = tag_lists();
    let v = json(&env.ok(&[
        "--registry",
        &h,
        "image-list",
        "--restrict",
        &format!("{ns}/app"),
        "-o",
        "json",
    ]));
    let mut listed: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["Digest"] == img.digest.as_str())
        .map(|r| r["Tag"].as_str().unwrap().to_string())
        .collect();
    listed.sort();
    assert_eq!(listed, ["v1", "v2", "v3"], "{p:?}: {v}");
    let listing = tag_lists() - before;
    let before = tag_lists();
    env.ok(&["tag-list", &app]);
    assert_eq!(
        listing,
        tag_lists() - before,
        "{p:?}: the tag list was read twice"
    );
    if no_catalog(p) {
        // The repository was listed without asking for the catalog.
        assert!(
            !px.seen(ns)
                .iter()
                .any(|s| s.path.starts_with("/v2/_catalog")),
            "{p:?}: the catalog was read"
        );
    }

    // copy (with the referrer) into a second repository.
    let copy = format!("{h}/{ns}/copy");
    env.ok(&["copy", "-q", &format!("{app}:v1"), &format!("{copy}:v1")]);
    assert_eq!(reg.skopeo_digest(&format!("{ns}/copy:v1")), img.digest);
    for name in [&app, &copy] {
        let v = json(&env.ok(&["referrers", &format!("{name}:v1"), "-o", "json"]));
        let found: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["Digest"].as_str().unwrap_or(""))
            .collect();
        assert!(found.contains(&sig.digest.as_str()), "{p:?} {name}: {v}");
    }

    // Catalog listings: the repositories, or one line saying there is no catalog.
    let (code, out, err) = run_with(
        &env,
        &[("CR_PAGE_SIZE", if p == P::Ecr { "5000" } else { "1" })],
        &["--registry", &h, "repo-list", "-q"],
    );
    if no_catalog(p) {
        assert_eq!(code, 1, "{p:?}: {out}{err}");
        let first = err.lines().next().unwrap_or("");
        assert!(
            first.contains("has no catalog")
                && first.contains("--restrict")
                && first.contains("tag-list"),
            "{p:?}: {err}"
        );
        for cmd in ["image-list", "namespace-list"] {
            let (code, _, err) = env.run(&["--registry", &h, cmd]);
            assert_eq!(code, 1, "{p:?} {cmd}: {err}");
            assert!(err.contains("has no catalog"), "{p:?} {cmd}: {err}");
        }
    } else {
        assert_eq!(code, 0, "{p:?}: {err}");
        let repos: Vec<&str> = out.lines().collect();
        assert!(
            repos.contains(&app.as_str()) && repos.contains(&copy.as_str()),
            "{p:?}: {repos:?}"
        );
        let out = env.ok(&["--registry", &h, "namespace-list", "-q"]);
        assert_eq!(out.trim(), ns, "{p:?}");
        let out = env.ok(&["--registry", &h, "image-list", "-q"]);
        assert!(out.contains(&format!("{app}:v1")), "{p:?}: {out}");
    }

    // image-inspect and manifest-inspect: the exact bytes the registry holds.
    let raw = env.ok(&["manifest-inspect", &format!("{app}:v1")]);
    assert_eq!(
        crate::common::cr_digest(raw.trim_end_matches('\n').as_bytes()),
        img.digest,
        "{p:?}"
    );
    let v = json(&env.ok(&["image-inspect", &format!("{app}:v1")]));
    assert!(v.to_string().contains(&img.digest), "{p:?}: {v}");

    // pull: blobs come from storage without Authorization where the registry redirects.
    let before = px.seen("storage").len();
    let out_dir = dir.path().join("pulled");
    env.ok(&[
        "pull",
        "-q",
        &format!("{app}:v1"),
        &format!("oci:{}:v1", out_dir.display()),
    ]);
    let index = std::fs::read_to_string(out_dir.join("index.json")).unwrap();
    assert!(index.contains(&img.digest), "{p:?}: {index}");
    assert_storage_clean(&px);
    if redirects_blobs(p) {
        assert!(
            px.seen("storage").len() > before,
            "{p:?}: no blob from storage"
        );
    }

    // sync the repository into a mirror.
    let mirror = format!("{h}/{ns}/mirror");
    env.ok(&["sync", "-q", &app, &mirror]);
    let mirrored = reg.skopeo_tags(&format!("{ns}/mirror"));
    for t in ["v1", "v2", "v3"] {
        assert!(mirrored.iter().any(|x| x == t), "{p:?}: {mirrored:?}");
        assert_eq!(reg.skopeo_digest(&format!("{ns}/mirror:{t}")), img.digest);
    }

    // retention-run, dry run: keeps everything (one digest).
    let (code, _, err) = env.run(&["retention-run", "--images", "1", "--dry-run", &app]);
    assert_eq!(code, 0, "{p:?}: {err}");
    assert_eq!(reg.skopeo_digest(&format!("{ns}/app:v3")), img.digest);

    // Authentication: tokens by GET, from the personality's own realm; Basic-only
    // registries never see a token request.
    let seen = px.seen(ns);
    let token_gets = seen
        .iter()
        .filter(|s| {
            s.method == "GET"
                && (s.path.contains("token")
                    || s.path.starts_with("/v2/auth")
                    || s.path.starts_with("/jwt/auth"))
        })
        .count();
    match p {
        P::Ecr | P::Zot => {
            assert_eq!(token_gets, 0, "{p:?}");
            assert!(seen
                .iter()
                .any(|s| s.auth.as_deref() == Some("Basic") && s.status < 300));
        }
        _ => assert!(token_gets >= 1, "{p:?}: no token request"),
    }
    assert_storage_clean(&px);
    assert_own_credentials(&px, p);
}

macro_rules! core_tests {
    ($($name:ident => $p:expr),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                core($p);
            }
        )*
    };
}

core_tests! {
    dockerhub_commands => P::DockerHub,
    ghcr_commands => P::Ghcr,
    ecr_commands => P::Ecr,
    acr_commands => P::Acr,
    gar_commands => P::Gar,
    quay_commands => P::Quay,
    harbor_commands => P::Harbor,
    gitlab_commands => P::Gitlab,
    ibm_commands => P::Ibm,
    artifactory_commands => P::Artifactory,
    zot_commands => P::Zot,
}

/// Push `tags` of one small image to `NS/REPO` of a personality; the image's digest.
fn seed(px: &Personalities, env: &Env, p: P, repo: &str, tags: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(
        &l,
        Some("t"),
        "amd64",
        &[("f", format!("{} {repo}", p.name()).as_bytes())],
    );
    for t in tags {
        env.ok(&[
            "push",
            "-q",
            &format!("oci:{}:t", l.display()),
            &format!("{}/{}/{repo}:{t}", px.host(p), p.name()),
        ]);
    }
    img.digest
}

/// image-untag removes only the tag; image-rm removes the image and its tags (skopeo reads
/// what is left).
fn untag_rm(p: P) {
    let px = shared();
    let env = env_for(&px, p);
    let (h, ns) = (px.host(p), p.name());
    let digest = seed(&px, &env, p, "gone", &["keep", "drop"]);
    env.ok(&["image-untag", &format!("{h}/{ns}/gone:drop")]);
    assert_eq!(
        px.registry.skopeo_tags(&format!("{ns}/gone")),
        ["keep"],
        "{p:?}"
    );
    assert_eq!(
        px.registry.skopeo_digest(&format!("{ns}/gone:keep")),
        digest
    );
    env.ok(&["image-rm", &format!("{h}/{ns}/gone:keep")]);
    assert!(
        !px.registry.skopeo_exists(&format!("{ns}/gone@{digest}")),
        "{p:?}"
    );
    assert!(
        px.registry.skopeo_tags(&format!("{ns}/gone")).is_empty(),
        "{p:?}"
    );
}

/// retention-run --images 1 --force keeps the newest image of a repository and deletes the
/// older one by digest (skopeo reads what is left).
fn retention(p: P) {
    let px = shared();
    let env = env_for(&px, p);
    let (h, ns) = (px.host(p), p.name());
    let dir = tempfile::tempdir().unwrap();
    let mut digests = Vec::new();
    for (tag, created) in [
        ("old", "2023-01-01T00:00:00Z"),
        ("new", "2024-06-01T00:00:00Z"),
    ] {
        let l = dir.path().join(tag);
        let b = layout::image_at(
            &l,
            Some(tag),
            "amd64",
            &[("f", format!("{ns} {tag}").as_bytes())],
            created,
        );
        env.ok(&[
            "push",
            "-q",
            &format!("oci:{}:{tag}", l.display()),
            &format!("{h}/{ns}/ret:{tag}"),
        ]);
        digests.push(b.digest);
    }
    env.ok(&[
        "retention-run",
        "--images",
        "1",
        "--force",
        &format!("{h}/{ns}/ret"),
    ]);
    assert_eq!(
        px.registry.skopeo_tags(&format!("{ns}/ret")),
        ["new"],
        "{p:?}"
    );
    assert_eq!(
        px.registry.skopeo_digest(&format!("{ns}/ret:new")),
        digests[1]
    );
    assert!(
        !px.registry
            .skopeo_exists(&format!("{ns}/ret@{}", digests[0])),
        "{p:?}"
    );
}

macro_rules! retention_tests {
    ($($name:ident => $p:expr),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                retention($p);
            }
        )*
    };
}

retention_tests! {
    quay_retention => P::Quay,
    ecr_retention => P::Ecr,
    acr_retention => P::Acr,
    harbor_retention => P::Harbor,
    gitlab_retention => P::Gitlab,
    ibm_retention => P::Ibm,
    artifactory_retention => P::Artifactory,
    zot_retention => P::Zot,
    gar_retention => P::Gar,
}

macro_rules! untag_rm_tests {
    ($($name:ident => $p:expr),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                untag_rm($p);
            }
        )*
    };
}

untag_rm_tests! {
    quay_untag_and_rm => P::Quay,
    ecr_untag_and_rm => P::Ecr,
    acr_untag_and_rm => P::Acr,
    harbor_untag_and_rm => P::Harbor,
    gitlab_untag_and_rm => P::Gitlab,
    ibm_untag_and_rm => P::Ibm,
    artifactory_untag_and_rm => P::Artifactory,
    gar_untag_and_rm => P::Gar,
    zot_untag_and_rm => P::Zot,
}

/// Quay refuses token scopes with `delete` or `registry:catalog:*` (400, quirks §6 line 535):
/// cr asks again with the scopes it accepts, and never says "log in again".
#[test]
fn quay_refused_scopes_are_narrowed() {
    let px = shared();
    let env = env_for(&px, P::Quay);
    let h = px.host(P::Quay);
    seed(&px, &env, P::Quay, "narrow", &["a", "b"]);
    let out = env.ok(&["--registry", &h, "repo-list", "-q"]);
    assert!(out.contains(&format!("{h}/quay/narrow")), "{out}");
    env.ok(&["image-untag", &format!("{h}/quay/narrow:b")]);
    assert_eq!(px.registry.skopeo_tags("quay/narrow"), ["a"]);
    let seen = px.seen("quay");
    let refused = seen
        .iter()
        .filter(|s| s.path.starts_with("/v2/auth") && s.status == 400)
        .count();
    assert!(refused >= 1, "the wide scope was asked first and refused");
    // Every refused token request was followed by one that was granted.
    let granted = seen
        .iter()
        .filter(|s| s.path.starts_with("/v2/auth") && s.status == 200)
        .count();
    assert!(granted >= refused, "{seen:?}");
}

/// Harbor challenges `_catalog` with Basic (quirks §7 line 620): cr answers with Basic there
/// and keeps Bearer everywhere else.
#[test]
fn harbor_catalog_is_read_with_basic() {
    let px = shared();
    let env = env_for(&px, P::Harbor);
    let h = px.host(P::Harbor);
    seed(&px, &env, P::Harbor, "basic", &["x"]);
    let out = env.ok(&["--registry", &h, "repo-list", "-q"]);
    assert!(out.contains(&format!("{h}/harbor/basic")), "{out}");
    let seen = px.seen("harbor");
    assert!(seen.iter().any(|s| s.path.starts_with("/v2/_catalog")
        && s.auth.as_deref() == Some("Basic")
        && s.status == 200));
    assert!(seen
        .iter()
        .filter(|s| s.path.contains("/manifests/"))
        .all(|s| s.auth.as_deref() == Some("Bearer")));
}

/// Artifact Registry redirects `/referrers` to an HTML sign-in page on another host; cr uses
/// the fallback tag and sends that host no credentials.
#[test]
fn gar_referrers_sign_in_page_falls_back() {
    let px = shared();
    let env = env_for(&px, P::Gar);
    let h = px.host(P::Gar);
    let d = seed(&px, &env, P::Gar, "signin", &["v1"]);
    let out = env.ok(&["referrers", &format!("{h}/gar/signin:v1"), "-o", "json"]);
    assert_eq!(json(&out), json("[]"));
    let signin: Vec<_> = px
        .seen("storage")
        .into_iter()
        .filter(|s| s.path.starts_with("/signin"))
        .collect();
    assert!(!signin.is_empty() && signin.iter().all(|s| s.auth.is_none()));
    assert!(px
        .seen("gar")
        .iter()
        .any(|s| s.path.contains(&format!("referrers/{d}")) && s.status == 302));
}

/// ECR: Basic on every request (no token service), and a page size over 1000 refused with
/// 400 (quirks §3 line 320) is asked again at 1000.
#[test]
fn ecr_basic_only_and_page_cap() {
    let px = shared();
    let env = env_for(&px, P::Ecr);
    let h = px.host(P::Ecr);
    seed(&px, &env, P::Ecr, "cap", &["one"]);
    // CR_PAGE_SIZE above ECR's limit: the 400 is answered by asking for 1000.
    let out = ok_with(
        &env,
        &[("CR_PAGE_SIZE", "5000")],
        &["tag-list", &format!("{h}/ecr/cap")],
    );
    assert_eq!(out.trim(), "one");
    let seen = px.seen("ecr");
    assert!(seen.iter().any(|s| s.path.contains("/ecr/cap/tags/list")
        && s.path.contains("n=1000")
        && s.status == 200));
    assert!(seen
        .iter()
        .filter(|s| s.path.contains("/v2/ecr/"))
        .all(|s| s.auth.as_deref() != Some("Bearer")));
}

/// Artifactory answers HEAD of a missing manifest with 403 (quirks §10 line 743; emulated for
/// `remote-*` repositories): an existence check (here: does the destination hold the
/// signature copied with the image?) must read it as "unknown", not as "denied".
#[test]
fn artifactory_head_403() {
    let px = shared();
    let env = env_for(&px, P::Artifactory);
    let h = px.host(P::Artifactory);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(&l, Some("v1"), "amd64", &[("f", b"artifactory head")]);
    layout::artifact(
        &l,
        "sig",
        "application/vnd.example.signature",
        Some((&img.digest, img.size, layout::OCI_MANIFEST)),
        b"sig",
    );
    for t in ["v1", "sig"] {
        env.ok(&[
            "push",
            "-q",
            &format!("oci:{}:{t}", l.display()),
            &format!("{h}/artifactory/head-src:{t}"),
        ]);
    }
    let (code, _, err) = env.run(&[
        "copy",
        "-q",
        &format!("{h}/artifactory/head-src:v1"),
        &format!("{h}/artifactory/remote-copy:v1"),
    ]);
    assert!(px.seen("artifactory").iter().any(|s| s.method == "HEAD"
        && s.path.contains("/remote-copy/manifests/")
        && s.status == 403));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        px.registry.skopeo_digest("artifactory/remote-copy:v1"),
        img.digest
    );
}

/// GHCR refuses every registry-API delete with 405 UNSUPPORTED (quirks §2 line 281): image-rm
/// and image-untag fail clearly, saying the registry does not support it, and nothing goes.
#[test]
fn ghcr_delete_unsupported_is_clear() {
    let px = shared();
    let env = env_for(&px, P::Ghcr);
    let h = px.host(P::Ghcr);
    let d = seed(&px, &env, P::Ghcr, "nodelete", &["a", "b"]);
    for cmd in ["image-untag", "image-rm"] {
        let (code, _, err) = env.run(&[cmd, &format!("{h}/ghcr/nodelete:b")]);
        assert_ne!(code, 0, "{cmd}: {err}");
        assert!(
            err.contains("does not delete manifests through the registry API")
                && err.contains("GitHub's packages API"),
            "{cmd}: {err}"
        );
        assert!(!err.contains("log in again"), "{cmd}: {err}");
    }
    assert_eq!(px.registry.skopeo_tags("ghcr/nodelete"), ["a", "b"]);
    assert_eq!(px.registry.skopeo_digest("ghcr/nodelete:b"), d);
}

/// Blobs larger than GHCR's 4 MiB PATCH limit (quirks §2 line 260) and ECR's 5 MiB chunk
/// minimum (§3 line 356) arrive byte-exact.
#[test]
fn large_layers_reach_ghcr_and_ecr() {
    let px = shared();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let big = crate::common::noise(9 << 20, 21);
    let img = layout::image(&l, Some("big"), "amd64", &[("big.bin", &big)]);
    for p in [P::Ghcr, P::Ecr] {
        let env = env_for(&px, p);
        env.ok(&[
            "push",
            "-q",
            &format!("oci:{}:big", l.display()),
            &format!("{}/{}/big:v1", px.host(p), p.name()),
        ]);
        assert_eq!(
            px.registry.skopeo_digest(&format!("{}/big:v1", p.name())),
            img.digest,
            "{p:?}"
        );
    }
}

/// Docker Hub's pull limit (quirks §1 line 212): a 429 TOOMANYREQUESTS on manifest GETs is
/// reported with the registry's message, without a tight retry loop.
#[test]
fn dockerhub_pull_limit_is_not_retried_in_a_loop() {
    let px = shared();
    let env = env_for(&px, P::DockerHub);
    let h = px.host(P::DockerHub);
    seed(&px, &env, P::DockerHub, "limited", &["v1"]);
    px.set_pull_limit(Some(0));
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = env.run(&[
        "pull",
        "-q",
        &format!("{h}/dockerhub/limited:v1"),
        &format!("oci:{}:v1", dir.path().join("out").display()),
    ]);
    px.set_pull_limit(None);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("pull rate limit"), "{err}");
    let gets = px
        .seen("dockerhub")
        .iter()
        .filter(|s| s.method == "GET" && s.path.contains("/limited/manifests/") && s.status == 429)
        .count();
    assert_eq!(gets, 1, "{gets} manifest GETs after the limit");
}

/// Docker Hub answers a missing repository with 401 insufficient_scope after a fresh token
/// (quirks §1 line 129): cr stops after one renewal, says which account and scope, exit 4.
#[test]
fn dockerhub_missing_repository_does_not_loop() {
    let px = shared();
    let env = env_for(&px, P::DockerHub);
    let h = px.host(P::DockerHub);
    let (code, _, err) = env.run(&["image-inspect", &format!("{h}/dockerhub/no-such-repo:v1")]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("dockerhub/no-such-repo") && err.contains("hubuser"),
        "{err}"
    );
    let seen = px.seen("dockerhub");
    let tokens = seen
        .iter()
        .filter(|s| s.path.starts_with("/token") && s.path.contains("no-such-repo"))
        .count();
    let tries = seen
        .iter()
        .filter(|s| s.path.contains("/no-such-repo/manifests/"))
        .count();
    assert!(
        tokens <= 2 && tries <= 2,
        "{tokens} token requests, {tries} manifest requests"
    );
    assert_own_credentials(&px, P::DockerHub);
}

/// A relative token realm (quirks §0 line 59) is resolved against the registry: the token is
/// asked from the registry's own host, with the Basic login, and used.
#[test]
fn relative_realm_is_resolved_against_the_registry() {
    use crate::common::hostile::{Hostile, Reply};
    let server = Hostile::start(|s| {
        let bearer = s.authorization.as_deref() == Some("Bearer tok-rel");
        if s.target.starts_with("/auth/token") {
            return Reply::json(200, r#"{"token":"tok-rel"}"#);
        }
        if s.target.starts_with("/v2/ns/app/tags/list") && bearer {
            return Reply::json(200, r#"{"name":"ns/app","tags":["1","2"]}"#);
        }
        Reply::json(
            401,
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}"#,
        )
        .with_header(
            "WWW-Authenticate",
            r#"Bearer realm="/auth/token",service="rel",scope="repository:ns/app:pull""#,
        )
    });
    let env = Env::new();
    env.login(&server.host(), "u", "p");
    let out = env.ok(&["tag-list", &format!("{}/ns/app", server.host())]);
    assert_eq!(out.lines().collect::<Vec<_>>(), ["1", "2"]);
    let token_requests: Vec<_> = server
        .seen()
        .into_iter()
        .filter(|s| s.target.starts_with("/auth/token"))
        .collect();
    assert!(!token_requests.is_empty());
    assert!(token_requests.iter().all(|s| s
        .authorization
        .as_deref()
        .is_some_and(|a| a.starts_with("Basic "))));
}

/// A login held as an identity token (docker's `identitytoken`) is sent by OAuth2 POST; Harbor
/// answers POST with 405 (quirks §0 line 37): cr asks again by GET, the token as password.
#[test]
fn harbor_refuses_token_post_get_follows() {
    use base64::Engine;
    let px = shared();
    let h = px.host(P::Harbor);
    let env = env_for(&px, P::Harbor);
    seed(&px, &env, P::Harbor, "oauth", &["x"]);
    let env = Env::new();
    std::fs::create_dir_all(env.docker_config()).unwrap();
    let (user, pass) = P::Harbor.login();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:"));
    let cfg = serde_json::json!({"auths": {&h: {"auth": auth, "identitytoken": pass}}});
    std::fs::write(env.docker_config().join("config.json"), cfg.to_string()).unwrap();
    let out = env.ok(&["tag-list", &format!("{h}/harbor/oauth")]);
    assert_eq!(out.trim(), "x");
    let seen = px.seen("harbor");
    assert!(seen
        .iter()
        .any(|s| s.method == "POST" && s.path.starts_with("/service/token") && s.status == 405));
    assert!(seen.iter().any(|s| s.method == "GET"
        && s.path.starts_with("/service/token")
        && s.path.contains("harbor%2Foauth")
        && s.status == 200));
}

/// Chunked uploads (`CR_UPLOAD_CHUNK_MIB`) under each registry's chunk rules: GHCR refuses
/// PATCHes over 4 MiB with 416 (quirks §2 line 260), ECR needs every chunk but the last to be
/// 5 MiB or more and keeps answering the first chunk's Range (§3 lines 356, 360), Quay refuses
/// `Content-Range: bytes …` (§6 line 583). A 9 MiB layer must arrive byte-exact everywhere.
#[test]
fn chunked_uploads_follow_chunk_rules() {
    let px = shared();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let big = crate::common::noise(9 << 20, 22);
    let img = layout::image(&l, Some("big"), "amd64", &[("big.bin", &big)]);
    let mut failed = Vec::new();
    for (p, mib) in [(P::Ghcr, "8"), (P::Ecr, "1"), (P::Ecr, "6"), (P::Quay, "2")] {
        let env = env_for(&px, p);
        let dest = format!("{}/{}/chunked-{mib}:v1", px.host(p), p.name());
        let (code, _, err) = run_with(
            &env,
            &[("CR_UPLOAD_CHUNK_MIB", mib)],
            &["push", "-q", &format!("oci:{}:big", l.display()), &dest],
        );
        let name = format!("{}/chunked-{mib}:v1", p.name());
        if code != 0 || px.registry.skopeo_digest(&name) != img.digest {
            failed.push(format!("{p:?} with {mib} MiB chunks: {err}"));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

/// A token that expires in the middle of a push (GitLab's 5-minute tokens, quirks §0 line 53;
/// emulated as 4 requests per token): cr gets a new one and the push completes byte-exact.
#[test]
fn gitlab_token_expiring_mid_push() {
    let px = shared();
    let env = env_for(&px, P::Gitlab);
    let h = px.host(P::Gitlab);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let files: Vec<(String, Vec<u8>)> = (0..4)
        .map(|i| (format!("f{i}"), crate::common::noise(4096, 40 + i)))
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let img = layout::image(&l, Some("v1"), "amd64", &refs);
    env.ok(&[
        "push",
        "-q",
        &format!("oci:{}:v1", l.display()),
        &format!("{h}/gitlab/expiring:v1"),
    ]);
    assert_eq!(px.registry.skopeo_digest("gitlab/expiring:v1"), img.digest);
    let seen = px.seen("gitlab");
    let tokens = seen
        .iter()
        .filter(|s| s.path.starts_with("/jwt/auth") && s.path.contains("expiring"))
        .count();
    assert!(
        tokens >= 2,
        "the token was renewed midway ({tokens} token requests)"
    );
    assert!(
        seen.iter()
            .any(|s| s.path.starts_with("/v2/gitlab/expiring/") && s.status == 401),
        "the token did expire midway"
    );
}

/// Docker Hub deletes only by digest and only untagged manifests (405 on a tag, 403 while
/// tagged: quirks §1 line 200): image-untag and image-rm cannot work through the registry API,
/// and must say so plainly (not blame the account's permissions); nothing is deleted.
#[test]
fn dockerhub_delete_refusals_are_clear() {
    let px = shared();
    let env = env_for(&px, P::DockerHub);
    let h = px.host(P::DockerHub);
    let d = seed(&px, &env, P::DockerHub, "keepme", &["a", "b"]);
    for cmd in ["image-untag", "image-rm"] {
        let (code, _, err) = env.run(&[cmd, &format!("{h}/dockerhub/keepme:b")]);
        assert_ne!(code, 0, "{cmd}: {err}");
        assert!(!err.contains("does not allow it"), "{cmd}: {err}");
        assert!(!err.contains("log in again"), "{cmd}: {err}");
    }
    assert_eq!(px.registry.skopeo_tags("dockerhub/keepme"), ["a", "b"]);
    assert_eq!(px.registry.skopeo_digest("dockerhub/keepme:b"), d);
}

/// zot refuses Docker media types with 415 (quirks §11 line 757): copying a Docker v2s2 image
/// there either works (converted) or fails saying that zot takes OCI images only.
#[test]
fn zot_docker_manifest() {
    let px = shared();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("f", b"docker format")]);
    // A Docker v2s2 image in Docker Hub's namespace, written by skopeo.
    crate::common::skopeo(&[
        "copy".into(),
        "--format".into(),
        "v2s2".into(),
        "--dest-tls-verify=false".into(),
        format!("oci:{}:v1", l.display()),
        format!("docker://{}/dockerhub/v2s2:v1", px.registry.host),
    ]);
    let hub = env_for(&px, P::DockerHub);
    let (zu, zp) = P::Zot.login();
    hub.login(&px.host(P::Zot), zu, zp);
    let (code, _, err) = hub.run(&[
        "copy",
        "-q",
        &format!("{}/dockerhub/v2s2:v1", px.host(P::DockerHub)),
        &format!("{}/zot/v2s2:v1", px.host(P::Zot)),
    ]);
    assert!(px
        .seen("zot")
        .iter()
        .any(|s| s.method == "PUT" && s.path.contains("/zot/v2s2/manifests/") && s.status == 415));
    if code == 0 {
        assert!(px.registry.skopeo_exists("zot/v2s2:v1"));
    } else {
        assert!(err.contains("OCI"), "{err}");
    }
}

/// Quay deletes a manifest by digest only while a tag points at it: an untagged one answers
/// 404 (quirks §6 line 600). cr checks with a HEAD and says the manifest is still there,
/// instead of reporting a deletion that did not happen.
#[test]
fn quay_untagged_manifest_is_not_reported_deleted() {
    let px = shared();
    let env = env_for(&px, P::Quay);
    let h = px.host(P::Quay);
    let d = seed(&px, &env, P::Quay, "untagged", &["a"]);
    env.ok(&["image-untag", &format!("{h}/quay/untagged:a")]);
    assert!(px.registry.skopeo_tags("quay/untagged").is_empty());
    let (code, out, err) = env.run(&["image-rm", &format!("{h}/quay/untagged@{d}")]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("does not delete untagged manifests"), "{err}");
    assert!(!out.contains("deleted"), "{out}");
    assert!(px.registry.skopeo_exists(&format!("quay/untagged@{d}")));
    assert!(px.seen("quay").iter().any(|s| s.method == "DELETE"
        && s.path.ends_with(&format!("/manifests/{d}"))
        && s.status == 404));
}
