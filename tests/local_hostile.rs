//! Hostile images and archives on the local side (issue #9): a config's diff_ids never become
//! paths, an archive's RepoTags never become a URL, layout files are read only when regular
//! and small, local file contents never reach an error, and destinations are added to,
//! refused untouched, or replaced as they should, with the modes `cp` would give.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::hostile::run_measured;
use common::layout::{self, OCI_MANIFEST};
use common::{cr_digest, Auth, Env, TestRegistry};

fn blob(dir: &Path, bytes: &[u8]) -> String {
    let d = cr_digest(bytes);
    let p = dir.join("blobs/sha256").join(&d[7..]);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
    d
}

/// An OCI layout holding one image tagged `1` whose config says `diff_ids`.
fn crafted(dir: &Path, diff_ids: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let (gz, _) = layout::layer("f", b"content of the layer");
    let layer = blob(dir, &gz);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    });
    let config = serde_json::to_vec(&config).unwrap();
    let config_digest = blob(dir, &config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": gz.len()}],
    }))
    .unwrap();
    let m = blob(dir, &manifest);
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": m, "size": manifest.len(),
         "annotations": {"org.opencontainers.image.ref.name": "1"}}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// Every path under `dir`.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(tree(&p));
        }
        out.push(p);
    }
    out.sort();
    out
}

#[test]
fn a_configs_diff_ids_never_become_paths() {
    let reg = TestRegistry::start(Auth::None);
    let env = Env::new();
    let top = tempfile::tempdir().unwrap();
    for (i, bad) in [
        "sha256:../../../../x",
        "sha256:ab",
        "sha256:abcdef✓0",
        "../x",
    ]
    .iter()
    .enumerate()
    {
        let l = top.path().join(format!("layout{i}"));
        crafted(&l, &[bad]);
        env.ok(&[
            "push",
            &format!("oci:{}:1", l.display()),
            &format!("{}/ns/evil{i}:1", reg.host),
        ]);
        let work = top.path().join(format!("w{i}/a/b/c/d"));
        std::fs::create_dir_all(&work).unwrap();
        let before = tree(top.path());
        let out = work.join("out.tar");
        let (code, _o, err) = env.run(&[
            "pull",
            &format!("{}/ns/evil{i}:1", reg.host),
            &out.display().to_string(),
        ]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("rootfs.diff_ids[0]"), "{bad}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists());
        assert_eq!(tree(top.path()), before, "{bad}: nothing written anywhere");
    }
}

/// A legacy docker-archive whose manifest.json names `repo_tag`.
fn docker_archive(path: &Path, repo_tag: &str) {
    let mut t = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        t.append_data(&mut h, name, data).unwrap();
    };
    let mut inner = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(5);
    h.set_mode(0o644);
    inner.append_data(&mut h, "hello", &b"world"[..]).unwrap();
    let layer = inner.into_inner().unwrap();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [cr_digest(&layer)]},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": "config.json", "RepoTags": [repo_tag], "Layers": ["layer.tar"]}
    ]))
    .unwrap();
    add("config.json", &config);
    add("layer.tar", &layer);
    add("manifest.json", &manifest);
    std::fs::write(path, t.into_inner().unwrap()).unwrap();
}

