//! Why a connection failed, as a type: read from a request error's source chain with
//! `downcast_ref` (cr's resolver's error, `std::io::Error` kinds, rustls' error, reqwest's
//! timeout), never from its text. Set where a request's error is first seen and carried in
//! `RegistryError::Connect`, so that hints are chosen by variant.

use std::error::Error;

use super::error::TlsFailure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cause {
    /// The host name does not resolve.
    Dns,
    /// Nothing listens there (connection refused).
    Refused,
    /// Connecting or reading took too long.
    Timeout,
    /// The TLS handshake failed on a certificate.
    Tls(TlsFailure),
    /// A TLS handshake met a server that answers in plain HTTP.
    PlainHttp,
    /// Another failure (reset, closed, a handshake failure not about certificates).
    #[default]
    Other,
}

/// The resolver's failure: the host name does not resolve.
#[derive(Debug, thiserror::Error)]
#[error("dns error: {host} does not resolve ({source})")]
pub struct DnsFailed {
    host: String,
    #[source]
    source: std::io::Error,
}

/// The system resolver (getaddrinfo, as reqwest's default), whose failures are `DnsFailed`.
pub(super) struct Resolver;

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.clone(), 0))
                .await
                .map(|a| a.collect::<Vec<_>>());
            match found {
                Ok(addrs) => {
                    let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
                    Ok(addrs)
                }
                Err(source) => {
                    let e: Box<dyn Error + Send + Sync> = Box::new(DnsFailed { host, source });
                    Err(e)
                }
            }
        })
    }
}

/// The errors along `e`'s source chain (also inside the I/O errors that carry one), at most 32.
fn chain<'a>(e: &'a (dyn Error + 'static)) -> Vec<&'a (dyn Error + 'static)> {
    let mut out = Vec::new();
    let mut cur = Some(e);
    while let Some(c) = cur {
        if out.len() == 32 {
            break;
        }
        out.push(c);
        // An I/O error's `source()` skips the error it wraps: look at that one itself.
        cur = match c
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn Error + 'static)),
            None => c.source(),
        };
    }
    out
}

/// Why the request behind `e` failed.
pub fn classify(e: &(dyn Error + 'static)) -> Cause {
    let chain = chain(e);
    for c in &chain {
        if c.is::<DnsFailed>() {
            return Cause::Dns;
        }
        if let Some(r) = c.downcast_ref::<rustls::Error>() {
            if let Some(why) = super::http::classify(r) {
                return Cause::Tls(why);
            }
            if matches!(r, rustls::Error::InvalidMessage(_)) {
                return Cause::PlainHttp;
            }
        }
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Cause::Refused,
                std::io::ErrorKind::TimedOut => return Cause::Timeout,
                _ => {}
            }
        }
    }
    let timed_out = chain.iter().any(|c| {
        c.downcast_ref::<reqwest::Error>()
            .is_some_and(|r| r.is_timeout())
    });
    if timed_out {
        Cause::Timeout
    } else {
        Cause::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error as Io, ErrorKind};

    fn io(e: impl Error + Send + Sync + 'static) -> Io {
        Io::other(e)
    }

    #[test]
    fn causes_are_read_from_types_along_the_chain() {
        let dns = DnsFailed {
            host: "nowhere.invalid".into(),
            source: Io::other("no such host"),
        };
        assert_eq!(classify(&io(dns)), Cause::Dns);
        assert_eq!(
            classify(&Io::new(ErrorKind::ConnectionRefused, "refused")),
            Cause::Refused
        );
        assert_eq!(
            classify(&Io::new(ErrorKind::TimedOut, "slow")),
            Cause::Timeout
        );
        let plain = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        assert_eq!(classify(&io(plain)), Cause::PlainHttp);
        let untrusted = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        assert_eq!(classify(&io(untrusted)), Cause::Tls(TlsFailure::Untrusted));
        let expired = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        assert_eq!(classify(&io(expired)), Cause::Tls(TlsFailure::Expired));
        // Text never decides: an error that only says "dns error" or "refused" is Other.
        assert_eq!(
            classify(&Io::other(
                "dns error: failed to lookup, connection refused"
            )),
            Cause::Other
        );
    }

    /// The hint follows the cause, whatever the message says.
    #[test]
    fn hints_are_chosen_by_cause_not_by_text() {
        let connect = |cause, message: &str| {
            anyhow::Error::new(crate::client::RegistryError::Connect {
                what: "ping /v2/".into(),
                host: "reg.example:5000".into(),
                message: message.into(),
                cause,
                op: crate::client::Operation::Other,
            })
        };
        let hint = |e| crate::cli::exit::hint_for(&e).unwrap();
        assert!(hint(connect(Cause::Dns, "it failed")).contains("does not resolve"));
        assert!(!hint(connect(Cause::Refused, "dns error")).contains("does not resolve"));
        let tls = hint(connect(Cause::Tls(TlsFailure::WrongName), "x"));
        assert!(tls.contains("not for this host name"), "{tls}");
        let plain = hint(connect(Cause::PlainHttp, "certificate"));
        assert!(plain.contains("plain HTTP"), "{plain}");
        let https = anyhow::Error::new(crate::client::RegistryError::HttpsOnly {
            what: "ping /v2/".into(),
            host: "127.0.0.1:5000".into(),
            listed: false,
            certs_d: None,
        });
        assert!(hint(https).contains("--ca-cert"));
    }

    #[tokio::test]
    async fn a_real_refused_connection_and_an_unresolvable_name() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let client = reqwest::Client::builder()
            .dns_resolver(std::sync::Arc::new(Resolver))
            .no_proxy()
            .build()
            .unwrap();
        let e = client
            .get(format!("http://127.0.0.1:{port}/v2/"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(classify(&e), Cause::Refused, "{e:?}");
        // A name resolved through the resolver: a failure there is Dns whatever it says.
        let e = client
            .get("http://name-that-does-not-exist.invalid/v2/")
            .send()
            .await
            .unwrap_err();
        assert_eq!(classify(&e), Cause::Dns, "{e:?}");
    }
}
