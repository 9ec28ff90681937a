//! The one error of copying between stores: what failed at a source or a target (a registry's
//! error, a local file's, a manifest that does not parse, content that does not verify), and
//! the plan's own refusals (no such platform, a missing child, a digest-named destination).

use std::sync::Arc;

use crate::client::RegistryError;
use crate::local::LocalError;
use crate::oci::manifest::ManifestError;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Registry(Box<RegistryError>),
    /// The manifest the transfer was asked for could not be read at the source (a missing tag
    /// is explained from this, never from a missing platform or blob).
    #[error(transparent)]
    TopManifest(Box<RegistryError>),
    #[error(transparent)]
    Local(#[from] LocalError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{0}")]
    Verify(String),
    /// The registry refused the upload for its size or form; the next try uses smaller PATCHes.
    #[error(transparent)]
    Fallback(Box<RegistryError>),
    #[error("{image} has no manifest for platform {platform} (it has: {available})")]
    NoPlatform {
        image: String,
        platform: String,
        available: String,
    },
    #[error("not supported: {0}")]
    Unsupported(String),
    /// A destination named by digest (`REPO@sha256:…`) that is not the digest of the
    /// manifest pushed: nothing is stored under it.
    #[error("the destination names {expected}, but the manifest pushed is {actual}")]
    DestinationDigest { expected: String, actual: String },
    /// An index lists a manifest the source does not have (a platform deleted from under it).
    #[error("{image}: its index {index} lists {child}, which is missing")]
    MissingChild {
        image: String,
        index: String,
        child: String,
    },
    /// A blob of a multi-image run (sync) failed after its retries: every image that needs it
    /// fails with this, and the blob is not tried again.
    #[error("blob {digest} could not be copied: {reason}")]
    BlobFailed {
        digest: String,
        reason: Arc<TransferError>,
    },
}

impl TransferError {
    /// The error that ended a blob's source: the registry's own when it was one.
    pub(crate) fn source(io: &std::io::Error) -> Self {
        match io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<RegistryError>())
        {
            Some(r) => TransferError::Registry(Box::new(r.clone())),
            None => TransferError::Verify(format!("reading the source failed: {io}")),
        }
    }
}

impl TransferError {
    /// A failure to read the requested manifest itself.
    pub(crate) fn of_the_top(self) -> Self {
        match self {
            TransferError::Registry(r) => TransferError::TopManifest(r),
            other => other,
        }
    }

    /// Whether the failure belongs to the blob rather than to one repository (a denied or
    /// missing repository fails that repository's images only).
    pub(crate) fn of_the_blob(&self) -> bool {
        match self {
            TransferError::Registry(r) => !matches!(
                r.kind(),
                crate::client::Kind::NotFound
                    | crate::client::Kind::Unauthorized
                    | crate::client::Kind::Denied
            ),
            TransferError::BlobFailed { .. } => false,
            _ => true,
        }
    }
}

impl From<RegistryError> for TransferError {
    fn from(e: RegistryError) -> Self {
        TransferError::Registry(Box::new(e))
    }
}
