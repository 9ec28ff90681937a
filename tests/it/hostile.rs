//! cr against a hostile registry (tests/common/hostile.rs): credentials stay with their
//! registry, challenges come only from the registry's origin, TLS registries get no plain
//! token realm, tags from a registry never become URL paths, every read is bounded, hostile
//! numbers neither panic nor loop, and traces show no query values (issue #9).

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::hostile::{fetch, run_measured, Hostile, Reply, Seen};
use crate::common::layout::{OCI_INDEX, OCI_MANIFEST};
use crate::common::{cr_digest, Auth, Env, TestRegistry};

/// A small image the hostile registry serves as `ns/app`.
struct Img {
    manifest: Vec<u8>,
    config: Vec<u8>,
    layer: Vec<u8>,
}

impl Img {
    fn new() -> Arc<Self> {
        let layer = b"not really a tar, but bytes with a digest".to_vec();
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"type":"layers","diff_ids":["{}"]}}}}"#,
            cr_digest(&layer)
        )
        .into_bytes();
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":{}}}]}}"#,
            cr_digest(&config),
            config.len(),
            cr_digest(&layer),
            layer.len()
        )
        .into_bytes();
        Arc::new(Img {
            manifest,
            config,
            layer,
        })
    }

    /// The registry's answer for this image's manifest and blobs, if `s` asks for one.
    fn serve(&self, s: &Seen) -> Option<Reply> {
        let t = s.target.as_str();
        if let Some(r) = t.strip_prefix("/v2/ns/app/manifests/") {
            if r == "1" || r == cr_digest(&self.manifest) {
                return Some(Reply::manifest(OCI_MANIFEST, &self.manifest));
            }
            return Some(Reply::json(
                404,
                r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#,
            ));
        }
        for b in [&self.config, &self.layer] {
            if t == format!("/v2/ns/app/blobs/{}", cr_digest(b)) {
                return Some(Reply::Full {
                    status: 200,
                    headers: vec![],
                    body: b.to_vec(),
                });
            }
        }
        None
    }
}

fn ping_ok(s: &Seen) -> Option<Reply> {
    (s.target == "/v2/").then(|| Reply::status(200))
}

const SECRET: &str = "S3cr3t-Key-0123456789";

#[test]
fn environment_credentials_stay_with_the_target_registry() {
    // Another registry, asking for Basic credentials, and one asking for a token from a realm.
    let basic = Hostile::start(|_| {
        Reply::status(401).with_header("WWW-Authenticate", r#"Basic realm="x""#)
    });
    let realm = Hostile::start(|_| Reply::json(200, r#"{"token":"anon"}"#));
    let realm_url = format!("http://{}/token", realm.host());
    let bearer = Hostile::start(move |_| {
        Reply::status(401).with_header(
            "WWW-Authenticate",
            &format!(r#"Bearer realm="{realm_url}",service="s""#),
        )
    });
    let env = Env::new();
    for (k, v) in [("CR_APIKEY", SECRET), ("CR_USERNAME", "alice")] {
        for other in [&basic, &bearer] {
            let image = format!("{}/ns/x:1", other.host());
            let mut cmd = env.std_cmd();
            cmd.env("CR_REGISTRY", "127.0.0.1:9")
                .env(k, v)
                .env("CR_PASSWORD", SECRET)
                .args(["--debug", "manifest-inspect", &image]);
            let out = cmd.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(4), "{k}: {err}");
            assert!(!err.contains(SECRET), "{err}");
            assert!(
                err.contains(&format!("credentials for {}: none", other.host())),
                "--debug says where credentials came from: {err}"
            );
            assert!(err.contains("CR_CREDENTIAL_HOSTS"), "{err}");
        }
    }
    assert!(basic.authorized().is_empty(), "{:?}", basic.authorized());
    // The registry asking for a token saw only the anonymous token its realm handed out.
    assert!(
        bearer
            .authorized()
            .iter()
            .all(|s| s.authorization.as_deref() == Some("Bearer anon")),
        "{:?}",
        bearer.authorized()
    );
    assert!(realm.authorized().is_empty(), "{:?}", realm.authorized());
    assert!(
        !realm.seen().is_empty(),
        "the anonymous token was asked for"
    );

    // Listed in CR_CREDENTIAL_HOSTS, or the target itself: the key goes there.
    for (var, value) in [
        (
            "CR_CREDENTIAL_HOSTS",
            format!("example.org,{}", basic.host()),
        ),
        ("CR_REGISTRY", basic.host()),
    ] {
        let mut cmd = env.std_cmd();
        cmd.env("CR_APIKEY", SECRET)
            .env(var, &value)
            .args(["manifest-inspect", &format!("{}/ns/x:1", basic.host())]);
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(4));
        assert!(!String::from_utf8_lossy(&out.stderr).contains(SECRET));
    }
    let expected = {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("iamapikey:{SECRET}"))
        )
    };
    let sent = basic.authorized();
    assert!(!sent.is_empty());
    assert!(sent
        .iter()
        .all(|s| s.authorization.as_deref() == Some(&expected)));
}

