//! What cr learnt about one registry from its answers (never from its host name), each fact
//! filled in one place: whether it deletes tags by `DELETE /v2/REPO/manifests/TAG`, the PATCH
//! size its uploads need (learnt from a 413/416/too-small refusal, so the next upload starts
//! there), whether its `_catalog` wants Basic on a Bearer registry (Harbor), whether it has
//! the referrers API, whether it mounts blobs across repositories, and the pulls its rate
//! limit leaves (Docker Hub's `ratelimit-limit` / `ratelimit-remaining` headers, said under
//! `--debug`, and once on a terminal when fewer than 10% remain).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};

use reqwest::header::HeaderMap;

use super::error::RegistryError;
use super::transport::retry::{decide, Decision};

/// The first PATCH size after a registry refused a whole blob in one PUT; halved after each 413.
pub const FIRST_CHUNK: u64 = 16 << 20;
pub const MIN_CHUNK: u64 = 1 << 20;
/// The smallest non-final chunk ECR takes (S3 multipart's minimum): the size chunks grow to
/// when a registry refuses a smaller one.
pub const MIN_PART: u64 = 5 << 20;

/// A yes/no learnt from an answer, unknown until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learnt {
    Unknown,
    Yes,
    No,
}

/// A [`Learnt`] shared by the requests of one client.
#[derive(Debug, Default)]
struct Fact(AtomicU8);

impl Fact {
    fn get(&self) -> Learnt {
        match self.0.load(Ordering::Relaxed) {
            1 => Learnt::Yes,
            2 => Learnt::No,
            _ => Learnt::Unknown,
        }
    }
    fn set(&self, yes: bool) {
        self.0.store(if yes { 1 } else { 2 }, Ordering::Relaxed);
    }
}

/// The capabilities of one registry, as its answers showed them.
#[derive(Debug, Default)]
pub struct Capabilities {
    tag_delete: Fact,
    /// PATCH size for uploads; 0: the whole blob in one PUT.
    upload_chunk: AtomicU64,
    /// `_catalog` answered a Basic challenge on a registry that asked for Bearer at the ping.
    catalog_basic: Fact,
    referrers_api: Fact,
    mount: Fact,
    /// The low-rate-limit warning was given.
    warned: AtomicBool,
}

impl Capabilities {
    /// Nothing learnt yet; uploads start with PATCHes of `upload_chunk` bytes (0: one PUT).
    pub fn new(upload_chunk: u64) -> Self {
        Capabilities {
            upload_chunk: upload_chunk.into(),
            ..Default::default()
        }
    }

    /// Whether the registry deletes a tag by `DELETE …/manifests/TAG`.
    pub fn tag_delete(&self) -> Learnt {
        self.tag_delete.get()
    }

    pub fn set_tag_delete(&self, yes: bool) {
        self.tag_delete.set(yes);
    }

    /// The PATCH size to use for this registry's uploads; 0: one PUT with the whole blob.
    pub fn upload_chunk(&self) -> u64 {
        self.upload_chunk.load(Ordering::Relaxed)
    }

    /// After an upload made with PATCHes of `used` bytes (see `upload_chunk`) failed with `e`:
    /// when the registry (or a proxy in front of it) refused the request for its size or its
    /// form, learn a size it may take (true); every later upload starts there.
    pub fn learn_chunk(&self, e: &RegistryError, used: u64) -> bool {
        if decide(e, true) != Decision::Smaller {
            return false;
        }
        let next = match (used, e.status()) {
            (0, _) => FIRST_CHUNK,
            // 413: a body limit; 416: a PATCH size cap (GHCR refuses PATCHes over 4 MiB).
            (u, Some(413 | 416)) if u > MIN_CHUNK => (u / 2).max(MIN_CHUNK),
            // A chunk refused as too small (ECR: every chunk but the last >= 5 MiB).
            (u, Some(400)) if u < MIN_PART => MIN_PART,
            _ => return false,
        };
        // Another blob may have moved it already: either way, the next attempt uses the new size.
        let _ =
            self.upload_chunk
                .compare_exchange(used, next, Ordering::Relaxed, Ordering::Relaxed);
        true
    }

    /// Whether `_catalog` is asked with Basic credentials from the start (Harbor).
    pub fn catalog_basic(&self) -> Learnt {
        self.catalog_basic.get()
    }

    /// A catalog page asked again with Basic after a Basic challenge got `success`.
    pub fn set_catalog_basic(&self, success: bool) {
        self.catalog_basic.set(success);
    }

    /// Whether the registry serves `GET /v2/REPO/referrers/DIGEST`.
    pub fn referrers_api(&self) -> Learnt {
        self.referrers_api.get()
    }

    pub fn set_referrers_api(&self, yes: bool) {
        self.referrers_api.set(yes);
    }

    /// Whether the registry mounted a blob from another repository when asked (No: it opened
    /// an upload session instead).
    pub fn mount(&self) -> Learnt {
        self.mount.get()
    }

    pub fn set_mount(&self, mounted: bool) {
        self.mount.set(mounted);
    }

