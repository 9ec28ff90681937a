//! Raw getters and tokens against a real docker-registry, skopeo as the independent reader:
//! `cr digest` (HEAD only, counted through the fault proxy), `cr config` (byte-exact),
//! `cr blob-get` (verified while streaming, no file on a mismatch, no binary on a terminal),
//! `cr manifest-inspect --platform`, and `cr auth token` (a token that works with raw HTTP).

use std::io::Read;
use std::path::Path;

use crate::common::hostile::fetch;
use crate::common::proxy::{Action, Fault, Proxy};
use crate::common::{self, cr_digest, layout, tty, Auth, Env, Issuer, TestRegistry, User};

/// A registry holding `ns/app:one` (one linux/amd64 image) and `ns/app:multi` (an index of
/// linux/amd64 and linux/arm64), pushed by skopeo from `dir/src`.
struct Seeded {
    reg: TestRegistry,
    one: layout::Built,
    index: String,
    children: Vec<layout::Built>,
}

fn seeded(dir: &Path) -> Seeded {
    let reg = TestRegistry::start(Auth::None);
    let src = dir.join("src");
    let one = layout::image(
        &src,
        Some("one"),
        "amd64",
        &[
            ("a.txt", b"first layer"),
            ("b.bin", &crate::common::noise(300_000, 7)),
        ],
    );
    let (index, children) = layout::index(&src, "multi", &["amd64", "arm64"]);
    reg.skopeo_push(&src, "one", "ns/app:one");
    reg.skopeo_push(&src, "multi", "ns/app:multi");
    Seeded {
        reg,
        one,
        index,
        children,
    }
}

