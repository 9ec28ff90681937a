//! Repository names and tags as validated types: `Repository` (the distribution path grammar,
//! at most 255 characters) and `Tag` (1-128 characters of the tag grammar), each checked once
//! where it is parsed and read as `&str` everywhere after.

use super::digest::str_newtype;
use super::reference::{validate_repository, validate_tag, ReferenceError};

/// A repository path, e.g. `namespace/repo`: lowercase components separated by `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Repository(String);

impl Repository {
    /// Validate `s` by the distribution grammar (errors name the offending part).
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        validate_repository(s)?;
        Ok(Repository(s.to_string()))
    }

    /// The namespace: the first path component.
    pub fn namespace(&self) -> &str {
        self.0.split('/').next().unwrap_or("")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

str_newtype!(Repository, "a repository name");

/// A tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    /// Validate `s` by the tag grammar.
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        validate_tag(s)?;
        Ok(Tag(s.to_string()))
    }

    /// The referrers fallback tag of `subject`: `sha256-HEX`, cut to 128 characters (always a
    /// valid tag: a digest's hex is of the tag alphabet).
    pub fn referrers_of(subject: &super::digest::Digest) -> Self {
        Tag(subject.replacen(':', "-", 1).chars().take(128).collect())
    }

    /// `latest`, the tag meant when a name has neither tag nor digest.
    pub fn latest() -> Self {
        Tag("latest".to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

str_newtype!(Tag, "a tag");

#[cfg(test)]
mod tests {
    use super::*;
    use ReferenceError as E;

    #[test]
    fn repository_rejects_each_bad_form() {
        let long = format!("ns/{}", "a".repeat(260));
        type Check = fn(&E) -> bool;
        let cases: Vec<(&str, Check)> = vec![
            ("", |e| matches!(e, E::EmptyComponent(_))),
            ("NS/repo", |e| matches!(e, E::Uppercase(_))),
            ("ns//repo", |e| matches!(e, E::EmptyComponent(_))),
            ("ns/repo/", |e| matches!(e, E::EmptyComponent(_))),
            ("/ns", |e| matches!(e, E::EmptyComponent(_))),
            ("ns/-repo", |e| matches!(e, E::InvalidComponent { .. })),
            ("ns/repo-", |e| matches!(e, E::InvalidComponent { .. })),
            ("ns/re..po", |e| matches!(e, E::InvalidComponent { .. })),
            ("ns/re___po", |e| matches!(e, E::InvalidComponent { .. })),
            ("ns/..", |e| matches!(e, E::InvalidComponent { .. })),
            ("ns/.", |e| matches!(e, E::InvalidComponent { .. })),
            ("ns/re po", |e| matches!(e, E::InvalidComponent { .. })),
            ("ns/re:po", |e| matches!(e, E::InvalidComponent { .. })),
            (long.as_str(), |e| matches!(e, E::TooLong(_))),
        ];
        for (input, check) in cases {
            let e = input.parse::<Repository>().expect_err(input);
            assert!(check(&e), "{input:?}: got {e:?}");
        }
        let e = "ns/-repo".parse::<Repository>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid path component \"-repo\" in \"ns/-repo\": use lowercase letters and digits, separated by '.', '_', '__' or '-'"
        );
        for ok in ["a", "ns/repo", "a__b/c-d/e.f/g---h", &"a".repeat(255)] {
            let r: Repository = ok.parse().unwrap();
            assert_eq!(r, ok);
        }
        assert_eq!(Repository::parse("ns/a/b").unwrap().namespace(), "ns");
    }

    #[test]
    fn tag_rejects_each_bad_form() {
        let long = "a".repeat(129);
        for bad in [
            "",
            ".x",
            "-x",
            "a+b",
            "a:b",
            "a/b",
            "a b",
            "é",
            long.as_str(),
        ] {
            let e = bad.parse::<Tag>().expect_err(bad);
            assert_eq!(e, E::InvalidTag(bad.to_string()));
        }
        for ok in ["latest", "_x", "V1.0-rc_2", &"a".repeat(128)] {
            assert_eq!(ok.parse::<Tag>().unwrap(), ok);
        }
        assert_eq!(Tag::latest(), "latest");
    }

    #[test]
    fn serde_round_trips_and_validates() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct TagList {
            name: Repository,
            tags: Vec<Tag>,
        }
        let j = r#"{"name":"ns/repo","tags":["v1","latest"]}"#;
        let l: TagList = serde_json::from_str(j).unwrap();
        assert_eq!(l.name, "ns/repo");
        assert_eq!(l.tags, ["v1", "latest"]);
        assert_eq!(serde_json::to_string(&l).unwrap(), j);
        let e =
            serde_json::from_str::<TagList>(r#"{"name":"ns/repo","tags":["../x"]}"#).unwrap_err();
        assert!(e.to_string().starts_with("invalid tag \"../x\""), "{e}");
        let e = serde_json::from_str::<TagList>(r#"{"name":"NS","tags":[]}"#).unwrap_err();
        assert!(e.to_string().contains("must be lowercase"), "{e}");
    }
}
