//! Referrers on the wire: the OCI 1.1 referrers API (`GET /v2/NAME/referrers/DIGEST`), the
//! fallback tag schema (`sha256-<hex>` holding an index of referrers) and its upkeep at a
//! registry without the API: read, merge, put back.

use crate::client::error::Operation;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{Kind, Registry, RegistryError, Req, Resource, Scope};
use crate::oci::digest::{self, Digest};
use crate::oci::manifest::RawManifest;
use crate::oci::media;
use crate::oci::name::Repository;
use crate::oci::name::Tag;
use crate::oci::reference::ManifestRef;

/// A referrers list or fallback index is read up to this size.
const MAX_INDEX: usize = 8 << 20;

/// The fallback tag of a subject: `sha256:abc…` → `sha256-abc…` (at most 128 characters).
pub fn fallback_tag(subject: &Digest) -> Tag {
    Tag::referrers_of(subject)
}

/// Whether `tag` has the fallback tag form (`sha256-` and 64 hex digits, no suffix).
pub fn is_fallback_tag(tag: &str) -> bool {
    fallback_subject(tag).is_some()
}

/// The subject a fallback tag (`sha256-<hex>`) stands for, as a digest string
/// (`sha256:<hex>`); None for any other tag.
pub fn fallback_subject(tag: &str) -> Option<String> {
    tag.strip_prefix("sha256-")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|h| format!("sha256:{h}"))
}

/// The descriptor a referrers index lists for `m`: its media type, digest, size, artifact
/// type (the manifest's, else its config's media type) and annotations. None when `m` has no
/// subject.
pub fn referrer_descriptor(m: &RawManifest) -> Option<(Digest, Value)> {
    let v: Value = serde_json::from_slice(&m.bytes).ok()?;
    let subject = Digest::parse(v.get("subject")?.get("digest")?.as_str()?).ok()?;
    let artifact_type = v
        .get("artifactType")
        .and_then(Value::as_str)
        .or_else(|| v.get("config")?.get("mediaType")?.as_str())
        .map(str::to_string);
    let mut d = json!({
        "mediaType": m.media_type,
        "digest": m.digest,
        "size": m.bytes.len(),
    });
    if let Some(t) = artifact_type {
        d["artifactType"] = json!(t);
    }
    if let Some(a) = v.get("annotations").filter(|a| a.is_object()) {
        d["annotations"] = a.clone();
    }
    Some((subject, d))
}

