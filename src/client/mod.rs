//! The registry HTTP API client, in layers: `transport/` (connection and TLS, the exchange
//! seam, redirects, authentication, the one retry loop), the typed endpoints on top
//! (manifests, blobs and uploads, tags and the catalog, referrers), per-host `Capabilities`,
//! and typed errors.

pub mod account;
pub(crate) mod blob;
pub mod capabilities;
pub mod catalog;
pub mod cause;
pub mod error;
pub(crate) mod manifest;
pub(crate) mod options;
pub mod referrers;
pub mod registry;
mod trace;
pub mod transport;
pub(crate) mod watch;

use transport::http;

pub use account::Account;
pub use error::{Code, Kind, Operation, RegistryError, TlsFailure};
pub use options::Options;
pub use registry::{Body, Registry, Req, Resource};
pub use transport::auth::Scope;
pub use watch::ByteStream;
