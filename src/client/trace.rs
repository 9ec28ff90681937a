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

/// A URL for traces and messages: scheme, host, port and path, and the names of its query
/// parameters but never their values (a signed blob URL carries its signature there, under
/// names no list can foresee: `X-Amz-Signature`, `sig`, `verify`, `hdnts`, …).
pub fn redact_url(u: &Url) -> String {
    let mut s = format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default());
    if let Some(p) = u.port() {
        s.push_str(&format!(":{p}"));
    }
    s.push_str(u.path());
    if u.query().is_some() {
        let names: Vec<String> = u.query_pairs().map(|(k, _)| k.into_owned()).collect();
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for n in &names {
            q.append_key_only(n);
        }
        s.push('?');
        s.push_str(&q.finish());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_query_values() {
        let u = Url::parse(
            "https://u:pw@s3.example:8443/b/c?X-Amz-Signature=abc&verify=v1&hdnts=h2&sig=q3sig=s3&Authorization=a4Authorization=a4&token=t5&auth=a6&part=1",
        )
        .unwrap();
        let s = redact_url(&u);
        for secret in ["abc", "v1", "h2", "q3", "a4", "t5", "a6", "=1", "pw", "u:"] {
            assert!(!s.contains(secret), "{secret} in {s}");
        }
        assert_eq!(
            s,
            "https://s3.example:8443/b/c?X-Amz-Signature&verify&hdnts&sig&Authorization&token&auth&part"
        );
    }
}
