//! What a pull writes locally is checked before its first request: the name it gives the image
//! (one cr reads back, as skopeo requires), the destination's kind, and the environment its
//! final write reads. Each refusal is exit 2 and no connection reaches the registry.

use crate::common::Env;
use std::net::TcpListener;

/// A port that accepts connections but never answers: a pull that reached it would wait for
/// its read timeout; one that did not leaves nothing to accept.
fn silent_registry() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let host = format!("127.0.0.1:{}", l.local_addr().unwrap().port());
    (l, host)
}

/// Run `cr pull HOST/p/small:1 DST` with `vars`; exit code and stderr.
fn pull(env: &Env, host: &str, dst: &str, vars: &[(&str, &str)]) -> (i32, String) {
    let mut c = env.cmd();
    c.env("CR_MAX_RETRIES", "0").env("CR_READ_TIMEOUT", "1");
    for (k, v) in vars {
        c.env(k, v);
    }
    let out = c
        .args(["pull", &format!("{host}/p/small:1"), dst])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn no_connection(l: &TcpListener, what: &str) {
    assert_eq!(
        l.accept().map(|_| ()).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock),
        "{what}: a connection reached the registry"
    );
}

#[test]
fn a_name_cr_cannot_read_back_is_refused_before_any_request() {
    let env = Env::new();
    let (l, host) = silent_registry();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    for dst in [
        format!("docker-archive:{d}/o1.tar:bad ref"),
        format!("docker-archive:{d}/o2.tar:UPPER/x:1"),
        format!("docker-archive:{d}/o4.tar:app@sha256:{}", "0".repeat(64)),
        format!("oci:{d}/o3:bad tag with spaces"),
        format!("oci-archive:{d}/o5.tar:-x"),
    ] {
        let (code, err) = pull(&env, &host, &dst, &[]);
        assert_eq!(code, 2, "{dst}: {err}");
        assert!(err.contains("cannot name the image"), "{dst}: {err}");
        no_connection(&l, &dst);
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_destination_of_another_kind_is_refused_before_any_request() {
    let env = Env::new();
    let (l, host) = silent_registry();
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("adir");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("keep"), b"mine").unwrap();
    let file = dir.path().join("afile");
    std::fs::write(&file, b"not a layout").unwrap();
    for dst in [
        format!("docker-archive:{}", sub.display()),
        format!("oci-archive:{}", sub.display()),
        format!("oci:{}", file.display()),
    ] {
        let (code, err) = pull(&env, &host, &dst, &[]);
        assert_eq!(code, 2, "{dst}: {err}");
        assert!(err.contains("exists and is not"), "{dst}: {err}");
        no_connection(&l, &dst);
    }
    assert_eq!(std::fs::read(sub.join("keep")).unwrap(), b"mine");
    assert_eq!(std::fs::read(&file).unwrap(), b"not a layout");
}

#[test]
fn a_bad_lock_or_staging_setting_is_a_usage_error_before_any_request() {
    let env = Env::new();
    let (l, host) = silent_registry();
    let dir = tempfile::tempdir().unwrap();
    let dst = format!("oci:{}", dir.path().join("out").display());
    for (var, value) in [
        ("CR_LOCK_TIMEOUT", "abc"),
        ("CR_LOCK_TIMEOUT", "-1"),
        ("CR_STALE_STAGING_SECS", "abc"),
        ("CR_STALE_STAGING_SECS", "1.5"),
    ] {
        let (code, err) = pull(&env, &host, &dst, &[(var, value)]);
        assert_eq!(code, 2, "{var}={value}: {err}");
        assert!(err.contains(var) && err.contains(value), "{err}");
        no_connection(&l, var);
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
