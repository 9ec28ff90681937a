//! Authentication against real registries: token auth (our issuer) and htpasswd; login,
//! logout, API keys, Docker config.json, credential helpers, auth.json, identity tokens, denied
//! scopes and wrong passwords.

use std::os::unix::fs::PermissionsExt;

use crate::common::issuer::{ADMIN, ADMIN_PASSWORD, API_KEY, REFRESH_TOKEN};
use crate::common::{layout, Auth, Env, Issuer, TestRegistry, User};

fn token_registry(expires: u64) -> (TestRegistry, tempfile::TempDir, layout::Built) {
    let reader = User::new("reader", "reader-pass", &[("team", &["pull"])], false);
    let reg = TestRegistry::start(Auth::Token(Issuer::start(vec![reader], expires)));
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let b = layout::image(&l, Some("v1"), "amd64", &[("f", b"token test")]);
    reg.skopeo_push(&l, "v1", "team/app:v1");
    reg.skopeo_push(&l, "v1", "private/secret:v1");
    (reg, dir, b)
}

fn issuer(reg: &TestRegistry) -> &Issuer {
    match &reg.auth {
        Auth::Token(i) => i,
        _ => unreachable!(),
    }
}

#[test]
fn token_login_then_list_with_skopeo_digests() {
    let (reg, _d, built) = token_registry(300);
    let env = Env::new();
    let host = reg.host.as_str();

    // Without credentials the catalog is refused, with a clear message and exit 4.
    let (code, _, err) = env.run(&["--registry", host, "image-list"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("catalog") && err.contains("cr login"), "{err}");

    let out = env
        .cmd()
        .args(["login", host, "-u", ADMIN, "--password-stdin"])
        .write_stdin(format!("{ADMIN_PASSWORD}\n"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.json"), "says where it stored: {err}");
    assert!(
        !err.contains(ADMIN_PASSWORD)
            && !String::from_utf8_lossy(&out.stdout).contains(ADMIN_PASSWORD)
    );
    let cfg = env.docker_config().join("config.json");
    let mode = std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&cfg).unwrap()).unwrap();
    assert!(v["auths"][host]["auth"].is_string());

    let rows: serde_json::Value =
        serde_json::from_str(&env.ok(&["--registry", host, "image-list", "-o", "json"])).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for r in rows {
        let name = r["Repository"]
            .as_str()
            .unwrap()
            .trim_start_matches(&format!("{host}/"))
            .to_string();
        assert_eq!(r["Digest"], reg.skopeo_digest(&format!("{name}:v1")));
        assert_eq!(r["Digest"], built.digest);
    }
    // Least privilege: the listing asked for the catalog and pull, never push or delete.
    let seen = issuer(&reg).scopes_seen();
    assert!(seen.iter().any(|s| s == "registry:catalog:*"));
    assert!(seen.iter().any(|s| s == "repository:team/app:pull"));

    // --debug traces requests but never the password or a token.
    let (code, _, err) = env.run(&[
        "--debug",
        "--registry",
        host,
        "manifest-inspect",
        "team/app:v1",
    ]);
    assert_eq!(code, 0);
    assert!(
        err.contains("GET") && err.contains("/v2/team/app/manifests/v1"),
        "{err}"
    );
    assert!(
        !err.contains(ADMIN_PASSWORD) && !err.contains("Bearer ey"),
        "{err}"
    );

    let out = env.ok(&["logout", host]);
    assert!(out.contains("Removed"), "{out}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&cfg).unwrap()).unwrap();
    assert!(v["auths"].get(host).is_none());
    let (code, _, _) = env.run(&["--registry", host, "image-list"]);
    assert_eq!(code, 4);
}

#[test]
fn wrong_password_stores_nothing() {
    let (reg, _d, _) = token_registry(300);
    let env = Env::new();
    let out = env
        .cmd()
        .args(["login", &reg.host, "-u", ADMIN, "--password-stdin"])
        .write_stdin("wrong\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refused") && err.contains("nothing was stored"),
        "{err}"
    );
    assert!(!env.docker_config().join("config.json").exists());
    // A forced keyring where none is usable: refused with a way out, nothing stored.
    let out = env
        .cmd()
        .env("CR_CREDENTIAL_STORE", "keyring")
        .args(["login", &reg.host, "-u", ADMIN, "--password-stdin"])
        .write_stdin(format!("{ADMIN_PASSWORD}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CR_CREDENTIAL_STORE=file"));
    assert!(!env.docker_config().join("config.json").exists());
    // No credentials at all on a non-TTY: a usage error, no request needed.
    let (code, _, err) = env.run(&["login", &reg.host]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn api_key_from_env_without_login() {
    let (reg, _d, built) = token_registry(300);
    let env = Env::new();
    let out = env
        .cmd()
        .env("CR_APIKEY", API_KEY)
        .args(["--registry", &reg.host, "image-list", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    // --apikey @FILE login.
    let key = env.home.path().join("key");
    std::fs::write(&key, format!("{API_KEY}\n")).unwrap();
    env.ok(&[
        "login",
        &reg.host,
        "--apikey",
        &format!("@{}", key.display()),
    ]);
    let out = env.ok(&["--registry", &reg.host, "image-digests", "-o", "json"]);
    assert!(out.contains(&built.digest));
    // A wrong key fails.
    let out = env
        .cmd()
        .env("CR_APIKEY", "nope")
        .args(["--registry", &reg.host, "images"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
}

#[test]
fn docker_config_helpers_and_auth_json() {
    let (reg, _d, _) = token_registry(300);
    let host = reg.host.as_str();
    let b64 = |s: &str| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, s);

    // A `docker login` done earlier: config.json auths.
    let env = Env::new();
    std::fs::create_dir_all(env.docker_config()).unwrap();
    let cfg = serde_json::json!({"auths": {format!("http://{host}"): {"auth": b64(&format!("{ADMIN}:{ADMIN_PASSWORD}"))}}});
    std::fs::write(env.docker_config().join("config.json"), cfg.to_string()).unwrap();
    assert_eq!(
        env.ok(&["--registry", host, "images", "-q"])
            .lines()
            .count(),
        2
    );

    // An identity token: tokens come by OAuth2 POST.
    let env = Env::new();
    std::fs::create_dir_all(env.docker_config()).unwrap();
    let cfg = serde_json::json!({"auths": {host: {"identitytoken": REFRESH_TOKEN}}});
    std::fs::write(env.docker_config().join("config.json"), cfg.to_string()).unwrap();
    let posts = issuer(&reg).posts();
    assert_eq!(
        env.ok(&["--registry", host, "images", "-q"])
            .lines()
            .count(),
        2
    );
    assert!(issuer(&reg).posts() > posts);

    // A credential helper named by credHelpers.
    let env = Env::new();
    let bin = env.home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-crtest");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\nread host\n[ \"$1\" = get ] && echo '{{\"ServerURL\":\"'$host'\",\"Username\":\"{ADMIN}\",\"Secret\":\"{ADMIN_PASSWORD}\"}}'\n"),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(env.docker_config()).unwrap();
    let cfg = serde_json::json!({"credHelpers": {host: "crtest"}});
    std::fs::write(env.docker_config().join("config.json"), cfg.to_string()).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = env
        .cmd()
        .env("PATH", path)
        .args(["--registry", host, "images", "-q"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);

    // containers auth.json
    let env = Env::new();
    let auth = env.home.path().join("auth.json");
    let cfg =
        serde_json::json!({"auths": {host: {"auth": b64(&format!("{ADMIN}:{ADMIN_PASSWORD}"))}}});
    std::fs::write(&auth, cfg.to_string()).unwrap();
    assert_eq!(
        env.ok(&["--registry", host, "images", "-q"])
            .lines()
            .count(),
        2
    );
}

#[test]
fn denied_scope_is_explained() {
    let (reg, _d, built) = token_registry(300);
    let env = Env::new();
    env.login(&reg.host, "reader", "reader-pass");
    let host = reg.host.as_str();
    // The catalog is forbidden to this user, but a repository it may pull can be listed. A 401
    // after a token was issued reads as "no catalog for this account" (as on Docker Hub,
    // issue #21): exit 1, pointing at --restrict.
    let (code, _, err) = env.run(&["--registry", host, "image-list"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--restrict"), "{err}");
    assert!(err.contains("reader") && err.contains("catalog"), "{err}");
    let out = env.ok(&[
        "--registry",
        host,
        "image-list",
        "--restrict",
        "team/app",
        "-o",
        "json",
    ]);
    assert!(out.contains(&built.digest), "{out}");
    // Pulling outside its namespace is refused, naming the account and the scope.
    let (code, _, err) = env.run(&["--registry", host, "manifest-inspect", "private/secret:v1"]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("private/secret") && err.contains("hint:"),
        "{err}"
    );
}

#[test]
fn htpasswd_basic_auth() {
    let reg = TestRegistry::start(Auth::Htpasswd(vec![("bob".into(), "bob-pass".into())]));
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let b = layout::image(&l, Some("v1"), "amd64", &[("f", b"basic")]);
    reg.skopeo_push(&l, "v1", "ns/basic:v1");
    let env = Env::new();
    let (code, _, _) = env.run(&["--registry", &reg.host, "images"]);
    assert_eq!(code, 4);
    let out = env
        .cmd()
        .args(["login", &reg.host, "-u", "bob", "--password-stdin"])
        .write_stdin("bad\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refused the credentials of user \"bob\""),
        "{err}"
    );
    // Nothing listening: the credentials were never sent, and are not blamed.
    let gone = format!("127.0.0.1:{}", crate::common::free_port());
    let out = env
        .cmd()
        .args(["login", &gone, "-u", "bob", "--password-stdin"])
        .write_stdin("bob-pass\n")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("the credentials were not checked"), "{err}");
    assert!(!err.contains("refused the credentials"), "{err}");
    env.login(&reg.host, "bob", "bob-pass");
    let out = env.ok(&[
        "--registry",
        &reg.host,
        "images",
        "--format",
        "{{ .Digest }}",
    ]);
    assert_eq!(out.trim(), b.digest);
    let out = env
        .cmd()
        .env("CR_USERNAME", "bob")
        .env("CR_PASSWORD", "bob-pass")
        .env("DOCKER_CONFIG", env.home.path().join("empty"))
        .args(["--registry", &reg.host, "images", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success());
}

/// A rejected login on a catalog listing is headlined as a rejection (exit 4), not as a
/// missing catalog permission (issue #18).
#[test]
fn a_rejected_login_on_the_catalog_is_a_rejection() {
    let reg = TestRegistry::start(Auth::Htpasswd(vec![("alice".into(), "right".into())]));
    let env = Env::new();
    let o = env
        .cmd()
        .env("CR_USERNAME", "alice")
        .env("CR_PASSWORD", "Xq7-not-her-password")
        .args(["namespace-list", "--registry", &reg.host])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    let first = err.lines().next().unwrap_or("");
    assert!(first.contains("did not accept user \"alice\""), "{err}");
    assert!(!err.contains("does not allow"), "{err}");
    assert!(!err.contains("Xq7"), "the password is never printed: {err}");
}

/// Credentials from CR_USERNAME/CR_PASSWORD that the registry rejects point at those variables,
/// chosen by the credential's source (a type; `registry::account` unit-tests that a user name
/// reading like " from CR_APIKEY" changes nothing), not by matching the message.
#[test]
fn a_rejected_credential_is_hinted_by_its_source() {
    let reg = TestRegistry::start(Auth::Htpasswd(vec![("alice".into(), "right".into())]));
    let env = Env::new();
    let o = env
        .cmd()
        .env("CR_USERNAME", "alice")
        .env("CR_PASSWORD", "wrong")
        .args(["tag-list", "--registry", &reg.host, "ns/app"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(err.contains("check those variables"), "{err}");
    assert!(!err.contains("cr login"), "{err}");
}

/// `cr login` writes Docker's config.json as docker does: a config.json that is a symbolic
/// link (a dotfiles checkout) stays one and the file it points at gets the login; a Docker
/// config directory cr makes is 0700, the file 0600.
#[test]
fn login_keeps_a_linked_config_json_and_makes_its_directory_private() {
    use crate::common::hostile::{Hostile, Reply};
    let reg = Hostile::start(|s| match &s.authorization {
        None => Reply::status(401).with_header("WWW-Authenticate", r#"Basic realm="r""#),
        Some(_) => Reply::status(200),
    });
    let host = reg.host();
    let login = |env: &Env| {
        let out = env
            .cmd()
            .args(["login", &host, "-u", "bob", "--password-stdin"])
            .write_stdin("bob-pass\n")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

    // A directory cr makes: 0700, as docker's MkdirAll(dir, 0700).
    let env = Env::new();
    login(&env);
    assert_eq!(mode(&env.docker_config()), 0o700);
    assert_eq!(mode(&env.docker_config().join("config.json")), 0o600);

    // A linked config.json: the link stays, its target holds the login (and what it held).
    let env = Env::new();
    let dotfiles = env.home.path().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    std::fs::create_dir_all(env.docker_config()).unwrap();
    let target = dotfiles.join("docker-config.json");
    std::fs::write(&target, r#"{"auths":{},"detachKeys":"ctrl-x"}"#).unwrap();
    let link = env.docker_config().join("config.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    login(&env);
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "config.json is still a link");
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert!(v["auths"][host.as_str()]["auth"].is_string(), "{v}");
    assert_eq!(v["detachKeys"], "ctrl-x");
    assert_eq!(mode(&target), 0o600);
    // And it reads back through the link.
    let out = env.ok(&["--registry", &host, "logout"]);
    assert!(out.contains("Removed"), "{out}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

/// A bad `CR_CREDENTIAL_STORE` or `CR_CREDENTIAL_HOSTS` is a usage error (exit 2) naming the
/// variable, found before any request (a login is not proven first and then refused).
#[test]
fn bad_credential_variables_are_usage_errors_before_any_request() {
    use crate::common::hostile::{Hostile, Reply};
    let reg = Hostile::start(|s| match &s.authorization {
        None => Reply::status(401).with_header("WWW-Authenticate", r#"Basic realm="r""#),
        Some(_) => Reply::status(200),
    });
    let host = reg.host();
    let env = Env::new();
    let login = ["login", host.as_str(), "-u", "bob", "--password-stdin"];
    let inspect = ["--registry", host.as_str(), "manifest-inspect", "ns/x:1"];
    for (var, value) in [
        ("CR_CREDENTIAL_STORE", "abc"),
        ("CR_CREDENTIAL_HOSTS", "127.0.0.1:18103/"),
    ] {
        for args in [&login[..], &inspect[..]] {
            let out = env
                .cmd()
                .env(var, value)
                .args(args)
                .write_stdin("bob-pass\n")
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{var} {args:?}: {err}");
            assert!(err.contains(&format!("{var}=\"{value}\"")), "{err}");
            assert!(reg.seen().is_empty(), "{var} {args:?}: {:?}", reg.seen());
        }
    }
    assert!(!env.docker_config().join("config.json").exists());
}
