//! Legacy `docker save` archives as moby writes them (before Docker 25): a layer saved twice
//! is a symbolic or hard link to its first copy, read through inside the archive; a link that
//! leaves the archive is refused. And an archive built to exhaust memory with long names is
//! refused at once.

use crate::common::{self, json, Env};
use std::io::Write;
use std::path::Path;

/// A tar entry: a file with its bytes, or a symbolic / hard link with its target.
#[derive(Clone, Copy)]
enum E<'a> {
    File(&'a str, &'a [u8]),
    Sym(&'a str, &'a str),
    Hard(&'a str, &'a str),
}

fn tar_of(entries: &[E]) -> Vec<u8> {
    let mut t = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match e {
            E::File(n, d) => {
                h.set_size(d.len() as u64);
                t.append_data(&mut h, n, *d).unwrap();
            }
            E::Sym(n, to) | E::Hard(n, to) => {
                let kind = if matches!(e, E::Sym(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                };
                h.set_entry_type(kind);
                h.set_size(0);
                t.append_link(&mut h, n, to).unwrap();
            }
        }
    }
    t.into_inner().unwrap()
}

/// A layer tar holding one file.
fn layer(name: &str, content: &[u8]) -> Vec<u8> {
    tar_of(&[E::File(name, content)])
}

/// A legacy archive: `l1/layer.tar` a file, the next layers as given (links or files), all
/// with `l1`'s diff_id, and a second distinct layer last.
fn legacy(path: &Path, links: &[E]) -> (Vec<u8>, Vec<u8>) {
    let l1 = layer("empty", b"");
    let last = layer("app", b"the application");
    let mut diff_ids = vec![common::cr_digest(&l1)];
    let mut names = vec!["l1/layer.tar".to_string()];
    for e in links {
        let (E::Sym(n, _) | E::Hard(n, _) | E::File(n, _)) = e;
        names.push(n.to_string());
        diff_ids.push(common::cr_digest(&l1));
    }
    names.push("l9/layer.tar".into());
    diff_ids.push(common::cr_digest(&last));
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": "config.json", "RepoTags": ["old/save:1"], "Layers": names}
    ]))
    .unwrap();
    let mut entries = vec![
        E::File("manifest.json", &manifest),
        E::File("config.json", &config),
        E::File("l1/layer.tar", &l1),
    ];
    entries.extend(links.iter().copied());
    entries.push(E::File("l9/layer.tar", &last));
    std::fs::write(path, tar_of(&entries)).unwrap();
    (config, l1)
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(b), &mut out).unwrap();
    out
}

#[test]
fn a_legacy_save_with_linked_layers_pushes_like_skopeo() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("old.tar");
    let (config, l1) = legacy(
        &archive,
        &[
            E::Sym("l2/layer.tar", "../l1/layer.tar"),
            E::Hard("l3/layer.tar", "l1/layer.tar"),
        ],
    );
    let src = format!("docker-archive:{}", archive.display());
    let out = json(&env.ok(&[
        "push",
        "-o",
        "json",
        &src,
        &format!("{}/ns/old:cr", reg.host),
    ]));
    assert_eq!(reg.skopeo_digest("ns/old:cr"), out["Digest"]);
    common::skopeo(&[
        "copy".into(),
        "--dest-tls-verify=false".into(),
        src.clone(),
        format!("docker://{}/ns/old:skopeo", reg.host),
    ]);
    let by_cr = json(&reg.skopeo_inspect("ns/old:cr", true));
    let by_skopeo = json(&reg.skopeo_inspect("ns/old:skopeo", true));
    // The same config, the same number of layers, the linked ones sharing one blob.
    assert_eq!(by_cr["config"]["digest"], common::cr_digest(&config));
    assert_eq!(by_cr["config"]["digest"], by_skopeo["config"]["digest"]);
    let layers = by_cr["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 4);
    assert_eq!(layers.len(), by_skopeo["layers"].as_array().unwrap().len());
    assert!(layers[0] == layers[1] && layers[1] == layers[2], "{by_cr}");
    // skopeo reads it back; each linked layer unpacks to the first layer's bytes.
    let back = dir.path().join("back");
    common::skopeo(&[
        "copy".into(),
        "--src-tls-verify=false".into(),
        format!("docker://{}/ns/old:cr", reg.host),
        format!("oci:{}:x", back.display()),
    ]);
    let hex = &layers[1]["digest"].as_str().unwrap()[7..];
    let blob = std::fs::read(back.join("blobs/sha256").join(hex)).unwrap();
    assert_eq!(gunzip(&blob), l1);
}

#[test]
fn a_link_leaving_the_archive_is_refused_and_nothing_is_pushed() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("evil.tar");
    // The outside file has the bytes the diff_id asks for: only the link's escape refuses it.
    std::fs::write(dir.path().join("outside.tar"), layer("empty", b"")).unwrap();
    for (i, link) in [
        E::Sym("l2/layer.tar", "../../outside.tar"),
        E::Sym("l2/layer.tar", "/etc/passwd"),
        E::Hard("l2/layer.tar", "../outside.tar"),
    ]
    .into_iter()
    .enumerate()
    {
        legacy(&archive, &[link]);
        let dst = format!("{}/ns/evil:{i}", reg.host);
        let (code, _, err) = env.run(&[
            "push",
            &format!("docker-archive:{}", archive.display()),
            &dst,
        ]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("l2/layer.tar") && err.contains("outside the archive"),
            "{err}"
        );
        assert!(!reg.skopeo_exists(&format!("ns/evil:{i}")));
    }
}

/// An archive of many entries with long names (a memory bomb when each name is kept): refused
/// at the first over-long name, quickly.
#[test]
fn an_archive_of_long_names_is_refused_quickly() {
    let reg = common::ns();
    let env = Env::new();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("names.tar.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut t = tar::Builder::new(&mut gz);
    for i in 0..2000 {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_mode(0o644);
        let name = format!("{}{i:08}", "a".repeat(8192));
        t.append_data(&mut h, name, std::io::empty()).unwrap();
    }
    t.into_inner().unwrap().flush().unwrap();
    std::fs::write(&archive, gz.finish().unwrap()).unwrap();
    let started = std::time::Instant::now();
    let (code, _, err) = env.run(&[
        "push",
        &format!("docker-archive:{}", archive.display()),
        &format!("{}/ns/names:1", reg.host),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("longer than 4096 bytes"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert!(!reg.skopeo_exists("ns/names:1"));
}
