//! The HTTP clients of one registry: redirects left to the caller (Authorization must not
//! follow them), timeouts, no proxy for loopback hosts, and the TLS setup — system and Mozilla
//! roots plus the CAs the user gave as extra trust anchors (`--ca-cert` for every host, certs.d
//! for its own host only), a client certificate for mutual TLS, a self-signed CA:TRUE
//! certificate given as a CA trusted as its own anchor (as Docker does) with its name and
//! validity still checked, and `--tls-verify=false`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_name, ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::sign::CertifiedKey;
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

use crate::client::error::{RegistryError, TlsFailure};

/// What an HTTP client for one registry is built from.
pub(in crate::client) struct ClientSpec {
    pub(in crate::client) registry: String,
    pub(in crate::client) connect_timeout: Duration,
    pub(in crate::client) tls: Arc<rustls::ClientConfig>,
    /// The registry's host name and the certs.d directory cr reads for it (`DIR/HOST[:PORT]`
    /// in the first certs.d directory), named in hints.
    pub(in crate::client) certs_d: Option<(String, std::path::PathBuf)>,
    /// The client certificate in `tls`, and whether a server asked for one.
    pub(in crate::client) identity: Arc<ClientIdentity>,
}

impl ClientSpec {
    /// The certs.d directory cr reads for `host` (`HOST[:PORT]`), if it reads one: only for
    /// the registry's own host name, not a token realm or redirect target elsewhere.
    pub(in crate::client) fn certs_d_for(&self, host: &str) -> Option<std::path::PathBuf> {
        let (name, dir) = self.certs_d.as_ref()?;
        (crate::oci::reference::strip_port(host) == name).then(|| dir.clone())
    }

    /// The certificate failure behind a request's error: rustls' error along its chain; or,
    /// from a server that asked for a client certificate, a fatal TLS error whose type was
    /// lost on the way (an HTTP/2 connection error) or a closed connection before it ever
    /// answered: its refusal (TLS 1.3 delivers it after the handshake, with the answer to
    /// the first request, or the connection just closes).
    pub(in crate::client) fn tls_failure(
        &self,
        e: &(dyn std::error::Error + 'static),
    ) -> Option<TlsFailure> {
        tls_failure(e).or_else(|| {
            let asked = self.identity.asked.load(Ordering::Relaxed);
            let never_answered = !self.identity.answered.load(Ordering::Relaxed)
                && crate::client::cause::classify(e) == crate::client::cause::Cause::Other;
            (asked && (tls_error_lost(e) || never_answered))
                .then_some(TlsFailure::ClientCertificate)
        })
    }

    /// A client with a per-read timeout, or (None) without one, for streamed uploads.
    pub(in crate::client) fn client(
        &self,
        read: Option<Duration>,
    ) -> Result<reqwest::Client, RegistryError> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cr/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.connect_timeout)
            .dns_resolver(Arc::new(crate::client::cause::Resolver))
            .pool_max_idle_per_host(32)
            .tcp_nodelay(true)
            .use_preconfigured_tls((*self.tls).clone());
        if let Some(t) = read {
            b = b.read_timeout(t);
        }
        if crate::oci::reference::is_loopback(&self.registry) {
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
pub(in crate::client) fn pem_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no PEM certificate in it".into());
    }
    Ok(certs)
}

/// The CA certificates of a PEM file (`--ca-cert`, certs.d's `*.crt`): at least one, each
/// usable as a trust anchor (a block whose DER does not parse is refused, not dropped).
pub(crate) fn ca_file(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    use std::io::Read;
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CA_FILE + 1).read_to_end(&mut pem))
        .map_err(|e| format!("cannot read it: {e}"))?;
    if pem.len() as u64 > MAX_CA_FILE {
        return Err(format!("larger than {} MiB", MAX_CA_FILE >> 20));
    }
    let certs = pem_certs(&pem)?;
    for (i, c) in certs.iter().enumerate() {
        webpki::anchor_from_trusted_cert(c)
            .map_err(|e| format!("its certificate #{} does not parse: {e}", i + 1))?;
    }
    Ok(certs)
}

/// The largest CA file read.
const MAX_CA_FILE: u64 = 4 << 20;

