//! The one retry policy: how many attempts a request gets, how long to wait between them
//! (exponential backoff with full jitter; a server's Retry-After wins, capped), and the one
//! classification of every failure: stop, retry the request, open a new upload session, or
//! upload in smaller pieces. Attempts are counted per request in a [`Budget`] that every layer
//! touching that request shares, so that layers never multiply attempts.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Response, StatusCode};

use crate::client::error::{Code, Kind, RegistryError};

/// Longest wait cr accepts from a `Retry-After`, and the backoff cap.
const MAX_WAIT: Duration = Duration::from_secs(60);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// How often and how patiently to try: built once per command from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts per request, the first included (`CR_MAX_RETRIES` + 1).
    pub attempts: u32,
    /// First backoff step (`CR_RETRY_BASE_MS`).
    pub base: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            attempts: 5,
            base: Duration::from_millis(250),
        }
    }
}

impl Policy {
    /// The wait before attempt `attempt + 1` (0-based `attempt` just failed).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(d) = retry_after {
            return d.min(MAX_WAIT);
        }
        let cap = self
            .base
            .saturating_mul(1 << attempt.min(6))
            .min(MAX_BACKOFF);
        let ms = cap.as_millis() as u64;
        Duration::from_millis(ms / 2 + fastrand::u64(0..=ms / 2))
    }

    /// A fresh budget of attempts for one request.
    pub fn budget(&self) -> Budget {
        Budget {
            left: Arc::new(AtomicU32::new(self.attempts.max(1))),
            of: self.attempts.max(1),
        }
    }
}

/// The attempts left for one request, shared by every layer that may try it again (the HTTP
/// layer's retries and a blob download's resumes draw from the same budget).
#[derive(Debug, Clone)]
pub struct Budget {
    left: Arc<AtomicU32>,
    of: u32,
}

impl Budget {
    /// Take one attempt; None when the budget is spent. Some(n): this is attempt n (1-based).
    pub fn take(&self) -> Option<u32> {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| l.checked_sub(1))
            .ok()
            .map(|before| self.of - before + 1)
    }
    /// Attempts not yet taken.
    pub fn left(&self) -> u32 {
        self.left.load(Ordering::Relaxed)
    }
    /// Attempts in all.
    pub fn of(&self) -> u32 {
        self.of
    }
}

/// What to do about a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Give up: the failure will not go away by trying again.
    Stop,
    /// Send the same request again after the wait (the server's Retry-After when it gave one).
    Retry(Option<Duration>),
    /// A streamed upload failed: start again in a new upload session after the wait.
    NewSession(Option<Duration>),
    /// The registry, or a proxy in front of it, refused the upload for its size or form: try
    /// again in smaller pieces (not counted as an attempt; bounded by the smallest piece).
    Smaller,
}

/// Statuses worth another attempt: 408, 429 and 5xx.
pub(in crate::client) fn retryable_status(s: StatusCode) -> bool {
    s == StatusCode::REQUEST_TIMEOUT || s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error()
}

/// The one classification of a failed request. `streamed`: its body was a stream that cannot
/// be sent again (an upload), so a transient failure means a new session.
pub fn decide(e: &RegistryError, streamed: bool) -> Decision {
    // Refused for its size or its form (a proxy's body limit, a registry without monolithic
    // uploads): only an upload can go again in smaller pieces.
    let refused = match e.status() {
        Some(413 | 405 | 411 | 415 | 416 | 501) => true,
        Some(400) => e.has_code(Code::BlobUploadInvalid) || e.without_code(),
        _ => false,
    };
    if streamed && refused {
        return Decision::Smaller;
    }
    let transient = match e {
        RegistryError::Connect { .. } => true,
        // A 401 in the middle of an upload is usually a token that expired while the body
        // streamed; one for a scope the account lacks is not.
        RegistryError::Api { status: 401, .. } => streamed && e.kind() != Kind::Denied,
        // An upload URL on another host refused: a new session brings a new one.
        RegistryError::Storage { status: 401, .. } => streamed,
        // The session was lost (a commit retried after its answer timed out, GHCR): the
        // engine checks whether the blob arrived, then starts a new one.
        RegistryError::Api { status: 404, .. } => {
            streamed && (e.has_code(Code::BlobUploadUnknown) || e.has_code(Code::BlobUnknown))
        }
        RegistryError::Api { status, .. } => StatusCode::from_u16(*status)
            .map(retryable_status)
            .unwrap_or(false),
        _ => false,
    };
    match (transient, streamed) {
        (false, _) => Decision::Stop,
        (true, false) => Decision::Retry(e.retry_after()),
        (true, true) => Decision::NewSession(e.retry_after()),
    }
}

