//! Settings resolved from flags, environment and the config file: the target registry (and where it
//! came from), insecure hosts, extra CA certificates. The config file is
//! `dirs::config_dir()/cr/config.toml` (`CR_CONFIG_DIR` overrides the directory).

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::oci::reference::{normalise_host, ReferenceError};

/// The registry used when nothing else names one: the quick start's local registry.
pub const DEFAULT_REGISTRY: &str = "localhost:5000";

/// IBM Cloud Container Registry regions and their hosts: the names `ibmcloud cr region-set`
/// takes (first) and the IBM Cloud region names scripts also use for them.
pub const REGIONS: &[(&str, &str)] = &[
    ("global", "icr.io"),
    ("us-south", "us.icr.io"),
    ("us-east", "us.icr.io"),
    ("ca-tor", "ca.icr.io"),
    ("br-sao", "br.icr.io"),
    ("uk-south", "uk.icr.io"),
    ("eu-gb", "uk.icr.io"),
    ("eu-central", "de.icr.io"),
    ("eu-de", "de.icr.io"),
    ("eu-es", "es.icr.io"),
    ("eu-fr2", "fr2.icr.io"),
    ("ap-north", "jp.icr.io"),
    ("jp-tok", "jp.icr.io"),
    ("jp-osa", "jp2.icr.io"),
    ("ap-south", "au.icr.io"),
    ("au-syd", "au.icr.io"),
];

/// A registry named by region or host: `(host, region)`. A single-label name that is neither
/// a region nor `localhost` (`us-souht`) is refused with the closest region suggested, rather
/// than taken for a host.
pub fn target(name: &str) -> Result<(String, Option<&'static str>), ConfigError> {
    let name = name.trim();
    if let Some((r, h)) = REGIONS.iter().find(|(r, _)| r.eq_ignore_ascii_case(name)) {
        return Ok((h.to_string(), Some(*r)));
    }
    let single_label = !name.contains(['.', ':', '[', '/']);
    if single_label && !name.eq_ignore_ascii_case("localhost") && !name.is_empty() {
        let closest = REGIONS
            .iter()
            .map(|(r, _)| (distance(&name.to_ascii_lowercase(), r), *r))
            .min()
            .map(|(_, r)| r)
            .unwrap_or("us-south");
        return Err(ConfigError::UnknownRegion {
            name: name.to_string(),
            closest,
        });
    }
    Ok((normalise_host(name)?, None))
}

/// Edit distance (Levenshtein) between two short names (regions, commands).
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("cannot write config file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no config directory could be found (set HOME or CR_CONFIG_DIR)")]
    NoDir,
    #[error(transparent)]
    Host(#[from] ReferenceError),
    #[error("{name:?} is not an IBM Cloud region (did you mean {closest}?) nor a registry host (HOST.DOMAIN or HOST:PORT)")]
    UnknownRegion { name: String, closest: &'static str },
    #[error("{var}={value:?} is not valid: expected {expected}")]
    Env {
        var: &'static str,
        value: String,
        expected: String,
    },
}

/// The persisted part of the settings.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConfigFile {
    /// Target registry set with `cr region-set`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// Region name the target came from, when set by region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Hosts reached over plain HTTP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insecure_registries: Vec<String>,
}

