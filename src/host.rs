//! Registry hosts: the one grammar for every input that names a host (image names, sync specs,
//! retention targets, `--registry`, `--insecure-registry`, `CR_CREDENTIAL_HOSTS`, stored
//! logins), and the exact host-and-port comparisons made with parsed hosts.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::oci::reference::{ReferenceError, DOCKER_HUB};

/// A registry host by the distribution reference grammar: `domain[:port]` (domain components
/// of letters, digits and inner `-`, separated by `.`) or `[IPv6][:port]`. Nothing else parses:
/// no scheme, userinfo, path, `#`, `?`, `\` or whitespace. Lowercased; Docker Hub's aliases
/// become `docker.io`; an IPv6 address is written in its canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Host {
    /// `us.icr.io`, `127.0.0.1`, `[::1]`.
    name: String,
    port: Option<u16>,
}

impl Host {
    /// Parse a host exactly as written (no surrounding whitespace either).
    pub fn parse(s: &str) -> Result<Host, ReferenceError> {
        let bad = || ReferenceError::InvalidHost(s.to_string());
        if let Some(rest) = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
        {
            let host = rest.split('/').next().unwrap_or_default();
            return Err(ReferenceError::HostScheme(host.to_string()));
        }
        if s.is_empty() || s.len() > 255 {
            return Err(bad());
        }
        let (name, port) = if let Some(rest) = s.strip_prefix('[') {
            let (addr, after) = rest.split_once(']').ok_or_else(bad)?;
            let ip: Ipv6Addr = addr.parse().map_err(|_| bad())?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(bad)?),
            };
            (format!("[{ip}]"), port)
        } else {
            let (n, p) = match s.split_once(':') {
                Some((n, p)) => (n, Some(p)),
                None => (s, None),
            };
            let label_ok = |l: &str| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            };
            if !n.split('.').all(label_ok) {
                return Err(bad());
            }
            (n.to_ascii_lowercase(), p)
        };
        let port = match port {
            None => None,
            Some(p) => {
                let n = (!p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse::<u16>().ok())
                    .flatten()
                    .filter(|&n| n != 0)
                    .ok_or_else(|| ReferenceError::InvalidPort(s.to_string()))?;
                Some(n)
            }
        };
        let name = match (name.as_str(), port) {
            ("index.docker.io" | "registry-1.docker.io", None) => DOCKER_HUB.to_string(),
            _ => name,
        };
        Ok(Host { name, port })
    }

    /// A key of a credential store (Docker's `auths`, `credHelpers`), which may be written as
    /// a URL (`https://index.docker.io/v1/`): the scheme and an API path are dropped, then the
    /// host is parsed by the one grammar.
    pub fn from_key(key: &str) -> Result<Host, ReferenceError> {
        let h = key
            .strip_prefix("https://")
            .or_else(|| key.strip_prefix("http://"))
            .unwrap_or(key)
            .trim_end_matches('/');
        let h = h.strip_suffix("/v1").unwrap_or(h);
        let h = h.strip_suffix("/v2").unwrap_or(h);
        Host::parse(h)
    }

    /// The host without its port (`[::1]` in brackets).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The port as written, if one was.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// `localhost`, `127.0.0.0/8` or `[::1]`, on any port.
    pub fn is_loopback(&self) -> bool {
        self.name == "localhost"
            || self.name == "[::1]"
            || self
                .name
                .parse::<Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// IBM Cloud Container Registry: `icr.io` or `*.icr.io`, on the HTTPS port.
    pub fn is_ibm_cloud(&self) -> bool {
        (self.name == "icr.io" || self.name.ends_with(".icr.io"))
            && matches!(self.port, None | Some(443))
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
    }
}

/// Whether `host` is in `list` with the same name and port: `host:5000` listed does not cover
/// `host` or `host:443`, and `host` listed covers only `host` written without a port. A name
/// that does not parse is in no list.
pub fn listed(list: &[String], host: &str) -> bool {
    let Ok(h) = Host::parse(host) else {
        return false;
    };
    list.iter().any(|l| Host::parse(l).is_ok_and(|l| l == h))
}

/// Whether the first component of a name is a registry host (then it must parse as one).
pub fn is_host(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost" || first.starts_with('[')
}

/// A host validated and written canonically (see [`Host::parse`]).
pub fn normalise_host(host: &str) -> Result<String, ReferenceError> {
    Host::parse(host).map(|h| h.to_string())
}

/// A host without its port (`[::1]:5000` -> `[::1]`).
pub fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map(|(a, _)| &host[..a.len() + 1])
            .unwrap_or(host);
    }
    host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host)
}

/// `localhost`, `127.0.0.0/8` and `[::1]`, with or without a port; false for what does not
/// parse as a host.
pub fn is_loopback(host: &str) -> bool {
    Host::parse(host).is_ok_and(|h| h.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_grammar() {
        let ok = |s: &str| Host::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(ok("US.ICR.IO").to_string(), "us.icr.io");
        assert_eq!(ok("index.docker.io").to_string(), "docker.io");
        assert_eq!(ok("localhost:05000").to_string(), "localhost:5000");
        assert_eq!(ok("[0:0::1]:5000").to_string(), "[::1]:5000");
        assert_eq!(ok("127.0.0.1:5000").port(), Some(5000));
        assert_eq!(ok("a-b.c").name(), "a-b.c");
        for bad in [
            "",
            "evil.example#.icr.io",
            "evil.example?.icr.io",
            "evil.example\\.icr.io",
            "user@evil.example",
            "user:pw@evil.example",
            "x.icr.io:pw@127.0.0.1:5000",
            "evil.example .icr.io",
            " us.icr.io",
            "us.icr.io\n",
            "us.icr.io/",
            "-a.io",
            "a..io",
            "a.io:",
            "a.io:0",
            "a.io:65536",
            "a.io:5000:1",
            "[zz]:5000",
            "[::1]x",
            "http://us.icr.io",
        ] {
            assert!(Host::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(matches!(
            Host::parse("https://index.docker.io/v1/"),
            Err(ReferenceError::HostScheme(h)) if h == "index.docker.io"
        ));
        assert_eq!(
            Host::from_key("https://index.docker.io/v1/")
                .unwrap()
                .to_string(),
            "docker.io"
        );
        assert!(Host::from_key("https://evil.example#.icr.io/").is_err());
    }

    #[test]
    fn exact_host_and_port() {
        let list = vec!["host.example:5000".to_string(), "bare.example".to_string()];
        assert!(listed(&list, "host.example:5000"));
        assert!(listed(&list, "HOST.example:05000"));
        assert!(!listed(&list, "host.example"));
        assert!(!listed(&list, "host.example:443"));
        assert!(listed(&list, "bare.example"));
        assert!(!listed(&list, "bare.example:5000"));
        assert!(!listed(&list, "bare.example#x"));
        assert!(is_loopback("127.3.4.5:80") && is_loopback("[::1]") && is_loopback("localhost"));
        assert!(!is_loopback("127.0.0.1#.icr.io") && !is_loopback("128.0.0.1"));
        assert!(Host::parse("us.icr.io").unwrap().is_ibm_cloud());
        assert!(!Host::parse("evilicr.io").unwrap().is_ibm_cloud());
        assert!(!Host::parse("icr.io.evil.example").unwrap().is_ibm_cloud());
        assert!(!Host::parse("us.icr.io:5000").unwrap().is_ibm_cloud());
    }
}