    /// Read the rate-limit headers of an answer from `host`: under `debug` say what is left;
    /// otherwise warn once, on a terminal, when fewer than 10% of the pulls remain.
    pub fn note_rate_limit(&self, host: &str, headers: &HeaderMap, debug: bool) {
        let Some(rl) = RateLimit::from_headers(headers) else {
            return;
        };
        let line = format!(
            "{host}: {} of {} pulls left{} (ratelimit-remaining)",
            rl.remaining,
            rl.limit,
            rl.window.map(|w| format!(" per {w} s")).unwrap_or_default()
        );
        if debug {
            crate::notice::status(&line);
        } else if rl.low()
            && std::io::stderr().is_terminal()
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            crate::notice::warning(&line);
        }
    }
}

/// A registry's rate limit as its headers state it: `ratelimit-limit: 100;w=21600`,
/// `ratelimit-remaining: 76;w=21600`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u64,
    pub remaining: u64,
    /// The window in seconds (`w=`), when given.
    pub window: Option<u64>,
}

impl RateLimit {
    pub fn from_headers(h: &HeaderMap) -> Option<Self> {
        let field = |name: &str| {
            let v = h.get(name)?.to_str().ok()?;
            let mut parts = v.split(';');
            let n = parts.next()?.trim().parse::<u64>().ok()?;
            let w = parts
                .filter_map(|p| p.trim().strip_prefix("w="))
                .find_map(|w| w.trim().parse::<u64>().ok());
            Some((n, w))
        };
        let (limit, window) = field("ratelimit-limit")?;
        let (remaining, w2) = field("ratelimit-remaining")?;
        Some(RateLimit {
            limit,
            remaining,
            window: window.or(w2),
        })
    }

    /// A 429 answer whose rate-limit headers say nothing remains in the window: a spent
    /// quota, not a passing overload, so another attempt now cannot succeed.
    pub fn spent(resp: &reqwest::Response) -> bool {
        resp.status() == reqwest::StatusCode::TOO_MANY_REQUESTS
            && Self::from_headers(resp.headers()).is_some_and(|r| r.remaining == 0)
    }

    /// Fewer than 10% of the limit remain.
    pub fn low(&self) -> bool {
        self.limit > 0 && self.remaining.saturating_mul(10) < self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn reads_docker_hub_rate_limit_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(RateLimit::from_headers(&h), None);
        h.insert("ratelimit-limit", HeaderValue::from_static("100;w=21600"));
        h.insert("ratelimit-remaining", HeaderValue::from_static("9;w=21600"));
        let rl = RateLimit::from_headers(&h).unwrap();
        assert_eq!((rl.limit, rl.remaining, rl.window), (100, 9, Some(21600)));
        assert!(rl.low());
        h.insert("ratelimit-remaining", HeaderValue::from_static("10"));
        assert!(!RateLimit::from_headers(&h).unwrap().low());
        h.insert("ratelimit-remaining", HeaderValue::from_static("lots"));
        assert_eq!(RateLimit::from_headers(&h), None);
    }

    fn refusal(status: u16) -> RegistryError {
        RegistryError::status_for_test(crate::client::Operation::Push, status)
    }

    #[test]
    fn chunk_limits_are_learnt_once_for_every_later_upload() {
        let c = Capabilities::new(0);
        assert_eq!(c.upload_chunk(), 0, "one PUT until refused");
        // A whole blob refused for its size: PATCHes of 16 MiB from now on.
        assert!(c.learn_chunk(&refusal(413), 0));
        assert_eq!(c.upload_chunk(), FIRST_CHUNK);
        // A second upload that started with the learnt size and was refused again: halved.
        assert!(c.learn_chunk(&refusal(416), c.upload_chunk()));
        assert_eq!(c.upload_chunk(), 8 << 20);
        // A refusal seen by a blob that started before the change moves nothing back.
        assert!(c.learn_chunk(&refusal(413), FIRST_CHUNK));
        assert_eq!(c.upload_chunk(), 8 << 20);
        // Halving stops at the smallest piece.
        let small = Capabilities::new(MIN_CHUNK);
        assert!(!small.learn_chunk(&refusal(413), MIN_CHUNK));
        assert_eq!(small.upload_chunk(), MIN_CHUNK);
        // A chunk refused as too small (ECR): the minimum part size.
        let ecr = Capabilities::new(2 << 20);
        assert!(ecr.learn_chunk(&refusal(400), 2 << 20));
        assert_eq!(ecr.upload_chunk(), MIN_PART);
        // Not a refusal for size or form: nothing learnt.
        assert!(!c.learn_chunk(&refusal(503), 8 << 20));
        assert!(!c.learn_chunk(&refusal(403), 8 << 20));
        assert_eq!(c.upload_chunk(), 8 << 20);
    }

    #[test]
    fn catalog_basic_referrers_and_mount_are_unknown_until_learnt() {
        let c = Capabilities::new(0);
        assert_eq!(c.catalog_basic(), Learnt::Unknown);
        assert_eq!(c.referrers_api(), Learnt::Unknown);
        assert_eq!(c.mount(), Learnt::Unknown);
        c.set_catalog_basic(true);
        c.set_referrers_api(false);
        c.set_mount(true);
        assert_eq!(c.catalog_basic(), Learnt::Yes);
        assert_eq!(c.referrers_api(), Learnt::No);
        assert_eq!(c.mount(), Learnt::Yes);
        c.set_mount(false);
        assert_eq!(c.mount(), Learnt::No);
    }

