//! The transport's retry loop, token renewal and redirects against the fake transport, on
//! tokio's paused clock: waits are measured on the virtual clock, so each test runs in
//! milliseconds of real time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use tokio::time::Instant;

use super::fake::{Fake, Reply, Seen};
use crate::client::cause::Cause;
use crate::client::error::RegistryError;
use crate::client::transport::retry::Policy;
use crate::client::{Options, Registry, Req, Scope};
use crate::credentials::{Credential, CredentialSource};

const MANIFEST: &str = "https://registry.test/v2/ns/app/manifests/v1";
const CHALLENGE: &str = r#"Bearer realm="https://auth.test/token",service="registry.test""#;

fn opts() -> Options {
    Options {
        quiet: true,
        ..Options::default()
    }
}

fn alice() -> Credential {
    Credential {
        username: "alice".into(),
        password: "s3cret".into(),
        identity_token: None,
        source: CredentialSource::Flags,
    }
}

fn get() -> Req {
    Req::new(
        Method::GET,
        MANIFEST.parse().unwrap(),
        vec![Scope::pull("ns/app")],
        "get manifest ns/app:v1",
    )
}

/// Requests to the manifest URL (the ping and token requests left out).
fn to_manifest(seen: &[Seen]) -> Vec<&Seen> {
    seen.iter().filter(|s| s.url.as_str() == MANIFEST).collect()
}

/// An open registry whose manifest answers are `replies[n]` (then 200).
fn open_registry(replies: Vec<Reply>) -> (Arc<Fake>, Registry) {
    let replies = std::sync::Mutex::new(replies.into_iter());
    let fake = Fake::new(move |s, _| {
        if s.url.path() == "/v2/" {
            return Reply::status(200);
        }
        replies.lock().unwrap().next().unwrap_or(Reply::status(200))
    });
    let reg = fake.registry(&opts(), None);
    (fake, reg)
}