fn blob_file(dir: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(dir.join("src/blobs/sha256").join(&digest[7..])).unwrap()
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

#[test]
fn digest_is_one_head_and_matches_skopeo() {
    let dir = tempfile::tempdir().unwrap();
    let s = seeded(dir.path());
    let proxy = Proxy::start(s.reg.port, s.reg.storage(), vec![], None);
    let env = Env::new();
    for tag in ["one", "multi"] {
        proxy.reset();
        let out = env.ok(&["digest", &format!("{}/ns/app:{tag}", proxy.host())]);
        assert_eq!(out.trim(), s.reg.skopeo_digest(&format!("ns/app:{tag}")));
        assert_eq!(
            proxy.count("HEAD", "/manifests/"),
            1,
            "{:?}",
            proxy.requests()
        );
        assert_eq!(
            proxy.count("GET", "/manifests/"),
            0,
            "{:?}",
            proxy.requests()
        );
        assert_eq!(proxy.count("GET", "/blobs/"), 0, "{:?}", proxy.requests());
    }
    assert_eq!(
        env.ok(&["digest", &format!("{}/ns/app:multi", s.reg.host)])
            .trim(),
        s.index
    );
    assert_eq!(
        env.ok(&["digest", &format!("{}/ns/app:one", s.reg.host)])
            .trim(),
        s.one.digest
    );
    // A platform of the index: the child's digest, as the index lists it.
    for (platform, child) in [
        ("linux/amd64", &s.children[0]),
        ("linux/arm64", &s.children[1]),
    ] {
        let out = env.ok(&[
            "digest",
            "--platform",
            platform,
            &format!("{}/ns/app:multi", s.reg.host),
        ]);
        assert_eq!(out.trim(), child.digest);
        let raw = s
            .reg
            .skopeo_inspect(&format!("ns/app@{}", child.digest), true);
        assert_eq!(cr_digest(raw.as_bytes()), child.digest);
    }
    // A platform the index lacks: not found, naming those it has.
    let (code, _, err) = env.run(&[
        "digest",
        "--platform",
        "linux/s390x",
        &format!("{}/ns/app:multi", s.reg.host),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("linux/amd64, linux/arm64"), "{err}");
    let (code, _, err) = env.run(&["digest", &format!("{}/ns/app:nope", s.reg.host)]);
    assert_eq!(code, 3, "{err}");
}

#[test]
fn config_and_manifest_bytes_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let s = seeded(dir.path());
    let env = Env::new();
    // What skopeo reads back from the registry, as the independent copy.
    let back = dir.path().join("back");
    crate::common::skopeo(&[
        "copy".into(),
        "--src-tls-verify=false".into(),
        format!("docker://{}/ns/app:one", s.reg.host),
        format!("oci:{}:one", back.display()),
    ]);
    let skopeo_config = std::fs::read(back.join("blobs/sha256").join(&s.one.config[7..])).unwrap();
    let out = env
        .cmd()
        .args(["config", &format!("{}/ns/app:one", s.reg.host)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, skopeo_config);
    assert_eq!(cr_digest(&out.stdout), s.one.config);
    // An index needs a platform: a usage error listing them.
    let (code, out, err) = env.run(&["config", &format!("{}/ns/app:multi", s.reg.host)]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("linux/amd64, linux/arm64"), "{err}");
    assert!(err.contains("--platform"), "{err}");
    let out = env
        .cmd()
        .args([
            "config",
            "--platform",
            "linux/arm64",
            &format!("{}/ns/app:multi", s.reg.host),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, blob_file(dir.path(), &s.children[1].config));
    // manifest-inspect --platform: the child's exact bytes; a missing platform exits 3.
    let out = env
        .cmd()
        .args([
            "manifest-inspect",
            "--platform",
            "linux/arm64",
            &format!("{}/ns/app:multi", s.reg.host),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(cr_digest(&out.stdout), s.children[1].digest);
    assert_eq!(
        out.stdout,
        s.reg
            .skopeo_inspect(&format!("ns/app@{}", s.children[1].digest), true)
            .into_bytes()
    );
    let (code, out, err) = env.run(&[
        "manifest-inspect",
        "--platform",
        "linux/ppc64le",
        &format!("{}/ns/app:multi", s.reg.host),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("linux/amd64, linux/arm64"), "{err}");
    // Without --platform, the index itself.
    let out = env.ok(&["manifest-inspect", &format!("{}/ns/app:multi", s.reg.host)]);
    assert_eq!(cr_digest(out.as_bytes()), s.index);
}

#[test]
fn blob_get_streams_verified_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let s = seeded(dir.path());
    let env = Env::new();
    let layer = s.one.layers[1].clone();
    let want = blob_file(dir.path(), &layer);
    let name = format!("{}/ns/app@{layer}", s.reg.host);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let file = out_dir.join("layer.tgz");
    env.ok(&["blob-get", &name, "-o", file.to_str().unwrap()]);
    assert_eq!(std::fs::read(&file).unwrap(), want);
    // To a pipe: the same bytes.
    let out = env.cmd().args(["blob-get", &name]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, want);

    // A reader that stops early ends cr quietly (exit 0), as `| head -c 10` expects.
    let mut child = env
        .std_cmd()
        .args(["blob-get", &name])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(head, want[..10]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The registry sends another (larger) blob's bytes for the small one: refused, and no
    // file (nor a temporary one) is left.
    let small = s.one.layers[0].clone();
    let proxy = Proxy::start(
        s.reg.port,
        s.reg.storage(),
        vec![Fault {
            method: "GET",
            path_contains: leak(&small),
            action: Action::Rewrite(leak(&small), layer.clone()),
            times: 10,
        }],
        None,
    );
    let bad = out_dir.join("bad.tgz");
    let (code, _, err) = env.run(&[
        "blob-get",
        &format!("{}/ns/app@{small}", proxy.host()),
        "-o",
        bad.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(proxy.fired() >= 1);
    assert!(err.contains("does not match its digest"), "{err}");
    assert!(!bad.exists());
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["layer.tgz".to_string()]);

    // A connection that breaks mid-blob: resumed from the byte it reached, same bytes.
    let proxy = Proxy::start(
        s.reg.port,
        s.reg.storage(),
        vec![Fault {
            method: "GET",
            path_contains: leak(&layer),
            action: Action::DropResponse(100_000),
            times: 1,
        }],
        None,
    );
    let resumed = out_dir.join("resumed.tgz");
    env.ok(&[
        "blob-get",
        &format!("{}/ns/app@{layer}", proxy.host()),
        "-o",
        resumed.to_str().unwrap(),
    ]);
    assert_eq!(proxy.fired(), 1);
    assert_eq!(proxy.count("GET", &layer), 2, "{:?}", proxy.requests());
    assert_eq!(std::fs::read(&resumed).unwrap(), want);
    std::fs::remove_file(&resumed).unwrap();

    // A blob that is not there: exit 3, and no file.
    let missing = cr_digest(b"not pushed");
    let (code, _, err) = env.run(&[
        "blob-get",
        &format!("{}/ns/app@{missing}", s.reg.host),
        "-o",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(!bad.exists());

    // Bad input: no digest.
    let (code, _, err) = env.run(&["blob-get", &format!("{}/ns/app:one", s.reg.host)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("REPO@DIGEST"), "{err}");

    // A terminal gets no binary without -o -.
    let out = tty::script(&env, &["blob-get", &name])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("refusing to write a blob"), "{text}");
    assert!(!text.contains('\u{1f}'), "gzip bytes reached the terminal");
}

/// GET `path` on `host` with `Authorization: Bearer token`: (status, body).
fn bearer_get(host: &str, path: &str, token: &str) -> (u16, String) {
    let auth = format!("Bearer {token}");
    let a = fetch(host, "GET", path, &[("Authorization", &auth)], b"").unwrap();
    (a.head.status, a.text())
}

#[test]
fn auth_token_works_for_curl() {
    let bob = User::new("bob", "bobs-pw", &[("ns/app", &["pull"])], false);
    let reg = TestRegistry::start(Auth::Token(Issuer::start(vec![bob], 300)));
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    layout::image(&src, Some("one"), "amd64", &[("a", b"a")]);
    reg.skopeo_push(&src, "one", "ns/app:one");
    reg.skopeo_push(&src, "one", "ns/other:one");
    let env = Env::new();
    env.login(&reg.host, "bob", "bobs-pw");

    let token = env
        .ok(&[
            "auth",
            "token",
            "--scope",
            "repository:ns/app:pull",
            &reg.host,
        ])
        .trim()
        .to_string();
    assert!(!token.is_empty());
    let (status, body) = bearer_get(&reg.host, "/v2/ns/app/tags/list", &token);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"one\""), "{body}");
    // Not for another repository, nor for a scope bob lacks.
    let (status, _) = bearer_get(&reg.host, "/v2/ns/other/tags/list", &token);
    assert_eq!(status, 401);
    let other = env
        .ok(&[
            "auth",
            "token",
            "--scope",
            "repository:ns/other:pull",
            &reg.host,
        ])
        .trim()
        .to_string();
    let (status, _) = bearer_get(&reg.host, "/v2/ns/other/tags/list", &other);
    assert_eq!(status, 401);

    // --debug traces the token request without the token.
    let (code, out, err) = env.run(&[
        "--debug",
        "auth",
        "token",
        "--scope",
        "repository:ns/app:pull",
        &reg.host,
    ]);
    assert_eq!(code, 0, "{err}");
    let printed = out.trim();
    assert!(!printed.is_empty() && !err.contains(printed), "{err}");

    // The environment's credentials, only where they belong (the target registry).
    let fresh = Env::new();
    let with_env = |target: &str| {
        let out = fresh
            .cmd()
            .env("CR_REGISTRY", target)
            .env("CR_USERNAME", "bob")
            .env("CR_PASSWORD", "bobs-pw")
            .args([
                "auth",
                "token",
                "--scope",
                "repository:ns/app:pull",
                &reg.host,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let (status, _) = bearer_get(&reg.host, "/v2/ns/app/tags/list", &with_env(&reg.host));
    assert_eq!(status, 200);
    // Another target: bob's password is not sent, the token is anonymous.
    let (status, _) = bearer_get(
        &reg.host,
        "/v2/ns/app/tags/list",
        &with_env("other.example"),
    );
    assert_eq!(status, 401);

    // On a terminal: printed, with a warning.
    let out = tty::script(&env, &["auth", "token", &reg.host])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{screen}");
    assert!(
        screen.contains("warning: printing a bearer token"),
        "{screen}"
    );

    // A bad scope is bad input.
    for bad in [
        "repository:NS/App:pull",
        "repository:ns/app:steal",
        "ns/app",
    ] {
        let (code, _, err) = env.run(&["auth", "token", "--scope", bad, &reg.host]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("invalid scope"), "{err}");
    }
}

#[test]
fn auth_token_on_basic_and_open_registries_says_why() {
    let basic = TestRegistry::start(Auth::Htpasswd(vec![("alice".into(), "pw".into())]));
    let env = Env::new();
    env.login(&basic.host, "alice", "pw");
    let (code, out, err) = env.run(&["auth", "token", &basic.host]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("Basic authentication only"), "{err}");
    let open = common::ns();
    let (code, _, err) = env.run(&["auth", "token", &open.addr]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("asks for no authentication"), "{err}");
}

#[test]
fn digest_falls_back_to_get_when_head_has_none() {
    use crate::common::hostile::{Hostile, Reply};
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    let server = Hostile::start(|s| match (s.method.as_str(), s.target.as_str()) {
        (_, "/v2/") => Reply::status(200),
        // No digest, then one that is not a digest: neither is taken.
        ("HEAD", "/v2/ns/app/manifests/none") => Reply::status(200)
            .with_header("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
        ("HEAD", "/v2/ns/app/manifests/forged") => {
            Reply::status(200).with_header("Docker-Content-Digest", "sha256:../../../etc/passwd")
        }
        ("GET", t) if t.starts_with("/v2/ns/app/manifests/") => Reply::Full {
            status: 200,
            headers: vec![(
                "Content-Type".into(),
                "application/vnd.oci.image.manifest.v1+json".into(),
            )],
            body: manifest.to_vec(),
        },
        _ => Reply::status(404),
    });
    let env = Env::new();
    for tag in ["none", "forged"] {
        let name = format!("{}/ns/app:{tag}", server.host());
        let (code, out, err) = env.run(&["digest", &name]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out.trim(), cr_digest(manifest));
        assert!(!err.contains("computed from a GET"), "{err}");
        let (code, out, err) = env.run(&["--debug", "digest", &name]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out.trim(), cr_digest(manifest));
        assert!(err.contains("computed from a GET"), "{err}");
    }
    assert_eq!(server.count("GET", "/manifests/none"), 2);
}

#[test]
fn blob_get_without_a_head_size_reads_one_get() {
    use crate::common::hostile::{Hostile, Reply};
    let good = crate::common::noise(50_000, 3);
    let digest = cr_digest(&good);
    let forged = format!("sha256:{}", "ab".repeat(32));
    let body = good.clone();
    // HEAD answers with Content-Length: 0 (as a proxy that drops it): the size is unknown.
    let server = Hostile::start(move |s| match (s.method.as_str(), s.target.as_str()) {
        (_, "/v2/") => Reply::status(200),
        ("HEAD", t) if t.starts_with("/v2/ns/app/blobs/") => Reply::status(200),
        ("GET", t) if t.starts_with("/v2/ns/app/blobs/") => Reply::Full {
            status: 200,
            headers: vec![],
            body: body.clone(),
        },
        _ => Reply::status(404),
    });
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob");
    env.ok(&[
        "blob-get",
        &format!("{}/ns/app@{digest}", server.host()),
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&file).unwrap(), good);
    assert_eq!(server.count("GET", "/blobs/"), 1);
    // The same bytes asked for under another digest: refused, no file.
    let bad = dir.path().join("bad");
    let (code, _, err) = env.run(&[
        "blob-get",
        &format!("{}/ns/app@{forged}", server.host()),
        "-o",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("does not match its digest"), "{err}");
    assert!(!bad.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
