//! Image data: blob byte streams, media types, validated names (digest, repository, tag) and
//! streaming hashes, manifest and index parsing
//! (oci-spec, while the exact bytes are kept), platform matching.

pub(crate) mod bytes;
pub mod digest;
pub(crate) mod gzip;
pub mod manifest;
pub mod media;
pub mod name;
pub(crate) mod placeholder;
pub mod platform;
pub mod reference;

pub use digest::Digest;
pub use name::{Repository, Tag};
