//! Where cr takes TLS trust from, and what it says when TLS fails: CR_CERTS_D never reads the
//! working directory; --ca-cert files are checked before any request; every refused
//! certificate and every certificate alert is a TLS failure with the hint for its cause.

use crate::common::hostile::{Hostile, Reply};
use crate::common::{certs, Env, TestRegistry};
use crate::tls::push_with;

/// `DIR/HOST/ca.crt` holding `ca`, in a new directory.
fn certs_d_with(host: &str, ca: &std::path::Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(host)).unwrap();
    std::fs::copy(ca, dir.path().join(host).join("ca.crt")).unwrap();
    dir
}

/// The `hint:` line of a run's stderr.
fn hint(err: &str) -> &str {
    err.lines()
        .find(|l| l.trim_start().starts_with("hint:"))
        .unwrap_or("")
}

#[test]
fn an_empty_or_relative_certs_d_entry_never_reads_the_working_directory() {
    let reg = TestRegistry::start_tls();
    let env = Env::new();
    let name = format!("{}/ns/app:v1", reg.host);
    let digest = push_with(&env, &["--ca-cert", reg.cert().to_str().unwrap()], &name);
    // A checked-out repository plants HOST/ca.crt in the working directory.
    let cwd = certs_d_with(&reg.host, &reg.cert());
    let run = |certs_d: &str| {
        let o = env
            .cmd()
            .current_dir(cwd.path())
            .env("CR_CERTS_D", certs_d)
            .args(["image-inspect", &name])
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    // Empty entries (`:/x`, `$UNSET:/x`, `/x:`) are skipped: the planted CA is not read, so the
    // loopback host stays on plain HTTP and nothing is read from it.
    for v in [":/nonexistent-cr-certs", "/nonexistent-cr-certs:", "::"] {
        let (code, out, err) = run(v);
        assert_eq!(code, Some(1), "{v}: {err}");
        assert!(!out.contains(&digest), "{v}: {out}");
        assert!(err.contains("speaks HTTPS"), "{v}: {err}");
    }
    // A relative entry is refused before any request, naming the variable.
    for v in [".", "certs:/nonexistent-cr-certs"] {
        let (code, out, err) = run(v);
        assert_eq!(code, Some(2), "{v}: {err}");
        assert!(out.is_empty(), "{v}: {out}");
        assert!(
            err.contains("CR_CERTS_D") && err.contains("relative"),
            "{v}: {err}"
        );
    }
    // An absolute entry next to an empty one is still read.
    let good = certs_d_with(&reg.host, &reg.cert());
    let (code, out, err) = run(&format!(":{}", good.path().display()));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(&digest), "{out}");
}

#[test]
fn a_bad_ca_cert_file_is_a_usage_error_before_any_request() {
    let reg = Hostile::start(|_| Reply::status(200));
    let dir = tempfile::tempdir().unwrap();
    let no_pem = dir.path().join("key-only.pem");
    std::fs::write(&no_pem, "just text, no certificate\n").unwrap();
    let bad_der = dir.path().join("bad-der.crt");
    std::fs::write(
        &bad_der,
        "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let missing = dir.path().join("nonexistent.crt");
    let env = Env::new();
    for (file, why) in [
        (&missing, "cannot read it"),
        (&no_pem, "no PEM certificate"),
        (&bad_der, "does not parse"),
    ] {
        let f = file.to_str().unwrap();
        let (code, _, err) = env.run(&["--ca-cert", f, "image-list", "--registry", &reg.host()]);
        assert_eq!(code, 2, "{f}: {err}");
        assert!(err.contains("--ca-cert") && err.contains(f), "{f}: {err}");
        assert!(err.contains(why), "{f}: {err}");
    }
    assert!(reg.seen().is_empty(), "no request was sent");
}

#[test]
fn a_plain_http_request_to_an_nginx_https_port_is_explained() {
    let body = "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP request was sent to HTTPS port</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let reg = Hostile::start(move |_| Reply::Full {
        status: 400,
        headers: vec![("content-type".into(), "text/html".into())],
        body: body.as_bytes().to_vec(),
    });
    let env = Env::new();
    let (code, _, err) = env.run(&["image-list", "--registry", &reg.host()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("speaks HTTPS, but cr reached it over plain HTTP"),
        "{err}"
    );
    assert!(hint(&err).contains("--ca-cert"), "{err}");
    assert!(!hint(&err).contains("running"), "{err}");
}

