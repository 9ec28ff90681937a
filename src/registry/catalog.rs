//! The catalog and tag lists, followed page by page through `Link` headers.

use reqwest::header::LINK;
use reqwest::Method;
use url::Url;

use super::{Registry, RegistryError, Req, Scope};

/// Upper bound on pages, so a looping `Link` cannot keep us forever.
const MAX_PAGES: usize = 100_000;

impl Registry {
    /// Every repository in the catalog.
    pub async fn catalog(&self) -> Result<Vec<String>, RegistryError> {
        let url = self.url(&format!("_catalog?n={}", page_size()));
        self.paginate(
            url,
            vec![Scope::catalog()],
            "list the catalog",
            "repositories",
        )
        .await
    }

    /// Every tag of a repository.
    pub async fn tags(&self, repo: &str) -> Result<Vec<String>, RegistryError> {
        let url = self.url(&format!("{repo}/tags/list?n={}", page_size()));
        self.paginate(
            url,
            vec![Scope::pull(repo)],
            &format!("list tags of {repo}"),
            "tags",
        )
        .await
    }

    async fn paginate(
        &self,
        mut url: Url,
        scopes: Vec<Scope>,
        what: &str,
        field: &str,
    ) -> Result<Vec<String>, RegistryError> {
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let resp = self
                .send_ok(Req::new(Method::GET, url.clone(), scopes.clone(), what))
                .await?;
            let next = resp
                .headers()
                .get(LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
            let body: serde_json::Value =
                resp.json().await.map_err(|e| RegistryError::Protocol {
                    what: what.to_string(),
                    host: self.name.clone(),
                    message: format!("unreadable answer: {e}"),
                })?;
            let items = body
                .get(field)
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default();
            let before = out.len();
            out.extend(
                items
                    .into_iter()
                    .filter_map(|v| v.as_str().map(str::to_string)),
            );
            match next {
                Some(n) if out.len() > before => url = self.resolve(&n)?,
                _ => return Ok(out),
            }
        }
        Ok(out)
    }
}

/// Entries asked per page (`CR_PAGE_SIZE`, default 1000).
fn page_size() -> u64 {
    match super::client::env_u64("CR_PAGE_SIZE", 1000) {
        0 => 1000,
        n => n,
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
