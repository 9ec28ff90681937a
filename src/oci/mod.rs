//! Image data: blob byte streams, media types, digests and streaming hashes, manifest and index parsing
//! (oci-spec, while the exact bytes are kept), platform matching.

pub(crate) mod bytes;
pub mod digest;
pub(crate) mod gzip;
pub mod manifest;
pub mod media;
pub(crate) mod placeholder;
pub mod platform;
pub mod reference;
