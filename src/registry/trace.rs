//! What `--debug` and error messages may show of a request: URLs with signature-like query
//! values hidden, and the full cause chain of a transport error.

use url::Url;

/// The cause chain of a reqwest error, which alone says little ("error sending request").
pub(super) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s
}

/// A URL for traces: query values that may carry signatures or tokens are hidden.
pub fn redact_url(u: &Url) -> String {
    let mut u = u.clone();
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let lk = k.to_ascii_lowercase();
                let secret = [
                    "sig",
                    "token",
                    "credential",
                    "key",
                    "secret",
                    "password",
                    "state",
                ]
                .iter()
                .any(|s| lk.contains(s));
                (
                    k.into_owned(),
                    if secret {
                        "<redacted>".into()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    let _ = u.set_password(None);
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_query_secrets() {
        let u = Url::parse("https://s3.example/b?X-Amz-Signature=abc&X-Amz-Credential=k&part=1")
            .unwrap();
        let s = redact_url(&u);
        assert!(!s.contains("abc") && !s.contains("=k&"), "{s}");
        assert!(s.contains("part=1"));
    }
}
