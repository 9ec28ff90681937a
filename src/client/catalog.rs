//! The catalog and tag lists, followed page by page through `Link` headers: each page read
//! with a cap, a repeated or foreign `Link` ends the walk, and names outside the distribution
//! grammar are skipped with a warning (they would otherwise become URL paths). Registries as
//! they are (docs/registries.md): a page size over 1000 refused with 400 (ECR) is asked again
//! at 1000; a catalog answered with a Basic challenge on a Bearer registry (Harbor) is asked
//! again with Basic credentials (and, once that worked, with Basic from the start); and a catalog the registry does not serve to this account
//! (Docker Hub 401, GHCR 404) is told apart from a rejected login.

use crate::client::error::Operation;
use std::collections::HashSet;

use base64::Engine;
use reqwest::header::{LINK, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use url::Url;

use super::capabilities::Learnt;
use super::{Registry, RegistryError, Req, Resource, Scope};
use crate::oci::name::{Repository, Tag};
use crate::oci::reference::ReferenceError;

/// Upper bound on pages, so that a registry that keeps sending new `Link`s cannot keep us.
const MAX_PAGES: usize = 10_000;
/// Upper bound on one page's body (a tag list or catalog page).
const MAX_PAGE: usize = 16 << 20;
/// The largest page ECR accepts (quirks §3: `n` > 1000 is a 400 UNSUPPORTED).
const SAFE_PAGE: u64 = 1000;

impl Registry {
    /// Every repository in the catalog (names outside the grammar skipped with a warning).
    pub async fn catalog(&self) -> Result<Vec<Repository>, RegistryError> {
        let mut url = self.catalog_url();
        url.query_pairs_mut()
            .append_pair("n", &self.page_size.to_string());
        self.paginate(
            url,
            vec![Scope::catalog()],
            "list the catalog",
            "repositories",
            Repository::parse,
        )
        .await
    }

    /// Every tag of a repository (names outside the grammar skipped with a warning).
    pub async fn tags(&self, repo: &Repository) -> Result<Vec<Tag>, RegistryError> {
        let mut url = self.repo_url(repo, Resource::Tags)?;
        url.query_pairs_mut()
            .append_pair("n", &self.page_size.to_string());
        self.paginate(
            url,
            vec![Scope::pull(repo)],
            &format!("list tags of {repo}"),
            "tags",
            Tag::parse,
        )
        .await
    }

    /// Whether a failed catalog read means that the registry does not serve its catalog to
    /// this account (no catalog at all, or one reserved to others), rather than a rejected or
    /// missing login: 403, 404 or 405; or 401 although a token was issued for the request (a
    /// Bearer registry with credentials: a rejected password fails at the token service).
    pub async fn catalog_unavailable(&self, e: &RegistryError) -> bool {
        let RegistryError::Api { status, .. } = e else {
            return false;
        };
        match status {
            403..=405 => true,
            401 => {
                self.cred.is_some()
                    && matches!(self.challenge().await, Ok(Some(c)) if c.is_bearer())
            }
            _ => false,
        }
    }

    /// One page: sent with the client's authorization; a 401 whose challenge is Basic on a
    /// registry that asked for Bearer at the ping (Harbor's `_catalog`) is sent again with the
    /// Basic credentials; a 400 to a first page asked with `n` over 1000 is asked again with
    /// `n=1000` (`retry_small`).
    async fn page(
        &self,
        url: &mut Url,
        scopes: &[Scope],
        what: &str,
        retry_small: bool,
    ) -> Result<Response, RegistryError> {
        let resp = self.page_answer(url, scopes, what).await?;
        if resp.status() == StatusCode::BAD_REQUEST && retry_small && self.page_size > SAFE_PAGE {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .into_owned()
                .map(|(k, v)| {
                    let v = if k == "n" { SAFE_PAGE.to_string() } else { v };
                    (k, v)
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(pairs);
            return Box::pin(self.page(url, scopes, what, false)).await;
        }
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(self.error(resp, (what, Operation::Other), scopes).await)
        }
    }

    /// A page's answer. A 401 whose challenge is Basic on a registry that asked for Bearer
    /// at the ping (Harbor's `_catalog`) is asked again with the Basic credentials; when that
    /// works, the registry's capabilities remember it and later pages go with Basic at once.
    async fn page_answer(
        &self,
        url: &Url,
        scopes: &[Scope],
        what: &str,
    ) -> Result<Response, RegistryError> {
        let basic = self.basic_value();
        let catalog = url.path() == self.catalog_url().path();
        if let (true, Learnt::Yes, Some(b)) = (catalog, self.caps.catalog_basic(), &basic) {
            return self.with_basic(url, b, what).await;
        }
        let resp = self
            .send(Req::new(Method::GET, url.clone(), scopes.to_vec(), what))
            .await?;
        if resp.status() != StatusCode::UNAUTHORIZED || !basic_challenge(&resp) {
            return Ok(resp);
        }
        match basic {
            Some(b) if matches!(self.challenge().await, Ok(Some(c)) if c.is_bearer()) => {
                let resp = self.with_basic(url, &b, what).await?;
                if catalog {
                    self.caps.set_catalog_basic(resp.status().is_success());
                }
                Ok(resp)
            }
            _ => Ok(resp),
        }
    }

    /// One GET with Basic credentials.
    async fn with_basic(
        &self,
        url: &Url,
        basic: &str,
        what: &str,
    ) -> Result<Response, RegistryError> {
        self.raw_send(
            Method::GET,
            url.clone(),
            Some(basic),
            Default::default(),
            super::registry::Body::Empty,
            what,
        )
        .await
    }

    /// `Basic base64(user:password)` of the client's credentials, if any.
    fn basic_value(&self) -> Option<String> {
        self.cred.as_ref().map(|c| {
            let raw = format!("{}:{}", c.username, c.password);
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        })
    }

    /// Every page's names under `field`, each parsed by `parse`: a name it refuses is skipped
    /// with a warning.
    async fn paginate<T>(
        &self,
        mut url: Url,
        scopes: Vec<Scope>,
        what: &str,
        field: &str,
        parse: fn(&str) -> Result<T, ReferenceError>,
    ) -> Result<Vec<T>, RegistryError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut names: HashSet<String> = HashSet::new();
        seen.insert(url.clone());
        for page in 0..MAX_PAGES {
            let mut resp = self.page(&mut url, &scopes, what, page == 0).await?;
            let next = next_of(&resp);
            let bytes = self.read_limited(&mut resp, MAX_PAGE, what).await?;
            let body: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| RegistryError::Protocol {
                    what: what.to_string(),
                    host: self.name.clone(),
                    message: format!("unreadable answer: {e}"),
                })?;
            let items = body
                .get(field)
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default();
            let mut fresh = 0;
            for name in items.iter().filter_map(|v| v.as_str()) {
                // A registry that ignores `last` answers a page again: each name once.
                if !names.insert(name.to_string()) {
                    continue;
                }
                fresh += 1;
                // Artifactory lists digests among the tags (quirks §10): not tags, no warning.
                if field == "tags" && crate::oci::reference::validate_digest(name).is_ok() {
                    continue;
                }
                match parse(name) {
                    Ok(v) => out.push(v),
                    Err(e) => {
                        crate::notice::warning(&format!("{what} on {}: skipped: {e}", self.name))
                    }
                }
            }
            let Some(n) = next.filter(|_| !items.is_empty()) else {
                return Ok(out);
            };
            if fresh == 0 {
                crate::notice::warning(&format!(
                    "{what} on {}: the registry answered a page it had sent already (it ignores `last`); the list stops there and may be incomplete",
                    self.name
                ));
                return Ok(out);
            }
            let Some(n) = self.next_page(&n, &mut seen, what)? else {
                return Ok(out);
            };
            url = n;
        }
        Ok(out)
    }

    /// The URL of a next page (`link`, from [`next_of`]): on the registry's own host (else an
    /// error), and None when `seen` holds it already (the Link repeats a page: stop there).
    /// The URL is added to `seen`.
    pub(super) fn next_page(
        &self,
        link: &str,
        seen: &mut HashSet<Url>,
        what: &str,
    ) -> Result<Option<Url>, RegistryError> {
        let n = self.resolve(link)?;
        if !self.same_origin(&n) {
            return Err(RegistryError::Protocol {
                what: what.to_string(),
                host: self.name.clone(),
                message: "the next page's Link points at another host".into(),
            });
        }
        if !seen.insert(n.clone()) {
            if self.debug {
                crate::notice::status(&format!(
                    "{what}: the Link header repeats a page; stopping there"
                ));
            }
            return Ok(None);
        }
        Ok(Some(n))
    }
}

