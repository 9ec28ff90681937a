//! A registry repository as a store: manifests and blobs read with the pull scope (a blob's
//! GET resumes with `Range` after a broken connection), blobs written in upload sessions
//! (monolithic or chunked, with the registry's size fallback), mounts across repositories of
//! one registry, manifests put by digest or tag, referrers indexed on commit.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::stream::{self, StreamExt};

use super::{ByteStream, Cached, Catalog, Fut, ListFut, Mount, Source, Target, TransferError};
use crate::client::blob::Mount as Mounted;
use crate::client::transport::retry::Budget;
use crate::client::{Body, Registry, RegistryError, Scope};
use crate::oci::digest::Digest;
use crate::oci::manifest::{Descriptor, RawManifest};
use crate::oci::name::{Repository, Tag};
use crate::oci::reference::ManifestRef;

/// A registry repository (its client with the content cache in front).
#[derive(Clone)]
pub struct Repo {
    pub reg: Arc<Cached>,
    pub repo: Repository,
}

impl Source for Repo {
    fn describe(&self, reference: &ManifestRef) -> String {
        format!(
            "{}/{}{}{reference}",
            self.reg.name,
            self.repo,
            reference.sep()
        )
    }

    fn manifest<'a>(&'a self, reference: &'a ManifestRef) -> Fut<'a, RawManifest> {
        Box::pin(async move {
            let scopes = [Scope::pull(&self.repo)];
            Ok(self
                .reg
                .get_manifest(&self.repo, reference, &scopes)
                .await?)
        })
    }

    fn blob<'a>(&'a self, desc: &'a Descriptor) -> Fut<'a, ByteStream> {
        let raw = registry_blob(self.reg.clone(), self.repo.clone(), desc.clone());
        Box::pin(async move { Ok(coalesce(raw, 512 << 10)) })
    }

    fn repo(&self) -> Option<&Repo> {
        Some(self)
    }

    fn remote(&self) -> bool {
        true
    }

    fn take_retries(&self) -> Vec<String> {
        self.reg.take_retries()
    }
}

impl Target for Repo {
    fn has_blob<'a>(&'a self, desc: &'a Descriptor) -> Fut<'a, bool> {
        Box::pin(async move {
            let scopes = [Scope::push(&self.repo)];
            let head = self
                .reg
                .head_blob(&self.repo, &desc.digest, &scopes)
                .await?;
            Ok(head.is_some())
        })
    }

    /// Mount from the source when both are repositories of the same registry.
    fn mount<'a>(&'a self, src: &'a dyn Source, desc: &'a Descriptor) -> Fut<'a, Mount> {
        Box::pin(async move {
            let Some(s) = src.repo() else {
                return Ok(Mount::No);
            };
            if self.reg.name != s.reg.name || self.repo == s.repo {
                return Ok(Mount::No);
            }
            let scopes = [Scope::pull(&s.repo), Scope::push(&self.repo)];
            let r = self
                .reg
                .mount_blob(&self.repo, &desc.digest, &s.repo, &scopes);
            Ok(match r.await? {
                Mounted::Mounted => Mount::Mounted,
                Mounted::Upload(Some(u)) => Mount::Session(u),
                Mounted::Upload(None) => Mount::No,
            })
        })
    }

    fn put_blob<'a>(
        &'a self,
        desc: &'a Descriptor,
        bytes: ByteStream,
        session: Option<url::Url>,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let (reg, scopes) = (&self.reg, [Scope::push(&self.repo)]);
            let session = match session {
                Some(s) => s,
                None => reg.start_upload(&self.repo, &scopes).await?,
            };
            let chunk = reg.upload_chunk();
            let r = if chunk == 0 {
                let body = Body::Stream(Some(bytes));
                reg.finish_upload(session, &desc.digest, desc.size, body, &scopes)
                    .await
            } else {
                reg.upload_chunks(session, &desc.digest, desc.size, bytes, chunk, &scopes)
                    .await
            };
            match r {
                Ok(()) => Ok(()),
                Err(e) if reg.fall_back(&e, chunk) => Err(TransferError::Fallback(Box::new(e))),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn put_encoded<'a>(
        &'a self,
        bytes: ByteStream,
        result: super::docker::Outcome,
    ) -> Fut<'a, Digest> {
        Box::pin(async move {
            let (reg, scopes) = (&self.reg, [Scope::push(&self.repo)]);
            let session = reg.start_upload(&self.repo, &scopes).await?;
            let chunk = reg.upload_chunk();
            let digest_of = move || result.lock().expect("lock").as_ref().map(|r| r.0.clone());
            match reg
                .upload_unknown(session, bytes, chunk, digest_of, &scopes)
                .await
            {
                Ok(digest) => Ok(digest),
                Err(e) if reg.fall_back(&e, chunk) => Err(TransferError::Fallback(Box::new(e))),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn put_manifest<'a>(&'a self, m: &'a RawManifest, reference: ManifestRef) -> Fut<'a, bool> {
        Box::pin(async move {
            let scopes = [Scope::push(&self.repo)];
            let put = self.reg.put_manifest(&self.repo, &reference, m, &scopes);
            Ok(put.await?.subject_tracked)
        })
    }

    /// A manifest with a subject was stored: unless the registry said it indexed the subject
    /// (`tracked`) and its referrers API confirms it, add it to the subject's fallback tag
    /// index there, so that other tools find it.
    fn commit<'a>(&'a self, top: &'a RawManifest, tracked: bool) -> Fut<'a, ()> {
        Box::pin(async move { Ok(self.reg.index_referrer(&self.repo, top, tracked).await?) })
    }

    fn result_name(&self, digest: &str) -> String {
        format!("{}/{}@{digest}", self.reg.name, self.repo)
    }

    fn repo(&self) -> Option<&Repo> {
        Some(self)
    }

    fn checks_digests(&self) -> bool {
        true
    }

    fn take_retries(&self) -> Vec<String> {
        self.reg.take_retries()
    }
}

/// A registry's listings: its catalog, a repository's tag list (every page of both), and
/// the referrers API (asked with the pull scope).
impl Catalog for Registry {
    fn repositories(&self) -> ListFut<'_, Vec<Repository>> {
        Box::pin(Registry::catalog(self))
    }

    fn tags<'a>(&'a self, repo: &'a Repository) -> ListFut<'a, Vec<Tag>> {
        Box::pin(Registry::tags(self, repo))
    }

    fn catalog_unavailable<'a>(&'a self, e: &'a RegistryError) -> BoxFuture<'a, bool> {
        Box::pin(Registry::catalog_unavailable(self, e))
    }

    fn referrers<'a>(
        &'a self,
        repo: &'a Repository,
        subject: &'a Digest,
    ) -> ListFut<'a, Option<Vec<serde_json::Value>>> {
        Box::pin(
            async move { Registry::referrers_api(self, repo, subject, &[Scope::pull(repo)]).await },
        )
    }
}

