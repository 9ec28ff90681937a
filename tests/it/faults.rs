//! Injected faults between cr and a real registry (our proxy): dropped connections mid-blob,
//! 500 and 429 answers, tokens that expire in 2 seconds during a long push, and blob
//! redirects to another host that must not receive Authorization; deletes whose answer is lost
//! after the registry did them, and untags interrupted (or killed) mid-placeholder.

use crate::common;

use crate::common::issuer::{ADMIN, ADMIN_PASSWORD};
use crate::common::proxy::{Action, Fault, Proxy};
use crate::common::{layout, Auth, Env, Issuer, TestRegistry};

fn image(dir: &std::path::Path, layers: usize, size: usize) -> layout::Built {
    let files: Vec<(String, Vec<u8>)> = (0..layers)
        .map(|i| (format!("f{i}"), common::noise(size, 10 + i as u64)))
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    layout::image(dir, Some("v1"), "amd64", &refs)
}

#[test]
fn pull_resumes_after_a_dropped_connection_and_retries_500() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1, 3 << 20);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let faults = vec![
        // The layer's GET is cut (the config is too small to cut after 1 MiB).
        Fault {
            method: "GET",
            path_contains: Box::leak(img.layers[0].clone().into_boxed_str()),
            action: Action::DropResponse(1 << 20),
            times: 1,
        },
        Fault {
            method: "GET",
            path_contains: "/blobs/sha256:",
            action: Action::Status(500, None),
            times: 1,
        },
        Fault {
            method: "GET",
            path_contains: "/manifests/",
            action: Action::Status(429, Some(1)),
            times: 1,
        },
    ];
    let proxy = Proxy::before(&reg, faults, None);
    let env = Env::new();
    let out = dir.path().join("out");
    let (code, res, err) = env.run(&[
        "pull",
        &format!("{}/ns/app:v1", proxy.host()),
        &format!("oci:{}", out.display()),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(res.contains(&img.digest), "{res}");
    assert_eq!(proxy.fired(), 3);
    // Each retry says what happened: a cut as a cut with the bytes that came, a Retry-After
    // wait as the wait the registry asked for (issue #19), never "error decoding".
    assert!(err.contains("the connection closed after "), "{err}");
    assert!(
        err.contains(&format!("{} asked to wait 1 s (Retry-After)", proxy.host())),
        "{err}"
    );
    assert!(!err.contains("error decoding"), "{err}");
    // What was written is verified content: skopeo reads it back with the same digest.
    let other = common::ns();
    other.skopeo_push(&out, "v1", "ns/back:v1");
    assert_eq!(other.skopeo_digest("ns/back:v1"), img.digest);
}

#[test]
fn push_restarts_a_broken_upload_and_retries_429() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 2, 2 << 20);
    let faults = vec![
        // The config's upload is told to come back in 2 s: the new session waits that long.
        // (First: a fault below would take the config's PUT too, without cutting it.)
        Fault {
            method: "PUT",
            path_contains: Box::leak(img.config.replace(':', "%3A").into_boxed_str()),
            action: Action::Status(429, Some(2)),
            times: 1,
        },
        Fault {
            method: "PUT",
            path_contains: "/blobs/uploads/",
            action: Action::DropRequest(700 << 10),
            times: 2,
        },
        Fault {
            method: "POST",
            path_contains: "/blobs/uploads/",
            action: Action::Status(500, None),
            times: 1,
        },
        Fault {
            method: "HEAD",
            path_contains: "/blobs/",
            action: Action::Status(429, Some(1)),
            times: 1,
        },
        Fault {
            method: "PUT",
            path_contains: "/manifests/",
            action: Action::Status(503, None),
            times: 1,
        },
    ];
    let proxy = Proxy::before(&reg, faults, None);
    let env = Env::new();
    let started = std::time::Instant::now();
    let out = env.ok(&[
        "push",
        &format!("oci:{}:v1", l.display()),
        &format!("{}/ns/app:v1", proxy.host()),
    ]);
    assert!(out.contains(&img.digest), "{out}");
    assert!(
        started.elapsed().as_secs_f64() >= 2.0,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(proxy.fired(), 6);
    assert_eq!(reg.skopeo_digest("ns/app:v1"), img.digest);
}

