//! Manifest requests: GET (bytes kept exactly, digest verified), HEAD, PUT and DELETE.

use crate::client::error::Operation;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};

use super::{Body, Registry, RegistryError, Req, Resource, Scope};
use crate::oci::digest::{self, Digest};
use crate::oci::manifest::{detect_media_type, RawManifest};
use crate::oci::media;
use crate::oci::name::Repository;
use crate::oci::reference::ManifestRef;

/// Manifests larger than this are refused (distribution's own limit is 4 MiB).
const MAX_MANIFEST: usize = 8 << 20;

/// What a HEAD tells about a manifest.
#[derive(Debug, Clone)]
pub struct ManifestHead {
    /// `Docker-Content-Digest`, when it is a well-formed digest (a malformed one is absent).
    pub digest: Option<Digest>,
    pub media_type: Option<String>,
    pub size: Option<u64>,
    /// The manifest, when a GET answered for a registry without HEAD.
    pub manifest: Option<RawManifest>,
}

/// What a registry said when it stored a manifest.
#[derive(Debug, Clone)]
pub struct Stored {
    pub digest: Digest,
    /// It answered `OCI-Subject`: it has the referrers API and indexed the manifest's subject.
    pub subject_tracked: bool,
}

impl Registry {
    /// GET a manifest by tag or digest from the registry. The bytes are kept exactly; when
    /// fetched by digest they must hash to it. (The content cache is `store::Cached`'s.)
    pub async fn fetch_manifest(
        &self,
        repo: &Repository,
        reference: &ManifestRef,
        scopes: &[Scope],
    ) -> Result<RawManifest, RegistryError> {
        let what = format!("get manifest {repo}{}{reference}", reference.sep());
        let req = Req::new(
            Method::GET,
            self.repo_url(repo, Resource::Manifest(reference))?,
            scopes.to_vec(),
            what.clone(),
        )
        .header(ACCEPT, media::ACCEPT);
        let mut resp = self.send_ok(req).await?;
        let ct = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let header_digest = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Digest::parse(v).ok());
        let bytes = self.read_limited(&mut resp, MAX_MANIFEST, &what).await?;
        let expected = match reference {
            ManifestRef::Digest(d) => Some(d.clone()),
            ManifestRef::Tag(_) => header_digest,
        };
        let digest = match expected {
            Some(exp) => {
                let actual = digest::of_like(&exp, &bytes);
                if actual != exp {
                    return Err(RegistryError::DigestMismatch {
                        what,
                        expected: exp.into_string(),
                        actual: actual.into_string(),
                    });
                }
                actual
            }
            None => digest::sha256(&bytes),
        };
        let media_type = detect_media_type(&bytes, ct.as_deref());
        Ok(RawManifest::new(bytes, media_type, digest))
    }

    /// HEAD a manifest; None when it does not exist. Where the registry has no HEAD, one GET
    /// answers, and the manifest it read comes with the answer.
    pub async fn check_manifest(
        &self,
        repo: &Repository,
        reference: &ManifestRef,
        scopes: &[Scope],
    ) -> Result<Option<ManifestHead>, RegistryError> {
        let what = format!("check manifest {repo}{}{reference}", reference.sep());
        let req = Req::new(
            Method::HEAD,
            self.repo_url(repo, Resource::Manifest(reference))?,
            scopes.to_vec(),
            what.clone(),
        )
        .header(ACCEPT, media::ACCEPT);
        let resp = self.send(req).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        // No HEAD (405), or a HEAD answered 403 where 404 is meant (Artifactory): a GET says.
        if matches!(
            resp.status(),
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::FORBIDDEN
        ) {
            return match self.fetch_manifest(repo, reference, scopes).await {
                Ok(m) => Ok(Some(ManifestHead {
                    digest: Some(m.digest.clone()),
                    media_type: Some(m.media_type.clone()),
                    size: Some(m.bytes.len() as u64),
                    manifest: Some(m),
                })),
                Err(e) if e.kind() == super::Kind::NotFound => Ok(None),
                Err(e) => Err(e),
            };
        }
        if !resp.status().is_success() {
            return Err(self.error(resp, (&what, Operation::Other), scopes).await);
        }
        let h = |k: &str| {
            resp.headers()
                .get(k)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Ok(Some(ManifestHead {
            digest: h("docker-content-digest").and_then(|s| Digest::parse(&s).ok()),
            media_type: h("content-type")
                .map(|c| c.split(';').next().unwrap_or("").trim().to_string()),
            size: h("content-length").and_then(|s| s.parse().ok()),
            manifest: None,
        }))
    }

    /// PUT manifest bytes under a tag or digest; says what the registry reports.
    pub async fn put_manifest(
        &self,
        repo: &Repository,
        reference: &ManifestRef,
        manifest: &RawManifest,
        scopes: &[Scope],
    ) -> Result<Stored, RegistryError> {
        let what = format!("put manifest {repo}{}{reference}", reference.sep());
        let req = Req::new(
            Method::PUT,
            self.repo_url(repo, Resource::Manifest(reference))?,
            scopes.to_vec(),
            what,
        )
        .header(CONTENT_TYPE, &manifest.media_type)
        .body(Body::Bytes(manifest.bytes.clone()));
        let resp = self.send_ok(req).await?;
        let h = |k: &str| {
            resp.headers()
                .get(k)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Ok(Stored {
            digest: h("docker-content-digest")
                .and_then(|s| Digest::parse(&s).ok())
                .unwrap_or_else(|| manifest.digest.clone()),
            subject_tracked: h("oci-subject").is_some(),
        })
    }

    /// DELETE a manifest by digest or tag. By digest, an answer that was lost (a cut
    /// connection, a 5xx, or a 404 to an attempt after one of those) is checked, not assumed:
    /// a HEAD that finds the manifest gone means the delete went through.
    pub async fn delete_manifest(
        &self,
        repo: &Repository,
        reference: &ManifestRef,
        scopes: &[Scope],
    ) -> Result<(), RegistryError> {
        let what = format!("delete manifest {repo}{}{reference}", reference.sep());
        let budget = self.policy.budget();
        let req = Req::new(
            Method::DELETE,
            self.repo_url(repo, Resource::Manifest(reference))?,
            scopes.to_vec(),
            what.clone(),
        )
        .budget(budget.clone());
        let sent = crate::interrupt::Deletion::sent(format!(
            "{}/{repo}{}{reference}",
            self.name,
            reference.sep()
        ));
        let e = match self.send_ok(req).await {
            Ok(_) => {
                sent.answered();
                return Ok(());
            }
            Err(e) => e,
        };
        let retried = budget.of() - budget.left() > 1;
        if !matches!(reference, ManifestRef::Digest(_)) || !answer_lost(&e, retried) {
            if !answer_lost(&e, retried) {
                sent.refused();
            }
            return Err(e);
        }
        match self.check_manifest(repo, reference, scopes).await {
            Ok(None) => {
                sent.answered();
                let line = format!(
                    "the answer to {what} on {} was lost ({e}); checked: it is gone",
                    self.name
                );
                if !self.quiet.load(std::sync::atomic::Ordering::Relaxed) || self.debug {
                    crate::notice::note(&line);
                }
                Ok(())
            }
            // Still there, or the check failed too: the delete's own error stands.
            _ => Err(e),
        }
    }
}

/// Whether a failed DELETE may have been done with only its answer lost: the connection broke
/// or the server (or a proxy) failed; or, after such an attempt, the retry found nothing left.
fn answer_lost(e: &RegistryError, retried: bool) -> bool {
    match e {
        RegistryError::Connect { .. } => true,
        RegistryError::Api { status, .. } if *status >= 500 => true,
        _ => retried && e.kind() == super::Kind::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> RegistryError {
        RegistryError::status_for_test(Operation::Delete, status)
    }

    #[test]
    fn which_delete_failures_are_checked() {
        assert!(answer_lost(&api(500), false));
        assert!(answer_lost(&api(502), false));
        // A 404 to the first attempt: it was not there; to a retry: the first one did it.
        assert!(!answer_lost(&api(404), false));
        assert!(answer_lost(&api(404), true));
        // Refusals are answers, not lost ones.
        assert!(!answer_lost(&api(405), true));
        assert!(!answer_lost(&api(403), false));
    }
}
