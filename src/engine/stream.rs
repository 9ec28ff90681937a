//! Blob byte streams that verify while they flow: every chunk is hashed and counted, and the
//! end of the stream checks digest and size. Verification failures are recorded so the engine
//! does not retry a blob whose source is corrupt. (A registry GET that breaks mid-blob resumes
//! with `Range` from the byte it reached: `store::registry`.)

use std::sync::{Arc, Mutex};

use futures_util::stream::{self, StreamExt};
use tokio::sync::OwnedSemaphorePermit;

pub use crate::oci::bytes::ByteStream;
pub use crate::store::registry::registry_blob;

use super::progress::Observer;
use crate::oci::digest::Hasher;
use crate::oci::manifest::Descriptor;

/// Why a blob's stream ended badly, recorded where the engine can read it after the body was
/// consumed by an upload or a file write.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The bytes do not match the descriptor: corrupt at the source, never retried.
    Corrupt(String),
    /// Reading the source failed after its own retries and resumes (a registry's error, or a
    /// local file's): not retried again by the engine.
    Source(Arc<std::io::Error>),
}

#[derive(Clone, Default)]
pub struct Verdict(Arc<Mutex<Option<Failure>>>);

impl Verdict {
    pub fn fail(&self, msg: String) {
        *self.0.lock().expect("verdict lock") = Some(Failure::Corrupt(msg));
    }
    fn source_failed(&self, e: std::io::Error) -> std::io::Error {
        let shown = std::io::Error::new(e.kind(), e.to_string());
        let mut slot = self.0.lock().expect("verdict lock");
        if slot.is_none() {
            *slot = Some(Failure::Source(Arc::new(e)));
        }
        shown
    }
    pub fn failure(&self) -> Option<Failure> {
        self.0.lock().expect("verdict lock").clone()
    }
}

/// Wrap a stream whose bytes are checked elsewhere (a layer compressed as it streams): record
/// a failure of its source in `verdict`, and release `slot` when it ends or is dropped.
pub fn watched(
    inner: ByteStream,
    verdict: Verdict,
    slot: Option<OwnedSemaphorePermit>,
) -> ByteStream {
    Box::pin(stream::unfold(
        Some((inner, verdict, slot)),
        |st| async move {
            let (mut inner, verdict, slot) = st?;
            match inner.next().await {
                Some(Ok(b)) => Some((Ok(b), Some((inner, verdict, slot)))),
                Some(Err(e)) => Some((Err(verdict.source_failed(e)), None)),
                None => None,
            }
        },
    ))
}

