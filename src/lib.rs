//! `cr`: a command-line client for container registries (OCI distribution / Docker Registry v2).
//!
//! Data flows one way: CLI args -> [`reference`] -> [`credentials`] -> [`registry`] client ->
//! [`app::walk`] / transfer -> output. Every capability lives in the library so that it can be
//! tested without spawning the binary; `src/main.rs` only parses, runs and maps exit codes.

/// `eprintln!` and `eprint!` for the whole crate: a failed write to stderr (a full disk, a
/// closed pipe) is ignored instead of panicking as std's macros do; stderr is where failures
/// are reported, so nothing is left to tell. Defined before the modules, these shadow std's
/// in all of them (see docs/security.md, "Output").
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr(), $($arg)*);
    }};
}

macro_rules! eprint {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::write!(::std::io::stderr(), $($arg)*);
    }};
}

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
