//! Registry lifecycle against a real docker-registry: listings that cost what they show
//! (request counts through a proxy), `repo-list` / `tag-list`, the content cache (repeat
//! listings, corrupt entries, the size bound, `--no-cache`), and tag-list pagination.

use crate::common;
use crate::common::json;

use std::path::{Path, PathBuf};

use crate::common::hostile::{Hostile, Reply};
use crate::common::proxy::Proxy;
use crate::common::{cr_digest, layout, Auth, Env, TestRegistry};

/// Point `tags` of `repo` at `digest` (already in the repository) the way the registry's
/// filesystem driver stores tags: fast, and what the registry then serves.
fn add_tags(reg: &TestRegistry, repo: &str, digest: &str, tags: &[String]) {
    let base = reg
        .storage()
        .join("docker/registry/v2/repositories")
        .join(repo)
        .join("_manifests/tags");
    for t in tags {
        for sub in [
            base.join(t).join("current"),
            base.join(t).join("index/sha256").join(&digest[7..]),
        ] {
            std::fs::create_dir_all(&sub).unwrap();
            std::fs::write(sub.join("link"), digest).unwrap();
        }
    }
}

struct Seeded {
    reg: TestRegistry,
    proxy: Proxy,
    single: layout::Built,
    index: String,
    children: Vec<layout::Built>,
    _dir: tempfile::TempDir,
}

fn seed() -> Seeded {
    let reg = TestRegistry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("layout");
    let single = layout::image(&l, Some("v1"), "amd64", &[("a.txt", b"hello")]);
    let (index, children) = layout::index(&l, "multi", &["amd64", "arm64"]);
    reg.skopeo_push(&l, "v1", "ns/app:v1");
    reg.skopeo_push(&l, "multi", "ns/multi:latest");
    reg.skopeo_push(&l, "v1", "other/tool:1.0");
    let proxy = Proxy::before(&reg, vec![], None);
    Seeded {
        reg,
        proxy,
        single,
        index,
        children,
        _dir: dir,
    }
}

fn manifest_requests(p: &Proxy) -> (usize, usize) {
    (
        p.count("GET", "/manifests/"),
        p.count("HEAD", "/manifests/"),
    )
}

#[test]
fn cheap_listings_send_no_manifest_request() {
    let s = seed();
    let tags: Vec<String> = (1..=120).map(|i| format!("v{i}")).collect();
    add_tags(&s.reg, "ns/app", &s.single.digest, &tags);
    let env = Env::new();
    let host = s.proxy.host();
    let h = host.as_str();

    // tag-list: naturally sorted, the same set skopeo lists, no manifest request.
    let out = env.ok(&["tag-list", &format!("{h}/ns/app")]);
    let listed: Vec<&str> = out.lines().collect();
    let mut expected: Vec<String> = tags.clone();
    expected.sort_by_key(|t| t[1..].parse::<u32>().unwrap());
    assert_eq!(listed, expected, "natural order, v1 once");
    let mut sorted: Vec<String> = listed.iter().map(|t| t.to_string()).collect();
    sorted.sort();
    assert_eq!(sorted, s.reg.skopeo_tags("ns/app"));
    assert_eq!(manifest_requests(&s.proxy), (0, 0));
    let v = json(&env.ok(&["tags", &format!("{h}/ns/app"), "-o", "json"]));
    assert_eq!(v["Repository"], format!("{h}/ns/app"));
    assert_eq!(v["Tags"].as_array().unwrap().len(), 120);
    assert_eq!(v["Tags"][1], "v2");

    // image-list -q and a names-only template: tag lists alone.
    s.proxy.reset();
    let out = env.ok(&["--registry", h, "image-list", "-q", "--restrict", "ns/app"]);
    assert_eq!(out.lines().count(), 120);
    assert!(out.lines().all(|l| l.starts_with(&format!("{h}/ns/app:v"))));
    let out = env.ok(&[
        "--registry",
        h,
        "images",
        "--format",
        "{{ .Repository }} {{ .Tag }} {{ .Namespace }}",
    ]);
    assert_eq!(out.lines().count(), 122);
    assert_eq!(manifest_requests(&s.proxy), (0, 0));

    // Digests: one HEAD per tag, never a GET.
    s.proxy.reset();
    let out = env.ok(&["--registry", h, "image-digests", "-q", "--restrict", "ns"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{h}/ns/app@{}", s.single.digest),
            format!("{h}/ns/multi@{}", s.index)
        ]
    );
    assert_eq!(manifest_requests(&s.proxy), (0, 121));
    s.proxy.reset();
    let out = env.ok(&[
        "--registry",
        h,
        "images",
        "--restrict",
        "ns/multi",
        "--format",
        "{{.Tag}} {{.Digest}} {{.ManifestType}}",
    ]);
    assert_eq!(
        out.trim(),
        format!("latest {} {}", s.index, layout::OCI_INDEX)
    );
    assert_eq!(manifest_requests(&s.proxy), (0, 1));

    // repo-list: the catalog alone.
    s.proxy.reset();
    let v = json(&env.ok(&["--registry", h, "repo-list", "-o", "json"]));
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Repository"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            format!("{h}/ns/app"),
            format!("{h}/ns/multi"),
            format!("{h}/other/tool")
        ]
    );
    let out = env.ok(&["--registry", h, "repos", "-q", "--restrict", "other"]);
    assert_eq!(out.trim(), format!("{h}/other/tool"));
    assert_eq!(s.proxy.requests().len(), 4, "{:?}", s.proxy.requests());

    // Errors: a missing repository is exit 3, an image where a repository belongs exit 2.
    let (code, _, err) = env.run(&["tag-list", &format!("{h}/ns/nothere")]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("ns/nothere"), "{err}");
    let (code, _, err) = env.run(&["tag-list", &format!("{h}/ns/app:v1")]);
    assert_eq!(code, 2, "{err}");
}

