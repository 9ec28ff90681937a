//! Storage behind one interface: where a copy reads ([`Source`]: resolve a reference, a
//! manifest's exact bytes, a blob's stream), where it writes ([`Target`]: has_blob, mount,
//! put_blob, put_manifest, commit), and what a store lists ([`Catalog`]: repositories, tags,
//! referrers). Implementations: a registry repository ([`Repo`]), a local
//! image read through `local::reader` (OCI layout, oci-archive, docker-archive as it is), a
//! docker-archive whose uncompressed layers are compressed as they stream ([`DockerArchive`]),
//! a local image being written (`local::writer`), and an in-memory store for tests; the content
//! cache in front of a registry client ([`Cached`]).
//! The file formats stay in `local/`; nothing here prints.

pub mod cached;
pub mod docker;
pub mod error;
pub(crate) mod gzcache;
pub mod layout;
pub mod memory;
pub mod registry;

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::BoxFuture;

pub use crate::oci::bytes::ByteStream;
pub use cached::Cached;
pub use docker::DockerArchive;
pub use error::TransferError;
pub use registry::Repo;

use crate::client::RegistryError;
use crate::oci::digest::Digest;
use crate::oci::manifest::{Descriptor, RawManifest};
use crate::oci::name::{Repository, Tag};
use crate::oci::reference::ManifestRef;

/// What a store's operation returns: a boxed future, so that stores are used as `dyn` and the
/// engine stays one function for every pair of kinds.
pub type Fut<'a, T> = BoxFuture<'a, Result<T, TransferError>>;

/// What a listing returns: the store answers as a registry would (a repository that is not
/// there is an error of kind `NotFound`), so that a walk decides on one error type.
pub type ListFut<'a, T> = BoxFuture<'a, Result<T, RegistryError>>;

/// What a store lists (every page read: paging is the store's own business).
pub trait Catalog: Send + Sync {
    /// Every repository, as the store lists them (each name passed the grammar).
    fn repositories(&self) -> ListFut<'_, Vec<Repository>>;

    /// Every tag of `repo` (each name passed the grammar).
    fn tags<'a>(&'a self, repo: &'a Repository) -> ListFut<'a, Vec<Tag>>;

    /// Whether `e`, from [`Catalog::repositories`], means that the store does not serve its
    /// catalog to this account (rather than a refused login or a failure): a store that
    /// always lists says no.
    fn catalog_unavailable<'a>(&'a self, e: &'a RegistryError) -> BoxFuture<'a, bool> {
        let _ = e;
        Box::pin(async { false })
    }

    /// The descriptors of the manifests whose subject is `subject` in `repo`, as the store's
    /// referrers API lists them; None when it has no such API (a registry's referrers are
    /// then found by the fallback tag schema).
    fn referrers<'a>(
        &'a self,
        repo: &'a Repository,
        subject: &'a Digest,
    ) -> ListFut<'a, Option<Vec<serde_json::Value>>>;
}

/// Where a copy reads from.
pub trait Source: Send + Sync {
    /// `HOST/REPO:REF` or the local path, for messages.
    fn describe(&self, reference: &ManifestRef) -> String;

    /// The manifest `reference` names, as its exact bytes.
    fn manifest<'a>(&'a self, reference: &'a ManifestRef) -> Fut<'a, RawManifest>;

    /// The descriptor `reference` resolves to.
    fn resolve<'a>(&'a self, reference: &'a ManifestRef) -> Fut<'a, Descriptor> {
        Box::pin(async move {
            let m = self.manifest(reference).await?;
            Ok(Descriptor::new(
                m.media_type.clone(),
                m.digest.clone(),
                m.bytes.len() as u64,
            ))
        })
    }

    /// The blob's raw bytes (the caller wraps them in verification).
    fn blob<'a>(&'a self, desc: &'a Descriptor) -> Fut<'a, ByteStream>;

    /// The registry repository this source is, if it is one (for mounts within a registry).
    fn repo(&self) -> Option<&Repo> {
        None
    }

    /// Whether its bytes come over a network: then they are hashed as they stream, whatever
    /// the target.
    fn remote(&self) -> bool {
        false
    }

    /// The blobs this source re-encodes as they stream, if any.
    fn encoder(&self) -> Option<&dyn Encoder> {
        None
    }

