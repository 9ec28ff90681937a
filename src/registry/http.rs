//! The HTTP clients of one registry: redirects left to the caller (Authorization must not
//! follow them), timeouts, no proxy for loopback hosts, and the TLS setup — system and Mozilla
//! roots plus the CAs the user gave, a client certificate for mutual TLS, a self-signed
//! certificate given as a CA trusted as its own anchor (as Docker does), and
//! `--tls-verify=false`.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::error::RegistryError;

/// What an HTTP client for one registry is built from.
pub(super) struct ClientSpec {
    pub(super) registry: String,
    pub(super) connect_timeout: Duration,
    pub(super) tls: Arc<rustls::ClientConfig>,
}

impl ClientSpec {
    /// A client with a per-read timeout, or (None) without one, for streamed uploads.
    pub(super) fn client(&self, read: Option<Duration>) -> Result<reqwest::Client, RegistryError> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cr/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.connect_timeout)
            .pool_max_idle_per_host(32)
            .tcp_nodelay(true)
            .use_preconfigured_tls((*self.tls).clone());
        if let Some(t) = read {
            b = b.read_timeout(t);
        }
        if crate::reference::is_loopback(&self.registry) {
            b = b.no_proxy();
        }
        b.build().map_err(|e| RegistryError::Protocol {
            what: "build HTTP client".into(),
            host: self.registry.clone(),
            message: e.to_string(),
        })
    }
}

/// Certificates from PEM bytes.
pub(super) fn pem_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no PEM certificate in it".into());
    }
    Ok(certs)
}

/// A private key from PEM bytes.
pub(super) fn pem_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| e.to_string())
}

/// The TLS configuration: roots (system, Mozilla's, and `anchors`), an optional client
/// certificate, and whether certificates are verified at all.
pub(super) fn tls_config(
    anchors: Vec<CertificateDer<'static>>,
    client: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    verify: bool,
) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for c in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(c);
    }
    for a in &anchors {
        // A self-signed CA:TRUE server certificate may not parse as a root: it is matched
        // byte for byte below instead.
        let _ = roots.add(a.clone());
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let verifier = Arc::new(Verifier {
        inner,
        anchors,
        verify,
        provider: provider.clone(),
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client {
        Some((certs, key)) => builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| e.to_string())?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// WebPKI verification, except that a server certificate the user gave as a CA, presented
/// as is, is trusted as its own anchor (the `openssl req -x509` recipe makes CA:TRUE
/// certificates, which WebPKI refuses as server certificates and Docker accepts); and nothing
/// is verified with `--tls-verify=false`.
#[derive(Debug)]
struct Verifier {
    inner: Arc<WebPkiServerVerifier>,
    anchors: Vec<CertificateDer<'static>>,
    verify: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if !self.verify {
            return Ok(ServerCertVerified::assertion());
        }
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Ok(v) => Ok(v),
            Err(_)
                if self
                    .anchors
                    .iter()
                    .any(|a| a.as_ref() == end_entity.as_ref()) =>
            {
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