#[test]
fn a_body_size_limit_makes_uploads_fall_back_to_smaller_patches() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 2, 9 << 20);
    // Like nginx with client_max_body_size 4m in front of the registry.
    let limit = |method| Fault {
        method,
        path_contains: "/blobs/uploads/",
        action: Action::BodyLimit(4 << 20),
        times: 100,
    };
    let proxy = Proxy::before(&reg, vec![limit("PUT"), limit("PATCH")], None);
    let env = Env::new();
    let out = env.ok(&[
        "push",
        &format!("oci:{}:v1", l.display()),
        &format!("{}/ns/app:v1", proxy.host()),
    ]);
    assert!(out.contains(&img.digest), "{out}");
    // Refused: each layer's whole PUT, then 16 MiB and 8 MiB PATCHes (sizes shared by both).
    assert!(proxy.fired() >= 3, "fired {}", proxy.fired());
    assert_eq!(reg.skopeo_digest("ns/app:v1"), img.digest);

    // A registry-to-registry copy streams its chunks from the source GET the same way.
    let dst = common::ns();
    let dst_proxy = Proxy::before(&dst, vec![limit("PUT"), limit("PATCH")], None);
    let out = env.ok(&[
        "copy",
        &format!("{}/ns/app:v1", reg.host),
        &format!("{}/ns/copy:v1", dst_proxy.host()),
    ]);
    assert!(out.contains(&img.digest), "{out}");
    assert!(dst_proxy.fired() >= 3);
    assert_eq!(dst.skopeo_digest("ns/copy:v1"), img.digest);
}

