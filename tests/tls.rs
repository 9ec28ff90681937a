//! TLS against real docker-registry instances (issue #11, item 3): a registry that speaks HTTPS
//! is explained, never silently given up on; --ca-cert, certs.d (CR_CERTS_D), --tls-verify=false
//! and mutual TLS with --client-cert/--client-key or certs.d client.cert + client.key.

mod common;

use common::{layout, Env, TestRegistry};

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
    let other = TestRegistry::start_tls();
    let (code, _, err) = env.run(&[
        "--ca-cert",
        other.cert().to_str().unwrap(),
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
    // Without a client certificate: refused, and said so.
    let (code, _, err) = env.run(&["--ca-cert", ca.to_str().unwrap(), "image-inspect", &name]);
    assert_ne!(code, 0, "{err}");
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