/// With no target registry chosen (no --registry, CR_REGISTRY or `cr region-set`), the
/// default `localhost:5000` gets nothing from the environment: any local user may listen
/// there. cr says so once, with the way out. A chosen `localhost:5000`, or one named by
/// `cr login localhost:5000`, gets them. `cr login` naming nothing is a usage error, before any
/// request.
#[test]
fn an_unchosen_default_target_gets_no_environment_credentials() {
    // A listener on the default target sees what reaches it. When something else holds the
    // port (a quick-start registry), what cr says and does not do is still checked.
    let squatter = Hostile::start_at("127.0.0.1:5000", |_| {
        Reply::status(401).with_header("WWW-Authenticate", r#"Basic realm="x""#)
    });
    let env = Env::new();
    let run = |vars: &[(&str, &str)], args: &[&str]| {
        let mut cmd = env.std_cmd();
        cmd.env("CR_PASSWORD", SECRET)
            .envs(vars.iter().copied())
            .args(args);
        let out = cmd.output().unwrap();
        let (o, e) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(!o.contains(SECRET) && !e.contains(SECRET), "{o}{e}");
        (out.status.code(), e)
    };
    for var in [("CR_APIKEY", SECRET), ("CR_USERNAME", "alice")] {
        let (code, err) = run(&[var], &["manifest-inspect", "ns/x:1"]);
        assert_ne!(code, Some(0), "{err}");
        let said = err.matches("not sent to localhost:5000").count();
        assert_eq!(said, 1, "said once: {err}");
        assert!(err.contains("set --registry or CR_REGISTRY"), "{err}");
        if let Some(s) = &squatter {
            assert_eq!(code, Some(4), "{err}");
            assert!(!s.seen().is_empty(), "the default target was asked");
            assert!(s.authorized().is_empty(), "{:?}", s.authorized());
            s.reset();
        }
        // `cr login` naming no registry: a usage error, nothing asked, nothing stored.
        let (code, err) = run(&[var], &["login"]);
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains("cr login HOST") && err.contains("--registry"),
            "{err}"
        );
        if let Some(s) = &squatter {
            assert!(s.seen().is_empty(), "{:?}", s.seen());
        }
        assert!(!env.docker_config().join("config.json").exists());
    }
    // Chosen, or named by `cr login HOST`: the target gets them.
    let Some(squatter) = squatter else { return };
    for (vars, args) in [
        (
            vec![("CR_APIKEY", SECRET), ("CR_REGISTRY", "localhost:5000")],
            vec!["manifest-inspect", "ns/x:1"],
        ),
        (vec![("CR_APIKEY", SECRET)], vec!["login", "localhost:5000"]),
    ] {
        squatter.reset();
        let (code, err) = run(&vars, &args);
        assert_eq!(code, Some(4), "{args:?}: {err}");
        assert!(!err.contains("not sent to"), "{err}");
        assert!(!squatter.authorized().is_empty(), "{args:?}: {err}");
    }
}

#[test]
fn challenges_from_a_redirect_target_are_not_learned() {
    for challenge in [
        r#"Basic realm="steal""#.to_string(),
        String::from("Bearer realm=\"http://127.0.0.1:1/steal\",service=\"x\""),
    ] {
        let evil =
            Hostile::start(move |_| Reply::status(401).with_header("WWW-Authenticate", &challenge));
        let img = Img::new();
        let layer = cr_digest(&img.layer);
        let evil_url = format!(
            "http://{}/blob?verify=V3rify&hdnts=Hdn7s&Authorization=Auth0r&sig=S1g&token=T0k",
            evil.host()
        );
        let reg = Hostile::start(move |s| {
            if s.target.ends_with(&layer) {
                return Reply::status(307).with_header("Location", &evil_url);
            }
            ping_ok(s)
                .or_else(|| img.serve(s))
                .unwrap_or(Reply::status(404))
        });
        let env = Env::new();
        let dir = tempfile::tempdir().unwrap();
        let dest = format!("oci:{}", dir.path().join("out").display());
        let mut cmd = env.std_cmd();
        cmd.env("CR_REGISTRY", reg.host())
            .env("CR_USERNAME", "alice")
            .env("CR_PASSWORD", SECRET)
            .env("CR_MAX_RETRIES", "1")
            .args([
                "--debug",
                "pull",
                &format!("{}/ns/app:1", reg.host()),
                &dest,
            ]);
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{err}");
        assert!(evil.authorized().is_empty(), "{:?}", evil.authorized());
        assert!(reg.authorized().is_empty(), "{:?}", reg.authorized());
        assert!(!evil.seen().is_empty(), "the redirect was followed");
        for secret in [SECRET, "V3rify", "Hdn7s", "Auth0r", "S1g", "T0k"] {
            assert!(!err.contains(secret), "{secret} in: {err}");
        }
        assert!(
            err.contains("blob?verify&hdnts&Authorization&sig&token"),
            "{err}"
        );
        assert!(!dir.path().join("out").exists());
    }
}