pub fn config_dir() -> Result<PathBuf, ConfigError> {
    if let Some(d) = std::env::var_os("CR_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    dirs::config_dir()
        .map(|d| d.join("cr"))
        .ok_or(ConfigError::NoDir)
}

pub fn config_path() -> Result<PathBuf, ConfigError> {
    Ok(config_dir()?.join("config.toml"))
}

impl ConfigFile {
    pub fn load() -> Result<Self, ConfigError> {
        let path = config_path()?;
        match std::fs::read_to_string(&path) {
            Ok(s) => toml::from_str(&s).map_err(|e| ConfigError::Parse {
                path,
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }

    pub fn save(&self) -> Result<PathBuf, ConfigError> {
        let path = config_path()?;
        let dir = path.parent().expect("config path has a parent");
        let werr = |source| ConfigError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(werr)?;
        let text = toml::to_string_pretty(self).expect("config serialises");
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(werr)?;
        std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(werr)?;
        tmp.persist(&path).map_err(|e| werr(e.error))?;
        Ok(path)
    }
}

/// Where the target registry came from, as `cr region` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Source {
    #[serde(rename = "--registry")]
    Flag,
    #[serde(rename = "CR_REGISTRY")]
    Env,
    #[serde(rename = "config")]
    Config,
    #[serde(rename = "default")]
    Default,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Flag => "the --registry flag",
            Source::Env => "the CR_REGISTRY environment variable",
            Source::Config => "the config file, set by cr region-set",
            Source::Default => "the default",
        })
    }
}

/// Resolved settings shared by every command: the target registry and where it came from,
/// the config file, and what registry clients are made with (each knob held once, in
/// [`crate::client::Options`]).
#[derive(Debug, Clone)]
pub struct Settings {
    pub registry: String,
    /// The region the target was named by, if it was.
    pub region: Option<&'static str>,
    pub registry_source: Source,
    pub file: ConfigFile,
    /// Insecure hosts, CAs, `--debug`, `--quiet`, TLS verification, the client certificate,
    /// certs.d directories, the network knobs from the environment, and
    /// where the environment's credentials may go (the target and `CR_CREDENTIAL_HOSTS`).
    pub client: crate::client::Options,
    /// The content cache of manifests and small blobs (`CR_CACHE_DIR`, `CR_CACHE_MAX_MIB`;
    /// None with `--no-cache`), put in front of each registry client by the session.
    pub cache: Option<std::sync::Arc<crate::cache::Cache>>,
}

/// The content cache in `cache::root()/content` bounded by `CR_CACHE_MAX_MIB` (default 256;
/// 0 turns it off).
fn cache_from_env() -> Result<Option<std::sync::Arc<crate::cache::Cache>>, ConfigError> {
    let mib = env_number("CR_CACHE_MAX_MIB", 256, 0, 1 << 20)?;
    Ok(crate::cache::root()
        .map(|d| d.join("content"))
        .filter(|_| mib > 0)
        .map(|d| std::sync::Arc::new(crate::cache::Cache::new(d, mib << 20))))
}

/// Retries and timeouts (`CR_MAX_RETRIES`, `CR_RETRY_BASE_MS`, `CR_READ_TIMEOUT`,
/// `CR_CONNECT_TIMEOUT`, `CR_UPLOAD_CHUNK_MIB`, `CR_PAGE_SIZE`) set in `opts`, each checked: a
/// value that is not a number in range is a usage error naming the variable, never a silent
/// default.
fn net_from_env(opts: &mut crate::client::Options) -> Result<(), ConfigError> {
    let retries = env_number("CR_MAX_RETRIES", 4, 0, 20)?;
    opts.policy = crate::client::transport::retry::Policy {
        attempts: retries as u32 + 1,
        base: Duration::from_millis(env_number("CR_RETRY_BASE_MS", 250, 0, 60_000)?),
    };
    opts.read_timeout = Duration::from_secs(env_number("CR_READ_TIMEOUT", 30, 1, 3600)?);
    opts.connect_timeout = Duration::from_secs(env_number("CR_CONNECT_TIMEOUT", 15, 1, 600)?);
    opts.upload_chunk = env_number("CR_UPLOAD_CHUNK_MIB", 0, 0, 4096)? << 20;
    opts.page_size = env_number("CR_PAGE_SIZE", 1000, 1, 100_000)?;
    Ok(())
}