/// A private key from PEM bytes.
pub(in crate::client) fn pem_key(pem: &[u8]) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| e.to_string())
}

/// Extra trust anchors: the CAs given for every host (`--ca-cert`), and those of one host's
/// certs.d directory, which vouch for that host name only (not for a redirect target or a
/// token realm elsewhere).
pub(in crate::client) struct Anchors {
    pub(in crate::client) given: Vec<CertificateDer<'static>>,
    pub(in crate::client) host: String,
    pub(in crate::client) host_only: Vec<CertificateDer<'static>>,
}

/// The TLS configuration: roots (system, Mozilla's, and the anchors), an optional client
/// certificate, and whether certificates are verified at all.
pub(in crate::client) fn tls_config(
    anchors: Anchors,
    client: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    verify: bool,
) -> Result<(rustls::ClientConfig, Arc<ClientIdentity>), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for c in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(c);
    }
    let checker = |extra: &[CertificateDer<'static>], mut roots: rustls::RootCertStore| {
        for a in extra {
            // Each was checked by `ca_file`: one that does not parse is refused there.
            roots.add(a.clone()).map_err(|e| e.to_string())?;
        }
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(Checker {
            inner,
            anchors: extra.to_vec(),
        })
    };
    let every = checker(&anchors.given, roots.clone())?;
    let mut own = anchors.given.clone();
    own.extend(anchors.host_only.iter().cloned());
    let host = ServerName::try_from(anchors.host.trim_start_matches('[').trim_end_matches(']'))
        .ok()
        .map(|n| n.to_owned());
    let host = match host {
        Some(name) if !anchors.host_only.is_empty() => Some((name, checker(&own, roots)?)),
        _ => None,
    };
    let verifier = Arc::new(Verifier {
        every,
        host,
        verify,
        provider: provider.clone(),
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let key = match client {
        Some((certs, key)) => Some(Arc::new(
            CertifiedKey::from_der(certs, key, builder.crypto_provider())
                .map_err(|e| e.to_string())?,
        )),
        None => None,
    };
    let identity = Arc::new(ClientIdentity {
        key,
        asked: AtomicBool::new(false),
        answered: AtomicBool::new(false),
    });
    let mut config = builder.with_client_cert_resolver(identity.clone());
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((config, identity))
}

/// WebPKI verification against one set of roots, plus the extra anchors themselves.
#[derive(Debug)]
struct Checker {
    inner: Arc<WebPkiServerVerifier>,
    anchors: Vec<CertificateDer<'static>>,
}

impl Checker {
    /// WebPKI's verdict, with one exemption: a self-signed CA:TRUE certificate (the
    /// `openssl req -x509` recipe), presented as is and given as an anchor, is its own anchor.
    /// WebPKI refuses any CA:TRUE server certificate (`CaUsedAsEndEntity`), after it checked
    /// the validity period; the name is then checked here. Any other failure stands.
    fn verify(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let err =
            match self
                .inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
        let given = self
            .anchors
            .iter()
            .any(|a| a.as_ref() == end_entity.as_ref());
        if !(given && is_ca_used_as_end_entity(&err)) {
            return Err(err);
        }
        let cert = ParsedCertificate::try_from(end_entity)?;
        verify_server_name(&cert, server_name)?;
        Ok(ServerCertVerified::assertion())
    }
}

/// Whether WebPKI refused the certificate only for being a CA (its validity period, checked
/// before, passed).
fn is_ca_used_as_end_entity(e: &rustls::Error) -> bool {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => matches!(
            other.0.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}

/// The errors along `e`'s source chain (also inside the I/O errors that carry one), at most 32.
fn sources<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |c| {
        // An I/O error's `source()` skips the error it wraps: look at that one itself.
        match c
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => c.source(),
        }
    })
    .take(32)
}

/// The certificate failure inside a request's error, if it is one: rustls' error found along
/// the source chain (also inside the I/O errors that carry it).
pub(in crate::client) fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<TlsFailure> {
    sources(e)
        .find_map(|c| c.downcast_ref::<rustls::Error>())
        .and_then(classify)
}

/// A fatal TLS error whose type was lost: HTTP/2 keeps an I/O error's kind only, and rustls'
/// errors (an alert received) are `InvalidData`.
fn tls_error_lost(e: &(dyn std::error::Error + 'static)) -> bool {
    sources(e).any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
    })
}