/// A 401 from a host the registry redirected to (a blob GET's 307, an upload Location on
/// another host), which got no credentials, is the storage host's refusal: said so, exit 1,
/// and never hinted as the registry rejecting the user's credentials.
#[test]
fn a_redirect_targets_refusal_is_not_blamed_on_the_credentials() {
    let storage = Hostile::start(|_| Reply::Full {
        status: 401,
        headers: vec![],
        body: b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            .to_vec(),
    });
    let img = Img::new();
    let layer = cr_digest(&img.layer);
    let to_storage = format!("http://{}/bucket/blob?X-Amz-Signature=S1gn", storage.host());
    let upload_at = format!("http://{}/upload/1?sig=S1gn", storage.host());
    let reg = Hostile::start(move |s| {
        if s.method == "GET" && s.target.ends_with(&layer) {
            return Reply::status(307).with_header("Location", &to_storage);
        }
        if s.method == "HEAD" && s.target.contains("/blobs/") {
            return Reply::status(404);
        }
        if s.method == "POST" {
            return Reply::status(202).with_header("Location", &upload_at);
        }
        ping_ok(s)
            .or_else(|| img.serve(s))
            .unwrap_or(Reply::status(404))
    });
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let dest = format!("oci:{}", dir.path().join("out").display());
    let src = dir.path().join("src");
    common::layout::image(&src, Some("v1"), "amd64", &[("f", b"pushed")]);
    let source = format!("oci:{}:v1", src.display());
    let image = format!("{}/ns/app:1", reg.host());
    let pushed = format!("{}/ns/up:1", reg.host());
    for args in [
        vec!["pull", image.as_str(), dest.as_str()],
        vec!["push", source.as_str(), pushed.as_str()],
    ] {
        storage.reset();
        let mut cmd = env.std_cmd();
        cmd.env("CR_REGISTRY", reg.host())
            .env("CR_USERNAME", "alice")
            .env("CR_PASSWORD", SECRET)
            .env("CR_MAX_RETRIES", "1")
            .args(&args);
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            !storage.seen().is_empty(),
            "{args:?}: the redirect was followed"
        );
        assert!(
            storage.authorized().is_empty(),
            "{:?}",
            storage.authorized()
        );
        let said = format!(
            "the storage host {} that {} sent cr to refused the URL",
            storage.host(),
            reg.host()
        );
        assert!(err.contains(&said), "{args:?}: {err}");
        assert!(
            err.contains("the storage host answered: AccessDenied"),
            "{err}"
        );
        for wrong in [
            "rejected",
            "check those variables",
            "the registry answered",
            "S1gn",
        ] {
            assert!(!err.contains(wrong), "{wrong} in: {err}");
        }
    }
}