#[test]
fn slow_links_outlive_the_read_timeout_and_stalls_do_not_hang() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1, 3 << 20);
    let env = Env::new();
    let run = |args: &[&str]| {
        let out = env
            .cmd()
            .env("CR_READ_TIMEOUT", "1")
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}: {err}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // 3 MiB at 1 MiB/s: the registry answers ~3 s after the upload began, well past a 1 s
    // read timeout, and that is no reason to give up.
    let slow = Proxy::before(&reg, vec![], Some(1 << 20));
    let out = run(&[
        "push",
        &format!("oci:{}:v1", l.display()),
        &format!("{}/ns/slow:v1", slow.host()),
    ]);
    assert!(out.contains(&img.digest), "{out}");
    // The source GET waits while the slow destination takes its bytes.
    let dst = common::ns();
    let slow_dst = Proxy::before(&dst, vec![], Some(1 << 20));
    let out = run(&[
        "copy",
        &format!("{}/ns/slow:v1", reg.host),
        &format!("{}/ns/slow:v1", slow_dst.host()),
    ]);
    assert!(out.contains(&img.digest), "{out}");
    assert_eq!(dst.skopeo_digest("ns/slow:v1"), img.digest);
    // A source that stops sending mid-blob: after the read timeout the GET resumes with Range.
    let stall_get = Fault {
        method: "GET",
        path_contains: Box::leak(img.layers[0].clone().into_boxed_str()),
        action: Action::StallResponse(1 << 20),
        times: 1,
    };
    let stalling_src = Proxy::before(&reg, vec![stall_get], None);
    let pulled = dir.path().join("pulled");
    let started = std::time::Instant::now();
    let out = run(&[
        "pull",
        &format!("{}/ns/slow:v1", stalling_src.host()),
        &format!("oci:{}:v1", pulled.display()),
    ]);
    assert!(out.contains(&img.digest), "{out}");
    assert_eq!(stalling_src.fired(), 1);
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    // A registry that stops taking a layer's body, and one that takes a config's but never
    // answers: each upload is given up (after the read timeout, and ten read timeouts past its
    // last byte) and starts again in a new session, instead of hanging.
    let big = dir.path().join("big");
    let big_img = image(&big, 1, 24 << 20);
    let stall = |digest: &str| Fault {
        method: "PUT",
        path_contains: Box::leak(digest.replace(':', "%3A").into_boxed_str()),
        action: Action::Stall,
        times: 1,
    };
    let faults = vec![stall(&big_img.layers[0]), stall(&big_img.config)];
    let stalling = Proxy::before(&reg, faults, None);
    let started = std::time::Instant::now();
    let out = run(&[
        "push",
        &format!("oci:{}:v1", big.display()),
        &format!("{}/ns/stalled:v1", stalling.host()),
    ]);
    assert!(out.contains(&big_img.digest), "{out}");
    assert_eq!(stalling.fired(), 2);
    // 1 s for the stalled layer, 10 s for the unanswered config, with the uploads in parallel.
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn a_refused_mount_uploads_into_the_session_it_opened() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 2, 1 << 20);
    reg.skopeo_push(&l, "v1", "ns/src:v1");
    let refuse = Fault {
        method: "POST",
        path_contains: "mount=",
        action: Action::DropQuery,
        times: 100,
    };
    let proxy = Proxy::before(&reg, vec![refuse], None);
    let env = Env::new();
    let out = env.ok(&[
        "copy",
        "-o",
        "json",
        &format!("{}/ns/src:v1", proxy.host()),
        &format!("{}/ns/dst:v1", proxy.host()),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Digest"], img.digest.as_str(), "{out}");
    assert_eq!(v["BlobsMounted"], 0, "{out}");
    assert_eq!(v["BlobsMoved"], 3, "{out}");
    assert_eq!(proxy.fired(), 3);
    assert_eq!(reg.skopeo_digest("ns/dst:v1"), img.digest);
}

#[test]
fn two_second_tokens_are_renewed_during_a_long_push() {
    let reg = TestRegistry::start(Auth::Token(Issuer::start(vec![], 2)));
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 4, 3 << 20);
    // ~12 MiB at 2 MiB/s per connection, one blob streaming at a time (the next may start
    // while the socket still holds the end of the last): well past the tokens' life.
    let proxy = Proxy::before(&reg, vec![], Some(2 << 20));
    let env = Env::new();
    env.login(&proxy.host(), ADMIN, ADMIN_PASSWORD);
    let before = match &reg.auth {
        Auth::Token(i) => i.requests(),
        _ => unreachable!(),
    };
    let started = std::time::Instant::now();
    let out = env.ok(&[
        "push",
        "-j",
        "1",
        &format!("oci:{}:v1", l.display()),
        &format!("{}/ns/big:v1", proxy.host()),
    ]);
    assert!(out.contains(&img.digest));
    assert!(
        started.elapsed().as_secs() >= 3,
        "the push outlived a token"
    );
    let after = match &reg.auth {
        Auth::Token(i) => i.requests(),
        _ => unreachable!(),
    };
    assert!(
        after - before >= 2,
        "tokens were renewed ({} requests)",
        after - before
    );
    assert_eq!(reg.skopeo_digest("ns/big:v1"), img.digest);
    // And a pull the same way.
    let out_dir = dir.path().join("pulled");
    env.ok(&[
        "pull",
        "-j",
        "1",
        &format!("{}/ns/big:v1", proxy.host()),
        &format!("oci:{}", out_dir.display()),
    ]);
}

#[test]
fn redirected_blobs_get_no_authorization() {
    let reg = TestRegistry::start(Auth::Token(Issuer::start(vec![], 300)));
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 2, 100_000);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let faults = vec![Fault {
        method: "GET",
        path_contains: "/blobs/sha256:",
        action: Action::Redirect,
        times: 100,
    }];
    let proxy = Proxy::before(&reg, faults, None);
    let env = Env::new();
    env.login(&proxy.host(), ADMIN, ADMIN_PASSWORD);
    let out = dir.path().join("out");
    let res = env.ok(&[
        "pull",
        &format!("{}/ns/app:v1", proxy.host()),
        &format!("oci:{}", out.display()),
    ]);
    assert!(res.contains(&img.digest));
    assert_eq!(
        proxy
            .blob_requests
            .load(std::sync::atomic::Ordering::SeqCst),
        3,
        "config and two layers via the other host"
    );
    assert_eq!(
        proxy
            .blob_with_auth
            .load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no Authorization to another host"
    );
}

