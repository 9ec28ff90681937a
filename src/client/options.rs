//! What a registry client is made with: which hosts get plain HTTP, extra CAs, timeouts, the
//! retry policy, where the environment's credentials may go, and how talkative to be. The
//! caller resolves these (the CLI from flags, environment and config); the client reads
//! nothing else.

use std::path::PathBuf;
use std::time::Duration;

use super::transport::retry::Policy;
use crate::credentials::EnvScope;
use crate::oci::reference::{is_loopback, strip_port};

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
    /// Verify TLS certificates (`--tls-verify=false` turns it off, with a warning).
    pub tls_verify: bool,
    /// A client certificate and key (PEM) for mutual TLS (`--client-cert`, `--client-key`).
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Where per-host certificates are looked for: `DIR/HOST[:PORT]/` with `*.crt` (CAs) and
    /// `client.cert` + `client.key` (Docker's and containers' certs.d).
    pub certs_dirs: Vec<PathBuf>,
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
            tls_verify: true,
            client_cert: None,
            certs_dirs: default_certs_dirs(),
        }
    }
}

/// Docker's and containers' per-host certificate directories.
pub fn default_certs_dirs() -> Vec<PathBuf> {
    vec![
        PathBuf::from("/etc/docker/certs.d"),
        PathBuf::from("/etc/containers/certs.d"),
    ]
}

impl Options {
    /// The certs.d directories that exist for `registry` (`HOST:PORT`, then `HOST`).
    pub fn certs_d(&self, registry: &str) -> Vec<PathBuf> {
        let mut names = vec![registry.to_string()];
        let bare = strip_port(registry);
        if bare != registry {
            names.push(bare.to_string());
        }
        self.certs_dirs
            .iter()
            .flat_map(|d| names.iter().map(move |n| d.join(n)))
            .filter(|p| p.is_dir())
            .collect()
    }

    /// Whether the user gave anything that asks for TLS with a host (a CA, certs.d, a client
    /// certificate, or `--tls-verify=false`): a loopback host is then tried over TLS first.
    pub fn wants_tls(&self, registry: &str) -> bool {
        !self.ca_certs.is_empty()
            || self.client_cert.is_some()
            || !self.tls_verify
            || !self.certs_d(registry).is_empty()
    }

    /// Plain HTTP for loopback hosts and those listed as insecure (name and port exactly:
    /// `host:5000` listed leaves `host` and `host:443` on TLS).
    pub fn use_http(&self, host: &str) -> bool {
        is_loopback(host) || crate::host::listed(&self.insecure, host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_hosts_match_name_and_port_exactly() {
        let opts = Options {
            insecure: vec!["reg.example:5000".into(), "bare.example".into()],
            ..Options::default()
        };
        assert!(opts.use_http("reg.example:5000"));
        assert!(!opts.use_http("reg.example"));
        assert!(!opts.use_http("reg.example:443"));
        assert!(opts.use_http("bare.example"));
        assert!(!opts.use_http("bare.example:5000"));
        assert!(!opts.use_http("bare.example#.icr.io"));
        assert!(opts.use_http("127.0.0.1:5000") && opts.use_http("localhost"));
        assert!(!opts.use_http("other.example"));
    }
}