#[tokio::test]
async fn a_tls_registry_gets_no_plain_http_token_realm() {
    use cr::client::transport::auth::Challenge;
    use cr::client::Registry;
    use cr::config::Settings;
    use cr::credentials::{Credential, CredentialSource};
    let realm = Hostile::start(|_| Reply::json(200, r#"{"token":"t"}"#));
    let ch = Challenge {
        scheme: "Bearer".into(),
        params: [
            (
                "realm".to_string(),
                format!("http://{}/token", realm.host()),
            ),
            ("service".to_string(), "s".to_string()),
        ]
        .into(),
    };
    let cred = || Some(Credential::new("alice", SECRET, CredentialSource::Flags));
    let settings = Settings::resolve(Some("registry.example"), &[], vec![], false).unwrap();
    let tls = Registry::new(&settings.registry_options(), "registry.example", cred()).unwrap();
    // cr's own refusal, its own error: no "HTTP 0", no token service said to refuse the user.
    let err = tls.fetch_token(&ch, &[]).await.unwrap_err();
    assert!(
        matches!(&err, cr::client::RegistryError::RefusedRealm { plain_http: true, realm_host, .. } if *realm_host == realm.host()),
        "{err:?}"
    );
    let e = err.to_string();
    assert!(
        e.contains("cr refused to send credentials over plain HTTP")
            && e.contains("plain-HTTP token realm"),
        "{e}"
    );
    for wrong in ["HTTP 0", "refused user", "alice", SECRET] {
        assert!(!e.contains(wrong), "{wrong} in: {e}");
    }
    assert!(realm.seen().is_empty(), "nothing reached the plain realm");
    // Listed as insecure: the user said so.
    let settings =
        Settings::resolve(Some("registry.example"), &[realm.host()], vec![], false).unwrap();
    let tls = Registry::new(&settings.registry_options(), "registry.example", cred()).unwrap();
    assert_eq!(tls.fetch_token(&ch, &[]).await.unwrap().value, "t");
    assert_eq!(realm.authorized().len(), 1);
}

/// A TLS registry whose token realm is plain HTTP, through the CLI: cr's own refusal is
/// said as such (no "HTTP 0", no token service refusing the user, no hint to fix the
/// credentials), and the realm hears nothing.
#[test]
fn a_plain_http_realm_is_refused_in_crs_own_words() {
    let reg = TestRegistry::start_tls_with(Auth::Token(common::Issuer::start(vec![], 300)));
    let Auth::Token(issuer) = &reg.auth else {
        unreachable!()
    };
    assert!(issuer.realm().starts_with("http://"));
    let env = Env::new();
    let cert = reg.cert();
    let out = env
        .cmd()
        .env("CR_USERNAME", "alice")
        .env("CR_PASSWORD", SECRET)
        .args(["--ca-cert", cert.to_str().unwrap(), "--registry", &reg.host])
        .args(["manifest-inspect", "ns/app:1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cr refused to send credentials over plain HTTP"),
        "{err}"
    );
    assert!(err.contains("--insecure-registry 127.0.0.1:"), "{err}");
    for wrong in [
        "HTTP 0",
        "refused user",
        "rejected",
        "check those variables",
        SECRET,
    ] {
        assert!(!err.contains(wrong), "{wrong} in: {err}");
    }
    assert_eq!(issuer.requests(), 0, "the plain realm was never asked");
}

#[test]
fn tags_from_a_registry_never_become_url_paths() {
    let img = Img::new();
    let src = Hostile::start(move |s| {
        if s.target.starts_with("/v2/ns/app/tags/list") {
            return Reply::json(
                200,
                r#"{"name":"ns/app","tags":["1","../../victim/manifests/latest","..%2fvictim","x/../../y","\u001b]0;t\u0007"]}"#,
            );
        }
        ping_ok(s)
            .or_else(|| img.serve(s))
            .unwrap_or(Reply::status(404))
    });
    let dst = TestRegistry::start(Auth::None);
    let env = Env::new();
    let (code, _out, err) = env.run(&[
        "copy",
        &format!("{}/ns/app", src.host()),
        &format!("{}/ns/app", dst.host),
        "--all-tags",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("invalid tag"),
        "a warning names the skipped tags: {err}"
    );
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert_eq!(dst.skopeo_tags("ns/app"), vec!["1".to_string()]);
    assert!(!dst.skopeo_exists("ns/victim:latest"));
    let catalog = fetch(&dst.host, "GET", "/v2/_catalog", &[], b"")
        .unwrap()
        .text();
    assert!(
        catalog.contains("\"ns/app\"") && !catalog.contains("victim"),
        "{catalog}"
    );
    assert!(
        src.seen()
            .iter()
            .all(|s| !s.target.contains("victim") && !s.target.contains("..")),
        "{:?}",
        src.seen()
    );
}

/// Peak memory allowed for a cr process fed an endless body (its own use is ~15-30 MiB).
const RSS_CAP_KIB: u64 = 120 * 1024;

#[test]
fn endless_bodies_are_cut_and_memory_stays_flat() {
    let endless = |status: u16, start: &'static str| {
        let mut chunk = start.as_bytes().to_vec();
        chunk.extend(std::iter::repeat_n(b'a', 256 << 10));
        Reply::Endless {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            chunk,
        }
    };
    // An error body that never ends.
    let errors = Hostile::start(move |s| {
        ping_ok(s)
            .unwrap_or_else(|| endless(404, r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":""#))
    });
    // A token answer that never ends.
    let tokens = Hostile::start(move |s| {
        if s.target.starts_with("/token") {
            return endless(200, r#"{"token":""#);
        }
        Reply::status(401).with_header(
            "WWW-Authenticate",
            &format!(r#"Bearer realm="http://127.0.0.1:{}/token""#, s.port),
        )
    });
    // A catalog page that never ends.
    let catalog = Hostile::start(move |s| {
        ping_ok(s).unwrap_or_else(|| endless(200, r#"{"repositories":["a"#))
    });
    let env = Env::new();
    for (host, args, expect) in [
        (
            errors.host(),
            vec!["manifest-inspect", "ns/app:1"],
            "HTTP 404",
        ),
        (
            tokens.host(),
            vec!["manifest-inspect", "ns/app:1"],
            "larger than 1048576 bytes",
        ),
        (
            catalog.host(),
            vec!["namespace-list"],
            "larger than 16777216 bytes",
        ),
    ] {
        let mut cmd = env.std_cmd();
        cmd.env("CR_REGISTRY", &host)
            .env("CR_MAX_RETRIES", "0")
            .args(&args);
        let started = Instant::now();
        let (code, peak, _out, err) = run_measured(cmd);
        assert_ne!(code, 0, "{err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(
            peak > 0 && peak < RSS_CAP_KIB,
            "{args:?}: peak RSS {peak} KiB"
        );
        assert!(started.elapsed() < Duration::from_secs(30), "{args:?}");
    }
}

#[test]
fn hostile_numbers_neither_panic_nor_loop() {
    // A token that "lives" 2^64-1 seconds; a tag list and a catalog whose Link points back at
    // the same page; an index that lists one child 3,000 times.
    let img = Img::new();
    let child = cr_digest(&img.manifest);
    let entry = format!(
        r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{child}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}"#,
        img.manifest.len()
    );
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{}]}}"#,
        vec![entry; 3000].join(",")
    )
    .into_bytes();
    let index_digest = cr_digest(&index);
    let pinned = index_digest.clone();
    let reg = Hostile::start(move |s| {
        let t = s.target.as_str();
        if t.starts_with("/token") {
            return Reply::json(200, r#"{"token":"t","expires_in":18446744073709551615}"#);
        }
        if s.authorization.as_deref() != Some("Bearer t") {
            return Reply::status(401).with_header(
                "WWW-Authenticate",
                &format!(
                    r#"Bearer realm="http://127.0.0.1:{}/token",service="s""#,
                    s.port
                ),
            );
        }
        if t.starts_with("/v2/_catalog") {
            return Reply::json(200, r#"{"repositories":["ns/app"]}"#)
                .with_header("Link", r#"</v2/_catalog?n=1000>; rel="next""#);
        }
        if t.starts_with("/v2/ns/app/tags/list") {
            return Reply::json(200, r#"{"name":"ns/app","tags":["1","idx"]}"#)
                .with_header("Link", &format!(r#"<{t}>; rel="next""#));
        }
        if t == "/v2/ns/app/manifests/idx" || t == format!("/v2/ns/app/manifests/{index_digest}") {
            return Reply::manifest(OCI_INDEX, &index);
        }
        ping_ok(s)
            .or_else(|| img.serve(s))
            .unwrap_or(Reply::status(404))
    });
    let env = Env::new();
    let host = reg.host();
    let out = env.ok(&["--registry", &host, "manifest-inspect", "ns/app:1"]);
    assert_eq!(out.trim_end().as_bytes(), Img::new().manifest.as_slice());
    let out = env.ok(&["--registry", &host, "namespace-list", "-o", "json"]);
    assert!(out.contains("\"ns\""), "{out}");
    assert!(
        reg.count("GET", "/v2/_catalog") <= 2,
        "{}",
        reg.count("GET", "/v2/_catalog")
    );
    let dir = tempfile::tempdir().unwrap();
    let dest = format!("oci:{}", dir.path().join("out").display());
    env.ok(&["--registry", &host, "pull", "ns/app:idx", &dest]);
    let child_gets = reg.count("GET", &format!("/manifests/{child}"));
    assert!(child_gets <= 2, "{child_gets} GETs of the one child");
    let index_json = std::fs::read_to_string(dir.path().join("out/index.json")).unwrap();
    assert!(index_json.contains(&pinned), "{index_json}");
    let out = env.ok(&[
        "--registry",
        &host,
        "image-list",
        "--restrict",
        "ns/app",
        "-q",
    ]);
    assert!(
        out.contains("ns/app:1") && out.contains("ns/app:idx"),
        "{out}"
    );
    let tag_lists = reg.count("GET", "/v2/ns/app/tags/list");
    assert!(
        tag_lists <= 2,
        "{tag_lists} GETs of a self-referencing tag list"
    );
    // Only one token was needed for each scope set: the huge expires_in was clamped, not
    // turned into an instant expiry or a panic.
    assert!(
        reg.count("GET", "/token") <= 6,
        "{}",
        reg.count("GET", "/token")
    );
}

#[test]
fn an_unusable_upload_location_is_not_quoted() {
    let reg = Hostile::start(|s| {
        if s.method == "POST" {
            return Reply::status(202)
                .with_header("Location", "http://[::1/upload?sig=L0cS3cret&token=L0cT0k");
        }
        if s.method == "HEAD" {
            return Reply::status(404);
        }
        ping_ok(s).unwrap_or(Reply::status(404))
    });
    let dir = tempfile::tempdir().unwrap();
    common::layout::image(dir.path(), Some("1"), "amd64", &[("a.txt", b"hello")]);
    let env = Env::new();
    let (code, out, err) = env.run(&[
        "--debug",
        "push",
        &format!("oci:{}:1", dir.path().display()),
        &format!("{}/ns/app:1", reg.host()),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("unusable Location"), "{err}");
    for secret in ["L0cS3cret", "L0cT0k"] {
        assert!(!err.contains(secret) && !out.contains(secret), "{err}");
    }
}

#[test]
fn hostile_referrers_lists_end_and_never_become_paths() {
    // A referrers API that lists the image itself (a cycle), an invalid digest, and an
    // endless supply of fresh referrers, each of which again lists new ones.
    let img = Img::new();
    let me = cr_digest(&img.manifest);
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (img2, me2, c2) = (img.clone(), me.clone(), counter.clone());
    let server = Hostile::start(move |s| {
        if let Some(r) = ping_ok(s).or_else(|| img2.serve(s)) {
            return r;
        }
        if s.target.starts_with("/v2/ns/app/tags/list") {
            return Reply::json(200, r#"{"name":"ns/app","tags":["1"]}"#);
        }
        if s.target.starts_with("/v2/ns/app/referrers/") {
            let mut list = vec![
                format!(r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{me2}","size":1}}"#),
                format!(
                    r#"{{"mediaType":"{OCI_MANIFEST}","digest":"sha256:../../../v2/other/manifests/x","size":1}}"#
                ),
            ];
            for _ in 0..50 {
                let n = c2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let d = cr_digest(format!("referrer {n}").as_bytes());
                list.push(format!(
                    r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{d}","size":1,"artifactType":"x/\u001b[31mred"}}"#
                ));
            }
            let body = format!(
                r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{}]}}"#,
                list.join(",")
            );
            return Reply::json(200, body).with_header("Content-Type", OCI_INDEX);
        }
        Reply::status(404)
    });
    let env = Env::new();
    let t0 = Instant::now();
    let (code, out, err) = env.run(&["referrers", &format!("{}/ns/app:1", server.host())]);
    assert_eq!(code, 0, "{err}");
    assert!(t0.elapsed() < Duration::from_secs(60));
    let rows = out.lines().count() - 1;
    assert_eq!(rows, 1000, "at most 1,000 referrers are followed");
    assert!(!out.contains('\u{1b}'), "escaped on the terminal path");
    assert!(!out.contains("../"), "{out}");
    assert!(
        server.seen().iter().all(|s| !s.target.contains("other")),
        "an invalid digest never became a request"
    );
    assert!(server.count("GET", "/referrers/") <= 1001);
}

/// An HTTP proxy that stands in for every non-loopback host: CONNECT (a TLS tunnel) is
/// refused, a plain-HTTP request gets a Basic challenge, so that credentials sent in clear
/// show up in its log. cr reaches it through HTTPS_PROXY / HTTP_PROXY.
fn proxy_env(env: &Env, proxy: &Hostile) -> std::process::Command {
    let mut cmd = env.std_cmd();
    let url = format!("http://{}", proxy.host());
    cmd.env("HTTPS_PROXY", &url)
        .env("HTTP_PROXY", &url)
        .env("https_proxy", &url)
        .env("http_proxy", &url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    cmd
}

fn standin_proxy() -> Hostile {
    Hostile::start(|s| {
        if s.method == "CONNECT" {
            Reply::status(403)
        } else {
            Reply::status(401).with_header("WWW-Authenticate", r#"Basic realm="x""#)
        }
    })
}

/// Arguments of one cr run, and an environment variable to set for it.
type Case = (Vec<String>, Option<(&'static str, String)>);

/// Issue #17 finding 3: a name with `#`, `?` or `\` whose raw text ends in `.icr.io` (the
/// suffix CR_APIKEY may go to) is refused with exit 2 as a sync spec, a retention target, an
/// image name, `--registry`, `--insecure-registry` and in CR_CREDENTIAL_HOSTS, before any
/// request: the proxy that stands in for evil.example sees nothing.
#[test]
fn hosts_outside_the_one_grammar_are_refused_before_any_request() {
    let proxy = standin_proxy();
    let env = Env::new();
    // The proxy does stand in for other hosts: a valid name reaches it (a tunnel to
    // evil.example, refused), with no credentials, since evil.example is not in scope.
    let mut cmd = proxy_env(&env, &proxy);
    cmd.env("CR_REGISTRY", "127.0.0.1:9")
        .env("CR_APIKEY", SECRET)
        .args(["manifest-inspect", "evil.example/team/app:1"]);
    let out = cmd.output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    let control = proxy.seen();
    assert!(
        !control.is_empty()
            && control
                .iter()
                .all(|s| s.method == "CONNECT" && s.target == "evil.example:443"),
        "{control:?}"
    );

    for evil in [
        "evil.example#.icr.io",
        "evil.example?.icr.io",
        "evil.example\\.icr.io",
    ] {
        let cases: Vec<Case> = vec![
            (
                vec![
                    "sync".into(),
                    format!("{evil}/team"),
                    "127.0.0.1:9/m".into(),
                ],
                None,
            ),
            (
                vec![
                    "retention-run".into(),
                    "--images".into(),
                    "1".into(),
                    "--force".into(),
                    format!("{evil}/team"),
                ],
                None,
            ),
            (
                vec!["manifest-inspect".into(), format!("{evil}/team/app:1")],
                None,
            ),
            (
                vec![
                    "--registry".into(),
                    evil.into(),
                    "manifest-inspect".into(),
                    "team/app:1".into(),
                ],
                None,
            ),
            (
                vec![
                    "--insecure-registry".into(),
                    evil.into(),
                    "manifest-inspect".into(),
                    "evil.example/team/app:1".into(),
                ],
                None,
            ),
            (
                vec!["manifest-inspect".into(), "evil.example/team/app:1".into()],
                Some(("CR_CREDENTIAL_HOSTS", format!("example.org,{evil}"))),
            ),
        ];
        for (args, var) in cases {
            let mut cmd = proxy_env(&env, &proxy);
            cmd.env("CR_REGISTRY", "127.0.0.1:9")
                .env("CR_APIKEY", SECRET)
                .args(&args);
            if let Some((k, v)) = &var {
                cmd.env(k, v);
            }
            let out = cmd.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?} {var:?}: {err}");
            assert!(
                err.contains("invalid registry host"),
                "{args:?} {var:?}: {err}"
            );
            assert!(!err.contains(SECRET), "{err}");
        }
    }
    let seen = proxy.seen();
    assert_eq!(seen.len(), control.len(), "{seen:?}");
    assert!(proxy.authorized().is_empty(), "{:?}", proxy.authorized());
}

/// Issue #17 finding 9: `--insecure-registry reg.example:5000` gives plain HTTP to
/// reg.example:5000 alone; `reg.example` and `reg.example:443` stay on TLS, so the password
/// never travels in clear to them.
#[test]
fn an_insecure_host_is_matched_by_name_and_port_exactly() {
    let proxy = standin_proxy();
    let env = Env::new();
    let run = |image: &str| {
        let mut cmd = proxy_env(&env, &proxy);
        cmd.env("CR_REGISTRY", "reg.example")
            .env("CR_CREDENTIAL_HOSTS", "reg.example:443,reg.example:5000")
            .env("CR_USERNAME", "alice")
            .env("CR_PASSWORD", SECRET)
            .args(["--insecure-registry", "reg.example:5000"])
            .args(["manifest-inspect", image]);
        let out = cmd.output().unwrap();
        assert_ne!(out.status.code(), Some(0));
        assert!(!String::from_utf8_lossy(&out.stderr).contains(SECRET));
    };
    for image in ["reg.example/ns/x:1", "reg.example:443/ns/x:1"] {
        run(image);
    }
    let seen = proxy.seen();
    assert!(
        !seen.is_empty()
            && seen
                .iter()
                .all(|s| s.method == "CONNECT" && s.target == "reg.example:443"),
        "only TLS tunnels: {seen:?}"
    );
    assert!(proxy.authorized().is_empty(), "{:?}", proxy.authorized());
    // The listed host and port itself: plain HTTP, as asked.
    run("reg.example:5000/ns/x:1");
    assert!(
        proxy
            .seen()
            .iter()
            .any(|s| s.method == "GET" && s.target.starts_with("http://reg.example:5000/v2/")),
        "{:?}",
        proxy.seen()
    );
}

// Issue #17, finding 14: a failed write to stdout or stderr never panics; a failed stdout
// write exits 1 with a message, except a closed pipe, which ends quietly (exit 0).

/// A registry holding `ns/app` with tags v1, v2, v3; the `tag-list` arguments for it.
fn tagged_registry(env: &Env) -> (TestRegistry, tempfile::TempDir, String) {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    common::layout::image(&l, Some("v1"), "amd64", &[("a", b"output")]);
    for tag in ["v1", "v2", "v3"] {
        env.ok(&[
            "push",
            &format!("oci:{}:v1", l.display()),
            &format!("{}/ns/app:{tag}", reg.host),
        ]);
    }
    let repo = format!("{}/ns/app", reg.host);
    (reg, dir, repo)
}

fn dev_full() -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
}

/// Run `cmd` to the end; (exit code, stdout, stderr) of what could be captured.
fn finish(mut cmd: std::process::Command) -> (Option<i32>, String, String) {
    let o = cmd.output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_full_stdout_is_an_error_not_lost_output() {
    let env = Env::new();
    let (_reg, _dir, repo) = tagged_registry(&env);
    // The tags are there (stdout captured normally).
    let out = env.ok(&["tag-list", &repo]);
    for tag in ["v1", "v2", "v3"] {
        assert!(out.contains(tag), "{out}");
    }
    // stdout on a full disk: exit 1 and said on stderr, no panic. Also for completions
    // (generated in memory) and --help (written by clap).
    for args in [
        vec!["tag-list", repo.as_str()],
        vec!["completions", "bash"],
        vec!["--help"],
    ] {
        let mut c = env.std_cmd();
        c.args(&args).stdout(dev_full());
        let (code, _, err) = finish(c);
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert!(
            err.contains("error: cannot write to standard output"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_failing_stderr_never_panics() {
    let env = Env::new();
    let (_reg, _dir, repo) = tagged_registry(&env);
    let missing = repo.replace("ns/app", "ns/missing");
    // stderr on a full disk: the documented exit codes, not a panic (101); stdout still
    // carries the output.
    let mut c = env.std_cmd();
    c.args(["tag-list", &missing]).stderr(dev_full());
    let (code, out, _) = finish(c);
    assert_eq!(code, Some(3), "not found, reported where it could be");
    assert!(out.is_empty(), "{out}");
    let mut c = env.std_cmd();
    c.args(["tag-list", &repo]).stderr(dev_full());
    let (code, out, _) = finish(c);
    assert_eq!(code, Some(0));
    assert!(out.contains("v3"), "{out}");
    // A warning goes to stderr too: --tls-verify=false warns on every run.
    let mut c = env.std_cmd();
    c.args(["--tls-verify=false", "tag-list", &repo])
        .stderr(dev_full());
    let (code, out, _) = finish(c);
    assert_eq!(code, Some(0));
    assert!(out.contains("v2"), "{out}");
    // stderr closed (`2>&-`).
    let mut c = std::process::Command::new("sh");
    for (k, v) in env.std_cmd().get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.args(["-c", "exec \"$0\" \"$@\" 2>&-", env!("CARGO_BIN_EXE_cr")])
        .args(["tag-list", &missing]);
    let (code, out, _) = finish(c);
    assert_eq!(code, Some(3));
    assert!(out.is_empty(), "{out}");
}

#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    let env = Env::new();
    let (_reg, _dir, repo) = tagged_registry(&env);
    // `cr … | head -0`: the reader is gone before cr writes a byte.
    for args in [
        vec!["tag-list", repo.as_str()],
        vec!["tag-list", "-o", "json", repo.as_str()],
        vec!["completions", "bash"],
        vec!["--help"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut c = env.std_cmd();
        c.args(&args).stdout(writer);
        let (code, _, err) = finish(c);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: quiet, no panic message: {err}");
    }
}

/// Tag pages as registries send them: `first` and `next` in two Link fields with upper-case
/// `REL` (RFC 8288 allows both) are followed to the end; a registry that ignores `last` and
/// answers the first page again gives each tag once, stops, and says the list may be short.
#[test]
fn tag_pages_follow_any_link_form_and_a_repeated_page_stops_with_a_warning() {
    let pages = |ignore_last: bool| {
        Hostile::start(move |s| {
            if let Some(r) = ping_ok(s) {
                return r;
            }
            if !s.target.starts_with("/v2/ns/app/tags/list") {
                return Reply::status(404);
            }
            let second = s.target.contains("last=b") && !ignore_last;
            let (tags, next) = if second {
                (r#"["c","d"]"#, None)
            } else {
                (
                    r#"["a","b"]"#,
                    Some("</v2/ns/app/tags/list?last=b&n=2>; REL=\"NEXT\""),
                )
            };
            let mut r = Reply::json(200, format!(r#"{{"name":"ns/app","tags":{tags}}}"#))
                .with_header("Link", "</v2/ns/app/tags/list?n=2>; rel=\"first\"");
            if let Some(n) = next {
                r = r.with_header("Link", n);
            }
            r
        })
    };
    let env = Env::new();
    let good = pages(false);
    let out = env.ok(&["tag-list", &format!("{}/ns/app", good.host())]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["a", "b", "c", "d"],
        "{out}"
    );
    let looping = pages(true);
    let (code, out, err) = env.run(&["tag-list", &format!("{}/ns/app", looping.host())]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().collect::<Vec<_>>(), ["a", "b"], "{out}");
    assert!(err.contains("may be incomplete"), "{err}");
    let asked = looping
        .seen()
        .iter()
        .filter(|s| s.target.contains("tags/list"))
        .count();
    assert_eq!(asked, 2, "one repeated page is enough to stop");
}

/// A referrers answer paged with `Link: rel="next"` (the distribution spec's way for a long
/// list) is read to its end: every referrer on every page is listed.
#[test]
fn referrers_pages_are_all_read() {
    let img = Img::new();
    let subject = cr_digest(&img.manifest);
    let desc = |i: usize| {
        format!(
            r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":10,"artifactType":"application/t{i}"}}"#,
            cr_digest(format!("referrer {i}").as_bytes())
        )
    };
    let page_of = move |p: usize| -> (String, Option<String>) {
        let items: Vec<String> = match p {
            0 => vec![desc(1), desc(2)],
            1 => vec![desc(3), desc(4)],
            _ => vec![desc(5)],
        };
        let next =
            (p < 2).then(|| format!("</v2/ns/app/referrers/{subject}?p={}>; rel=\"next\"", p + 1));
        (
            format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
                items.join(",")
            ),
            next,
        )
    };
    let i2 = img.clone();
    let subject2 = cr_digest(&img.manifest);
    let reg = Hostile::start(move |s| {
        if let Some(r) = ping_ok(s).or_else(|| i2.serve(s)) {
            return r;
        }
        if s.target.starts_with("/v2/ns/app/tags/list") {
            return Reply::json(200, r#"{"name":"ns/app","tags":["1"]}"#);
        }
        if let Some(rest) = s
            .target
            .strip_prefix(&format!("/v2/ns/app/referrers/{subject2}"))
        {
            let p = rest
                .strip_prefix("?p=")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let (body, next) = page_of(p);
            let mut r = Reply::json(200, body);
            if let Reply::Full { headers, .. } = &mut r {
                headers[0].1 = "application/vnd.oci.image.index.v1+json".into();
            }
            if let Some(n) = next {
                r = r.with_header("Link", &n);
            }
            return r;
        }
        Reply::status(404)
    });
    let env = Env::new();
    let out = env.ok(&[
        "referrers",
        "-o",
        "json",
        &format!("{}/ns/app:1", reg.host()),
    ]);
    for i in 1..=5 {
        assert!(
            out.contains(&format!("application/t{i}")),
            "t{i} missing: {out}"
        );
    }
}