    #[test]
    fn tag_delete_is_unknown_until_learnt() {
        let c = Capabilities::default();
        assert_eq!(c.tag_delete(), Learnt::Unknown);
        c.set_tag_delete(false);
        assert_eq!(c.tag_delete(), Learnt::No);
    }
}

/// Each capability filled in by the endpoint that learns it, seen through the fake transport.
#[cfg(test)]
mod learnt_by_endpoints {
    use super::Learnt;
    use crate::client::transport::fake::{Fake, Reply};
    use crate::client::{Options, Scope};
    use crate::credentials::{Credential, CredentialSource};

    const BEARER: &str = r#"Bearer realm="https://auth.test/token",service="registry.test""#;

    fn alice() -> Option<Credential> {
        Some(Credential {
            username: "alice".into(),
            password: "s3cret".into(),
            identity_token: None,
            source: CredentialSource::Flags,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_catalog_that_wants_basic_gets_basic_from_the_second_page_on() {
        let fake = Fake::new(|s, _| {
            let basic = s.auth().is_some_and(|a| a.starts_with("Basic "));
            match (s.url.host_str(), s.url.path()) {
                (_, "/v2/") => Reply::with(401, &[("www-authenticate", BEARER)], ""),
                (Some("auth.test"), _) => Reply::with(200, &[], r#"{"token":"t1"}"#),
                (_, "/v2/_catalog") if !basic => {
                    Reply::with(401, &[("www-authenticate", r#"Basic realm="harbor""#)], "")
                }
                (_, "/v2/_catalog") if s.url.query().unwrap_or("").contains("last=a") => {
                    Reply::with(200, &[], r#"{"repositories":["b"]}"#)
                }
                (_, "/v2/_catalog") => Reply::with(
                    200,
                    &[("link", r#"</v2/_catalog?n=1&last=a>; rel="next""#)],
                    r#"{"repositories":["a"]}"#,
                ),
                _ => Reply::status(404),
            }
        });
        let reg = fake.registry(&Options::default(), alice());
        assert_eq!(reg.capabilities().catalog_basic(), Learnt::Unknown);
        assert_eq!(reg.catalog().await.expect("two pages"), ["a", "b"]);
        assert_eq!(reg.capabilities().catalog_basic(), Learnt::Yes);
        let pages: Vec<_> = fake
            .seen()
            .into_iter()
            .filter(|s| s.url.path() == "/v2/_catalog")
            .map(|s| {
                s.auth()
                    .unwrap_or("-")
                    .split(' ')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        // The first page: Bearer refused (twice: the token is renewed once), then Basic; the
        // second page: Basic at once.
        assert_eq!(pages, ["Bearer", "Bearer", "Basic", "Basic"]);
    }

    #[tokio::test(start_paused = true)]
    async fn no_referrers_api_is_asked_once() {
        let fake = Fake::new(|s, _| match s.url.path() {
            "/v2/" => Reply::status(200),
            _ => Reply::status(404),
        });
        let reg = fake.registry(&Options::default(), None);
        let subject = crate::oci::digest::Digest::fake(&format!("sha256:{}", "a".repeat(64)));
        let scopes = [Scope::pull("ns/app")];
        for _ in 0..3 {
            let got = reg
                .referrers_api(
                    &crate::oci::name::Repository::parse("ns/app").unwrap(),
                    &subject,
                    &scopes,
                )
                .await;
            assert!(matches!(got, Ok(None)), "{got:?}");
        }
        assert_eq!(reg.capabilities().referrers_api(), Learnt::No);
        let asked = fake
            .seen()
            .iter()
            .filter(|s| s.url.path().contains("/referrers/"))
            .count();
        assert_eq!(asked, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_mount_answered_with_a_session_is_learnt_as_refused() {
        let fake = Fake::new(|s, _| match s.url.path() {
            "/v2/" => Reply::status(200),
            _ if s.url.query().unwrap_or("").contains("from=ns%2Fmounts") => Reply::status(201),
            _ => Reply::with(202, &[("location", "/v2/ns/app/blobs/uploads/u1")], ""),
        });
        let reg = fake.registry(&Options::default(), None);
        let digest = crate::oci::digest::Digest::fake(&format!("sha256:{}", "b".repeat(64)));
        let scopes = [Scope::push("ns/app")];
        let r = |s: &str| crate::oci::name::Repository::parse(s).unwrap();
        let m = reg
            .mount_blob(&r("ns/app"), &digest, &r("ns/other"), &scopes)
            .await;
        assert!(m.is_ok());
        assert_eq!(reg.capabilities().mount(), Learnt::No);
        reg.mount_blob(&r("ns/app"), &digest, &r("ns/mounts"), &scopes)
            .await
            .expect("mounted");
        assert_eq!(reg.capabilities().mount(), Learnt::Yes);
    }
}
