//! The registry HTTP API client: authentication, requests with retries, manifests, blobs,
//! tags and the catalog, and typed errors.

pub mod auth;
pub mod blob;
pub mod catalog;
pub mod client;
mod connect;
pub mod error;
mod http;
pub mod manifest;
pub mod options;
pub mod retry;
mod token;
mod trace;
pub mod watch;

pub use auth::Scope;
pub use client::{Body, Registry, Req, Resource};
pub use error::{Code, Kind, RegistryError};
pub use options::Options;
pub use watch::ByteStream;