    /// The retries noted on the way, taken (for the report).
    fn take_retries(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A source's blobs whose bytes change on the way (a docker-archive's uncompressed layers,
/// gzip-compressed): their digest is known at the end of the stream, and the top manifest is
/// rewritten once every one is.
pub trait Encoder: Send + Sync {
    /// Whether `desc`, a blob of the plan, is re-encoded.
    fn encodes(&self, desc: &Descriptor) -> bool;
    /// What an earlier run encoded it to, when that is trusted: looked for at the target
    /// first.
    fn remembered(&self, desc: &Descriptor) -> Option<Descriptor>;
    /// Remember what `raw` encoded to (kept by [`Encoder::save`]).
    fn remember(&self, raw: &Descriptor, encoded: &Descriptor);
    /// The encoded bytes; `seen` is told how many raw bytes were read, as they are.
    fn encode(&self, desc: &Descriptor, seen: Seen) -> Result<Encoded, TransferError>;
    /// The top manifest with the encoded blobs (raw digest -> encoded descriptor).
    fn manifest(
        &self,
        top: &RawManifest,
        encoded: &HashMap<Digest, Descriptor>,
    ) -> Result<RawManifest, TransferError>;
    /// Keep what was remembered (best effort).
    fn save(&self);
}

/// Told the number of raw bytes read, as an encoder reads them.
pub type Seen = Arc<dyn Fn(u64) + Send + Sync>;

/// Encoded bytes, with their digest and size set once the stream has ended well.
pub struct Encoded {
    pub bytes: ByteStream,
    /// The media type of the encoded blob.
    pub media_type: String,
    pub result: docker::Outcome,
}

/// What an attempt to mount a blob at the target gave.
pub enum Mount {
    /// The target has it now.
    Mounted,
    /// Refused; upload in this session the refusal opened.
    Session(url::Url),
    /// Not applicable, or refused without a session: upload in a new one.
    No,
}

/// Where a copy writes to.
pub trait Target: Send + Sync {
    fn has_blob<'a>(&'a self, desc: &'a Descriptor) -> Fut<'a, bool>;

    /// Mount `desc` from `src` (both repositories of one registry).
    fn mount<'a>(&'a self, _src: &'a dyn Source, _desc: &'a Descriptor) -> Fut<'a, Mount> {
        Box::pin(async { Ok(Mount::No) })
    }

    /// Store a blob from a stream, in `session` when one is open already.
    fn put_blob<'a>(
        &'a self,
        desc: &'a Descriptor,
        bytes: ByteStream,
        session: Option<url::Url>,
    ) -> Fut<'a, ()>;

    /// Store a stream whose digest is known only at its end (see [`Encoder`]); its digest.
    fn put_encoded<'a>(&'a self, _bytes: ByteStream, _result: docker::Outcome) -> Fut<'a, Digest> {
        Box::pin(async {
            Err(TransferError::Unsupported(
                "compressing a docker-archive's layers for a local destination".into(),
            ))
        })
    }

    /// Store a manifest under a digest (children) or a tag. True when the target says it
    /// indexed the manifest's subject (a registry with the referrers API).
    fn put_manifest<'a>(&'a self, m: &'a RawManifest, reference: ManifestRef) -> Fut<'a, bool>;

    /// Everything of `top` is stored: finish what needs the whole image (a registry indexes a
    /// referrer in its subject's fallback tag unless it said it `tracked` it; the memory
    /// store makes what was put visible). A local image being written is committed by its
    /// owner afterwards (the final rename, under the interrupt guard).
    fn commit<'a>(&'a self, top: &'a RawManifest, tracked: bool) -> Fut<'a, ()>;

    /// `HOST/REPO@DIGEST` or the local destination, for the result line.
    fn result_name(&self, digest: &str) -> String;

    /// The registry repository this target is, if it is one (placement across a run, retry
    /// policy).
    fn repo(&self) -> Option<&Repo> {
        None
    }

    /// Whether the target checks digests itself when a blob is stored (a registry does).
    fn checks_digests(&self) -> bool {
        false
    }

    /// The retries noted on the way, taken (for the report).
    fn take_retries(&self) -> Vec<String> {
        Vec::new()
    }
}