#[test]
fn interrupted_pull_leaves_nothing() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    image(&l, 2, 2 << 20);
    reg.skopeo_push(&l, "v1", "ns/slow:v1");
    // 1 MiB/s: the pull takes about four seconds; it is stopped after one.
    let proxy = Proxy::before(&reg, vec![], Some(1 << 20));
    let env = Env::new();
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    for (dst, signal) in [("oci:OUT/layout", "-TERM"), ("OUT/img.tar", "-INT")] {
        let dst = dst.replace("OUT", out_dir.to_str().unwrap());
        let mut cmd = env.std_cmd();
        let child = cmd
            .args(["pull", &format!("{}/ns/slow:v1", proxy.host()), &dst])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1200));
        assert!(std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap()
            .success());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(130),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let left: Vec<_> = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{dst}: left {left:?}");
    }
}

/// A source that stops sending mid-blob is reported as a stall with the bytes that came
/// ("no data for 1 s"), not as "error decoding response body" (issue #19).
#[test]
fn a_stall_is_said_as_a_stall() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = image(&l, 1, 2 << 20);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let stall = Fault {
        method: "GET",
        path_contains: Box::leak(img.layers[0].clone().into_boxed_str()),
        action: Action::StallResponse(1 << 20),
        times: 1,
    };
    let proxy = Proxy::before(&reg, vec![stall], None);
    let env = Env::new();
    let o = env
        .cmd()
        .env("CR_READ_TIMEOUT", "1")
        .args([
            "pull",
            &format!("{}/ns/app:v1", proxy.host()),
            &format!("oci:{}", dir.path().join("out").display()),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(proxy.fired(), 1);
    let line = err
        .lines()
        .find(|l| l.starts_with("retrying get blob"))
        .unwrap_or_else(|| panic!("no retry line: {err}"));
    assert!(line.contains("no data for 1 s after "), "{line}");
    assert!(!err.contains("error decoding"), "{err}");
}

/// Send `signal` (e.g. "-HUP") to a process.
fn kill(signal: &str, pid: u32) {
    assert!(std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap()
        .success());
}

/// The names in `dir` that are staging (`.cr-…`).
fn staging_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".cr-"))
        .collect()
}

/// Read stderr lines until one contains `what` (false when the process closed it first).
fn wait_for_line(err: &mut impl std::io::BufRead, what: &str, seen: &mut String) -> bool {
    for _ in 0..1000 {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap_or(0) == 0 {
            return false;
        }
        seen.push_str(&line);
        if line.contains(what) {
            return true;
        }
    }
    false
}

