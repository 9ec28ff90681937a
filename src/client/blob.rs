//! Blob requests: HEAD, GET (small blobs verified in memory; large ones streamed by the
//! transfer engine), cross-repository mount, and uploads (POST then one PUT with the body, or
//! PATCHes of a size the registry accepts when it refuses that).

use crate::client::error::Operation;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{self, Stream, StreamExt};
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION, RANGE};
use reqwest::{Method, Response, StatusCode};
use url::Url;

use super::transport::retry::Budget;
use super::{Body, ByteStream, Kind, Registry, RegistryError, Req, Resource, Scope};
use crate::oci::digest::{self, Digest};
use crate::oci::name::Repository;

/// The stream an upload is cut from, and what the last piece left over.
struct Cursor<S> {
    bytes: S,
    rest: Option<Bytes>,
}

/// The next `len` bytes of a shared stream, as a body of their own.
fn piece<S>(
    shared: Arc<tokio::sync::Mutex<Cursor<S>>>,
    len: u64,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static
where
    S: Stream<Item = std::io::Result<Bytes>> + Send + Unpin + 'static,
{
    stream::unfold((shared, len), |(shared, left)| async move {
        if left == 0 {
            return None;
        }
        let mut cur = shared.lock().await;
        let mut b = match cur.rest.take() {
            Some(b) => b,
            None => match cur.bytes.next().await {
                Some(Ok(b)) => b,
                Some(Err(e)) => return Some((Err(e), (shared.clone(), 0))),
                None => {
                    let e = std::io::Error::other("the blob ended before its size");
                    return Some((Err(e), (shared.clone(), 0)));
                }
            },
        };
        if b.len() as u64 > left {
            cur.rest = Some(b.split_off(left as usize));
        }
        drop(cur);
        let n = b.len() as u64;
        Some((Ok(b), (shared, left - n)))
    })
}

/// The outcome of a mount request.
#[derive(Debug)]
pub enum Mount {
    /// 201: the blob is now in the destination repository.
    Mounted,
    /// 202: refused; an upload session was opened instead, at this URL. None: refused
    /// without one (401/403, or the token service would not grant the source's pull).
    Upload(Option<Url>),
}

impl Registry {
    /// Size of a blob when it exists in `repo`.
    pub async fn head_blob(
        &self,
        repo: &Repository,
        digest: &Digest,
        scopes: &[Scope],
    ) -> Result<Option<u64>, RegistryError> {
        let what = format!("check blob {digest} in {repo}");
        let req = Req::new(
            Method::HEAD,
            self.repo_url(repo, Resource::Blob(digest))?,
            scopes.to_vec(),
            what.clone(),
        );
        let resp = self.send(req).await?;
        match resp.status() {
            StatusCode::NOT_FOUND => Ok(None),
            // A redirect to storage (not followed: presigned URLs are for GET only) says the
            // blob is there.
            s if s.is_redirection() => Ok(Some(0)),
            // No HEAD (405), or 403 where 404 is meant (Artifactory): not known to be there;
            // an upload then says whether the repository takes it.
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::FORBIDDEN => Ok(None),
            s if s.is_success() => Ok(Some(
                resp.headers()
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            )),
            _ => Err(self.error(resp, (&what, Operation::Other), scopes).await),
        }
    }

    /// Start a blob GET (optionally from byte `offset`); the caller streams and verifies it.
    /// `budget`: attempts shared with the caller's resumes (None: a fresh one).
    pub async fn get_blob(
        &self,
        repo: &Repository,
        digest: &Digest,
        offset: u64,
        scopes: &[Scope],
        budget: Option<Budget>,
    ) -> Result<Response, RegistryError> {
        let what = format!("get blob {digest} from {repo}");
        let mut req = Req::new(
            Method::GET,
            self.repo_url(repo, Resource::Blob(digest))?,
            scopes.to_vec(),
            what.clone(),
        );
        if offset > 0 {
            req = req.header(RANGE, &format!("bytes={offset}-"));
        }
        if let Some(b) = budget {
            req = req.budget(b);
        }
        let resp = self.send_ok(req).await?;
        if offset > 0 && resp.status() != StatusCode::PARTIAL_CONTENT {
            return Err(RegistryError::Protocol {
                what,
                host: self.name.clone(),
                message: "the server ignored the Range request".into(),
            });
        }
        Ok(resp)
    }

    /// GET a small blob (a config) into memory, verified against its digest. (The content
    /// cache is `store::Cached`'s.)
    pub async fn fetch_blob_bytes(
        &self,
        repo: &Repository,
        digest: &Digest,
        limit: usize,
        scopes: &[Scope],
    ) -> Result<Bytes, RegistryError> {
        let what = format!("get blob {digest} from {repo}");
        let mut resp = self.get_blob(repo, digest, 0, scopes, None).await?;
        let buf = self.read_limited(&mut resp, limit, &what).await?;
        let actual = digest::of_like(digest, &buf);
        if actual != *digest {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: digest.to_string(),
                actual: actual.into_string(),
            });
        }
        Ok(buf)
    }

    /// Ask the registry to mount `digest` from `from` into `repo`.
    pub async fn mount_blob(
        &self,
        repo: &Repository,
        digest: &Digest,
        from: &Repository,
        scopes: &[Scope],
    ) -> Result<Mount, RegistryError> {
        let what = format!("mount blob {digest} from {from} into {repo}");
        let mut url = self.repo_url(repo, Resource::Uploads)?;
        url.query_pairs_mut()
            .append_pair("mount", digest)
            .append_pair("from", from);
        let req =
            Req::new(Method::POST, url, scopes.to_vec(), what.clone()).header(CONTENT_LENGTH, "0");
        let resp = match self.send_ok(req).await {
            Ok(r) => r,
            // A mount is an optimisation: a refusal of the source (Harbor's 401 for another
            // project, a token service refusing the source's pull scope) means uploading.
            Err(e)
                if matches!(e, RegistryError::Token { .. })
                    || matches!(e.kind(), Kind::Unauthorized | Kind::Denied) =>
            {
                return Ok(Mount::Upload(None))
            }
            Err(e) => return Err(e),
        };
        self.caps.set_mount(resp.status() == StatusCode::CREATED);
        match resp.status() {
            StatusCode::CREATED => Ok(Mount::Mounted),
            // Some registries open no session with their refusal: upload in a new one.
            _ => Ok(Mount::Upload(self.location(&resp, &what).ok())),
        }
    }

    /// Open an upload session; returns its URL.
    pub async fn start_upload(
        &self,
        repo: &Repository,
        scopes: &[Scope],
    ) -> Result<Url, RegistryError> {
        let what = format!("start upload to {repo}");
        let req = Req::new(
            Method::POST,
            self.repo_url(repo, Resource::Uploads)?,
            scopes.to_vec(),
            what.clone(),
        )
        .header(CONTENT_LENGTH, "0");
        let resp = self.send_ok(req).await?;
        self.location(&resp, &what)
    }

    /// Finish an upload session with the whole body in one PUT.
    pub async fn finish_upload(
        &self,
        session: Url,
        digest: &Digest,
        size: u64,
        body: Body,
        scopes: &[Scope],
    ) -> Result<(), RegistryError> {
        let what = format!("upload blob {digest}");
        let mut url = session;
        url.query_pairs_mut().append_pair("digest", digest);
        let req = Req::new(Method::PUT, url, scopes.to_vec(), what)
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, &size.to_string())
            .body(body);
        self.send_ok(req).await.map(|_| ())
    }

    /// Finish an upload session in PATCHes of at most `chunk` bytes (with `Content-Range`), then
    /// a PUT with the digest: for registries, or proxies in front of them, that refuse one large
    /// request. The chunks are cut from `bytes` as it streams; nothing is buffered.
    pub async fn upload_chunks<S>(
        &self,
        session: Url,
        digest: &Digest,
        size: u64,
        bytes: S,
        chunk: u64,
        scopes: &[Scope],
    ) -> Result<(), RegistryError>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + Unpin + 'static,
    {
        let what = format!("upload blob {digest}");
        let shared = Arc::new(tokio::sync::Mutex::new(Cursor { bytes, rest: None }));
        let mut url = session;
        let mut start = 0u64;
        while start < size {
            let len = chunk.max(1).min(size - start);
            let body: ByteStream = Box::pin(piece(shared.clone(), len));
            url = self.patch(url, start, len, body, scopes, &what).await?;
            start += len;
        }
        self.finish_upload(url, digest, 0, Body::Empty, scopes)
            .await
    }

    /// Upload into `session` a stream whose digest and size are known only at its end (a
    /// layer compressed as it streams): one streamed PATCH, or, once the registry refused that
    /// (`chunk` > 0), PATCHes of at most `chunk` bytes, each gathered before it goes so that it
    /// has a length; then PUT with the digest `digest_of` yields once the stream has ended.
    pub async fn upload_unknown<S>(
        &self,
        session: Url,
        mut bytes: S,
        chunk: u64,
        digest_of: impl FnOnce() -> Option<Digest>,
        scopes: &[Scope],
    ) -> Result<Digest, RegistryError>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + Unpin + 'static,
    {
        let what = "upload blob".to_string();
        let mut url = session;
        if chunk == 0 {
            let req = Req::new(Method::PATCH, url, scopes.to_vec(), what.clone())
                .header(CONTENT_TYPE, "application/octet-stream")
                .body(Body::Stream(Some(Box::pin(bytes))));
            let resp = self.send_ok(req).await?;
            url = self.location(&resp, &what)?;
        } else {
            let source_failed = |e: std::io::Error| RegistryError::Protocol {
                what: what.clone(),
                host: self.name.clone(),
                message: format!("the upload's source failed: {e}"),
            };
            let mut start = 0u64;
            let mut rest: Option<Bytes> = None;
            let mut ended = false;
            loop {
                let mut piece = bytes::BytesMut::new();
                while (piece.len() as u64) < chunk && !(ended && rest.is_none()) {
                    let b = match rest.take() {
                        Some(b) => b,
                        None => match bytes.next().await {
                            Some(b) => b.map_err(source_failed)?,
                            None => {
                                ended = true;
                                break;
                            }
                        },
                    };
                    let room = (chunk - piece.len() as u64) as usize;
                    if b.len() > room {
                        piece.extend_from_slice(&b[..room]);
                        rest = Some(b.slice(room..));
                    } else {
                        piece.extend_from_slice(&b);
                    }
                }
                if piece.is_empty() {
                    break;
                }
                let len = piece.len() as u64;
                let once: ByteStream = Box::pin(stream::once(async move { Ok(piece.freeze()) }));
                url = self.patch(url, start, len, once, scopes, &what).await?;
                start += len;
            }
        }
        let digest = digest_of().ok_or_else(|| RegistryError::Protocol {
            what: what.clone(),
            host: self.name.clone(),
            message: "the upload ended before its content was complete".into(),
        })?;
        self.finish_upload(url, &digest, 0, Body::Empty, scopes)
            .await?;
        Ok(digest)
    }

    /// Upload a blob held in memory (a config, a placeholder), unless it is already there.
    pub async fn upload_bytes(
        &self,
        repo: &Repository,
        data: Bytes,
        scopes: &[Scope],
    ) -> Result<Digest, RegistryError> {
        let d = digest::sha256(&data);
        if self.head_blob(repo, &d, scopes).await?.is_some() {
            return Ok(d);
        }
        let session = self.start_upload(repo, scopes).await?;
        let size = data.len() as u64;
        self.finish_upload(session, &d, size, Body::Bytes(data), scopes)
            .await?;
        Ok(d)
    }

    /// The PATCH size to use for this registry's uploads; 0: one PUT with the whole blob.
    pub fn upload_chunk(&self) -> u64 {
        self.caps.upload_chunk()
    }

    /// After an upload made with `used` (see `upload_chunk`) failed with `e`: when the registry
    /// (or a proxy in front of it) refused the request for its size or its form, switch to
    /// smaller PATCHes, for this upload and every later one to this registry (true); the
    /// caller then tries again in a new session.
    pub fn fall_back(&self, e: &RegistryError, used: u64) -> bool {
        self.caps.learn_chunk(e, used)
    }

    /// PATCH `len` bytes at `start` into an upload session (sent once: a failed piece means a
    /// new session); returns the session's next URL.
    async fn patch(
        &self,
        url: Url,
        start: u64,
        len: u64,
        body: ByteStream,
        scopes: &[Scope],
        what: &str,
    ) -> Result<Url, RegistryError> {
        let url_before = url.clone();
        let req = Req::new(Method::PATCH, url, scopes.to_vec(), what)
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, &len.to_string())
            .header(CONTENT_RANGE, &format!("{start}-{}", start + len - 1))
            .body(Body::Stream(Some(body)));
        let resp = self.send_ok(req).await?;
        // The latest Location is the session's; a PATCH answered without one keeps the URL.
        // cr keeps the offset itself: ECR's `Range` goes stale after the second PATCH, and a
        // 201 (ECR) is as good as a 202.
        Ok(self.location(&resp, what).unwrap_or(url_before))
    }

    fn location(&self, resp: &Response, what: &str) -> Result<Url, RegistryError> {
        let loc = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| RegistryError::Protocol {
                what: what.to_string(),
                host: self.name.clone(),
                message: format!("HTTP {} without Location", resp.status()),
            })?;
        // Relative to the request's URL (zot, Quay and ACR send relative ones).
        let joined = resp.url().join(loc).map(String::from);
        self.resolve(joined.as_deref().unwrap_or(loc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PATCH pieces cut from a stream as it flows: exact lengths, every byte once, in order.
    #[tokio::test]
    async fn pieces_cut_a_stream_at_exact_lengths() {
        let parts: Vec<std::io::Result<Bytes>> = [&b"abcde"[..], b"fg", b"hijklmnop", b"q"]
            .iter()
            .map(|p| Ok(Bytes::copy_from_slice(p)))
            .collect();
        let shared = Arc::new(tokio::sync::Mutex::new(Cursor {
            bytes: stream::iter(parts),
            rest: None,
        }));
        let mut got = Vec::new();
        for len in [4u64, 4, 4, 4, 1] {
            let p: Vec<Bytes> = piece(shared.clone(), len)
                .map(|b| b.unwrap())
                .collect()
                .await;
            let p = p.concat();
            assert_eq!(p.len() as u64, len);
            got.push(String::from_utf8(p).unwrap());
        }
        assert_eq!(got, ["abcd", "efgh", "ijkl", "mnop", "q"]);
        // Past the end: an error, not a short piece.
        let mut over = Box::pin(piece(shared, 2));
        assert!(over.next().await.unwrap().is_err());
    }
}