#[test]
fn a_listed_insecure_host_that_speaks_https_is_told_to_be_unlisted() {
    let reg = TestRegistry::start_tls();
    let env = Env::new();
    let ca = reg.cert();
    // Listed, and its CA given: still plain HTTP, so the CA is no remedy.
    let (code, _, err) = env.run(&[
        "--insecure-registry",
        &reg.host,
        "--ca-cert",
        ca.to_str().unwrap(),
        "image-list",
        "--registry",
        &reg.host,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("listed as an insecure registry"), "{err}");
    let h = hint(&err);
    assert!(h.contains("remove it from --insecure-registry"), "{h}");
    assert!(!h.contains("--ca-cert"), "{h}");
    // Not listed: the CA is the remedy, in the certs.d directory cr reads.
    let certs_d = tempfile::tempdir().unwrap();
    let o = env
        .cmd()
        .env("CR_CERTS_D", certs_d.path())
        .args(["image-list", "--registry", &reg.host])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    let want = certs_d.path().join(&reg.host).join("ca.crt");
    assert!(
        hint(&err).contains(&format!("--ca-cert FILE or in {}", want.display())),
        "{err}"
    );
}

#[test]
fn each_certificate_failure_gets_its_own_remedy() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new();
    // Untrusted: give the CA, in the certs.d directory cr reads (CR_CERTS_D).
    let reg = TestRegistry::start_tls();
    let other = certs::ca(dir.path(), "other");
    let certs_d = certs_d_with(&reg.host, &other.cert);
    let o = env
        .cmd()
        .env("CR_CERTS_D", certs_d.path())
        .args(["image-list", "--registry", &reg.host])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let want = certs_d.path().join(&reg.host).join("ca.crt");
    let h = hint(&err);
    assert!(h.contains("signed by a CA cr does not trust"), "{h}");
    assert!(h.contains(&format!("or in {}", want.display())), "{h}");
    assert!(!h.contains("/etc/docker"), "{h}");
    // A wrong name: use a name it covers; no CA helps.
    let pair = certs::self_signed(dir.path(), "named", "DNS:localhost", false);
    let named = TestRegistry::start_with_cert(&pair, "");
    let ca = pair.cert.to_str().unwrap();
    let (code, _, err) = env.run(&["--ca-cert", ca, "image-list", "--registry", &named.host]);
    assert_eq!(code, 1, "{err}");
    let h = hint(&err);
    assert!(
        h.contains("not for this host name") && h.contains("a name the certificate covers"),
        "{h}"
    );
    assert!(!h.contains("--ca-cert") && !h.contains("client"), "{h}");
    // Expired: renew it on the server.
    let pair = certs::expired_self_signed(dir.path(), "old", "IP:127.0.0.1");
    let old = TestRegistry::start_with_cert(&pair, "");
    let ca = pair.cert.to_str().unwrap();
    let (code, _, err) = env.run(&["--ca-cert", ca, "image-list", "--registry", &old.host]);
    assert_eq!(code, 1, "{err}");
    let h = hint(&err);
    assert!(
        h.contains("has expired") && h.contains("renew it on the server"),
        "{h}"
    );
    assert!(!h.contains("--ca-cert") && !h.contains("client"), "{h}");
}

#[test]
fn a_certificate_for_clients_only_is_a_tls_failure_not_a_dead_registry() {
    let dir = tempfile::tempdir().unwrap();
    let ca = certs::ca(dir.path(), "ca");
    let leaf = certs::Pair {
        cert: dir.path().join("client-only.pem"),
        key: dir.path().join("client-only-key.pem"),
    };
    let ext =
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=clientAuth\n";
    certs::signed(dir.path(), "client-only", ext, &ca, &leaf);
    let reg = TestRegistry::start_with_cert(&leaf, "");
    let env = Env::new();
    let name = format!("{}/ns/app:v1", reg.host);
    let digest = push_with(&env, &["--tls-verify=false"], &name);
    let (code, out, err) = env.run(&[
        "--ca-cert",
        ca.cert.to_str().unwrap(),
        "image-inspect",
        &name,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(!out.contains(&digest), "{out}");
    let h = hint(&err);
    assert!(h.contains("its certificate was refused"), "{err}");
    assert!(
        !h.contains("running") && !h.contains("--insecure-registry"),
        "{h}"
    );
}