#[test]
fn an_archives_repo_tags_never_become_url_paths() {
    let reg = TestRegistry::start(Auth::None);
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("crafted.tar");
    docker_archive(&archive, "ns/app:../../victim2/manifests/latest");
    for compression in ["gzip", "none"] {
        let (code, _o, err) = env.run(&[
            "push",
            "--compression",
            compression,
            &format!("docker-archive:{}", archive.display()),
            &format!("{}/ns/app", reg.host),
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("RepoTags"), "{err}");
    }
    assert!(!reg.skopeo_exists("ns/victim2:latest"));
    assert!(!reg.skopeo_exists("ns/app:latest"));
    // With a valid RepoTags entry the same archive pushes under its recorded tag.
    docker_archive(&archive, "ns/app:v7");
    env.ok(&[
        "push",
        &format!("docker-archive:{}", archive.display()),
        &format!("{}/ns/app", reg.host),
    ]);
    assert_eq!(reg.skopeo_tags("ns/app"), vec!["v7".to_string()]);
}

#[test]
fn layout_files_are_read_only_when_regular_and_small() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    // index.json is a symlink to /dev/zero.
    let l = dir.path().join("zero-index");
    crafted(
        &l,
        &["sha256:0000000000000000000000000000000000000000000000000000000000000000"],
    );
    std::fs::remove_file(l.join("index.json")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", l.join("index.json")).unwrap();
    // A manifest blob that is a symlink to /dev/zero.
    let m = dir.path().join("zero-manifest");
    crafted(
        &m,
        &["sha256:0000000000000000000000000000000000000000000000000000000000000000"],
    );
    let idx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(m.join("index.json")).unwrap()).unwrap();
    let digest = idx["manifests"][0]["digest"].as_str().unwrap().to_string();
    let mblob = m.join("blobs/sha256").join(&digest[7..]);
    std::fs::remove_file(&mblob).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &mblob).unwrap();
    // A manifest larger than 8 MiB.
    let big = dir.path().join("big-manifest");
    crafted(
        &big,
        &["sha256:0000000000000000000000000000000000000000000000000000000000000000"],
    );
    let idx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(big.join("index.json")).unwrap()).unwrap();
    let digest = idx["manifests"][0]["digest"].as_str().unwrap().to_string();
    std::fs::write(
        big.join("blobs/sha256").join(&digest[7..]),
        vec![b' '; 9 << 20],
    )
    .unwrap();
    for (layout, expect) in [
        (&l, "not a regular file"),
        (&m, "not a regular file"),
        (&big, "larger than 8388608 bytes"),
    ] {
        let mut cmd = env.std_cmd();
        cmd.args([
            "push",
            &format!("oci:{}:1", layout.display()),
            "127.0.0.1:9/ns/x:1",
        ]);
        let (code, peak, _out, err) = run_measured(cmd);
        assert_ne!(code, 0, "{err}");
        assert!(err.contains(expect), "{err}");
        assert!(peak < 64 * 1024, "peak RSS {peak} KiB");
    }
}