/// The client certificate cr holds (if any), whether a server asked for one (a connection's
/// `CertificateRequest` reaches cr only here), and whether any request was answered since.
#[derive(Debug)]
pub(in crate::client) struct ClientIdentity {
    key: Option<Arc<rustls::sign::CertifiedKey>>,
    asked: AtomicBool,
    answered: AtomicBool,
}

impl ClientIdentity {
    /// A request got an answer: a failure after this one is no refused handshake.
    pub(in crate::client) fn answered(&self) {
        self.answered.store(true, Ordering::Relaxed);
    }
}

impl ResolvesClientCert for ClientIdentity {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.asked.store(true, Ordering::Relaxed);
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        self.key.is_some()
    }
}

/// A certificate failure (None: another handshake failure, handled as a connection error).
/// Every refused server certificate is one; so is a TLS alert about certificates received
/// from the server, which is about the client's (asked for and not sent, or refused: with
/// TLS 1.3 it comes with the answer to the first request).
pub(in crate::client) fn classify(e: &rustls::Error) -> Option<TlsFailure> {
    use rustls::AlertDescription as A;
    Some(match e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer
            | CertificateError::BadSignature
            | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
            | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                TlsFailure::Untrusted
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsFailure::WrongName
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsFailure::Expired,
            _ if is_ca_used_as_end_entity(e) => TlsFailure::CaAsServer,
            _ => TlsFailure::Refused,
        },
        rustls::Error::AlertReceived(
            A::CertificateRequired
            | A::BadCertificate
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::UnknownCA
            | A::AccessDenied,
        ) => TlsFailure::ClientCertificate,
        _ => return None,
    })
}

/// The anchors given for every host; for the registry's own host name, those and its certs.d
/// anchors; nothing verified with `--tls-verify=false`.
#[derive(Debug)]
struct Verifier {
    every: Checker,
    host: Option<(ServerName<'static>, Checker)>,
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
        let checker = match &self.host {
            Some((name, own)) if name == server_name => own,
            _ => &self.every,
        };
        checker.verify(end_entity, intermediates, server_name, ocsp, now)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_failure_is_found_inside_io_errors() {
        let wrapped = |e: rustls::Error| std::io::Error::other(std::io::Error::other(e));
        let cert = |c: CertificateError| wrapped(rustls::Error::InvalidCertificate(c));
        assert_eq!(
            tls_failure(&cert(CertificateError::UnknownIssuer)),
            Some(TlsFailure::Untrusted)
        );
        assert_eq!(
            tls_failure(&cert(CertificateError::NotValidForName)),
            Some(TlsFailure::WrongName)
        );
        assert_eq!(
            tls_failure(&cert(CertificateError::Expired)),
            Some(TlsFailure::Expired)
        );
        let ca = CertificateError::Other(rustls::OtherError(std::sync::Arc::new(
            webpki::Error::CaUsedAsEndEntity,
        )));
        assert_eq!(tls_failure(&cert(ca)), Some(TlsFailure::CaAsServer));
        // Any other refused certificate is a TLS failure too (never "is it running?").
        assert_eq!(
            tls_failure(&cert(CertificateError::BadEncoding)),
            Some(TlsFailure::Refused)
        );
        assert_eq!(
            tls_failure(&cert(CertificateError::InvalidPurpose)),
            Some(TlsFailure::Refused)
        );
        // A certificate alert from the server is about the client's certificate.
        use rustls::AlertDescription as A;
        for alert in [A::CertificateRequired, A::BadCertificate, A::UnknownCA] {
            assert_eq!(
                tls_failure(&wrapped(rustls::Error::AlertReceived(alert))),
                Some(TlsFailure::ClientCertificate)
            );
        }
        assert_eq!(
            tls_failure(&wrapped(rustls::Error::AlertReceived(A::HandshakeFailure))),
            None
        );
        // Not a certificate failure: left to the connection error handling (retried).
        assert_eq!(
            tls_failure(&wrapped(rustls::Error::HandshakeNotComplete)),
            None
        );
        assert_eq!(tls_failure(&std::io::Error::other("reset")), None);
    }
}
