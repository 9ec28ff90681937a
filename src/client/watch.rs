//! Stall detection for streamed uploads. A per-read timeout cannot serve an upload: the
//! registry answers only once the whole body is in, which may take minutes on a slow link. So
//! uploads go on a client without one, and this watch fails the request instead when no byte
//! of the body has gone out for the read timeout, or when the registry has not answered long
//! after the last byte.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_util::StreamExt;

/// A request body as a stream of bytes.
pub use crate::oci::bytes::ByteStream;

/// What the body has done so far.
pub struct Watch {
    start: Instant,
    /// Milliseconds after `start` when a piece of the body last went out.
    last: AtomicU64,
    sent: AtomicU64,
    /// The declared length, when there is one.
    len: Option<u64>,
    ended: AtomicBool,
}

impl Watch {
    fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last.store(ms, Ordering::Relaxed);
    }

    fn done(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
            || self
                .len
                .is_some_and(|l| self.sent.load(Ordering::Relaxed) >= l)
    }

    /// Resolves (with what went wrong) once the body has stalled for `idle`, or the registry
    /// has not answered within ten times `idle` and a second for each `commit_rate` bytes
    /// after the body's last byte was handed over: the sockets between may still hold many
    /// megabytes of it on a slow link, and committing a large blob takes time (a sync, a copy
    /// in S3). Never otherwise.
    pub async fn expired(&self, idle: Duration, commit_rate: u64) -> String {
        loop {
            tokio::time::sleep(Duration::from_millis(250).min(idle)).await;
            let now = self.start.elapsed().as_millis() as u64;
            let quiet =
                Duration::from_millis(now.saturating_sub(self.last.load(Ordering::Relaxed)));
            if self.done() {
                let sent = self.sent.load(Ordering::Relaxed);
                let answer = idle * 10 + Duration::from_secs(sent / commit_rate.max(1));
                if quiet > answer {
                    return format!(
                        "no answer {} s after the upload's last byte",
                        answer.as_secs()
                    );
                }
            } else if quiet > idle {
                return format!(
                    "the upload stalled: no data went out for {} s (CR_READ_TIMEOUT)",
                    idle.as_secs()
                );
            }
        }
    }
}

/// Watch `body`, whose length is `len` when declared.
pub fn watched(mut body: ByteStream, len: Option<u64>) -> (ByteStream, Arc<Watch>) {
    let w = Arc::new(Watch {
        start: Instant::now(),
        last: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        len,
        ended: AtomicBool::new(false),
    });
    let w2 = w.clone();
    let s = futures_util::stream::poll_fn(move |cx| {
        let r = body.poll_next_unpin(cx);
        match &r {
            Poll::Ready(Some(Ok(b))) => {
                w2.sent.fetch_add(b.len() as u64, Ordering::Relaxed);
                w2.touch();
            }
            Poll::Ready(_) => {
                w2.ended.store(true, Ordering::Relaxed);
                w2.touch();
            }
            Poll::Pending => {}
        }
        r
    });
    (Box::pin(s), w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[tokio::test]
    async fn a_stalled_body_expires_and_a_finished_one_waits_for_the_answer() {
        let (mut s, w) = watched(
            Box::pin(futures_util::stream::iter(vec![Ok(Bytes::from_static(
                b"ab",
            ))])),
            Some(2),
        );
        let idle = Duration::from_millis(300);
        // Nothing read yet: stalled.
        let msg = w.expired(idle, 1).await;
        assert!(msg.contains("stalled"), "{msg}");
        // All of it read: the answer may take the idle time and a second per byte here.
        assert!(s.next().await.is_some());
        let r = tokio::time::timeout(Duration::from_millis(3500), w.expired(idle, 1)).await;
        assert!(r.is_err(), "a finished body must not count as stalled");
        let msg = w.expired(idle, 1 << 20).await;
        assert!(msg.contains("no answer"), "{msg}");
    }
}