#[test]
fn local_file_contents_never_reach_an_error() {
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join(".env");
    std::fs::write(
        &secret,
        "API_KEY=s3cr3t-value-123\nroot:x:0:0:root:/root:/bin/bash\n",
    )
    .unwrap();
    // Starts like a tar header (ustar magic) with the secret where numbers belong.
    let mut fake = vec![0u8; 1024];
    fake[..24].copy_from_slice(b"API_KEY=s3cr3t-value-123");
    fake[100..108].copy_from_slice(b"s3cr3t-v");
    fake[124..136].copy_from_slice(b"s3cr3t-value");
    fake[257..262].copy_from_slice(b"ustar");
    let tarlike = dir.path().join("fake.tar");
    std::fs::write(&tarlike, &fake).unwrap();
    for src in [
        secret.display().to_string(),
        format!("docker-archive:{}", secret.display()),
        format!("oci-archive:{}", secret.display()),
        tarlike.display().to_string(),
        format!("docker-archive:{}", tarlike.display()),
    ] {
        let (code, out, err) = env.run(&["push", &src, "127.0.0.1:9/ns/x:1"]);
        assert_ne!(code, 0, "{src}");
        assert!(
            !err.contains("s3cr3t") && !out.contains("s3cr3t"),
            "{src}: {err}"
        );
        assert!(!err.contains("root:x"), "{src}: {err}");
        assert!(
            err.contains("not a tar archive, OCI layout or docker-archive"),
            "{src}: {err}"
        );
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn destinations_are_added_to_refused_or_replaced_as_they_should() {
    let reg = TestRegistry::start(Auth::None);
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let a = layout::image(&l, Some("a"), "amd64", &[("a", b"first")]);
    let b = layout::image(&l, Some("b"), "amd64", &[("b", b"second")]);
    reg.skopeo_push(&l, "a", "ns/app:a");
    reg.skopeo_push(&l, "b", "ns/app:b");
    let pull = |src: &str, dst: &str| -> (i32, String, String) {
        let mut c = env.std_cmd();
        c.args(["pull", &format!("{}/{src}", reg.host), dst]);
        let mut sh = std::process::Command::new("sh");
        sh.arg("-c").arg("umask 022; exec \"$@\"").arg("sh");
        sh.arg(c.get_program());
        sh.args(c.get_args());
        for (k, v) in c.get_envs() {
            match v {
                Some(v) => sh.env(k, v),
                None => sh.env_remove(k),
            };
        }
        let o = sh.output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };

    // Two pulls into one oci-archive: both images are there.
    let arch = dir.path().join("both.tar");
    let dst = format!("oci-archive:{}:a", arch.display());
    assert_eq!(pull("ns/app:a", &dst).0, 0);
    let dst = format!("oci-archive:{}:b", arch.display());
    let (code, _, err) = pull("ns/app:b", &dst);
    assert_eq!(code, 0, "{err}");
    for (tag, built) in [("a", &a), ("b", &b)] {
        let out = common::skopeo(&[
            "inspect".into(),
            "--raw".into(),
            format!("oci-archive:{}:{tag}", arch.display()),
        ]);
        assert!(
            out.status.success(),
            "{tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(cr_digest(&out.stdout), built.digest, "{tag}");
    }
    assert_eq!(mode(&arch), 0o644);

    // Paths of another kind: refused with exit 2, untouched.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"my notes").unwrap();
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("keep"), b"mine").unwrap();
    for dst in [
        format!("oci-archive:{}", text.display()),
        format!("docker-archive:{}", text.display()),
        format!("oci:{}", full.display()),
        format!("oci-archive:{}", full.display()),
    ] {
        let (code, _, err) = pull("ns/app:a", &dst);
        assert_eq!(code, 2, "{dst}: {err}");
        assert!(err.contains("nothing was changed"), "{dst}: {err}");
    }
    assert_eq!(std::fs::read(&text).unwrap(), b"my notes");
    assert_eq!(std::fs::read(full.join("keep")).unwrap(), b"mine");
    assert_eq!(std::fs::read_dir(&full).unwrap().count(), 1);

    // A layout whose index.json is corrupt: an error, and the file stays as it was.
    let broken = dir.path().join("broken");
    layout::image(&broken, Some("x"), "amd64", &[("x", b"x")]);
    std::fs::write(broken.join("index.json"), b"{not json").unwrap();
    let (code, _, err) = pull("ns/app:a", &format!("oci:{}:a", broken.display()));
    assert_ne!(code, 0);
    assert!(err.contains("index.json"), "{err}");
    assert_eq!(
        std::fs::read(broken.join("index.json")).unwrap(),
        b"{not json"
    );

    // A new layout: directories 0755, files 0644 under umask 022.
    let fresh = dir.path().join("fresh");
    let (code, _, err) = pull("ns/app:a", &format!("oci:{}:a", fresh.display()));
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&fresh), 0o755);
    for p in tree(&fresh) {
        let want = if p.is_dir() { 0o755 } else { 0o644 };
        assert_eq!(mode(&p), want, "{}", p.display());
    }

    // A docker-archive: written, then replaced, and it says so.
    let saved = dir.path().join("saved.tar");
    let (code, _, err) = pull("ns/app:a", &saved.display().to_string());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrote"), "{err}");
    assert_eq!(mode(&saved), 0o644);
    let (code, _, err) = pull("ns/app:b", &saved.display().to_string());
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("replaced"), "{err}");
}