impl Registry {
    /// The referrers of `digest` through the referrers API: Some(descriptors), or None when
    /// the registry has no usable API there, and the fallback tag schema applies. The API is
    /// taken only from a 200 with the OCI index content type and a body that parses (quirks
    /// §0 "Referrers API detection"); every other answer means "no API": 404 (GHCR, GitLab),
    /// 400 (Quay, unknown subject), 401 after a token was issued (older Harbor), 405, and a
    /// redirect to an HTML sign-in page (Artifact Registry). Only a 429 or 5xx that outlived
    /// the retries is an error (a registry with the API, failing now). Remembered for the rest
    /// of the command, except a 400 (Quay answers it per subject).
    pub async fn referrers_api(
        &self,
        repo: &Repository,
        subject: &Digest,
        scopes: &[Scope],
    ) -> Result<Option<Vec<Value>>, RegistryError> {
        if self.no_referrers_api() {
            return Ok(None);
        }
        let what = format!("list referrers of {repo}@{subject}");
        let req = Req::new(
            Method::GET,
            self.repo_url(repo, Resource::Referrers(subject))?,
            scopes.to_vec(),
            what.clone(),
        )
        .header(ACCEPT, media::OCI_INDEX);
        let mut resp = self.send(req).await?;
        let status = resp.status();
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            return Err(self.error(resp, (&what, Operation::Other), scopes).await);
        }
        let index_type = resp
            .headers()
            .get_all(CONTENT_TYPE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|c| c.split(';').next())
            .any(|c| c.trim().eq_ignore_ascii_case(media::OCI_INDEX));
        if status != StatusCode::OK || !index_type {
            if status != StatusCode::BAD_REQUEST {
                self.set_no_referrers_api();
            }
            if self.debug {
                crate::notice::status(&format!(
                    "{what}: HTTP {} ({}): no referrers API there; using the fallback tag schema",
                    status.as_u16(),
                    if index_type {
                        "an OCI index"
                    } else {
                        "not an OCI index"
                    }
                ));
            }
            return Ok(None);
        }
        let next = super::catalog::next_of(&resp);
        let bytes = self.read_limited(&mut resp, MAX_INDEX, &what).await?;
        let mut found = match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) if v.is_object() => {
                self.caps.set_referrers_api(true);
                valid_descriptors(&v)
            }
            _ => {
                self.set_no_referrers_api();
                return Ok(None);
            }
        };
        if let Some(next) = next {
            self.more_pages(next, scopes, &what, &mut found).await?;
        }
        Ok(Some(found))
    }

    /// The pages after the first of a referrers answer (`Link: <…>; rel="next"`, as the
    /// distribution spec has a registry page a long list): each on the registry's own host,
    /// each once, at most [`MAX_PAGES`]; a page that fails fails the listing (never a short
    /// list said as whole).
    async fn more_pages(
        &self,
        first: String,
        scopes: &[Scope],
        what: &str,
        found: &mut Vec<Value>,
    ) -> Result<(), RegistryError> {
        let protocol = |message: &str| RegistryError::Protocol {
            what: what.to_string(),
            host: self.name.clone(),
            message: message.to_string(),
        };
        let mut seen = std::collections::HashSet::new();
        let mut next = Some(first);
        for _ in 0..MAX_PAGES {
            let Some(n) = next.take() else { return Ok(()) };
            let Some(url) = self.next_page(&n, &mut seen, what)? else {
                return Ok(());
            };
            let req = Req::new(Method::GET, url, scopes.to_vec(), what.to_string())
                .header(ACCEPT, media::OCI_INDEX);
            let mut resp = self.send_ok(req).await?;
            next = super::catalog::next_of(&resp);
            let bytes = self.read_limited(&mut resp, MAX_INDEX, what).await?;
            let v: Value = serde_json::from_slice(&bytes)
                .map_err(|e| protocol(&format!("unreadable referrers page: {e}")))?;
            found.extend(valid_descriptors(&v));
        }
        Err(protocol(&format!(
            "more than {MAX_PAGES} pages of referrers"
        )))
    }

    /// Keep a stored manifest with a subject findable: unless the registry said it indexed
    /// the subject (`OCI-Subject`, `subject_header`) AND its referrers API answers for this
    /// repository (200, OCI index), the manifest goes into the subject's fallback tag index.
    /// The header alone is not trusted: Docker Hub sent it without having the API (quirks §1).
    pub async fn index_referrer(
        &self,
        repo: &Repository,
        m: &RawManifest,
        subject_header: bool,
    ) -> Result<(), RegistryError> {
        let Some((subject, _)) = referrer_descriptor(m) else {
            return Ok(());
        };
        if subject_header
            && self
                .referrers_api(repo, &subject, &[Scope::push(repo)])
                .await?
                .is_some()
        {
            return Ok(());
        }
        self.add_to_fallback_index(repo, m).await
    }

    /// Add `m` (a manifest with a subject, stored already) to its subject's fallback tag index,
    /// as the distribution spec asks of clients when the registry lacks the referrers API:
    /// the index is read, the descriptor added if missing, and the index put back.
    pub async fn add_to_fallback_index(
        &self,
        repo: &Repository,
        m: &RawManifest,
    ) -> Result<(), RegistryError> {
        let Some((subject, desc)) = referrer_descriptor(m) else {
            return Ok(());
        };
        let scopes = [Scope::push(repo)];
        let tag = ManifestRef::Tag(fallback_tag(&subject));
        let mut index = match self.fetch_manifest(repo, &tag, &scopes).await {
            Ok(old) => serde_json::from_slice::<Value>(&old.bytes)
                .ok()
                .filter(|v| v.get("manifests").is_some_and(Value::is_array))
                .unwrap_or_else(empty_index),
            Err(e) if e.kind() == Kind::NotFound => empty_index(),
            Err(e) => return Err(e),
        };
        let list = index["manifests"].as_array_mut().expect("an array");
        if list.iter().any(|d| d["digest"] == desc["digest"]) {
            return Ok(());
        }
        list.push(desc);
        let bytes = serde_json::to_vec(&index).expect("JSON");
        let raw = RawManifest::new(
            bytes.clone().into(),
            media::OCI_INDEX.into(),
            digest::sha256(&bytes),
        );
        self.put_manifest(repo, &tag, &raw, &scopes).await?;
        Ok(())
    }

    fn no_referrers_api(&self) -> bool {
        self.caps.referrers_api() == super::capabilities::Learnt::No
    }

    fn set_no_referrers_api(&self) {
        self.caps.set_referrers_api(false);
    }
}

/// Referrers pages read at most, after the first.
const MAX_PAGES: usize = 100;

fn empty_index() -> Value {
    json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": []})
}

/// The descriptors of an index whose digests are valid (others are dropped: they would
/// become URL segments).
pub fn valid_descriptors(index: &Value) -> Vec<Value> {
    index
        .get("manifests")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|d| {
                    d.get("digest")
                        .and_then(Value::as_str)
                        .is_some_and(|s| crate::oci::reference::validate_digest(s).is_ok())
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_tags_and_descriptors() {
        let d = Digest::fake(&format!("sha256:{}", "a".repeat(64)));
        assert_eq!(fallback_tag(&d), format!("sha256-{}", "a".repeat(64)));
        let bytes = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","artifactType":"application/spdx+json","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{d}","size":2}},"layers":[],"subject":{{"mediaType":"{}","digest":"{d}","size":10}},"annotations":{{"k":"v"}}}}"#,
            media::OCI_MANIFEST,
            media::OCI_MANIFEST
        );
        let m = RawManifest::new(
            bytes.clone().into(),
            media::OCI_MANIFEST.into(),
            digest::sha256(bytes.as_bytes()),
        );
        let (subject, desc) = referrer_descriptor(&m).unwrap();
        assert_eq!(subject, d);
        assert_eq!(desc["artifactType"], "application/spdx+json");
        assert_eq!(desc["annotations"]["k"], "v");
        assert_eq!(desc["size"], bytes.len());
        let index = json!({"manifests": [desc, {"digest": "sha256:../x"}]});
        assert_eq!(valid_descriptors(&index).len(), 1);
    }
}
