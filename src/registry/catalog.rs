//! The catalog and tag lists, followed page by page through `Link` headers: each page read
//! with a cap, a repeated or foreign `Link` ends the walk, and names outside the distribution
//! grammar are skipped with a warning (they would otherwise become URL paths).

use std::collections::HashSet;

use reqwest::header::LINK;
use reqwest::Method;
use url::Url;

use super::{Registry, RegistryError, Req, Resource, Scope};
use crate::reference::{validate_repository, validate_tag, ReferenceError};

/// Upper bound on pages, so that a registry that keeps sending new `Link`s cannot keep us.
const MAX_PAGES: usize = 10_000;
/// Upper bound on one page's body (a tag list or catalog page).
const MAX_PAGE: usize = 16 << 20;

impl Registry {
    /// Every repository in the catalog.
    pub async fn catalog(&self) -> Result<Vec<String>, RegistryError> {
        let mut url = self.catalog_url();
        url.query_pairs_mut()
            .append_pair("n", &self.page_size.to_string());
        self.paginate(
            url,
            vec![Scope::catalog()],
            "list the catalog",
            "repositories",
            validate_repository,
        )
        .await
    }

    /// Every tag of a repository.
    pub async fn tags(&self, repo: &str) -> Result<Vec<String>, RegistryError> {
        let mut url = self.repo_url(repo, Resource::Tags)?;
        url.query_pairs_mut()
            .append_pair("n", &self.page_size.to_string());
        self.paginate(
            url,
            vec![Scope::pull(repo)],
            &format!("list tags of {repo}"),
            "tags",
            validate_tag,
        )
        .await
    }

    async fn paginate(
        &self,
        mut url: Url,
        scopes: Vec<Scope>,
        what: &str,
        field: &str,
        valid: fn(&str) -> Result<(), ReferenceError>,
    ) -> Result<Vec<String>, RegistryError> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for _ in 0..MAX_PAGES {
            seen.insert(url.clone());
            let mut resp = self
                .send_ok(Req::new(Method::GET, url.clone(), scopes.clone(), what))
                .await?;
            let next = resp
                .headers()
                .get(LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
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
            for name in items.iter().filter_map(|v| v.as_str()) {
                match valid(name) {
                    Ok(()) => out.push(name.to_string()),
                    Err(e) => {
                        crate::notice::warning(&format!("{what} on {}: skipped: {e}", self.name))
                    }
                }
            }
            let Some(n) = next.filter(|_| !items.is_empty()) else {
                return Ok(out);
            };
            let n = self.resolve(&n)?;
            if !self.same_origin(&n) {
                return Err(RegistryError::Protocol {
                    what: what.to_string(),
                    host: self.name.clone(),
                    message: "the next page's Link points at another host".into(),
                });
            }
            if seen.contains(&n) {
                if self.debug {
                    crate::notice::status(&format!(
                        "{what}: the Link header repeats a page; stopping there"
                    ));
                }
                return Ok(out);
            }
            url = n;
        }
        Ok(out)
    }
}

/// The target of `rel="next"` in a Link header: `</v2/_catalog?last=b&n=2>; rel="next"`.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
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
    }
}