#[test]
fn backoff_grows_with_full_jitter_within_bounds() {
    let p = Policy {
        attempts: 5,
        base: Duration::from_millis(100),
    };
    for attempt in 0..12u32 {
        let cap =
            Duration::from_millis(100 * (1u64 << attempt.min(6))).min(Duration::from_secs(10));
        for _ in 0..200 {
            let d = p.delay(attempt, None);
            assert!(
                (cap / 2..=cap).contains(&d),
                "attempt {attempt}: {d:?} outside {cap:?}/2..={cap:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_5xx_is_retried_with_backoff_then_answers() {
    let (fake, reg) = open_registry(vec![
        Reply::status(503),
        Reply::status(502),
        Reply::status(500),
    ]);
    let t0 = Instant::now();
    let resp = reg
        .send_ok(get())
        .await
        .expect("the fourth attempt succeeds");
    assert_eq!(resp.status(), 200);
    // Waits after attempts 1..3: [125,250] + [250,500] + [500,1000] ms (base 250 ms).
    let waited = t0.elapsed();
    assert!(
        (Duration::from_millis(875)..=Duration::from_millis(1750)).contains(&waited),
        "{waited:?}"
    );
    let seen = fake.seen();
    let sent = to_manifest(&seen);
    assert_eq!(sent.len(), 4);
    assert!(sent
        .iter()
        .all(|s| s.method == Method::GET && s.body.is_empty()));
    let lines = reg.take_retries();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].contains("get manifest ns/app:v1") && lines[0].contains("HTTP 503"));
    assert!(lines[2].contains("attempt 4 of 5"), "{lines:?}");
}

#[tokio::test(start_paused = true)]
async fn a_5xx_past_the_budget_is_a_typed_error_naming_the_operation() {
    let (fake, reg) = open_registry((0..10).map(|_| Reply::status(500)).collect());
    let e = reg.send_ok(get()).await.expect_err("500 every time");
    match &e {
        RegistryError::Api {
            what, status, host, ..
        } => {
            assert_eq!(
                (what.as_str(), *status, host.as_str()),
                ("get manifest ns/app:v1", 500, "registry.test")
            );
        }
        other => panic!("not an API error: {other:?}"),
    }
    assert_eq!(
        to_manifest(&fake.seen()).len(),
        5,
        "the default budget is 5 attempts"
    );
    assert_eq!(reg.take_retries().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn retry_after_in_seconds_is_the_wait() {
    let (fake, reg) = open_registry(vec![Reply::with(503, &[("retry-after", "7")], "")]);
    let t0 = Instant::now();
    reg.send_ok(get())
        .await
        .expect("the second attempt succeeds");
    assert_eq!(t0.elapsed(), Duration::from_secs(7));
    assert_eq!(to_manifest(&fake.seen()).len(), 2);
    let lines = reg.take_retries();
    assert!(
        lines[0].contains("asked to wait 7 s (Retry-After)"),
        "{lines:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_an_http_date_is_the_wait() {
    let when = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(30);
    let date = jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&when)
        .unwrap();
    let (fake, reg) = open_registry(vec![Reply::with(429, &[("retry-after", &date)], "")]);
    let t0 = Instant::now();
    reg.send_ok(get())
        .await
        .expect("the second attempt succeeds");
    // Whole seconds from now to the date: 29 or 30 depending on the sub-second part, less
    // the real time a loaded machine takes before the answer is read (tokio's clock is paused,
    // the date is read against the wall clock); never the policy's backoff of a second or two.
    let waited = t0.elapsed();
    assert!(
        (Duration::from_secs(20)..=Duration::from_secs(30)).contains(&waited),
        "{waited:?} for {date}"
    );
    assert_eq!(to_manifest(&fake.seen()).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_429_with_the_quota_spent_is_not_retried() {
    let spent = [
        ("ratelimit-limit", "100;w=21600"),
        ("ratelimit-remaining", "0;w=21600"),
    ];
    let (fake, reg) = open_registry(vec![Reply::with(429, &spent, ""), Reply::status(200)]);
    let t0 = Instant::now();
    let e = reg.send_ok(get()).await.expect_err("a spent quota stands");
    assert_eq!(e.status(), Some(429));
    assert_eq!(to_manifest(&fake.seen()).len(), 1);
    assert_eq!(t0.elapsed(), Duration::ZERO);
    assert!(reg.take_retries().is_empty());
}

#[tokio::test(start_paused = true)]
async fn connection_errors_are_retried() {
    let (fake, reg) = open_registry(vec![Reply::Fail(Cause::Refused), Reply::Fail(Cause::Other)]);
    let resp = reg
        .send_ok(get())
        .await
        .expect("the third attempt succeeds");
    assert_eq!(resp.status(), 200);
    assert_eq!(to_manifest(&fake.seen()).len(), 3);
    let lines = reg.take_retries();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].contains("attempt 3 of 5"), "{lines:?}");
}

#[tokio::test(start_paused = true)]
async fn connection_errors_past_the_budget_are_a_connect_error() {
    let (fake, reg) = open_registry((0..9).map(|_| Reply::Fail(Cause::Refused)).collect());
    let e = reg.send_ok(get()).await.expect_err("refused every time");
    assert!(
        matches!(&e, RegistryError::Connect { cause: Cause::Refused, what, .. } if what == "get manifest ns/app:v1"),
        "{e:?}"
    );
    assert_eq!(to_manifest(&fake.seen()).len(), 5);
}

/// A token registry: tokens `t1`, `t2`, … in order; `manifest(auth, n)` answers the n-th
/// manifest request; `token(n)` may fail the n-th token request.
fn token_registry(
    manifest: impl Fn(Option<&str>, usize) -> Reply + Send + Sync + 'static,
    token: impl Fn(usize) -> Option<Reply> + Send + Sync + 'static,
) -> (Arc<Fake>, Registry) {
    let (tokens, manifests, issued) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let fake = Fake::new(move |s, _| match (s.url.host_str(), s.url.path()) {
        (_, "/v2/") => Reply::with(401, &[("www-authenticate", CHALLENGE)], ""),
        (Some("auth.test"), _) => {
            let n = tokens.fetch_add(1, Ordering::SeqCst);
            token(n).unwrap_or_else(|| {
                let t = issued.fetch_add(1, Ordering::SeqCst) + 1;
                Reply::with(200, &[], &format!(r#"{{"token":"t{t}","expires_in":300}}"#))
            })
        }
        _ => manifest(s.auth(), manifests.fetch_add(1, Ordering::SeqCst)),
    });
    let reg = fake.registry(&opts(), Some(alice()));
    (fake, reg)
}

#[tokio::test(start_paused = true)]
async fn an_expired_token_is_renewed_once_and_the_request_replayed() {
    let (fake, reg) = token_registry(
        |auth, n| match (n, auth) {
            // The first token is refused on the second request: it expired mid-run.
            (1, Some("Bearer t1")) => Reply::with(401, &[("www-authenticate", CHALLENGE)], ""),
            (_, Some(_)) => Reply::status(200),
            _ => Reply::status(401),
        },
        |_| None,
    );
    reg.send_ok(get()).await.expect("first");
    reg.send_ok(get()).await.expect("replayed with a new token");
    let seen = fake.seen();
    let sent: Vec<_> = seen
        .iter()
        .map(|s| format!("{} {}", s.url.host_str().unwrap(), s.auth().unwrap_or("-")))
        .collect();
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "alice:s3cret")
    );
    assert_eq!(
        sent,
        [
            "registry.test -".to_string(),
            format!("auth.test {basic}"),
            "registry.test Bearer t1".into(),
            "registry.test Bearer t1".into(),
            format!("auth.test {basic}"),
            "registry.test Bearer t2".into(),
        ]
    );
    assert!(seen[1]
        .url
        .query()
        .unwrap()
        .contains("scope=repository%3Ans%2Fapp%3Apull"));
    assert!(reg.take_retries().is_empty(), "a renewal is not a retry");
}

#[tokio::test(start_paused = true)]
async fn a_token_refused_again_after_renewal_is_not_renewed_twice() {
    let (fake, reg) = token_registry(
        |_, _| Reply::with(401, &[("www-authenticate", CHALLENGE)], ""),
        |_| None,
    );
    let e = reg.send_ok(get()).await.expect_err("refused");
    assert_eq!(e.status(), Some(401));
    let seen = fake.seen();
    assert_eq!(
        seen.iter()
            .filter(|s| s.url.host_str() == Some("auth.test"))
            .count(),
        2
    );
    assert_eq!(to_manifest(&seen).len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_token_service_failing_transiently_is_retried_by_the_same_loop() {
    let (fake, reg) = token_registry(
        |auth, _| match auth {
            Some("Bearer t1") => Reply::status(200),
            _ => Reply::status(401),
        },
        |n| match n {
            0 => Some(Reply::status(503)),
            1 => Some(Reply::Fail(Cause::Other)),
            _ => None,
        },
    );
    let t0 = Instant::now();
    reg.send_ok(get()).await.expect("a token on the third try");
    let seen = fake.seen();
    assert_eq!(
        seen.iter()
            .filter(|s| s.url.host_str() == Some("auth.test"))
            .count(),
        3
    );
    assert_eq!(to_manifest(&seen).len(), 1);
    let lines = reg.take_retries();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines
        .iter()
        .all(|l| l.starts_with("retrying get token on registry.test")));
    // Backoff of the shared policy: [125,250] + [250,500] ms.
    assert!((Duration::from_millis(375)..=Duration::from_millis(750)).contains(&t0.elapsed()));
}

#[tokio::test(start_paused = true)]
async fn a_token_service_down_past_the_budget_is_a_token_error() {
    let (fake, reg) = token_registry(|_, _| Reply::status(200), |_| Some(Reply::status(503)));
    let e = reg.send_ok(get()).await.expect_err("no token");
    assert!(
        matches!(&e, RegistryError::Token { status: 503, realm, .. } if realm == "https://auth.test/token"),
        "{e:?}"
    );
    let seen = fake.seen();
    assert_eq!(
        seen.iter()
            .filter(|s| s.url.host_str() == Some("auth.test"))
            .count(),
        5
    );
    assert!(to_manifest(&seen).is_empty());
}

#[tokio::test(start_paused = true)]
async fn authorization_does_not_follow_a_redirect_to_storage() {
    let fake = Fake::new(|s, _| match s.url.host_str() {
        Some("storage.test") => Reply::with(200, &[], "blob"),
        _ if s.url.path() == "/v2/" => {
            Reply::with(401, &[("www-authenticate", "Basic realm=\"r\"")], "")
        }
        _ => Reply::with(307, &[("location", "https://storage.test/b?sig=x")], ""),
    });
    let reg = fake.registry(&opts(), Some(alice()));
    let resp = reg.send_ok(get()).await.expect("followed");
    assert_eq!(resp.url().host_str(), Some("storage.test"));
    let seen = fake.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen[1].auth().is_some_and(|a| a.starts_with("Basic ")));
    assert_eq!(seen[2].url.host_str(), Some("storage.test"));
    assert_eq!(seen[2].auth(), None);
}

/// Inside `with_retry_sink` (the engine's copy), every retry is handed to the sink as a
/// `RetryNote` whose line is the one reported; outside, the sink hears nothing.
#[tokio::test(start_paused = true)]
async fn retries_go_to_the_sink_of_the_work_they_are_part_of() {
    use crate::client::transport::retrying::{with_retry_sink, RetryNote, RetrySink};
    let (_fake, reg) = open_registry(vec![Reply::status(503), Reply::status(503)]);
    let reg = Registry {
        quiet: false.into(),
        ..reg
    };
    let heard: Arc<std::sync::Mutex<Vec<RetryNote>>> = Arc::default();
    let h = heard.clone();
    let sink: RetrySink = Arc::new(move |n: &RetryNote| h.lock().unwrap().push(n.clone()));
    let resp = with_retry_sink(sink, reg.send_ok(get())).await.unwrap();
    assert_eq!(resp.status(), 200);
    let notes = heard.lock().unwrap().clone();
    let attempts: Vec<(u32, &str)> = notes.iter().map(|n| (n.attempt, n.host.as_str())).collect();
    assert_eq!(attempts, [(2, "registry.test"), (3, "registry.test")]);
    let lines: Vec<String> = notes.iter().map(ToString::to_string).collect();
    assert_eq!(lines, reg.take_retries());
    assert!(lines[0].starts_with("retrying get manifest ns/app:v1 on registry.test after HTTP 503"));
    // The same registry outside the sink's work: nothing more reaches it.
    let (_fake2, other) = open_registry(vec![Reply::status(503)]);
    other.send_ok(get()).await.unwrap();
    assert_eq!(heard.lock().unwrap().len(), 2);
    assert_eq!(other.take_retries().len(), 1);
}

/// A streamed request body is polled by the connection's task, outside the work's scope: the
/// retries said while reading it (a source registry's blob resumed mid-copy) still reach the
/// work's sink.
#[tokio::test]
async fn a_streamed_body_carries_the_sink_into_the_connections_task() {
    use crate::client::transport::retrying::{carry_sink, say, with_retry_sink, RetryNote};
    use futures_util::StreamExt;
    let note = RetryNote {
        what: "get blob".into(),
        host: "source.test".into(),
        cause: "a broken read".into(),
        attempt: 2,
        of: 5,
    };
    let heard: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let h = heard.clone();
    let n = note.clone();
    let body = futures_util::stream::once(async move {
        say(&n);
        Ok(bytes::Bytes::from_static(b"x"))
    })
    .boxed();
    let sink: crate::client::transport::retrying::RetrySink =
        Arc::new(move |n: &RetryNote| h.lock().unwrap().push(n.to_string()));
    let carried = with_retry_sink(sink, async move { carry_sink(body) }).await;
    // Polled in another task, as hyper polls a request body.
    let got = tokio::spawn(async move { carried.collect::<Vec<_>>().await })
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(*heard.lock().unwrap(), [note.to_string()]);
}
