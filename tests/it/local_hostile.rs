//! Hostile images and archives on the local side (issue #9): a config's diff_ids never become
//! paths, an archive's RepoTags never become a URL, layout files are read only when regular
//! and small, local file contents never reach an error, and destinations are added to,
//! refused untouched, or replaced as they should, with the modes `cp` would give.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::hostile::run_measured;
use crate::common::layout::{self, OCI_MANIFEST};
use crate::common::{cr_digest, Auth, Env, TestRegistry};

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
    let reg = common::ns();
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
    let reg = common::ns();
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
    let reg = common::ns();
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

// Issue #17, findings 10, 11, 12, 15: the cache directory is cr's own.

/// `cr ARGS` in `env` with its cache in `cache` and more variables: (code, stdout, stderr).
fn cached(env: &Env, cache: &Path, vars: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let mut c = env.cmd();
    c.env("CR_CACHE_DIR", cache);
    for (k, v) in vars {
        c.env(k, v);
    }
    let out = c.args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Finding 10: pruning removes only cr's own pack files, never through a link; a link below
/// the cache root or a directory others can write turns the cache off with a warning, and the
/// command still works.
#[test]
fn the_cache_directory_is_crs_own() {
    let reg = TestRegistry::start(Auth::None);
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(&l, Some("v1"), "amd64", &[("a", b"alpha")]);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let list = ["--registry", reg.host.as_str(), "image-list", "-o", "json"];
    let bound = [("CR_CACHE_MAX_MIB", "1")];

    // A file in content/packs that cr did not name is never pruned, even over the bound.
    let cache = dir.path().join("cache");
    let packs = cache.join("content/packs");
    std::fs::create_dir_all(&packs).unwrap();
    let keep = common::noise(2 << 20, 1);
    std::fs::write(packs.join("keep.bin"), &keep).unwrap();
    let (code, out, err) = cached(&env, &cache, &bound, &list);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&img.digest), "{out}");
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(std::fs::read(packs.join("keep.bin")).unwrap(), keep);
    assert!(
        names(&packs).iter().any(|n| n.ends_with(".pack")),
        "the cache is on: {:?}",
        names(&packs)
    );

    // content/packs a link to another directory: not followed, nothing there is removed or
    // written (not even a file named like a pack), the cache is off with a warning.
    let victim = dir.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("file.bin"), &keep).unwrap();
    std::fs::write(victim.join("1-1-0000000a.pack"), &keep).unwrap();
    std::fs::remove_dir_all(&packs).unwrap();
    std::os::unix::fs::symlink(&victim, &packs).unwrap();
    let (code, out, err) = cached(&env, &cache, &bound, &list);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&img.digest), "{out}");
    assert!(err.contains("warning: the cache is not used"), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(names(&victim), ["1-1-0000000a.pack", "file.bin"]);
    assert_eq!(std::fs::read(victim.join("file.bin")).unwrap(), keep);
    assert_eq!(
        std::fs::read(victim.join("1-1-0000000a.pack")).unwrap(),
        keep
    );

    // A cache directory others can write: refused, nothing is written in it.
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, out, err) = cached(&env, &open, &[], &list);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&img.digest), "{out}");
    assert!(err.contains("writable by group or others"), "{err}");
    assert!(tree(&open).is_empty(), "{:?}", tree(&open));
}

