//! Both ends of a transfer: where manifests and blobs come from (a registry repository or a
//! local image) and where they go (a registry repository or a local image being written).

use std::sync::Arc;

use super::stream::{coalesce, registry_blob, ByteStream};
use super::TransferError;
use crate::client::blob::Mount;
use crate::client::{Body, Registry, Scope};
use crate::local::{reader::LocalImage, writer::LayoutWriter};
use crate::oci::manifest::{Desc, RawManifest};
use crate::oci::reference::ManifestRef;

/// A registry repository.
#[derive(Clone)]
pub struct Repo {
    pub reg: Arc<Registry>,
    pub repo: String,
}

pub enum Source {
    Registry(Repo),
    Local(Box<LocalImage>),
}

pub enum Dest {
    Registry(Repo),
    Local(Box<LayoutWriter>),
}

impl Source {
    /// `HOST/REPO:REF` or the local path, for messages.
    pub fn describe(&self, reference: &ManifestRef) -> String {
        match self {
            Source::Registry(r) => {
                format!("{}/{}{}{reference}", r.reg.name, r.repo, reference.sep())
            }
            Source::Local(l) => l.describe(),
        }
    }

    pub async fn manifest(&self, reference: &ManifestRef) -> Result<RawManifest, TransferError> {
        match self {
            Source::Registry(r) => Ok(r
                .reg
                .get_manifest(&r.repo, reference, &[Scope::pull(&r.repo)])
                .await?),
            Source::Local(l) => Ok(l.manifest(reference).await?),
        }
    }

    /// The blob's raw bytes (the caller wraps them in verification).
    pub async fn blob(&self, desc: &Desc) -> Result<ByteStream, TransferError> {
        match self {
            Source::Registry(r) => Ok(coalesce(
                registry_blob(r.reg.clone(), r.repo.clone(), desc.clone()),
                512 << 10,
            )),
            Source::Local(l) => Ok(l.blob(desc).await?),
        }
    }
}

impl Dest {
    pub async fn has_blob(&self, desc: &Desc) -> Result<bool, TransferError> {
        match self {
            Dest::Registry(d) => Ok(d
                .reg
                .head_blob(&d.repo, &desc.digest, &[Scope::push(&d.repo)])
                .await?
                .is_some()),
            Dest::Local(w) => Ok(w.has_blob(desc).await),
        }
    }

    /// Mount from the source when both are repositories of the same registry. Some(None): it
    /// was mounted; Some(Some(url)): refused, upload to this session; None: not applicable,
    /// or refused without a session (upload in a new one).
    pub async fn try_mount(
        &self,
        src: &Source,
        desc: &Desc,
    ) -> Result<Option<Option<url::Url>>, TransferError> {
        let (Dest::Registry(d), Source::Registry(s)) = (self, src) else {
            return Ok(None);
        };
        if d.reg.name != s.reg.name || d.repo == s.repo {
            return Ok(None);
        }
        let scopes = [Scope::pull(&s.repo), Scope::push(&d.repo)];
        match d
            .reg
            .mount_blob(&d.repo, &desc.digest, &s.repo, &scopes)
            .await?
        {
            Mount::Mounted => Ok(Some(None)),
            Mount::Upload(Some(u)) => Ok(Some(Some(u))),
            Mount::Upload(None) => Ok(None),
        }
    }

    /// Upload a verified stream, in `session` when one is open already.
    pub async fn upload(
        &self,
        desc: &Desc,
        bytes: ByteStream,
        session: Option<url::Url>,
    ) -> Result<(), TransferError> {
        match self {
            Dest::Registry(d) => {
                let scopes = [Scope::push(&d.repo)];
                let session = match session {
                    Some(s) => s,
                    None => d.reg.start_upload(&d.repo, &scopes).await?,
                };
                let chunk = d.reg.upload_chunk();
                let r = if chunk == 0 {
                    let body = Body::Stream(Some(bytes));
                    d.reg
                        .finish_upload(session, &desc.digest, desc.size, body, &scopes)
                        .await
                } else {
                    d.reg
                        .upload_chunks(session, &desc.digest, desc.size, bytes, chunk, &scopes)
                        .await
                };
                match r {
                    Ok(()) => Ok(()),
                    Err(e) if d.reg.fall_back(&e, chunk) => {
                        Err(TransferError::Fallback(Box::new(e)))
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Dest::Local(w) => Ok(w.write_blob(desc, bytes).await?),
        }
    }

    /// Upload a stream whose digest is known only at its end (see `docker::compress`), in a new
    /// session; returns the digest.
    pub async fn upload_unknown(
        &self,
        bytes: ByteStream,
        result: super::docker::Outcome,
    ) -> Result<String, TransferError> {
        let Dest::Registry(d) = self else {
            return Err(TransferError::Unsupported(
                "compressing a docker-archive's layers for a local destination".into(),
            ));
        };
        let scopes = [Scope::push(&d.repo)];
        let session = d.reg.start_upload(&d.repo, &scopes).await?;
        let chunk = d.reg.upload_chunk();
        let digest_of = move || result.lock().expect("lock").as_ref().map(|r| r.0.clone());
        match d
            .reg
            .upload_unknown(session, bytes, chunk, digest_of, &scopes)
            .await
        {
            Ok(digest) => Ok(digest),
            Err(e) if d.reg.fall_back(&e, chunk) => Err(TransferError::Fallback(Box::new(e))),
            Err(e) => Err(e.into()),
        }
    }

    /// Store a manifest under a digest (children) or a tag. True when the registry says it
    /// indexed the manifest's subject (it has the referrers API).
    pub async fn put_manifest(
        &self,
        m: &RawManifest,
        reference: ManifestRef,
    ) -> Result<bool, TransferError> {
        match self {
            Dest::Registry(d) => Ok(d
                .reg
                .put_manifest(&d.repo, &reference, m, &[Scope::push(&d.repo)])
                .await?
                .subject_tracked),
            Dest::Local(w) => {
                w.write_manifest(m, &reference).await?;
                Ok(false)
            }
        }
    }

    /// A manifest with a subject was stored: unless the registry said it indexed the subject
    /// (`tracked`) and its referrers API confirms it, add it to the subject's fallback tag
    /// index there, so that other tools find it.
    pub async fn index_referrer(
        &self,
        m: &RawManifest,
        tracked: bool,
    ) -> Result<(), TransferError> {
        if let Dest::Registry(d) = self {
            d.reg.index_referrer(&d.repo, m, tracked).await?;
        }
        Ok(())
    }

    /// The retries noted on the registries of both ends, taken.
    pub fn take_retries(&self, src: &Source) -> Vec<String> {
        let mut all = Vec::new();
        if let Source::Registry(s) = src {
            all.extend(s.reg.take_retries());
        }
        if let Dest::Registry(d) = self {
            all.extend(d.reg.take_retries());
        }
        all
    }

    /// `HOST/REPO@DIGEST` or the local destination, for the result line.
    pub fn result_name(&self, digest: &str) -> String {
        match self {
            Dest::Registry(d) => format!("{}/{}@{digest}", d.reg.name, d.repo),
            Dest::Local(w) => format!("{}@{digest}", w.describe()),
        }
    }
}