#[test]
fn sighup_during_a_pull_is_handled_like_sigterm_and_leaves_the_old_archive() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    image(&l, 1, 1 << 20);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let two = image(&dir.path().join("layout2"), 2, 1 << 20);
    reg.skopeo_push(&dir.path().join("layout2"), "v1", "ns/app:v2");
    let env = Env::new();
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let a = out_dir.join("app.tar");
    env.ok(&[
        "pull",
        &format!("{}/ns/app:v1", reg.host),
        &format!("oci-archive:{}", a.display()),
    ]);
    let before = std::fs::read(&a).unwrap();
    // v2's second layer stalls after 100 KiB: the pull is mid-transfer, staging on disk.
    let stalled = format!("/blobs/{}", two.layers[1]);
    // SIGHUP (a closed terminal) as SIGTERM is; SIGINT the same way.
    for signal in ["-HUP", "-INT"] {
        let proxy = Proxy::before(
            &reg,
            vec![Fault {
                method: "GET",
                path_contains: Box::leak(stalled.clone().into_boxed_str()),
                action: Action::StallResponse(100 << 10),
                times: 1,
            }],
            None,
        );
        let child = env
            .std_cmd()
            .args([
                "pull",
                &format!("{}/ns/app:v2", proxy.host()),
                &format!("oci-archive:{}", a.display()),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        for _ in 0..200 {
            if proxy.count("GET", &stalled) > 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert_eq!(
            proxy.count("GET", &stalled),
            1,
            "the pull reached the stall"
        );
        kill(signal, child.id());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{signal}: {err}");
        assert!(err.contains("interrupted"), "{signal}: {err}");
        assert_eq!(std::fs::read(&a).unwrap(), before, "the old archive stays");
        assert_eq!(staging_in(&out_dir), Vec::<String>::new());
    }
}

#[test]
fn a_pull_waits_for_the_destination_lock_and_an_interrupt_there_changes_nothing() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    image(&l, 1, 200_000);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    reg.skopeo_push(&l, "v1", "ns/app:v2");
    let env = Env::new();
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let a = out_dir.join("app.tar");
    env.ok(&[
        "pull",
        &format!("{}/ns/app:v1", reg.host),
        &format!("oci-archive:{}", a.display()),
    ]);
    let before = std::fs::read(&a).unwrap();
    // Another writer holds the lock.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(out_dir.join(".app.tar.cr-lock"))
        .expect("the first pull made the lock file");
    fs4::FileExt::try_lock(&lock).unwrap();

    // Past the timeout: a clear failure, nothing changed.
    let out = env
        .std_cmd()
        .env("CR_LOCK_TIMEOUT", "0")
        .args([
            "pull",
            &format!("{}/ns/app:v2", reg.host),
            &format!("oci-archive:{}", a.display()),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("another cr kept writing it"), "{err}");
    assert_eq!(std::fs::read(&a).unwrap(), before);
    assert_eq!(staging_in(&out_dir), Vec::<String>::new());

    // Interrupted while waiting (once, then twice at once): exit 130, nothing changed.
    for signals in [&["-INT"][..], &["-INT", "-INT"][..]] {
        let mut child = env
            .std_cmd()
            .env("CR_LOCK_TIMEOUT", "60")
            .args([
                "pull",
                &format!("{}/ns/app:v2", reg.host),
                &format!("oci-archive:{}", a.display()),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let waiting = wait_for_line(&mut err, "waiting for another cr writing", &mut seen);
        assert!(waiting, "{seen}");
        for s in signals {
            kill(s, child.id());
        }
        std::io::Read::read_to_string(&mut err, &mut seen).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "{signals:?}: {seen}");
        assert!(seen.contains("interrupted"), "{seen}");
        assert_eq!(std::fs::read(&a).unwrap(), before, "{signals:?}");
        assert_eq!(staging_in(&out_dir), Vec::<String>::new(), "{signals:?}");
    }

    // Released: the pull adds its tag.
    fs4::FileExt::unlock(&lock).unwrap();
    env.ok(&[
        "pull",
        &format!("{}/ns/app:v2", reg.host),
        &format!("oci-archive:{}", a.display()),
    ]);
    let raw = common::skopeo(&[
        "inspect".into(),
        "--raw".into(),
        format!("oci-archive:{}:v1", a.display()),
    ])
    .stdout;
    assert_eq!(common::cr_digest(&raw), reg.skopeo_digest("ns/app:v1"));
}

/// This process's start time (field 22 of /proc/self/stat).
fn my_start_time() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 1..];
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

#[test]
fn staging_left_by_dead_runs_is_removed_and_counted_and_nothing_else() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    image(&l, 1, 100_000);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    // A pid that is gone: a finished child's.
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let dead = c.id();
    c.wait().unwrap();
    let (me, start) = (std::process::id(), my_start_time());
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    let make = |name: &str, bytes: usize, old: bool| {
        let p = out_dir.join(name);
        let (file, stamp) = if name.starts_with(".cr-pull-") {
            std::fs::create_dir_all(p.join("blobs/sha256")).unwrap();
            std::fs::write(p.join("blobs/sha256/x"), vec![7u8; bytes]).unwrap();
            (p.join("blobs/sha256/x"), p.clone())
        } else {
            std::fs::write(&p, vec![7u8; bytes]).unwrap();
            (p.clone(), p.clone())
        };
        let _ = file;
        if old {
            std::fs::File::open(&stamp)
                .unwrap()
                .set_modified(two_hours_ago)
                .unwrap();
        }
    };
    // Removed: a dead run's directory, and a file of a pid now taken by another process.
    make(&format!(".cr-pull-{dead}-12345-aaaaaa"), 3000, true);
    make(&format!(".cr-{me}-{}-bbbbbb", start + 1), 500, true);
    // Kept: a live run's, a dead run's that is recent, one of an older naming, not staging.
    let kept = [
        format!(".cr-pull-{me}-{start}-cccccc"),
        format!(".cr-pull-{dead}-12345-dddddd"),
        ".cr-pull-eeeeee".to_string(),
        "cr-1-2-notes".to_string(),
    ];
    make(&kept[0], 10, true);
    make(&kept[1], 10, false);
    make(&kept[2], 10, true);
    make(&kept[3], 10, true);

    let env = Env::new();
    let out = env
        .std_cmd()
        .args([
            "pull",
            &format!("{}/ns/app:v1", reg.host),
            &format!("oci:{}", out_dir.join("layout").display()),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("freed")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].contains("removed 2 staging entries"), "{err}");
    assert!(lines[0].contains("(3500 bytes) freed"), "{err}");
    let mut left: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut want: Vec<String> = kept.to_vec();
    want.extend([".layout.cr-lock".to_string(), "layout".to_string()]);
    want.sort();
    assert_eq!(left, want);
}

/// A registry (DELETE by tag answered with an error, so image-untag uses the placeholder)
/// holding one image under `ns/app:v1` and `ns/app:v1-alias`.
fn two_tags(dir: &std::path::Path) -> (TestRegistry, layout::Built) {
    let reg = TestRegistry::start(Auth::None);
    let l = dir.join("layout");
    let img = image(&l, 1, 50_000);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    reg.skopeo_push(&l, "v1", "ns/app:v1-alias");
    assert_eq!(reg.skopeo_tags("ns/app"), ["v1", "v1-alias"]);
    (reg, img)
}

/// A fault on the DELETE of a manifest by digest (image-rm, or image-untag's placeholder).
fn on_delete_by_digest(action: Action) -> Fault {
    Fault {
        method: "DELETE",
        path_contains: "/manifests/sha256:",
        action,
        times: 1,
    }
}

/// The digest in the path of the first DELETE by digest the proxy saw.
fn deleted_digest(proxy: &Proxy) -> String {
    let (_, path) = proxy
        .requests()
        .into_iter()
        .find(|(m, p)| m == "DELETE" && p.contains("/manifests/sha256:"))
        .expect("a DELETE by digest");
    path.rsplit('/').next().unwrap().to_string()
}

#[test]
fn a_delete_whose_answer_was_lost_is_checked_not_assumed() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, img) = two_tags(dir.path());
    let env = Env::new();
    // The registry deletes; cr gets a 500 instead (and its retry a 404).
    let proxy = Proxy::before(
        &reg,
        vec![on_delete_by_digest(Action::Lost(Some(500)))],
        None,
    );
    let (code, out, err) = env.run(&[
        "image-rm",
        "-o",
        "json",
        &format!("{}/ns/app:v1", proxy.host()),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["Digest"], img.digest.as_str(), "{out}");
    assert_eq!(v[0]["Deleted"], true, "{out}");
    assert_eq!(v[0]["Tags"], serde_json::json!(["v1", "v1-alias"]), "{out}");
    assert!(
        err.contains("was lost") && err.contains("it is gone"),
        "{err}"
    );
    assert_eq!(proxy.fired(), 1);
    assert!(!reg.skopeo_exists(&format!("ns/app@{}", img.digest)));
    assert!(reg.skopeo_tags("ns/app").is_empty());

    // A cut connection, not retried: the same check.
    let l = dir.path().join("layout");
    reg.skopeo_push(&l, "v1", "ns/cut:v1");
    let cut = Proxy::before(&reg, vec![on_delete_by_digest(Action::Lost(None))], None);
    let out = env
        .cmd()
        .env("CR_MAX_RETRIES", "0")
        .args(["image-rm", &format!("{}/ns/cut:v1", cut.host())])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.contains("Deleted") && out.contains(&img.digest),
        "{out}"
    );
    assert_eq!(cut.fired(), 1);
    assert_eq!(cut.count("DELETE", "/manifests/"), 1, "not retried");
    assert!(!reg.skopeo_exists(&format!("ns/cut@{}", img.digest)));
}