/// The pack files of a content cache.
fn packs(cache: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache.join("content/packs"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|e| e == "pack"));
    v.sort();
    v
}

/// Overwrite every entry's bytes in every pack (the index and footer stay).
fn corrupt_packs(cache: &Path) {
    for p in packs(cache) {
        let mut b = std::fs::read(&p).unwrap();
        let n = b.len();
        let idx_len = u64::from_le_bytes(b[n - 16..n - 8].try_into().unwrap()) as usize;
        b[..n - 16 - idx_len].fill(b'x');
        std::fs::write(&p, b).unwrap();
    }
}

/// Which of `digests` the cache holds with the right bytes (read through cr's own reader,
/// which verifies).
fn holds(cache: &Path, digests: &[String]) -> Vec<bool> {
    let c = cr::cache::Cache::new(cache.join("content"), 1 << 30);
    digests
        .iter()
        .map(|d| c.get(d).is_some_and(|b| cr_digest(&b) == *d))
        .collect()
}

#[test]
fn the_cache_makes_repeat_listings_cheap_and_survives_corruption() {
    let s = seed();
    let env = Env::new();
    let cache = env.home.path().join("cache");
    let h = s.proxy.host();
    let list = |extra: &[(&str, &str)]| {
        let mut c = env.cmd();
        c.env("CR_CACHE_DIR", &cache);
        for (k, v) in extra {
            c.env(k, v);
        }
        let out = c
            .args(["--registry", &h, "image-list", "-o", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&String::from_utf8_lossy(&out.stdout))
    };
    s.proxy.reset();
    let first = list(&[]);
    // The first listing: one GET per tag and one per platform and config, no HEAD.
    assert_eq!(manifest_requests(&s.proxy), (5, 0));
    assert_eq!(s.proxy.count("GET", "/blobs/"), 3);
    let multi = first
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Repository"] == format!("{h}/ns/multi"))
        .unwrap()
        .clone();
    assert_eq!(multi["Digest"], s.index);
    let sizes: u64 = s.children.iter().map(|c| c.image_size).sum();
    assert_eq!(multi["Size"], sizes);
    assert_eq!(multi["Created"], 1704164645);
    // Manifests (index, 2 platforms, single) and configs (3) are cached under their digests,
    // in one pack file.
    let mut expected = vec![
        s.index.clone(),
        s.single.digest.clone(),
        s.single.config.clone(),
    ];
    for c in &s.children {
        expected.push(c.digest.clone());
        expected.push(c.config.clone());
    }
    assert_eq!(holds(&cache, &expected), [true; 7]);
    assert_eq!(packs(&cache).len(), 1);

    // The repeat listing: one tag list per repository and one HEAD per tag, nothing else,
    // and nothing new written.
    s.proxy.reset();
    assert_eq!(list(&[]), first);
    assert_eq!(manifest_requests(&s.proxy), (0, 3));
    assert_eq!(s.proxy.count("GET", "/blobs/"), 0);
    assert_eq!(s.proxy.count("GET", "/tags/list"), 3);
    assert_eq!(s.proxy.requests().len(), 8, "{:?}", s.proxy.requests());
    assert_eq!(packs(&cache).len(), 1);

    // Corrupt every entry: the listing is still right, and the entries are fetched again.
    corrupt_packs(&cache);
    assert_eq!(holds(&cache, &expected), [false; 7]);
    s.proxy.reset();
    assert_eq!(list(&[]), first);
    // (The tag hints were corrupted too: each tag is fetched by a GET, as the first time.)
    assert_eq!(manifest_requests(&s.proxy), (5, 0));
    assert_eq!(s.proxy.count("GET", "/blobs/"), 3);
    assert_eq!(
        holds(&cache, &expected),
        [true; 7],
        "refilled with the right bytes"
    );

    // The bound: the least recently used packs go until the cache fits CR_CACHE_MAX_MIB.
    let filler: Vec<Vec<u8>> = (0..3u64).map(|i| common::noise(600 << 10, i + 7)).collect();
    let before = packs(&cache);
    {
        let c = cr::cache::Cache::new(cache.join("content"), 1 << 30);
        for f in &filler {
            c.put(&cr_digest(f), f);
        }
    }
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
    for p in packs(&cache) {
        if !before.contains(&p) {
            std::fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
    }
    let fillers: Vec<String> = filler.iter().map(|f| cr_digest(f)).collect();
    assert_eq!(holds(&cache, &fillers), [true; 3]);
    assert_eq!(list(&[("CR_CACHE_MAX_MIB", "1")]), first);
    let size: u64 = packs(&cache)
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(size <= 1 << 20, "cache holds {size} bytes");
    assert_eq!(holds(&cache, &fillers), [false; 3], "the oldest went");
    assert_eq!(
        holds(&cache, &expected),
        [true; 7],
        "the listing's own stay"
    );

    // --no-cache neither reads nor writes; a bad bound is a usage error.
    let other = env.home.path().join("other-cache");
    let out = env
        .cmd()
        .env("CR_CACHE_DIR", &other)
        .args(["--registry", &h, "--no-cache", "image-list", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!other.exists());
    let out = env
        .cmd()
        .env("CR_CACHE_MAX_MIB", "lots")
        .args(["--registry", &h, "image-list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CR_CACHE_MAX_MIB"));
}

#[test]
fn tag_lists_are_followed_page_by_page() {
    // A registry that pages its tag lists two at a time, as `?n=2&last=…` asks.
    let server = Hostile::start(|seen| {
        let t = &seen.target;
        if t == "/v2/" {
            return Reply::json(200, "{}");
        }
        let all = ["a", "b", "c", "d", "e"];
        if let Some(q) = t.strip_prefix("/v2/ns/app/tags/list?") {
            let last = q
                .split('&')
                .find_map(|kv| kv.strip_prefix("last="))
                .unwrap_or("");
            let rest: Vec<&str> = all.iter().copied().filter(|x| *x > last).collect();
            let page: Vec<&str> = rest.iter().take(2).copied().collect();
            let body = serde_json::json!({"name": "ns/app", "tags": page}).to_string();
            let mut r = Reply::json(200, body);
            if rest.len() > 2 {
                r = r.with_header(
                    "Link",
                    &format!("</v2/ns/app/tags/list?n=2&last={}>; rel=\"next\"", page[1]),
                );
            }
            return r;
        }
        Reply::status(404)
    });
    let env = Env::new();
    let out = env.ok(&["tag-list", &format!("{}/ns/app", server.host())]);
    assert_eq!(out, "a\nb\nc\nd\ne\n");
    assert_eq!(server.count("GET", "/tags/list"), 3);
    assert_eq!(server.count("GET", "/manifests/"), 0);
}
