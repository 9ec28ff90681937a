//! Property tests for every parser that takes outside input (issue #9): image references,
//! `WWW-Authenticate`, `Link`, manifests / indexes / configs, docker-archive `manifest.json`,
//! registry error bodies, token answers, digests and tags, and the terminal escaper. None may
//! panic; whatever a validator accepts must be safe as one path or URL segment.
//!
//! CI runs 256 cases per property (well under a minute in all). A longer run by hand:
//!
//!     PROPTEST_CASES=100000 cargo test --release --lib properties::

use proptest::prelude::*;

use crate::client::catalog::next_link;
use crate::client::error::parse_errors;
use crate::client::transport::auth::{choose, parse_challenges, TokenResponse};
use crate::oci::manifest::{detect_media_type, RawManifest};
use crate::oci::reference::{validate_digest, validate_repository, validate_tag, Reference};

fn config(cases: u32) -> ProptestConfig {
    let from_env = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok());
    ProptestConfig {
        cases: from_env.unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Strings with the characters hostile input likes: separators, dots, controls, non-ASCII.
fn nasty() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('/'),
            Just('.'),
            Just(':'),
            Just('@'),
            Just('%'),
            Just('\u{1b}'),
            Just('\u{9b}'),
            Just('\n'),
            Just('✓'),
            Just('"'),
            Just(','),
            Just('='),
            Just('<'),
            Just('>'),
            Just(';'),
            prop::char::range('a', 'z'),
            prop::char::range('0', '9'),
            any::<char>(),
        ],
        0..80,
    )
    .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn references_never_panic_and_round_trip(s in nasty()) {
        if let Ok(r) = Reference::parse(&s, "localhost:5000") {
            prop_assert!(validate_repository(&r.repository).is_ok());
            prop_assert!(r.repository.split('/').all(|c| c != ".." && c != "." && !c.is_empty()));
            if let Some(t) = &r.tag {
                prop_assert!(validate_tag(t).is_ok());
            }
            if let Some(d) = &r.digest {
                prop_assert!(validate_digest(d).is_ok());
            }
            let again = Reference::parse(&r.to_string(), "localhost:5000").unwrap();
            prop_assert_eq!(again, r);
        }
    }

    #[test]
    fn valid_names_round_trip(
        ns in "[a-z0-9]{1,8}([._-][a-z0-9]{1,8})?",
        repo in "[a-z0-9]{1,8}(/[a-z0-9]{1,8}){0,2}",
        tag in "[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}",
    ) {
        let name = format!("registry.example:5000/{ns}/{repo}:{tag}");
        let r = Reference::parse(&name, "localhost:5000").unwrap();
        prop_assert_eq!(r.to_string(), name);
        prop_assert_eq!(r.tag.as_deref(), Some(tag.as_str()));
    }

    #[test]
    fn an_accepted_tag_is_one_safe_segment(s in nasty()) {
        if validate_tag(&s).is_ok() {
            prop_assert!(!s.contains('/') && !s.starts_with('.') && s.len() <= 128);
            prop_assert!(!s.chars().any(|c| crate::text::is_control(c) || !c.is_ascii()));
        }
    }

    #[test]
    fn an_accepted_digest_is_algorithm_and_hex(s in nasty(), hex in "[0-9a-f]{64}") {
        for d in [s, format!("sha256:{hex}")] {
            if validate_digest(&d).is_ok() {
                let (alg, h) = d.split_once(':').unwrap();
                prop_assert!(
                    (alg == "sha256" && h.len() == 64)
                        || (alg == "sha384" && h.len() == 96)
                        || (alg == "sha512" && h.len() == 128)
                );
                prop_assert!(h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            }
        }
    }

    #[test]
    fn challenges_never_panic(s in nasty()) {
        let all = parse_challenges(&s);
        let _ = choose(all);
    }

    #[test]
    fn link_headers_never_panic(s in nasty()) {
        let _ = next_link(&s);
    }

    #[test]
    fn manifests_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400), idx in any::<bool>()) {
        let ct = if idx { "application/vnd.oci.image.index.v1+json" } else { "application/vnd.oci.image.manifest.v1+json" };
        let mt = detect_media_type(&bytes, Some(ct));
        let m = RawManifest::new(bytes.into(), mt, crate::oci::digest::sha256(b"x"));
        if let Ok(p) = m.parse() {
            let _ = (p.blobs(), p.children(), p.image_size(), p.pick_platform(None));
        }
    }

    #[test]
    fn shaped_manifests_never_panic(size in any::<i128>(), digest in nasty(), n in 0usize..40) {
        let entry = format!(r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":{},"size":{size},"platform":{{"os":"linux","architecture":"amd64"}}}}"#,
            serde_json::to_string(&digest).unwrap());
        let index = format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#, vec![entry.clone(); n].join(","));
        let image = format!(r#"{{"schemaVersion":2,"config":{e},"layers":[{e},{e}]}}"#, e = entry);
        for (bytes, mt) in [(index, "application/vnd.oci.image.index.v1+json"), (image, "application/vnd.oci.image.manifest.v1+json")] {
            let m = RawManifest::new(bytes.into(), mt.into(), crate::oci::digest::sha256(b"x"));
            if let Ok(p) = m.parse() {
                prop_assert!(p.children().len() <= 1, "children are taken once per digest");
                let _ = (p.blobs(), p.image_size());
            }
        }
    }

    #[test]
    fn error_bodies_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), code in nasty()) {
        let _ = parse_errors(&bytes);
        let body = serde_json::json!({"errors": [{"code": code, "message": code}]});
        let parsed = parse_errors(body.to_string().as_bytes());
        prop_assert_eq!(parsed.len(), 1);
        prop_assert_eq!(parsed[0].code.as_str(), code.as_str());
    }

    #[test]
    fn token_answers_never_panic(
        n in any::<u64>(),
        i in any::<i64>(),
        f in any::<f64>(),
        s in nasty(),
    ) {
        for e in [
            serde_json::json!(n),
            serde_json::json!(i),
            serde_json::json!(f),
            serde_json::json!(s),
            serde_json::json!(null),
            serde_json::json!([1]),
        ] {
            let body = serde_json::json!({"token": "t", "expires_in": e});
            let t: TokenResponse = serde_json::from_value(body).unwrap();
            let t = t.into_token().unwrap();
            let left = t.renew_at.saturating_duration_since(std::time::Instant::now());
            prop_assert!(left <= std::time::Duration::from_secs(86_400));
        }
    }

    #[test]
    fn escaped_text_holds_no_control_character(s in nasty()) {
        let e = crate::text::escape(&s);
        prop_assert!(!e.chars().any(crate::text::is_control));
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// A docker-archive's manifest.json with arbitrary entries: opening it never panics, and
    /// a RepoTags entry that is not a valid name is refused, never returned as a tag.
    #[test]
    fn docker_archive_manifests_never_panic(
        config_name in nasty(),
        layer in nasty(),
        repo_tag in nasty(),
        diff_id in nasty(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar");
        let mut t = tar::Builder::new(Vec::new());
        let config = serde_json::json!({"rootfs": {"diff_ids": [diff_id]}}).to_string();
        let manifest = serde_json::json!([{"Config": config_name, "RepoTags": [repo_tag], "Layers": [layer]}]).to_string();
        for (name, data) in [("manifest.json", manifest.as_bytes()), ("config.json", config.as_bytes())] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            t.append_data(&mut h, name, data).unwrap();
        }
        std::fs::write(&path, t.into_inner().unwrap()).unwrap();
        let r = crate::local::LocalRef::parse(&format!("docker-archive:{}", path.display()), false).unwrap();
        if let Ok(img) = crate::local::reader::LocalImage::open(r) {
            if let Ok(Some(tag)) = img.recorded_tag() {
                prop_assert!(validate_tag(&tag).is_ok());
            }
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// The one host grammar (issue #17): an accepted host is `name[:port]` of letters,
    /// digits, `-` and `.` (or a bracketed IPv6 address), nothing a URL would read as a
    /// fragment, query, userinfo or path; it is canonical (it parses back to itself), and an
    /// image name's host is exactly that parse.
    #[test]
    fn accepted_hosts_are_plain_host_and_port(s in nasty(), with_hash in "[a-z]{1,6}[#?\\\\@ /][a-z.]{0,8}") {
        for h in [s, with_hash] {
            if let Ok(host) = crate::host::Host::parse(&h) {
                let text = host.to_string();
                prop_assert!(text
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.:[]".contains(&b)));
                prop_assert_eq!(crate::host::Host::parse(&text).unwrap(), host.clone());
                let url = url::Url::parse(&format!("https://{text}/v2/")).unwrap();
                prop_assert_eq!(url.path(), "/v2/");
                prop_assert!(url.username().is_empty() && url.query().is_none() && url.fragment().is_none());
                if crate::host::is_host(&h) {
                    let r = Reference::parse(&format!("{h}/ns/app"), "localhost:5000");
                    prop_assert_eq!(r.map(|r| r.registry), Ok(text));
                }
            }
        }
    }
}
