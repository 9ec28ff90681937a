//! cr as a Docker credential helper: `docker-credential-cr` (a symlink to cr) answers Docker's
//! protocol from cr's own store, skopeo authenticates through it (credHelpers), an unknown
//! host gets Docker's exact not-found text, and store/erase/list round-trip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::{layout, Auth, Env, TestRegistry};

/// A directory holding `docker-credential-cr`, a symlink to this build of cr.
fn helper_dir(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_cr"), bin.join("docker-credential-cr")).unwrap();
    bin
}

/// A command with `env`'s isolated environment (cr's store) and `bin` first on PATH.
fn with_env(env: &Env, program: &Path, bin: &Path) -> Command {
    let base = env.std_cmd();
    let mut c = Command::new(program);
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    c.env("PATH", path);
    c
}

/// Run the helper with `action`, `input` on stdin.
fn helper(env: &Env, bin: &Path, action: &str, input: &str) -> Output {
    let mut cmd = with_env(env, &bin.join("docker-credential-cr"), bin);
    cmd.arg(action);
    crate::common::output_with_stdin(cmd, input.as_bytes())
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn docker_credential_cr_serves_crs_logins() {
    let reg = TestRegistry::start(Auth::Htpasswd(vec![("alice".into(), "alices-pw".into())]));
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let img = layout::image(&src, Some("one"), "amd64", &[("a", b"a")]);
    reg.skopeo_push(&src, "one", "ns/app:one");
    let env = Env::new();
    env.login(&reg.host, "alice", "alices-pw");
    let bin = helper_dir(dir.path());

    // get, with each way Docker writes a server URL.
    for url in [
        format!("https://{}", reg.host),
        reg.host.clone(),
        format!("http://{}/v2/\n", reg.host),
    ] {
        let v = json(&helper(&env, &bin, "get", &url));
        assert_eq!(v["Username"], "alice", "{url}");
        assert_eq!(v["Secret"], "alices-pw", "{url}");
        assert_eq!(v["ServerURL"], url.trim(), "{url}");
    }
    // The same through `cr credential-helper`.
    let out = env
        .cmd()
        .args(["credential-helper", "get"])
        .write_stdin(reg.host.clone())
        .output()
        .unwrap();
    assert_eq!(json(&out)["Secret"], "alices-pw");

    // skopeo reads Docker's config.json too, where cr's file store keeps the login as `auth`:
    // written as `username`/`password` (which cr reads and skopeo does not), the login reaches
    // skopeo only through the helper.
    let cfg_path = env.docker_config().join("config.json");
    let mut cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cfg_path).unwrap()).unwrap();
    cfg["auths"][reg.host.as_str()] =
        serde_json::json!({"username": "alice", "password": "alices-pw"});
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    assert_eq!(
        json(&helper(&env, &bin, "get", &reg.host))["Secret"],
        "alices-pw"
    );
    // skopeo, with a credHelpers entry naming cr, reads the image; without it, it cannot.
    let authfile = dir.path().join("auth.json");
    let skopeo = |auth: serde_json::Value| {
        std::fs::write(&authfile, auth.to_string()).unwrap();
        with_env(&env, Path::new("skopeo"), &bin)
            .args(["inspect", "--raw", "--tls-verify=false", "--authfile"])
            .arg(&authfile)
            .arg(format!("docker://{}/ns/app:one", reg.host))
            .output()
            .unwrap()
    };
    let control = skopeo(serde_json::json!({}));
    assert!(
        !control.status.success(),
        "skopeo read the image without the helper: the test would prove nothing"
    );
    let out = skopeo(serde_json::json!({"credHelpers": {reg.host.clone(): "cr"}}));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(crate::common::cr_digest(&out.stdout), img.digest);

    // An unknown host: Docker's exact text on stdout, exit 1.
    let out = helper(&env, &bin, "get", "https://unknown.example:5000");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "credentials not found in native keychain"
    );
    // Not a host cr keeps logins for: not found either (not an error that stops docker).
    let out = helper(&env, &bin, "get", "https://evil.example#.icr.io/x");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "credentials not found in native keychain"
    );
    // A store for such a URL is refused.
    let out = helper(
        &env,
        &bin,
        "store",
        r#"{"ServerURL":"https://evil.example#x","Username":"u","Secret":"s"}"#,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("invalid server URL"));
    let out = helper(&env, &bin, "get", "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "no credentials server URL"
    );

    // store, list, get, erase: a round trip through cr's store, which cr itself then uses.
    let body = serde_json::json!({
        "ServerURL": "https://other.example:5000",
        "Username": "bob",
        "Secret": "bobs-secret",
    });
    let out = helper(&env, &bin, "store", &body.to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let list = json(&helper(&env, &bin, "list", ""));
    assert_eq!(list["other.example:5000"], "bob", "{list}");
    assert_eq!(list[reg.host.as_str()], "alice", "{list}");
    let v = json(&helper(&env, &bin, "get", "other.example:5000"));
    assert_eq!(
        (v["Username"].as_str(), v["Secret"].as_str()),
        (Some("bob"), Some("bobs-secret"))
    );
    let out = helper(&env, &bin, "erase", "https://other.example:5000/");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = helper(&env, &bin, "get", "other.example:5000");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "credentials not found in native keychain"
    );
    let list = json(&helper(&env, &bin, "list", ""));
    assert!(list.get("other.example:5000").is_none(), "{list}");
    // The login cr made is untouched, and no secret went to stderr.
    assert_eq!(
        json(&helper(&env, &bin, "get", &reg.host))["Secret"],
        "alices-pw"
    );

    // An identity token (Docker's user `<token>`) round-trips, kept as Docker keeps it.
    let body = serde_json::json!({
        "ServerURL": "tokens.example",
        "Username": "<token>",
        "Secret": "refresh-me",
    });
    assert!(helper(&env, &bin, "store", &body.to_string())
        .status
        .success());
    let v = json(&helper(&env, &bin, "get", "https://tokens.example"));
    assert_eq!(
        (v["Username"].as_str(), v["Secret"].as_str()),
        (Some("<token>"), Some("refresh-me"))
    );
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cfg_path).unwrap()).unwrap();
    assert_eq!(
        cfg["auths"]["tokens.example"],
        serde_json::json!({"identitytoken": "refresh-me"})
    );

    // Docker's usage line for a missing or unknown action.
    let out = helper(&env, &bin, "fetch", "");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("<store|get|erase|list|version>"));
}

#[test]
fn credsstore_cr_does_not_call_itself() {
    // Docker's config names cr as its store: cr login stores through the helper (cr), which
    // writes its own store without asking a helper again.
    let reg = TestRegistry::start(Auth::Htpasswd(vec![("alice".into(), "pw".into())]));
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new();
    let bin = helper_dir(dir.path());
    std::fs::create_dir_all(env.docker_config()).unwrap();
    std::fs::write(
        env.docker_config().join("config.json"),
        r#"{"credsStore":"cr"}"#,
    )
    .unwrap();
    let out = with_env(&env, Path::new(env!("CARGO_BIN_EXE_cr")), &bin)
        .args(["login", &reg.host, "-u", "alice", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"pw\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("docker-credential-cr"));
    let v = json(&helper(&env, &bin, "get", &reg.host));
    assert_eq!(v["Secret"], "pw");
    // cr itself reads it back through the helper.
    let src = dir.path().join("src");
    layout::image(&src, Some("one"), "amd64", &[("a", b"a")]);
    reg.skopeo_push(&src, "one", "ns/app:one");
    let out = with_env(&env, Path::new(env!("CARGO_BIN_EXE_cr")), &bin)
        .args(["tag-list", &format!("{}/ns/app", reg.host)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("one"));
}
