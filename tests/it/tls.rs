//! TLS against real docker-registry instances (issue #11, item 3): a registry that speaks HTTPS
//! is explained, never silently given up on; --ca-cert, certs.d (CR_CERTS_D), --tls-verify=false
//! and mutual TLS with --client-cert/--client-key or certs.d client.cert + client.key.

use crate::common;

use crate::common::{layout, Env, TestRegistry};

fn image(reg: &TestRegistry) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(&l, Some("v1"), "amd64", &[("a", b"tls")]);
    let src = format!("oci:{}:v1", l.display());
    let env = Env::new();
    let mut c = env.cmd();
    c.args([
        "--ca-cert",
        reg.cert().to_str().unwrap(),
        "push",
        &src,
        &format!("{}/ns/app:v1", reg.host),
    ]);
    if let Some((cert, key)) = Some(reg.client_cert()).filter(|(c, _)| c.exists()) {
        c.args([
            "--client-cert",
            cert.to_str().unwrap(),
            "--client-key",
            key.to_str().unwrap(),
        ]);
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (dir, img.digest)
}

#[test]
fn server_tls_matrix() {
    let reg = TestRegistry::start_tls();
    let (_dir, digest) = image(&reg);
    let env = Env::new();
    let name = format!("{}/ns/app:v1", reg.host);
    // No CA given: a loopback host is plain HTTP, the registry speaks HTTPS: say so.
    let (code, _, err) = env.run(&["manifest-inspect", &name]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("speaks HTTPS"), "{err}");
    assert!(err.contains("--ca-cert"), "{err}");
    // --ca-cert: verified TLS.
    let out = env.ok(&[
        "--ca-cert",
        reg.cert().to_str().unwrap(),
        "image-inspect",
        &name,
    ]);
    assert!(out.contains(&digest));
    // certs.d: DIR/HOST:PORT/ca.crt.
    let certs = tempfile::tempdir().unwrap();
    let d = certs.path().join(&reg.host);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::copy(reg.cert(), d.join("ca.crt")).unwrap();
    let o = env
        .cmd()
        .env("CR_CERTS_D", certs.path())
        .args(["image-inspect", &name])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // --tls-verify=false (and CR_TLS_VERIFY=false): works, with a warning.
    let o = env
        .cmd()
        .args(["--tls-verify=false", "image-inspect", &name])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("verification is off"));
    let o = env
        .cmd()
        .env("CR_TLS_VERIFY", "false")
        .args(["image-inspect", &name])
        .output()
        .unwrap();
    assert!(o.status.success());
    // A CA that did not sign it: a TLS error, named, with no fallback to plain HTTP.
    let other_dir = tempfile::tempdir().unwrap();
    let other = certs::ca(other_dir.path(), "other");
    let (code, _, err) = env.run(&[
        "--ca-cert",
        other.cert.to_str().unwrap(),
        "image-inspect",
        &name,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("signed by a CA cr does not trust"), "{err}");
    assert!(
        !err.contains("speaks HTTPS"),
        "no plain-HTTP fallback: {err}"
    );
    let (code, _, err) = env.run(&["--tls-verify=maybe", "region"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn mutual_tls_with_flags_or_certs_d() {
    let reg = TestRegistry::start_mtls();
    let (_dir, digest) = image(&reg);
    let (cert, key) = reg.client_cert();
    let env = Env::new();
    let name = format!("{}/ns/app:v1", reg.host);
    let ca = reg.cert();
    // Without a client certificate: refused, and said so (the server's alert arrives with
    // the answer to the first request under TLS 1.3): a TLS failure naming the flags.
    let (code, out, err) = env.run(&["--ca-cert", ca.to_str().unwrap(), "image-inspect", &name]);
    assert_eq!(code, 1, "{err}");
    assert!(!out.contains(&digest), "{out}");
    let hint = err
        .lines()
        .find(|l| l.trim_start().starts_with("hint:"))
        .unwrap_or("");
    assert!(
        hint.contains(&format!("{}: it asks for a client certificate", reg.host)),
        "{err}"
    );
    assert!(
        hint.contains("--client-cert FILE --client-key FILE"),
        "{err}"
    );
    assert!(
        !hint.contains("running") && !hint.contains("--insecure-registry"),
        "{err}"
    );
    // With the CA in certs.d: the hint names that directory for client.cert + client.key.
    let ca_only = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ca_only.path().join(&reg.host)).unwrap();
    std::fs::copy(&ca, ca_only.path().join(&reg.host).join("ca.crt")).unwrap();
    let o = env
        .cmd()
        .env("CR_CERTS_D", ca_only.path())
        .args(["image-inspect", &name])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let dir = ca_only.path().join(&reg.host);
    assert!(
        err.contains(&format!("client.cert + client.key in {}", dir.display())),
        "{err}"
    );
    // With the flags.
    let out = env.ok(&[
        "--ca-cert",
        ca.to_str().unwrap(),
        "--client-cert",
        cert.to_str().unwrap(),
        "--client-key",
        key.to_str().unwrap(),
        "image-inspect",
        &name,
    ]);
    assert!(out.contains(&digest));
    // From certs.d: ca.crt, client.cert, client.key.
    let certs = tempfile::tempdir().unwrap();
    let d = certs.path().join(&reg.host);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::copy(&ca, d.join("ca.crt")).unwrap();
    std::fs::copy(&cert, d.join("client.cert")).unwrap();
    std::fs::copy(&key, d.join("client.key")).unwrap();
    let o = env
        .cmd()
        .env("CR_CERTS_D", certs.path())
        .args(["image-inspect", &name])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // --client-cert without --client-key is a usage error.
    let (code, _, _) = env.run(&["--client-cert", cert.to_str().unwrap(), "region"]);
    assert_eq!(code, 2);
}

#[test]
fn a_plain_loopback_registry_still_works_when_a_ca_is_given() {
    let plain = TestRegistry::start(common::Auth::None);
    let tls = TestRegistry::start_tls();
    let env = Env::new();
    let out = env.ok(&[
        "--ca-cert",
        tls.cert().to_str().unwrap(),
        "--registry",
        &plain.host,
        "image-list",
    ]);
    assert!(out.starts_with("Repository"), "{out}");
}

#[test]
fn a_self_signed_certificate_given_as_its_own_ca_is_trusted() {
    let reg = TestRegistry::start_self_signed();
    let env = Env::new();
    let name = format!("{}/ns/app:v1", reg.host);
    let cert = reg.cert();
    // Without it: an untrusted certificate, named as such.
    let (code, _, err) = env.run(&["--tls-verify=true", "image-list", "--registry", &reg.host]);
    assert_ne!(code, 0, "{err}");
    // Given with --ca-cert: pushed and read back over verified TLS.
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(&l, Some("v1"), "amd64", &[("a", b"self-signed")]);
    env.ok(&[
        "--ca-cert",
        cert.to_str().unwrap(),
        "push",
        &format!("oci:{}:v1", l.display()),
        &name,
    ]);
    let out = env.ok(&["--ca-cert", cert.to_str().unwrap(), "image-inspect", &name]);
    assert!(out.contains(&img.digest));
    // In certs.d.
    let certs = tempfile::tempdir().unwrap();
    let d = certs.path().join(&reg.host);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::copy(&cert, d.join("ca.crt")).unwrap();
    let o = env
        .cmd()
        .env("CR_CERTS_D", certs.path())
        .args(["image-inspect", &name])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

// Issue #17, finding 8: `--ca-cert` and certs.d add trust anchors; they exempt nothing. The
// host name and the validity period are still checked; certs.d vouches for its own host only.

use crate::common::certs;

/// Push a one-layer image to `name` with `flags`; its manifest digest.
pub(crate) fn push_with(env: &Env, flags: &[&str], name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(&l, Some("v1"), "amd64", &[("a", name.as_bytes())]);
    let src = format!("oci:{}:v1", l.display());
    let mut args = flags.to_vec();
    args.extend(["push", &src, name]);
    env.ok(&args);
    img.digest
}

#[test]
fn a_given_certificate_for_another_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new();
    // The `openssl req -x509` recipe (CA:TRUE) and a CA:FALSE self-signed leaf, both for
    // localhost and [::1] but not for 127.0.0.1, each given as its own CA.
    for (stem, ca_flag) in [("recipe", true), ("leaf", false)] {
        let pair = certs::self_signed(dir.path(), stem, "DNS:localhost,IP:::1", ca_flag);
        let reg = TestRegistry::start_with_cert(&pair, "");
        let ca = pair.cert.to_str().unwrap();
        // Reached as localhost, the name it is for: trusted, pushed and read back.
        let right = format!("localhost:{}/ns/app:v1", reg.port);
        let digest = push_with(&env, &["--ca-cert", ca], &right);
        let out = env.ok(&["--ca-cert", ca, "image-inspect", &right]);
        assert!(out.contains(&digest), "{stem}: {out}");
        // Reached as 127.0.0.1: a TLS error naming the host, with no plain-HTTP fallback.
        let wrong = format!("{}/ns/app:v1", reg.host);
        let (code, out, err) = env.run(&["--ca-cert", ca, "image-inspect", &wrong]);
        assert_eq!(code, 1, "{stem}: {err}");
        assert!(!out.contains(&digest), "{stem}: {out}");
        assert!(
            err.contains(&format!(
                "{}: its certificate is not for this host name",
                reg.host
            )),
            "{stem}: {err}"
        );
        // The same from certs.d.
        let certs_d = tempfile::tempdir().unwrap();
        let d = certs_d.path().join(&reg.host);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::copy(&pair.cert, d.join("ca.crt")).unwrap();
        let o = env
            .cmd()
            .env("CR_CERTS_D", certs_d.path())
            .args(["image-inspect", &wrong])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{stem}: {err}");
        assert!(err.contains("not for this host name"), "{stem}: {err}");
        // --tls-verify=false is the only way past it, and says so.
        let o = env
            .cmd()
            .args(["--tls-verify=false", "image-inspect", &wrong])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{stem}: {err}");
        assert!(String::from_utf8_lossy(&o.stdout).contains(&digest));
        assert!(err.contains("verification is off"), "{stem}: {err}");
    }
}

#[test]
fn an_expired_certificate_given_as_a_ca_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pair = certs::expired_self_signed(dir.path(), "expired", "IP:127.0.0.1,DNS:localhost");
    let reg = TestRegistry::start_with_cert(&pair, "");
    let env = Env::new();
    let name = format!("{}/ns/app:v1", reg.host);
    let ca = pair.cert.to_str().unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let l = dir2.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("a", b"expired")]);
    let src = format!("oci:{}:v1", l.display());
    let (code, _, err) = env.run(&["--ca-cert", ca, "push", &src, &name]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "{}: its certificate has expired (or is not valid yet)",
            reg.host
        )),
        "{err}"
    );
    assert!(
        !err.contains("speaks HTTPS"),
        "no plain-HTTP fallback: {err}"
    );
    // Nothing was pushed: the registry holds no repository.
    let digest = push_with(&env, &["--tls-verify=false"], &name);
    let (code, out, err) = env.run(&["--ca-cert", ca, "image-inspect", &name]);
    assert_eq!(code, 1, "{err}");
    assert!(!out.contains(&digest), "{out}");
    assert!(
        err.contains("its certificate has expired (or is not valid yet)"),
        "{err}"
    );
    // --tls-verify=false reads it, with the warning.
    let o = env
        .cmd()
        .args(["--tls-verify=false", "image-inspect", &name])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains(&digest));
    assert!(String::from_utf8_lossy(&o.stderr).contains("verification is off"));
}