/// A whole number from the environment within `min..=max`; unset or empty: `default`.
fn env_number(var: &'static str, default: u64, min: u64, max: u64) -> Result<u64, ConfigError> {
    let Some(raw) = std::env::var_os(var) else {
        return Ok(default);
    };
    let value = raw.to_string_lossy().trim().to_string();
    if value.is_empty() {
        return Ok(default);
    }
    match value.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::Env {
            var,
            value,
            expected: format!("a whole number from {min} to {max}"),
        }),
    }
}

impl Settings {
    /// Resolve: `--registry` > `CR_REGISTRY` > config > default.
    pub fn resolve(
        flag_registry: Option<&str>,
        flag_insecure: &[String],
        ca_certs: Vec<PathBuf>,
        debug: bool,
    ) -> Result<Self, ConfigError> {
        let file = ConfigFile::load()?;
        let env = std::env::var("CR_REGISTRY").ok().filter(|s| !s.is_empty());
        let (raw, source) = if let Some(r) = flag_registry {
            (r.to_string(), Source::Flag)
        } else if let Some(r) = env {
            (r, Source::Env)
        } else if let Some(r) = &file.registry {
            (r.clone(), Source::Config)
        } else {
            (DEFAULT_REGISTRY.to_string(), Source::Default)
        };
        let (registry, region) = target(&raw)?;
        let mut insecure: Vec<String> = Vec::new();
        let env_insecure = std::env::var("CR_INSECURE_REGISTRIES").unwrap_or_default();
        for h in flag_insecure
            .iter()
            .map(String::as_str)
            .chain(env_insecure.split([',', ' ']))
            .chain(file.insecure_registries.iter().map(String::as_str))
            .filter(|h| !h.trim().is_empty())
        {
            insecure.push(normalise_host(h.trim())?);
        }
        let credential_hosts = std::env::var("CR_CREDENTIAL_HOSTS")
            .unwrap_or_default()
            .split([',', ' '])
            .filter(|h| !h.trim().is_empty())
            .map(|h| credential_host(h.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        // Where `cr login` stores is checked here, before any request (exit 2).
        if let Err(crate::credentials::CredentialError::BadStoreChoice(value)) =
            crate::credentials::store_choice()
        {
            return Err(ConfigError::Env {
                var: "CR_CREDENTIAL_STORE",
                value,
                expected: "keyring, file or auto".into(),
            });
        }
        check_ca_certs(&ca_certs)?;
        let mut client = crate::client::Options {
            insecure,
            ca_certs,
            debug,
            // The default target was not chosen: it gets nothing from the environment.
            env_scope: crate::credentials::EnvScope {
                target: crate::credentials::Target(
                    (source != Source::Default).then(|| registry.clone()),
                ),
                hosts: credential_hosts,
            },
            tls_verify: match std::env::var("CR_TLS_VERIFY")
                .ok()
                .as_deref()
                .map(str::trim)
            {
                None | Some("") | Some("true") | Some("1") => true,
                Some("false") | Some("0") => false,
                Some(other) => {
                    return Err(ConfigError::Env {
                        var: "CR_TLS_VERIFY",
                        value: other.to_string(),
                        expected: "true or false".into(),
                    })
                }
            },
            certs_dirs: certs_dirs_from_env()?,
            ..crate::client::Options::default()
        };
        net_from_env(&mut client)?;
        Ok(Settings {
            registry,
            region,
            registry_source: source,
            file,
            client,
            cache: cache_from_env()?,
        })
    }

    /// The same settings for a command run with `--quiet`.
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.client.quiet = quiet;
        self
    }

    /// Where the environment's credentials may go: the target registry (when chosen) and
    /// `CR_CREDENTIAL_HOSTS` (and, for `CR_APIKEY`, IBM Cloud registries).
    pub fn env_scope(&self) -> crate::credentials::EnvScope {
        self.client.env_scope.clone()
    }

    /// What a registry client is made with, from these settings.
    pub fn registry_options(&self) -> crate::client::Options {
        self.client.clone()
    }
}

/// `CR_CERTS_D`: absolute directories, `:`-separated; empty entries (`:/x`, `$UNSET:/x`) are
/// skipped, never the working directory; a relative entry is a usage error (a checked-out
/// repository must not plant CAs or client certificates). Unset or nothing left: Docker's and
/// containers' directories.
fn certs_dirs_from_env() -> Result<Vec<PathBuf>, ConfigError> {
    let Some(raw) = std::env::var_os("CR_CERTS_D") else {
        return Ok(crate::client::options::default_certs_dirs());
    };
    let dirs: Vec<PathBuf> = std::env::split_paths(&raw)
        .filter(|d| !d.as_os_str().is_empty())
        .collect();
    if let Some(rel) = dirs.iter().find(|d| !d.is_absolute()) {
        return Err(ConfigError::Env {
            var: "CR_CERTS_D",
            value: raw.to_string_lossy().into_owned(),
            expected: format!(
                "absolute directories separated by ':' ({} is relative)",
                rel.display()
            ),
        });
    }
    if dirs.is_empty() {
        return Ok(crate::client::options::default_certs_dirs());
    }
    Ok(dirs)
}

/// Each `--ca-cert` file is read and parsed before any request: a missing or unreadable file,
/// or one without a usable PEM certificate, is a usage error naming the flag and the file.
fn check_ca_certs(files: &[PathBuf]) -> Result<(), ConfigError> {
    for f in files {
        crate::client::transport::http::ca_file(f).map_err(|e| ConfigError::Env {
            var: "--ca-cert",
            value: f.display().to_string(),
            expected: format!("a PEM file of CA certificates ({e})"),
        })?;
    }
    Ok(())
}

/// One entry of `CR_CREDENTIAL_HOSTS`: a region name or `HOST[:PORT]`, normalised; a bad one
/// is a usage error naming the variable.
fn credential_host(entry: &str) -> Result<String, ConfigError> {
    if let Some(h) = region_host(entry) {
        return Ok(h.to_string());
    }
    normalise_host(entry).map_err(|e| ConfigError::Env {
        var: "CR_CREDENTIAL_HOSTS",
        value: entry.to_string(),
        expected: format!("comma- or space-separated HOST[:PORT] or region names ({e})"),
    })
}

/// The host of a region name, if `name` is one.
pub fn region_host(name: &str) -> Option<&'static str> {
    REGIONS
        .iter()
        .find(|(r, _)| r.eq_ignore_ascii_case(name))
        .map(|(_, h)| *h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::reference::is_loopback;

    #[test]
    fn loopback() {
        assert!(is_loopback("localhost:5000"));
        assert!(is_loopback("127.3.4.5:80"));
        assert!(is_loopback("[::1]:5000"));
        assert!(is_loopback("[::1]"));
        assert!(!is_loopback("us.icr.io"));
        assert!(!is_loopback("128.0.0.1:5000"));
    }

    #[test]
    fn a_bad_credential_host_names_its_variable() {
        assert_eq!(credential_host("eu-de").unwrap(), "de.icr.io");
        assert_eq!(
            credential_host("mirror.example:5000").unwrap(),
            "mirror.example:5000"
        );
        let e = credential_host("127.0.0.1:18103/").unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Env {
                var: "CR_CREDENTIAL_HOSTS",
                ..
            }
        ));
        let s = e.to_string();
        assert!(
            s.starts_with("CR_CREDENTIAL_HOSTS=\"127.0.0.1:18103/\""),
            "{s}"
        );
        assert!(s.contains("invalid port"), "{s}");
    }

    #[test]
    fn regions() {
        assert_eq!(region_host("us-south"), Some("us.icr.io"));
        assert_eq!(region_host("eu-de"), Some("de.icr.io"));
        assert_eq!(region_host("global"), Some("icr.io"));
        assert_eq!(region_host("example.com"), None);
    }
}
