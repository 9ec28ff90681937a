//! Making a client for one registry: the address and scheme (TLS, or plain HTTP for insecure
//! and loopback hosts, TLS first for a loopback host with its own CA), the two HTTP clients
//! (with a per-read timeout, and without one for streamed uploads), given the credential
//! (app::Session looks it up).

use crate::client::error::Operation;
use url::Url;

use super::auth::TokenCache;
use super::http::{ca_file, pem_certs, pem_key, tls_config, Anchors, ClientIdentity, ClientSpec};
use super::{Transport, Wire};
use crate::client::cause::Cause;
use crate::client::error::RegistryError;
use crate::client::options::Options;
use crate::client::registry::Registry;
use crate::credentials::Credential;
use crate::oci::reference::{api_host, is_loopback, strip_port};

impl Registry {
    /// A client for `registry` with the given credential (None: anonymous).
    pub fn new(
        opts: &Options,
        registry: &str,
        cred: Option<Credential>,
    ) -> Result<Self, RegistryError> {
        Self::build(opts, registry, cred, !opts.use_http(registry))
    }

    /// Like `new`, but a loopback registry is tried over TLS first when the user gave anything
    /// TLS (a CA, certs.d, a client certificate, `--tls-verify=false`). It falls back to plain
    /// HTTP only when the host does not speak TLS at all; a TLS failure (an untrusted or
    /// mismatched certificate, a refused client certificate) is reported, never hidden.
    pub async fn open(
        opts: &Options,
        registry: &str,
        cred: Option<Credential>,
    ) -> Result<Self, RegistryError> {
        let listed = crate::host::listed(&opts.insecure, registry);
        if listed || !is_loopback(registry) || !opts.wants_tls(registry) {
            return Self::new(opts, registry, cred);
        }
        let (tls, wire) = Self::build_on_wire(opts, registry, cred.clone(), true)?;
        let probe = wire.probe(tls.url("")).await;
        match probe {
            Ok(_) => Ok(tls),
            Err(e) => {
                let cause = match wire.tls_failure(&e) {
                    Some(why) => Cause::Tls(why),
                    None => crate::client::cause::classify(&e),
                };
                let chain = crate::client::trace::error_chain(&e.without_url());
                if cause == Cause::PlainHttp {
                    Self::build(opts, registry, cred, false)
                } else if let Cause::Tls(why) = cause {
                    Err(RegistryError::Tls {
                        what: "TLS handshake".into(),
                        host: registry.to_string(),
                        why,
                        message: chain,
                        certs_d: wire.certs_d_for(registry),
                    })
                } else {
                    Err(RegistryError::Connect {
                        what: "TLS handshake".into(),
                        host: registry.to_string(),
                        message: chain,
                        cause,
                        op: Operation::Other,
                    })
                }
            }
        }
    }

    fn build(
        opts: &Options,
        registry: &str,
        cred: Option<Credential>,
        tls: bool,
    ) -> Result<Self, RegistryError> {
        Self::build_on_wire(opts, registry, cred, tls).map(|(reg, _)| reg)
    }

    /// The client, and the reqwest transport it sends through.
    fn build_on_wire(
        opts: &Options,
        registry: &str,
        cred: Option<Credential>,
        tls: bool,
    ) -> Result<(Self, std::sync::Arc<Wire>), RegistryError> {
        let host = api_host(registry);
        let scheme = if tls { "https" } else { "http" };
        let base =
            Url::parse(&format!("{scheme}://{host}/")).map_err(|e| RegistryError::Protocol {
                what: "parse registry address".into(),
                host: registry.into(),
                message: e.to_string(),
            })?;
        let (tls, identity) = tls_for(opts, registry, host)?;
        let read_timeout = opts.read_timeout;
        let spec = ClientSpec {
            registry: registry.to_string(),
            connect_timeout: opts.connect_timeout,
            tls: std::sync::Arc::new(tls),
            certs_d: opts
                .certs_dirs
                .first()
                .map(|d| (strip_port(host).to_string(), d.join(registry))),
            identity,
        };
        let wire = std::sync::Arc::new(Wire::new(spec, read_timeout)?);
        let transport: std::sync::Arc<dyn Transport> = wire.clone();
        let reg = Registry {
            name: registry.to_string(),
            base,
            transport,
            read_timeout,
            cred,
            challenge: tokio::sync::RwLock::new(None),
            tokens: TokenCache::default(),
            issued: Default::default(),
            debug: opts.debug,
            insecure: opts.insecure.clone(),
            policy: opts.policy,
            retries: Default::default(),
            quiet: opts.quiet.into(),
            page_size: opts.page_size,
            caps: crate::client::capabilities::Capabilities::new(opts.upload_chunk),
        };
        Ok((reg, wire))
    }
}

/// The TLS configuration for `registry` (`host`: its API address). CAs: --ca-cert (for every
/// host), then certs.d/HOST[:PORT]/*.crt (for this host name only); a client certificate:
/// the flags, else certs.d's client.cert + client.key.
fn tls_for(
    opts: &Options,
    registry: &str,
    host: &str,
) -> Result<(rustls::ClientConfig, std::sync::Arc<ClientIdentity>), RegistryError> {
    let read_pem = |path: &std::path::Path, what: &str| {
        std::fs::read(path).map_err(|e| RegistryError::Protocol {
            what: format!("read {what} {}", path.display()),
            host: registry.into(),
            message: e.to_string(),
        })
    };
    let bad_pem = |path: &std::path::Path, what: &str, e: String| RegistryError::Protocol {
        what: format!("parse {what} {}", path.display()),
        host: registry.into(),
        message: e,
    };
    let (host_files, client) = certs_d(&opts.certs_d(registry), opts.client_cert.clone());
    let read_anchors = |files: &[std::path::PathBuf]| {
        let mut anchors = Vec::new();
        for path in files {
            anchors.extend(ca_file(path).map_err(|e| bad_pem(path, "CA certificate", e))?);
        }
        Ok::<_, RegistryError>(anchors)
    };
    let anchors = Anchors {
        given: read_anchors(&opts.ca_certs)?,
        host: strip_port(host).to_string(),
        host_only: read_anchors(&host_files)?,
    };
    let identity = match &client {
        Some((c, k)) => {
            let certs = pem_certs(&read_pem(c, "client certificate")?)
                .map_err(|e| bad_pem(c, "client certificate", e))?;
            let key =
                pem_key(&read_pem(k, "client key")?).map_err(|e| bad_pem(k, "client key", e))?;
            Some((certs, key))
        }
        None => None,
    };
    tls_config(anchors, identity, opts.tls_verify).map_err(|e| RegistryError::Protocol {
        what: "set up TLS".into(),
        host: registry.into(),
        message: e,
    })
}

/// In the certs.d directories: the CA files (`*.crt`, sorted per directory), and the client
/// certificate and key (`client.cert` + `client.key`) unless one is `given`.
fn certs_d(
    dirs: &[std::path::PathBuf],
    given: Option<(std::path::PathBuf, std::path::PathBuf)>,
) -> (
    Vec<std::path::PathBuf>,
    Option<(std::path::PathBuf, std::path::PathBuf)>,
) {
    let mut host_files = Vec::new();
    let mut client = given;
    for d in dirs {
        let mut found: Vec<_> = std::fs::read_dir(d)
            .map(|r| r.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        found.sort();
        host_files.extend(
            found
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "crt")),
        );
        let (c, k) = (d.join("client.cert"), d.join("client.key"));
        if client.is_none() && c.is_file() && k.is_file() {
            client = Some((c, k));
        }
    }
    (host_files, client)
}