/// The wait a response asks for (`Retry-After`, seconds or an HTTP date), capped at a minute.
pub(in crate::client) fn retry_after(resp: &Response) -> Option<Duration> {
    let v = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_WAIT));
    }
    let when = jiff::fmt::rfc2822::parse(v.trim()).ok()?.timestamp();
    let d = when.duration_since(jiff::Timestamp::now());
    Some(Duration::from_secs(d.as_secs().clamp(0, 60) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> RegistryError {
        RegistryError::status_for_test(crate::client::Operation::Other, status)
    }

    #[test]
    fn delays_are_bounded() {
        let p = Policy::default();
        for a in 0..40 {
            assert!(p.delay(a, None) <= MAX_BACKOFF);
        }
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(p.delay(0, Some(Duration::from_secs(3600))), MAX_WAIT);
    }

    #[test]
    fn a_budget_counts_attempts_once() {
        let b = Policy::default().budget();
        let shared = b.clone();
        assert_eq!(b.take(), Some(1));
        assert_eq!(shared.take(), Some(2));
        assert_eq!(b.take(), Some(3));
        assert_eq!(b.take(), Some(4));
        assert_eq!(shared.take(), Some(5));
        assert_eq!(b.take(), None);
        assert_eq!(shared.take(), None);
        assert_eq!(b.of(), 5);
    }

    #[test]
    fn classification() {
        assert_eq!(decide(&api(503), false), Decision::Retry(None));
        assert_eq!(decide(&api(500), true), Decision::NewSession(None));
        assert_eq!(decide(&api(429), false), Decision::Retry(None));
        assert_eq!(decide(&api(404), false), Decision::Stop);
        assert_eq!(decide(&api(400), true), Decision::Smaller);
        assert_eq!(decide(&api(413), true), Decision::Smaller);
        assert_eq!(decide(&api(416), true), Decision::Smaller);
        let mut lost = api(404);
        if let RegistryError::Api { errors, .. } = &mut lost {
            errors.push(crate::client::error::ApiError {
                code: Code::BlobUploadUnknown,
                message: String::new(),
            });
        }
        assert_eq!(decide(&lost, true), Decision::NewSession(None));
        assert_eq!(decide(&lost, false), Decision::Stop);
        assert_eq!(decide(&api(413), false), Decision::Stop);
        assert_eq!(decide(&api(403), true), Decision::Stop);
        assert_eq!(decide(&api(401), false), Decision::Stop);
        assert_eq!(decide(&api(401), true), Decision::NewSession(None));
        let mut denied = api(401);
        if let RegistryError::Api {
            insufficient_scope, ..
        } = &mut denied
        {
            *insufficient_scope = true;
        }
        assert_eq!(decide(&denied, true), Decision::Stop);
        let cut = RegistryError::Connect {
            what: "x".into(),
            host: "h".into(),
            message: "reset".into(),
            cause: crate::client::cause::Cause::Other,
            op: crate::client::Operation::Other,
        };
        assert_eq!(decide(&cut, false), Decision::Retry(None));
        let mut slow = api(503);
        if let RegistryError::Api { retry_after, .. } = &mut slow {
            *retry_after = Some(7);
        }
        assert_eq!(
            decide(&slow, false),
            Decision::Retry(Some(Duration::from_secs(7)))
        );
    }
}
