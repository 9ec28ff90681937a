//! Content digests: the `Digest` type (`sha256:`/`sha384:`/`sha512:` + lowercase hex, the
//! algorithms the distribution spec registers, validated once where it is parsed), and
//! computing one over bytes, or incrementally while bytes stream.

use sha2::{Digest as _, Sha256, Sha384, Sha512};

use super::reference::ReferenceError;

/// A content digest: `sha256:` + 64, `sha384:` + 96 or `sha512:` + 128 lowercase hex digits.
/// Only a valid one can be constructed, so holders never re-validate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

/// The digest algorithms cr reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }
}

impl Digest {
    /// Validate `s` (the error is `ReferenceError::InvalidDigest` naming it).
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        let ok = match s.split_once(':') {
            Some(("sha256", hex)) => hex.len() == 64 && is_lower_hex(hex),
            Some(("sha384", hex)) => hex.len() == 96 && is_lower_hex(hex),
            Some(("sha512", hex)) => hex.len() == 128 && is_lower_hex(hex),
            _ => false,
        };
        if ok {
            Ok(Digest(s.to_string()))
        } else {
            Err(ReferenceError::InvalidDigest(s.to_string()))
        }
    }

    /// The sha256 digest of `bytes`.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Digest(format!("sha256:{}", hex::encode(Sha256::digest(bytes))))
    }

    /// The digest of `bytes` in this digest's algorithm (to check bytes against it).
    pub fn recompute(&self, bytes: &[u8]) -> Digest {
        let mut h = Hasher::new(self.algorithm());
        h.update(bytes);
        h.finish_digest()
    }

    pub fn algorithm(&self) -> Algorithm {
        if self.0.starts_with("sha512:") {
            Algorithm::Sha512
        } else if self.0.starts_with("sha384:") {
            Algorithm::Sha384
        } else {
            Algorithm::Sha256
        }
    }

    /// The hex digits after `ALGORITHM:`.
    pub fn hex(&self) -> &str {
        self.0.split_once(':').map(|(_, h)| h).unwrap_or(&self.0)
    }

    /// The first 12 hex digits, as tables show a digest.
    pub fn short(&self) -> &str {
        &self.hex()[..12]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

fn is_lower_hex(h: &str) -> bool {
    h.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The shared trait set of the validated name types (`Digest`, `Repository`, `Tag`): read as
/// `&str` anywhere, compare with strings, print, and (de)serialise with validation.
macro_rules! str_newtype {
    ($t:ty, $what:literal) => {
        impl std::str::FromStr for $t {
            type Err = $crate::oci::reference::ReferenceError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$t>::parse(s)
            }
        }
        impl TryFrom<&str> for $t {
            type Error = $crate::oci::reference::ReferenceError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                <$t>::parse(s)
            }
        }
        impl TryFrom<String> for $t {
            type Error = $crate::oci::reference::ReferenceError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                <$t>::parse(&s)
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::ops::Deref for $t {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::borrow::Borrow<str> for $t {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl PartialEq<str> for $t {
            fn eq(&self, o: &str) -> bool {
                self.0 == o
            }
        }
        impl PartialEq<&str> for $t {
            fn eq(&self, o: &&str) -> bool {
                self.0 == *o
            }
        }
        impl PartialEq<String> for $t {
            fn eq(&self, o: &String) -> bool {
                &self.0 == o
            }
        }
        impl PartialEq<$t> for str {
            fn eq(&self, o: &$t) -> bool {
                self == o.0
            }
        }
        impl PartialEq<$t> for &str {
            fn eq(&self, o: &$t) -> bool {
                *self == o.0
            }
        }
        impl PartialEq<$t> for String {
            fn eq(&self, o: &$t) -> bool {
                *self == o.0
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $t;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$t, E> {
                        <$t>::parse(v).map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}
pub(crate) use str_newtype;

str_newtype!(Digest, "a digest (sha256:HEX)");

/// Unit tests name digests shortly (`"sha256:d"`): in tests only, any text is taken.
#[cfg(test)]
impl Digest {
    pub fn fake(s: &str) -> Self {
        Digest(s.to_string())
    }
}

/// `sha256:` + hex of the bytes.
pub fn sha256(bytes: &[u8]) -> Digest {
    Digest::of_bytes(bytes)
}

/// A running hash in the algorithm of an expected digest.
#[derive(Clone)]
pub enum Hasher {
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha384 => Hasher::Sha384(Sha384::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }
    /// A hasher for the algorithm of `digest` (sha256 unless it says sha384 or sha512).
    pub fn for_digest(digest: &str) -> Self {
        let algorithm = match digest.split_once(':') {
            Some(("sha512", _)) => Algorithm::Sha512,
            Some(("sha384", _)) => Algorithm::Sha384,
            _ => Algorithm::Sha256,
        };
        Hasher::new(algorithm)
    }
    pub fn sha256() -> Self {
        Hasher::Sha256(Sha256::new())
    }
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }
    /// The digest of everything fed in.
    pub fn finish_digest(self) -> Digest {
        match self {
            Hasher::Sha256(h) => Digest(format!("sha256:{}", hex::encode(h.finalize()))),
            Hasher::Sha384(h) => Digest(format!("sha384:{}", hex::encode(h.finalize()))),
            Hasher::Sha512(h) => Digest(format!("sha512:{}", hex::encode(h.finalize()))),
        }
    }
    pub fn finish(self) -> Digest {
        self.finish_digest()
    }
}

/// The digest of `bytes` in the algorithm of `expected`.
pub fn of_like(expected: &str, bytes: &[u8]) -> Digest {
    let mut h = Hasher::for_digest(expected);
    h.update(bytes);
    h.finish()
}

/// `sha256:0123456789ab…` cut to 12 hex digits, as tables show it.
pub fn short(digest: &str) -> &str {
    let hex = digest.split_once(':').map(|(_, h)| h).unwrap_or(digest);
    &hex[..hex.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// sha384, registered by the distribution spec (docker-registry stores it): parsed, and a
    /// blob named by it is checked in it.
    #[test]
    fn sha384_is_read_and_checked() {
        let empty = "sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b";
        let d = Digest::parse(empty).unwrap();
        assert_eq!(d.algorithm(), Algorithm::Sha384);
        assert_eq!(of_like(empty, b""), d);
        assert_ne!(of_like(empty, b"x"), d);
        assert!(Digest::parse(&empty[..empty.len() - 1]).is_err());
        assert!(Digest::parse(&empty.to_uppercase().replace("SHA384", "sha384")).is_err());
    }

    #[test]
    fn known_values() {
        assert_eq!(sha256(b""), EMPTY);
        let mut h = Hasher::sha256();
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.finish(), sha256(b"abc"));
        assert_eq!(short(&sha256(b"")), "e3b0c44298fc");
        let d = Digest::of_bytes(b"");
        assert_eq!(d, EMPTY);
        assert_eq!(d.short(), "e3b0c44298fc");
        assert_eq!(d.algorithm(), Algorithm::Sha256);
        assert_eq!(d.hex(), &EMPTY[7..]);
        assert_eq!(d.recompute(b""), d);
        let mut h = Hasher::new(Algorithm::Sha512);
        h.update(b"");
        let d512 = h.finish_digest();
        assert_eq!(d512.algorithm(), Algorithm::Sha512);
        assert_eq!(d512.hex().len(), 128);
        assert_eq!(d512.recompute(b""), d512);
    }

    #[test]
    fn parse_rejects_each_bad_form() {
        let upper = EMPTY.to_uppercase().replacen("SHA256", "sha256", 1);
        let short = &EMPTY[..EMPTY.len() - 1];
        let long = format!("{EMPTY}0");
        let sha512_short = format!("sha512:{}", &EMPTY[7..]);
        let nonhex = format!("sha256:{}", "g".repeat(64));
        let md5 = format!("md5:{}", &EMPTY[7..]);
        let bad = [
            "",
            "sha256",
            "sha256:",
            "sha256:abc",
            ":abc",
            upper.as_str(),
            short,
            long.as_str(),
            sha512_short.as_str(),
            nonhex.as_str(),
            md5.as_str(),
            &EMPTY[7..],
        ];
        for b in bad {
            let e = b.parse::<Digest>().expect_err(b);
            assert_eq!(e, ReferenceError::InvalidDigest(b.to_string()));
            assert_eq!(
                e.to_string(),
                format!(
                    "invalid digest {b:?}: expected sha256: followed by 64 lowercase hex digits"
                )
            );
        }
        assert!(format!("sha512:{}", "ab".repeat(64))
            .parse::<Digest>()
            .is_ok());
    }

    #[test]
    fn serde_round_trip_and_refusal() {
        let d: Digest = EMPTY.parse().unwrap();
        let j = serde_json::to_string(&d).unwrap();
        assert_eq!(j, format!("\"{EMPTY}\""));
        assert_eq!(serde_json::from_str::<Digest>(&j).unwrap(), d);
        let e = serde_json::from_str::<Digest>("\"sha256:abc\"").unwrap_err();
        assert!(
            e.to_string().contains("invalid digest \"sha256:abc\""),
            "{e}"
        );
        assert!(serde_json::from_str::<Digest>("17").is_err());
        // Read as &str, compared with strings, used as a map key looked up by &str.
        let s: &str = &d;
        assert_eq!(s, EMPTY);
        assert_eq!(d, EMPTY);
        assert_eq!(EMPTY, d);
        assert_eq!(d, EMPTY.to_string());
        let m: std::collections::HashMap<Digest, u8> = [(d.clone(), 1)].into();
        assert_eq!(m.get(EMPTY), Some(&1));
    }
}