#[test]
fn an_untag_whose_placeholder_delete_answer_was_lost_is_not_undone() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, img) = two_tags(dir.path());
    let proxy = Proxy::before(
        &reg,
        vec![on_delete_by_digest(Action::Lost(Some(500)))],
        None,
    );
    let env = Env::new();
    let out = env.ok(&[
        "image-untag",
        "-o",
        "json",
        &format!("{}/ns/app:v1-alias", proxy.host()),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["Untagged"], true, "{out}");
    assert_eq!(v[0]["Method"], "placeholder", "{out}");
    assert_eq!(v[0]["Digest"], img.digest.as_str(), "{out}");
    assert_eq!(proxy.fired(), 1);
    // One PUT to the tag (the placeholder); the original was not put back.
    assert_eq!(proxy.count("PUT", "/manifests/v1-alias"), 1);
    assert_eq!(reg.skopeo_tags("ns/app"), ["v1"]);
    assert_eq!(reg.skopeo_digest("ns/app:v1"), img.digest);
    assert!(!reg.skopeo_exists(&format!("ns/app@{}", deleted_digest(&proxy))));
}

/// Start `cr image-untag NAME`, wait (bounded) until the proxy holds its placeholder DELETE,
/// then send `signal`; returns the exit code and stderr.
fn untag_and_signal(env: &Env, proxy: &Proxy, name: &str, signal: &str) -> (Option<i32>, String) {
    let child = env
        .std_cmd()
        .args(["image-untag", name])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut held = false;
    for _ in 0..500 {
        if proxy.count("DELETE", "/manifests/sha256:") > 0 {
            held = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(held && killed, "the placeholder DELETE never came: {err}");
    (out.status.code(), err)
}

#[test]
fn an_interrupted_untag_finishes_before_exiting() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, img) = two_tags(dir.path());
    // The placeholder's DELETE is held 2 s; Ctrl-C comes meanwhile. Had cr left, the proxy
    // would drop the request and the tag would stay on the placeholder.
    let proxy = Proxy::before(&reg, vec![on_delete_by_digest(Action::Hold(2000))], None);
    let env = Env::new();
    let name = format!("{}/ns/app:v1-alias", proxy.host());
    let (code, err) = untag_and_signal(&env, &proxy, &name, "-INT");
    assert_eq!(code, Some(130), "{err}");
    // The tag is gone, not left on the placeholder; the image and its other tag stay.
    assert_eq!(reg.skopeo_tags("ns/app"), ["v1"], "{err}");
    assert_eq!(reg.skopeo_digest("ns/app:v1"), img.digest);
    assert!(!reg.skopeo_exists(&format!("ns/app@{}", deleted_digest(&proxy))));
    assert!(reg.skopeo_exists(&format!("ns/app@{}", img.digest)));
    assert!(
        err.contains(&format!("finishing the untag of {name} before exiting")),
        "{err}"
    );
}