/// Wrap a stream: count, report progress, check the size, and (when `hash`) the digest as the
/// last byte arrives. Local sources pushed to a registry are not hashed here: the registry
/// verifies the digest on commit, and hashing twice would cost a core on a 2-core machine.
/// `slot` is released as soon as the last byte has gone by (or the stream is dropped), so the
/// next blob starts streaming while the registry commits this one.
pub fn verified(
    inner: ByteStream,
    desc: Descriptor,
    progress: Arc<dyn Observer>,
    verdict: Verdict,
    hash: bool,
    slot: Option<OwnedSemaphorePermit>,
) -> ByteStream {
    struct St {
        inner: ByteStream,
        desc: Descriptor,
        hasher: Option<Hasher>,
        seen: u64,
        progress: Arc<dyn Observer>,
        verdict: Verdict,
        checked: bool,
        slot: Option<OwnedSemaphorePermit>,
    }
    impl St {
        /// Final check (once): None when size and digest match.
        fn check(&mut self) -> Option<String> {
            if self.checked {
                return None;
            }
            self.checked = true;
            let actual = match self.hasher.take() {
                Some(h) => h.finish().into_string(),
                None if self.seen == self.desc.size => return None,
                None => "(not hashed)".to_string(),
            };
            if self.seen == self.desc.size && actual == self.desc.digest {
                return None;
            }
            let msg = format!(
                "blob {} failed verification: got {} bytes hashing to {actual}, expected {} bytes",
                self.desc.digest, self.seen, self.desc.size
            );
            self.verdict.fail(msg.clone());
            Some(msg)
        }
    }
    let st = St {
        checked: false,
        slot,
        hasher: hash.then(|| Hasher::for_digest(&desc.digest)),
        inner,
        desc,
        seen: 0,
        progress,
        verdict,
    };
    Box::pin(stream::unfold(Some(st), |st| async move {
        let mut st = st?;
        match st.inner.next().await {
            Some(Ok(chunk)) => {
                st.seen += chunk.len() as u64;
                if st.seen > st.desc.size {
                    let msg = format!(
                        "blob {} is larger than its descriptor's {} bytes",
                        st.desc.digest, st.desc.size
                    );
                    st.verdict.fail(msg.clone());
                    return Some((Err(std::io::Error::other(msg)), None));
                }
                if let Some(h) = st.hasher.as_mut() {
                    h.update(&chunk);
                }
                // Check the digest as the last byte arrives, before handing it on: a consumer
                // that stops at Content-Length never delivers unverified content.
                if st.seen == st.desc.size {
                    if let Some(msg) = st.check() {
                        return Some((Err(std::io::Error::other(msg)), None));
                    }
                    st.slot = None;
                }
                st.progress.blob_bytes(&st.desc.digest, chunk.len() as u64);
                Some((Ok(chunk), Some(st)))
            }
            Some(Err(e)) => Some((Err(st.verdict.source_failed(e)), None)),
            None => st
                .check()
                .map(|msg| (Err(std::io::Error::other(msg)), None)),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::progress::Silent;
    use crate::oci::digest::sha256;
    use crate::store::registry::coalesce;
    use bytes::Bytes;

    fn chunks(parts: &[&[u8]]) -> ByteStream {
        let v: Vec<std::io::Result<Bytes>> = parts
            .iter()
            .map(|p| Ok(Bytes::copy_from_slice(p)))
            .collect();
        Box::pin(stream::iter(v))
    }

    fn desc(bytes: &[u8]) -> Descriptor {
        Descriptor::new(
            "application/octet-stream",
            sha256(bytes),
            bytes.len() as u64,
        )
    }

    /// Run `inner` through `verified` for `d`: the bytes handed on, the error, the verdict.
    async fn run(inner: ByteStream, d: Descriptor) -> (Vec<u8>, Option<String>, Option<Failure>) {
        let verdict = Verdict::default();
        let mut s = verified(inner, d, Arc::new(Silent), verdict.clone(), true, None);
        let mut out = Vec::new();
        let mut err = None;
        while let Some(item) = s.next().await {
            match item {
                Ok(b) => out.extend_from_slice(&b),
                Err(e) => {
                    err = Some(e.to_string());
                    break;
                }
            }
        }
        (out, err, verdict.failure())
    }

    #[tokio::test]
    async fn exact_content_passes() {
        let (out, err, v) = run(chunks(&[b"hel", b"lo"]), desc(b"hello")).await;
        assert_eq!(out, b"hello");
        assert!(err.is_none() && v.is_none());
    }

    #[tokio::test]
    async fn short_long_and_wrong_content_fail_as_corrupt() {
        // Short: the stream ends before the size.
        let (_, err, v) = run(chunks(&[b"hell"]), desc(b"hello")).await;
        assert!(err.unwrap().contains("failed verification"));
        assert!(matches!(v, Some(Failure::Corrupt(_))));
        // Long: more bytes than the descriptor says; nothing past the size is handed on.
        let (out, err, v) = run(chunks(&[b"hello", b"!"]), desc(b"hello")).await;
        assert!(out.len() <= 5);
        assert!(err.is_some() && matches!(v, Some(Failure::Corrupt(_))));
        // Wrong digest: the last byte is held back, so no unverified byte leaves.
        let (out, err, v) = run(chunks(&[b"hel", b"lO"]), desc(b"hello")).await;
        assert_eq!(out, b"hel");
        assert!(err.unwrap().contains("failed verification"));
        assert!(matches!(v, Some(Failure::Corrupt(_))));
    }

    #[tokio::test]
    async fn an_error_mid_stream_is_the_source_failing() {
        let inner: ByteStream = Box::pin(stream::iter(vec![
            Ok(Bytes::from_static(b"he")),
            Err(std::io::Error::other("connection reset")),
        ]));
        let (out, err, v) = run(inner, desc(b"hello")).await;
        assert_eq!(out, b"he");
        assert!(err.unwrap().contains("connection reset"));
        match v {
            Some(Failure::Source(e)) => assert!(e.to_string().contains("connection reset")),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn coalesce_keeps_bytes_and_order() {
        let parts: Vec<Vec<u8>> = (0..50u8).map(|i| vec![i; 7]).collect();
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        let mut s = coalesce(chunks(&refs), 64);
        let mut sizes = Vec::new();
        let mut all = Vec::new();
        while let Some(b) = s.next().await {
            let b = b.unwrap();
            sizes.push(b.len());
            all.extend_from_slice(&b);
        }
        assert_eq!(all, parts.concat());
        assert!(
            sizes[..sizes.len() - 1].iter().all(|&n| n >= 64),
            "{sizes:?}"
        );
    }
}
