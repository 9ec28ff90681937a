//! Retries: which answers are worth another try (connection errors, 408, 429, 5xx), how long
//! to wait (exponential backoff with full jitter; a server's Retry-After wins).

use std::time::Duration;

use reqwest::{Response, StatusCode};

use super::client::env_u64;

pub(super) fn retryable_status(s: StatusCode) -> bool {
    s == StatusCode::REQUEST_TIMEOUT || s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error()
}

pub(super) fn retry_after(resp: &Response) -> Option<Duration> {
    let v = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs.min(60)));
    }
    let when = jiff::fmt::rfc2822::parse(v.trim()).ok()?.timestamp();
    let now = jiff::Timestamp::now();
    let d = when.duration_since(now);
    Some(Duration::from_secs(d.as_secs().clamp(0, 60) as u64))
}

/// Exponential backoff with full jitter; a server's Retry-After wins.
pub fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(d) = retry_after {
        return d;
    }
    let base = env_u64("CR_RETRY_BASE_MS", 250);
    let cap = base.saturating_mul(1 << attempt.min(6)).min(10_000);
    Duration::from_millis(cap / 2 + fastrand::u64(0..=cap / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_bounds() {
        for a in 0..10 {
            assert!(backoff(a, None) <= Duration::from_secs(10));
        }
        assert_eq!(
            backoff(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
    }
}
