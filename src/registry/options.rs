//! What a registry client is made with: which hosts get plain HTTP, extra CAs, timeouts, the
//! retry policy, where the environment's credentials may go, and how talkative to be. The
//! caller resolves these (the CLI from flags, environment and config); the client reads
//! nothing else.

use std::path::PathBuf;
use std::time::Duration;

use super::retry::Policy;
use crate::credentials::EnvScope;
use crate::reference::{is_loopback, strip_port};

#[derive(Debug, Clone)]
pub struct Options {
    /// Hosts reached over plain HTTP besides loopback ones (`--insecure-registry`).
    pub insecure: Vec<String>,
    /// CA certificates (PEM) trusted besides the system's.
    pub ca_certs: Vec<PathBuf>,
    /// Trace requests on stderr (secrets redacted).
    pub debug: bool,
    /// No retry lines on stderr (they are still reported).
    pub quiet: bool,
    pub policy: Policy,
    /// A read with no byte for this long is given up (and retried).
    pub read_timeout: Duration,
    pub connect_timeout: Duration,
    /// Bytes per PATCH for blob uploads; 0: one PUT per blob.
    pub upload_chunk: u64,
    /// Entries asked per catalog or tag-list page.
    pub page_size: u64,
    /// Where the environment's credentials may go.
    pub env_scope: EnvScope,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            insecure: Vec::new(),
            ca_certs: Vec::new(),
            debug: false,
            quiet: false,
            policy: Policy::default(),
            read_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(15),
            upload_chunk: 0,
            page_size: 1000,
            env_scope: EnvScope::default(),
        }
    }
}

impl Options {
    /// Plain HTTP for loopback hosts and those listed as insecure.
    pub fn use_http(&self, host: &str) -> bool {
        is_loopback(host)
            || self
                .insecure
                .iter()
                .any(|h| h == host || strip_port(h) == host)
    }
}
