//! The registry HTTP API client: authentication, requests with retries, manifests, blobs,
//! tags and the catalog, and typed errors.

pub mod account;
pub mod auth;
pub(crate) mod blob;
pub mod capabilities;
pub mod catalog;
pub mod cause;
mod connect;
pub mod error;
mod http;
pub(crate) mod manifest;
pub(crate) mod options;
pub mod referrers;
pub mod registry;
pub(crate) mod retry;
mod token;
mod trace;
pub(crate) mod watch;

pub use account::Account;
pub use auth::Scope;
pub use error::{Code, Kind, Operation, RegistryError, TlsFailure};
pub use options::Options;
pub use registry::{Body, Registry, Req, Resource};
pub use watch::ByteStream;
