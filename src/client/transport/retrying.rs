//! The one retry loop: every request and every token fetch goes through [`Registry::retry_loop`],
//! which draws attempts from a shared [`Budget`], decides what is worth another attempt
//! (connection errors, 408, 429 unless the quota is spent, 5xx; a stream body never), says so,
//! and waits (backoff with jitter, or the server's `Retry-After`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, Response, StatusCode};

use super::retry::{decide, retry_after, retryable_status, Budget, Decision};
use crate::client::capabilities::RateLimit;
use crate::client::error::RegistryError;
use crate::client::registry::{Body, Registry, Req};
use crate::oci::bytes::ByteStream;

/// A retry, said: what is tried again, on which registry, after what, attempt `attempt` of
/// `of`. Its `Display` is the line a user reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryNote {
    pub what: String,
    pub host: String,
    pub cause: String,
    pub attempt: u32,
    pub of: u32,
}

impl std::fmt::Display for RetryNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "retrying {} on {} after {} (attempt {} of {})",
            self.what, self.host, self.cause, self.attempt, self.of
        )
    }
}

/// Where the retries of a piece of work are said (the transfer engine's observer); without
/// one they go to the notice sink.
pub type RetrySink = Arc<dyn Fn(&RetryNote) + Send + Sync>;

tokio::task_local! {
    static RETRY_SINK: RetrySink;
}

/// Run `work` with the retries of its requests said to `sink` (the engine hands them to its
/// observer, so that a progress display draws them) instead of to the notice sink.
pub async fn with_retry_sink<F: Future>(sink: RetrySink, work: F) -> F::Output {
    RETRY_SINK.scope(sink, work).await
}

/// A request body streamed from elsewhere (a source registry's blob, read as it is uploaded)
/// is polled by the HTTP connection's own task, outside the work's scope: carry the work's
/// sink into each poll, so that the source side's retries and resumes are said where the
/// destination side's are.
pub(in crate::client) fn carry_sink(body: ByteStream) -> ByteStream {
    let Ok(sink) = RETRY_SINK.try_with(Arc::clone) else {
        return body;
    };
    let mut body = body;
    Box::pin(futures_util::stream::poll_fn(move |cx| {
        RETRY_SINK.sync_scope(sink.clone(), || body.as_mut().poll_next(cx))
    }))
}

/// Say a retry: to the sink of the work it is part of, else to the notice sink.
pub(in crate::client) fn say(note: &RetryNote) {
    if RETRY_SINK.try_with(|s| s(note)).is_err() {
        crate::notice::status(&note.to_string());
    }
}

/// What one attempt came to.
pub(in crate::client) enum Step {
    /// An answer or a failure, for the loop to judge.
    Sent(Result<Response, RegistryError>),
    /// The outcome stands as it is: never tried again.
    Final(Result<Response, RegistryError>),
    /// Try again at once, without counting an attempt (a renewed token, a fresh storage URL):
    /// each attempt allows this a bounded number of times.
    Again,
}

/// One attempt of a request; the loop calls it until it is done.
pub(in crate::client) trait Attempt {
    /// Try once; `attempt` is the 1-based attempt number, `of` the budget's size.
    async fn once(&mut self, attempt: u32, of: u32) -> Step;
}

impl Registry {
    /// Run `a` until it succeeds, fails for good or `budget` is spent. `retryable`: the body
    /// can be sent again. The last answer or error stands when the budget is spent.
    pub(in crate::client) async fn retry_loop<A: Attempt>(
        &self,
        what: &str,
        budget: &Budget,
        retryable: bool,
        a: &mut A,
    ) -> Result<Response, RegistryError> {
        let mut attempt = budget.take().ok_or_else(|| self.spent(what))?;
        loop {
            let r = match a.once(attempt, budget.of()).await {
                Step::Again => continue,
                Step::Final(r) => return r,
                Step::Sent(r) => r,
            };
            let Some((cause, wait)) = self.worth_retrying(&r, retryable) else {
                return r;
            };
            let Some(next) = self.pause(budget, attempt, what, &cause, wait).await else {
                return r;
            };
            attempt = next;
        }
    }

    /// The one pause between two attempts, for this loop and for the loops above it (an
    /// upload started again in a new session): the next attempt is drawn from `budget`
    /// (None: spent, the last outcome stands), the retry is said, and the policy's backoff
    /// (or the server's `wait`) is waited out. Returns the next attempt's number.
    pub async fn pause(
        &self,
        budget: &Budget,
        attempt: u32,
        what: &str,
        cause: &str,
        wait: Option<Duration>,
    ) -> Option<u32> {
        let next = budget.take()?;
        self.say_and_wait((next, budget.of()), attempt - 1, what, cause, wait)
            .await;
        Some(next)
    }

    /// The pause before a blob read that broke is resumed from its offset: as [`Self::pause`],
    /// but the next attempt is drawn by the resuming request itself (it carries `budget`), so
    /// here it is only counted. False: the budget is spent.
    pub async fn pause_before_resume(&self, budget: &Budget, what: &str, cause: &str) -> bool {
        if budget.left() == 0 {
            return false;
        }
        let next = budget.of() - budget.left() + 1;
        let failed = next.saturating_sub(2);
        self.say_and_wait((next, budget.of()), failed, what, cause, None)
            .await;
        true
    }