/// Whether a 401 challenges for Basic only (no Bearer beside it).
fn basic_challenge(resp: &Response) -> bool {
    let found: Vec<_> = resp
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(super::transport::auth::parse_challenges)
        .collect();
    !found.is_empty() && found.iter().all(|c| c.is_basic())
}

/// The `rel="next"` target of an answer's Link fields (every field: a registry may send
/// `first` and `next` as two).
pub(super) fn next_of(resp: &Response) -> Option<String> {
    resp.headers()
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(next_link)
}

/// The target of `rel="next"` in a Link header: `</v2/_catalog?last=b&n=2>; rel="next"`.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        // RFC 8288: the parameter name and relation types are case-insensitive, and `rel` may
        // hold several space-separated types.
        params
            .split(';')
            .filter_map(|p| p.split_once('='))
            .filter(|(k, _)| k.trim().eq_ignore_ascii_case("rel"))
            .any(|(_, v)| {
                v.trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("next"))
            })
            .then(|| target.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_link() {
        assert_eq!(
            next_link(r#"</v2/_catalog?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/_catalog?last=b&n=2")
        );
        assert_eq!(next_link(r#"<https://h/x>; rel="prev""#), None);
        assert_eq!(
            next_link(r#"<a>; rel="prev", <b>;rel=next"#).as_deref(),
            Some("b")
        );
        assert_eq!(next_link(r#"<c>; REL="NEXT""#).as_deref(), Some("c"));
        assert_eq!(next_link(r#"<d>; rel="prev next""#).as_deref(), Some("d"));
        assert_eq!(next_link(r#"<e>; rel="nextish""#), None);
    }
}
