//! What cr learnt about one registry from its answers (never from its host name): whether it
//! deletes tags by `DELETE /v2/REPO/manifests/TAG`, and the pulls its rate limit leaves
//! (Docker Hub's `ratelimit-limit` / `ratelimit-remaining` headers, said under `--debug`, and
//! once on a terminal when fewer than 10% remain). The PATCH size for uploads is learnt in
//! `blob.rs` (`Registry::fall_back`) and the referrers API in `referrers.rs`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use reqwest::header::HeaderMap;

/// A yes/no learnt from an answer, unknown until then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learnt {
    Unknown,
    Yes,
    No,
}

/// The capabilities of one registry, as its answers showed them.
#[derive(Debug, Default)]
pub struct Capabilities {
    /// 0 unknown, 1 yes, 2 no.
    tag_delete: AtomicU8,
    /// The low-rate-limit warning was given.
    warned: AtomicBool,
}

impl Capabilities {
    /// Whether the registry deletes a tag by `DELETE …/manifests/TAG`.
    pub fn tag_delete(&self) -> Learnt {
        match self.tag_delete.load(Ordering::Relaxed) {
            1 => Learnt::Yes,
            2 => Learnt::No,
            _ => Learnt::Unknown,
        }
    }

    pub fn set_tag_delete(&self, yes: bool) {
        self.tag_delete
            .store(if yes { 1 } else { 2 }, Ordering::Relaxed);
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

    #[test]
    fn tag_delete_is_unknown_until_learnt() {
        let c = Capabilities::default();
        assert_eq!(c.tag_delete(), Learnt::Unknown);
        c.set_tag_delete(false);
        assert_eq!(c.tag_delete(), Learnt::No);
    }
}