#[test]
fn a_certs_d_anchor_vouches_for_its_own_host_only() {
    // One CA signs a certificate for 127.0.0.1 (registry X) and one for localhost (Y, the
    // host X redirects blob downloads to). certs.d holds the CA for X only.
    let dir = tempfile::tempdir().unwrap();
    let ca = certs::ca(dir.path(), "ca");
    let y = TestRegistry::start_with_cert(&certs::leaf(dir.path(), "y", &ca, "DNS:localhost"), "");
    let redirect = format!(
        "middleware:\n  storage:\n    - name: redirect\n      options:\n        baseurl: https://localhost:{}/\n",
        y.port
    );
    let x = TestRegistry::start_with_cert(
        &certs::leaf(dir.path(), "x", &ca, "IP:127.0.0.1"),
        &redirect,
    );
    let certs_d = tempfile::tempdir().unwrap();
    let d = certs_d.path().join(&x.host);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::copy(&ca.cert, d.join("ca.crt")).unwrap();
    let env = Env::new();
    let name = format!("{}/ns/app:v1", x.host);
    let dir2 = tempfile::tempdir().unwrap();
    let l = dir2.path().join("layout");
    layout::image(&l, Some("v1"), "amd64", &[("a", b"certs.d")]);
    let src = format!("oci:{}:v1", l.display());
    let o = env
        .cmd()
        .env("CR_CERTS_D", certs_d.path())
        .args(["push", &src, &name])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The manifest comes from X; the config blob is redirected to localhost (Y), which
    // X's certs.d anchor does not vouch for: a TLS error naming Y.
    let o = env
        .cmd()
        .env("CR_CERTS_D", certs_d.path())
        .args(["image-inspect", &name])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "localhost:{}: its certificate is signed by a CA cr does not trust",
            y.port
        )),
        "{err}"
    );
    // cr reads no certs.d for Y: the hint gives --ca-cert only, no certs.d path.
    let hint = err
        .lines()
        .find(|l| l.trim_start().starts_with("hint:"))
        .unwrap_or("");
    assert!(hint.contains("--ca-cert FILE;"), "{hint}");
    assert!(
        !hint.contains("certs.d") && !hint.contains(" or in "),
        "{hint}"
    );
    // The same CA given with --ca-cert is an anchor for every host: the TLS handshake with Y
    // succeeds (Y, a registry, does not have the redirected path: not a TLS error).
    let (code, _, err) = env.run(&[
        "--ca-cert",
        ca.cert.to_str().unwrap(),
        "image-inspect",
        &name,
    ]);
    assert_ne!(code, 0, "{err}");
    assert!(!err.contains("certificate"), "{err}");
}
