//! Platforms: `os/arch[/variant]` as users write them, and matching against index entries.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl Platform {
    /// The platform an image config says it is for (`os`, `architecture`, `variant`); `os`
    /// is empty when the config does not say.
    pub fn of_config(cfg: &serde_json::Value) -> Platform {
        let text = |k: &str| cfg[k].as_str().unwrap_or_default().to_string();
        Platform {
            os: text("os"),
            arch: text("architecture"),
            variant: cfg["variant"].as_str().map(str::to_string),
        }
    }

    /// Whether an image whose config says `cfg` may be given for `--platform self`: a config
    /// without a platform is taken as it is.
    pub fn admits_config(&self, cfg: &serde_json::Value) -> bool {
        let have = Platform::of_config(cfg);
        have.os.is_empty() || self.matches(&have)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid platform {0:?}: expected OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8")]
pub struct PlatformError(String);

impl std::str::FromStr for Platform {
    type Err = PlatformError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &&str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
        };
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: None,
            }),
            [os, arch, v] if ok(os) && ok(arch) && ok(v) => Ok(Platform {
                os: os.to_string(),
                arch: arch.to_string(),
                variant: Some(v.to_string()),
            }),
            _ => Err(PlatformError(s.to_string())),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    /// From an index entry's platform.
    pub fn of(p: &super::manifest::IndexPlatform) -> Self {
        Platform {
            os: p.os.clone(),
            arch: p.architecture.clone(),
            variant: p.variant.clone().filter(|v| !v.is_empty()),
        }
    }

    /// Whether an index entry satisfies this request: os and arch equal; a requested variant
    /// must equal (arm64's `v8` also matches an entry without variant).
    pub fn matches(&self, other: &Platform) -> bool {
        if self.os != other.os || self.arch != other.arch {
            return false;
        }
        match (&self.variant, &other.variant) {
            (None, _) => true,
            (Some(a), Some(b)) => a == b,
            (Some(a), None) => self.arch == "arm64" && a == "v8",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let p: Platform = "linux/arm64/v8".parse().unwrap();
        assert_eq!(p.to_string(), "linux/arm64/v8");
        let e = Platform {
            os: "linux".into(),
            arch: "arm64".into(),
            variant: None,
        };
        assert!(p.matches(&e));
        let amd: Platform = "linux/amd64".parse().unwrap();
        assert!(!amd.matches(&e));
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux//v7".parse::<Platform>().is_err());
    }
}