#[test]
fn a_tag_left_on_a_placeholder_is_shown_and_the_untag_finished() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, img) = two_tags(dir.path());
    let proxy = Proxy::before(&reg, vec![on_delete_by_digest(Action::Hold(2000))], None);
    let env = Env::new();
    let host = proxy.host();
    // Killed while the placeholder's DELETE is held: the tag is left on the placeholder.
    let (code, err) = untag_and_signal(&env, &proxy, &format!("{host}/ns/app:v1-alias"), "-KILL");
    assert_eq!(code, None, "{err}");
    let placeholder = deleted_digest(&proxy);
    assert_eq!(reg.skopeo_digest("ns/app:v1-alias"), placeholder);
    assert!(reg
        .skopeo_inspect("ns/app:v1-alias", false)
        .contains("io.cr.placeholder"));

    let out = env.ok(&["--registry", &host, "image-list"]);
    let line = |tag: &str| {
        out.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(tag))
            .unwrap_or_else(|| panic!("no {tag} in {out}"))
            .to_string()
    };
    assert!(
        line("v1-alias").contains("(placeholder: untag interrupted)"),
        "{out}"
    );
    assert!(!line("v1").contains("placeholder"), "{out}");
    // Retention does not count the placeholder as the newest image: keeping one image keeps
    // v1, and the placeholder is left for the untag to finish.
    let (code, out, err) = env.run(&[
        "retention-run",
        "--images",
        "1",
        "--dry-run",
        &format!("{host}/ns/app"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains(&img.digest), "{out}{err}");
    assert!(!out.contains(&placeholder), "{out}{err}");

    let out = env.ok(&["image-untag", &format!("{host}/ns/app:v1-alias")]);
    assert!(
        out.contains("finished an untag that was interrupted") && out.contains(&placeholder),
        "{out}"
    );
    assert_eq!(reg.skopeo_tags("ns/app"), ["v1"]);
    assert_eq!(reg.skopeo_digest("ns/app:v1"), img.digest);
    assert!(!reg.skopeo_exists(&format!("ns/app@{placeholder}")));
}

/// SIGINT while a pull rewrites an existing oci-archive (the final write: the old archive's
/// blobs and the new image go into a new file beside it) stops that write while it can still
/// be abandoned: exit 130, "interrupted before it was changed", the old archive byte for byte
/// as it was, no staging left (issue #19).
#[test]
fn sigint_during_the_final_archive_write_leaves_the_old_archive() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    image(&big, 2, 64 << 20);
    reg.skopeo_push(&big, "v1", "ns/big:v1");
    let small = dir.path().join("small");
    image(&small, 1, 1000);
    reg.skopeo_push(&small, "v1", "ns/small:v1");
    let env = Env::new();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let archive = out.join("images.tar");
    let dst = |tag: &str| format!("oci-archive:{}:{tag}", archive.display());
    env.ok(&["pull", &format!("{}/ns/big:v1", reg.host), &dst("big")]);
    let before = std::fs::read(&archive).unwrap();
    let child = env
        .std_cmd()
        .args(["pull", &format!("{}/ns/small:v1", reg.host), &dst("small")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The final write is a `.cr-PID-…` file beside the archive: interrupt once it is there.
    let prefix = format!(".cr-{}-", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut seen = false;
    while std::time::Instant::now() < deadline {
        let names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        if names.iter().any(|n| n.starts_with(&prefix)) {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(seen, "the final write was never seen");
    kill("-INT", child.id());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted before it was changed"), "{err}");
    assert!(
        std::fs::read(&archive).unwrap() == before,
        "the archive changed"
    );
    assert!(staging_in(&out).is_empty(), "{:?}", staging_in(&out));
}

/// image-untag replaces the tag with a placeholder and, when the placeholder cannot be
/// deleted, puts back what it read. A stale GET of the tag (the older image) must not end with
/// the tag on that older image: the tag is checked (HEAD) just before, and nothing changes.
#[test]
fn an_untag_that_read_a_stale_tag_changes_nothing() {
    let reg = common::ns();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let old = layout::image(&l, Some("old"), "amd64", &[("a", b"the older image")]);
    let new = layout::image(&l, Some("new"), "amd64", &[("a", b"the newer image")]);
    reg.skopeo_push(&l, "old", "ns/app:old");
    reg.skopeo_push(&l, "new", "ns/app:t");
    let faults = vec![
        Fault {
            method: "GET",
            path_contains: "/manifests/t",
            action: Action::Rewrite("/manifests/t", format!("/manifests/{}", old.digest)),
            times: 1,
        },
        Fault {
            method: "DELETE",
            path_contains: "/manifests/",
            action: Action::ApiError(405, "UNSUPPORTED"),
            times: 100,
        },
    ];
    let proxy = Proxy::before(&reg, faults, None);
    let env = Env::new();
    let (code, out, err) = env.run(&["image-untag", &format!("{}/ns/app:t", proxy.host())]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(reg.skopeo_digest("ns/app:t"), new.digest);
    assert_eq!(
        proxy.count("PUT", "/manifests/"),
        0,
        "{:#?}",
        proxy.requests()
    );
}
