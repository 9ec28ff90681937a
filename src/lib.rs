//! `cr`: a command-line client for container registries (OCI distribution / Docker Registry v2).
//!
//! Data flows one way: CLI args -> [`reference`] -> [`credentials`] -> [`registry`] client ->
//! [`inventory`] / transfer -> output. Every capability lives in the library so that it can be
//! tested without spawning the binary; `src/main.rs` only parses, runs and maps exit codes.

pub mod cache;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod host;
pub mod image;
pub mod interrupt;
pub mod inventory;
pub mod local;
pub mod ops;
pub mod reference;
pub mod registry;
pub mod text;
pub mod transfer;