/// Finding 11: a digest read in one repository is no answer for another: the registry is
/// asked first (a repository without it answers not found, exit 3); a repository that holds
/// it confirms with one HEAD and the bytes come from the cache.
#[test]
fn a_cached_digest_answers_only_for_a_repository_that_holds_it() {
    let reg = common::ns();
    let proxy = common::proxy::Proxy::before(&reg, vec![], None);
    let host = proxy.host();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(&l, Some("v1"), "amd64", &[("a", b"alpha")]);
    reg.skopeo_push(&l, "v1", "ns/a:v1");
    reg.skopeo_push(&l, "v1", "ns/b:v1");
    let cache = dir.path().join("cache");
    let d = img.digest.as_str();
    let inspect = |image: String| cached(&env, &cache, &[], &["manifest-inspect", &image]);

    let (code, first, err) = inspect(format!("{host}/ns/a@{d}"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(cr_digest(first.as_bytes()), d);

    proxy.reset();
    let (code, out, err) = inspect(format!("{host}/nonexistent/repo@{d}"));
    assert_eq!(code, 3, "served from the cache: {out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        proxy.count("HEAD", &format!("/v2/nonexistent/repo/manifests/{d}")) == 1,
        "{:?}",
        proxy.requests()
    );

    proxy.reset();
    let (code, out, err) = inspect(format!("{host}/ns/b@{d}"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, first);
    assert_eq!(proxy.count("HEAD", "/v2/ns/b/manifests/"), 1);
    assert_eq!(
        proxy.count("GET", "/v2/ns/b/manifests/"),
        0,
        "{:?}",
        proxy.requests()
    );
}

/// The diff_id of the one layer of `docker_archive`'s archive.
fn archive_diff_id(archive: &Path) -> String {
    let mut a = tar::Archive::new(std::fs::File::open(archive).unwrap());
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_string_lossy() == "layer.tar" {
            let mut b = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut b).unwrap();
            return cr_digest(&b);
        }
    }
    panic!("no layer.tar");
}

/// The bytes of a blob in the registry's storage, gunzipped.
fn stored_gunzipped(reg: &TestRegistry, digest: &str) -> Vec<u8> {
    let hex = &digest[7..];
    let p = reg
        .storage()
        .join("docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    let mut out = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(p).unwrap()),
        &mut out,
    )
    .unwrap();
    out
}

/// Finding 12: a planted compressed-layer memory entry (diff_id -> a foreign blob the
/// repository has) does not make a push reference that blob; with --no-cache the memory is
/// neither read nor written.
#[test]
fn a_planted_compressed_layer_entry_is_not_trusted() {
    let reg = TestRegistry::start(Auth::None);
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let other = layout::image(&l, Some("x"), "amd64", &[("other", b"foreign content")]);
    reg.skopeo_push(&l, "x", "ns/app:foreign");
    let foreign = other.layers[0].clone();
    let foreign_size = std::fs::metadata(l.join("blobs/sha256").join(&foreign[7..]))
        .unwrap()
        .len();
    let archive = dir.path().join("img.tar");
    docker_archive(&archive, "ns/app:v1");
    let diff_id = archive_diff_id(&archive);
    let cache = dir.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    let memory = cache.join("compressed.json");
    let planted = serde_json::json!({
        format!("{diff_id} gzip-1"): {"digest": foreign, "size": foreign_size, "used": 1, "mac": "00"},
    });
    std::fs::write(&memory, serde_json::to_vec(&planted).unwrap()).unwrap();
    let src = format!("docker-archive:{}", archive.display());
    let push = |vars: &[(&str, &str)], dst: &str, extra: &[&str]| {
        let mut args = vec!["push", "-o", "json"];
        args.extend_from_slice(extra);
        args.push(&src);
        let dst = format!("{}/{dst}", reg.host);
        let (code, out, err) = cached(&env, &cache, vars, &[&args[..], &[dst.as_str()]].concat());
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };

    push(&[], "ns/app:v1", &[]);
    let m: serde_json::Value =
        serde_json::from_str(&reg.skopeo_inspect("ns/app:v1", true)).unwrap();
    let layer = m["layers"][0]["digest"].as_str().unwrap().to_string();
    assert_ne!(layer, foreign, "the planted entry was used");
    assert_eq!(cr_digest(&stored_gunzipped(&reg, &layer)), diff_id);

    // The push remembered its own entry (signed), which a second push uses.
    let mine = std::fs::read(&memory).unwrap();
    assert!(String::from_utf8_lossy(&mine).contains(&layer));
    let again = push(&[], "ns/app:v2", &[]);
    assert_eq!(again["BlobsMoved"], 0, "{again}");

    // --no-cache: the memory is not read (the layer is compressed and sent) nor written. (As
    // the second push left it: that push marked its entry used, a second later or not.)
    let before = std::fs::read(&memory).unwrap();
    let off = push(&[], "ns/app:v3", &["--no-cache"]);
    assert_eq!(off["BlobsMoved"], 1, "{off}");
    assert_eq!(std::fs::read(&memory).unwrap(), before);
    std::fs::remove_file(&memory).unwrap();
    push(&[], "ns/fresh:v1", &["--no-cache"]);
    assert!(!memory.exists());
}

/// A pack in `packs` named `name` whose index lists `n` entries of one byte each.
fn crafted_pack(packs: &Path, name: &str, n: usize) {
    let mut index = Vec::with_capacity(n * 90);
    index.push(b'[');
    for i in 0..n {
        if i > 0 {
            index.push(b',');
        }
        index.extend_from_slice(format!("[\"sha256:{i:064x}\",{i},1]").as_bytes());
    }
    index.push(b']');
    let mut pack = vec![b'x'; n];
    let len = index.len() as u64;
    pack.extend_from_slice(&index);
    pack.extend_from_slice(&len.to_le_bytes());
    pack.extend_from_slice(b"CRPACK1\n");
    std::fs::write(packs.join(name), pack).unwrap();
}

/// Finding 15: a crafted 60 MiB pack index is skipped before it is read, and however many
/// packs there are, the indexes loaded stay within a budget: peak memory stays small.
#[test]
fn crafted_pack_indexes_cost_no_memory() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let img = layout::image(&l, Some("v1"), "amd64", &[("a", b"alpha")]);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    let cache = dir.path().join("cache");
    let packs = cache.join("content/packs");
    std::fs::create_dir_all(&packs).unwrap();
    // The newest: a 60 MiB index. Then 24 packs (hard links of one) with 3.5 MiB indexes.
    crafted_pack(&packs, "3000-1-0000000a.pack", 760_000);
    crafted_pack(&packs, "2000-1-0000000a.pack", 40_000);
    for i in 0..24 {
        std::fs::hard_link(
            packs.join("2000-1-0000000a.pack"),
            packs.join(format!("{}-1-0000000a.pack", 1000 + i)),
        )
        .unwrap();
    }
    let big = std::fs::metadata(packs.join("3000-1-0000000a.pack"))
        .unwrap()
        .len();
    assert!(big > 60 << 20, "{big}");
    let mut cmd = env.std_cmd();
    cmd.env("CR_CACHE_DIR", &cache).args([
        "manifest-inspect",
        &format!("{}/ns/app@{}", reg.host, img.digest),
    ]);
    let (code, peak, out, err) = run_measured(cmd);
    assert_eq!(code, 0, "{err}");
    assert_eq!(cr_digest(out.as_bytes()), img.digest);
    assert!(peak < 60 * 1024, "peak RSS {peak} KiB");
}