    /// Say that attempt `next.0` of `next.1` follows, and wait the policy's backoff for the
    /// `failed`-th failure before it (or the server's `wait`).
    async fn say_and_wait(
        &self,
        next: (u32, u32),
        failed: u32,
        what: &str,
        cause: &str,
        wait: Option<Duration>,
    ) {
        self.note_retry(what, cause, next.0, next.1);
        tokio::time::sleep(self.policy.delay(failed, wait)).await;
    }

    /// Why an outcome is worth another attempt, and the wait the server asked for; None: it
    /// stands.
    fn worth_retrying(
        &self,
        r: &Result<Response, RegistryError>,
        retryable: bool,
    ) -> Option<(String, Option<Duration>)> {
        match r {
            _ if !retryable => None,
            Err(e) if decide(e, false) != Decision::Stop => Some((e.to_string(), None)),
            Err(_) => None,
            // A 429 whose own headers say the quota is spent (Docker Hub's pull limit,
            // `ratelimit-remaining: 0`, a window of hours) is not retried in a loop.
            Ok(resp) if RateLimit::spent(resp) => None,
            Ok(resp) if retryable_status(resp.status()) => {
                let wait = retry_after(resp);
                let cause = match wait {
                    // The wait is said, so that a long one does not look like a hang.
                    Some(d) if !d.is_zero() => format!(
                        "HTTP {}; {} asked to wait {} s (Retry-After)",
                        resp.status().as_u16(),
                        self.name,
                        d.as_secs()
                    ),
                    _ => format!("HTTP {}", resp.status().as_u16()),
                };
                Some((cause, wait))
            }
            Ok(_) => None,
        }
    }

    /// The error of a request whose shared budget was spent before it started.
    pub(in crate::client) fn spent(&self, what: &str) -> RegistryError {
        self.protocol(what, "no attempts left for this request".into())
    }
}

/// A request to the registry: authorized per attempt, the token renewed once after a 401 (it
/// may have expired mid-operation), and a refused redirect to storage asked again once.
pub(in crate::client) struct Sending<'r> {
    pub(in crate::client) reg: &'r Registry,
    pub(in crate::client) req: Req,
    renewed: bool,
    re_asked: bool,
}

impl<'r> Sending<'r> {
    pub(in crate::client) fn new(reg: &'r Registry, req: Req) -> Self {
        Sending {
            reg,
            req,
            renewed: false,
            re_asked: false,
        }
    }

    /// This attempt's body: bytes again, a stream only the first time.
    fn body(&mut self) -> Body {
        match &mut self.req.body {
            Body::Empty => Body::Empty,
            Body::Bytes(b) => Body::Bytes(b.clone()),
            Body::Stream(s) => Body::Stream(s.take()),
        }
    }

    /// Storage a GET was redirected to refused the URL (a presigned URL that expired: S3
    /// answers 403, or 400 to a request it finds wrong): worth asking the registry again.
    fn storage_refused(&self, resp: &Response) -> bool {
        !self.re_asked
            && self.req.retryable()
            && self.req.method == Method::GET
            && !self.reg.same_origin(resp.url())
            && matches!(resp.status().as_u16(), 400 | 403)
    }

    /// A 401 from the registry itself, the first one: the token may have expired.
    fn expired(&self, resp: &Response) -> bool {
        resp.status() == StatusCode::UNAUTHORIZED
            && !self.renewed
            && self.req.retryable()
            && self.reg.same_origin(resp.url())
    }
}

impl Attempt for Sending<'_> {
    async fn once(&mut self, attempt: u32, of: u32) -> Step {
        let reg = self.reg;
        let auth = match reg.authorization(&self.req.scopes, None).await {
            Ok(a) => a,
            Err(e) => return Step::Final(Err(e)),
        };
        let (method, url, headers) = (
            self.req.method.clone(),
            self.req.url.clone(),
            self.req.headers.clone(),
        );
        let body = self.body();
        let what = &self.req.what;
        let resp = match reg
            .raw_send(method, url, auth.as_deref(), headers, body, what)
            .await
        {
            Ok(resp) => resp,
            Err(e) => return Step::Sent(Err(e)),
        };
        if self.storage_refused(&resp) {
            self.re_asked = true;
            let cause = format!(
                "HTTP {} from the storage it was redirected to (an expired URL?)",
                resp.status().as_u16()
            );
            reg.note_retry(what, &cause, attempt, of);
            return Step::Again;
        }
        if self.expired(&resp) {
            self.renewed = true;
            reg.learn_challenge(&resp).await;
            let refused = Some(auth.as_deref().unwrap_or(""));
            return match reg.authorization(&self.req.scopes, refused).await {
                Ok(_) => Step::Again,
                Err(e) => Step::Final(Err(e)),
            };
        }
        Step::Sent(Ok(resp))
    }
}