/// The raw bytes of a blob from a registry, resuming with `Range` after a broken connection.
/// Every GET, the first, its retries and each resume, draws from one budget of attempts.
pub fn registry_blob(reg: Arc<Cached>, repo: Repository, desc: Descriptor) -> ByteStream {
    struct St {
        reg: Arc<Cached>,
        repo: Repository,
        desc: Descriptor,
        resp: Option<reqwest::Response>,
        offset: u64,
        budget: Budget,
    }
    let st = St {
        budget: reg.policy().budget(),
        reg,
        repo,
        desc,
        resp: None,
        offset: 0,
    };
    let what = |st: &St| format!("get blob {} from {}", st.desc.digest, st.repo);
    Box::pin(stream::unfold(Some(st), move |st| async move {
        let mut st = st?;
        loop {
            // The open response, or a new request from the offset reached (a resume).
            let mut resp = match st.resp.take() {
                Some(r) => r,
                None => {
                    let scopes = [Scope::pull(&st.repo)];
                    let budget = Some(st.budget.clone());
                    match st
                        .reg
                        .get_blob(&st.repo, &st.desc.digest, st.offset, &scopes, budget)
                        .await
                    {
                        Ok(r) => r,
                        Err(e) => return Some((Err(std::io::Error::other(e)), None)),
                    }
                }
            };
            let broke = match resp.chunk().await {
                Ok(Some(c)) => {
                    st.offset += c.len() as u64;
                    st.resp = Some(resp);
                    return Some((Ok(c), Some(st)));
                }
                Ok(None) if st.offset >= st.desc.size => return None,
                // The server closed early: ask for the rest.
                Ok(None) => std::io::Error::other(format!(
                    "the connection closed after {} of {} bytes",
                    st.offset, st.desc.size
                )),
                // Said as what happened (reqwest calls both "error decoding response body"),
                // without the URL: a redirected blob's may carry a signature.
                Err(e) if e.is_timeout() => std::io::Error::other(format!(
                    "no data for {} s after {} of {} bytes",
                    st.reg.read_timeout().as_secs(),
                    st.offset,
                    st.desc.size
                )),
                Err(e) => std::io::Error::other(format!(
                    "the connection closed after {} of {} bytes ({})",
                    st.offset,
                    st.desc.size,
                    root_cause(&e)
                )),
            };
            let (what, cause) = (what(&st), broke.to_string());
            if !st.reg.pause_before_resume(&st.budget, &what, &cause).await {
                return Some((Err(broke), None));
            }
        }
    }))
}

/// The innermost cause of a failed read ("end of file before message length reached"), not
/// reqwest's wrappers around it.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut c = e;
    while let Some(next) = c.source() {
        c = next;
    }
    c.to_string()
}

/// Gather small network chunks into pieces of at least `min` bytes, so that what we write on
/// (to a registry's socket or a file) goes in large writes: a registry reading 16 KiB pieces
/// spends far more CPU per byte than one reading full buffers.
pub fn coalesce(inner: ByteStream, min: usize) -> ByteStream {
    Box::pin(stream::unfold(
        Some((inner, bytes::BytesMut::new())),
        move |st| async move {
            let (mut inner, mut buf) = st?;
            loop {
                match inner.next().await {
                    Some(Ok(c)) if buf.is_empty() && c.len() >= min => {
                        return Some((Ok(c), Some((inner, buf))))
                    }
                    Some(Ok(c)) => {
                        if buf.is_empty() {
                            // One allocation per piece: growing by doubling would copy twice.
                            buf.reserve(min + c.len());
                        }
                        buf.extend_from_slice(&c);
                        if buf.len() >= min {
                            let out = buf.split().freeze();
                            return Some((Ok(out), Some((inner, buf))));
                        }
                    }
                    Some(Err(e)) => return Some((Err(e), None)),
                    None if buf.is_empty() => return None,
                    None => return Some((Ok(buf.split().freeze()), None)),
                }
            }
        },
    ))
}
