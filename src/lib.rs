//! `cr`: a command-line client for container registries (OCI distribution / Docker Registry v2).
//!
//! Layers depend one way: [`cli`] -> [`app`] -> [`engine`] -> [`store`] -> [`client`] ->
//! [`oci`] (docs/architecture.md); nothing below `cli` prints. Every capability lives in the library so that it can be
//! tested without spawning the binary; `src/main.rs` only parses, runs and maps exit codes.

pub mod app;
pub mod cache;
pub mod cli;
pub mod client;
pub mod config;
pub mod credentials;
pub mod engine;
pub mod host;
pub mod interrupt;
pub mod local;
pub mod notice;
pub mod oci;
#[cfg(test)]
mod properties;
pub mod store;
pub mod text;
