//! What the user can do about an error: the `hint:` line, in the CLI's words (commands, flags,
//! variables), chosen by the error's type and fields; registry errors by family (connection,
//! push and delete answers, credentials, kind), one function each.

use super::{registry_error, UsageError};
use crate::client::cause::Cause;
use crate::client::{Code, Kind, Operation, RegistryError, TlsFailure};
use crate::oci::reference::ReferenceError;

/// The hint for an error, from the first cause that has one.
pub fn hint_for(e: &anyhow::Error) -> Option<String> {
    e.chain().find_map(|c| {
        if let Some(u) = c.downcast_ref::<UsageError>() {
            return u.hint.clone();
        }
        if let Some(r) = registry_error(c) {
            return registry_hint(r);
        }
        if let Some(crate::engine::TransferError::MissingChild { .. }) =
            c.downcast_ref::<crate::engine::TransferError>()
        {
            return Some(
                "the registry lost a platform of this index: push the image again, or pull another platform with --platform".into(),
            );
        }
        if let Some(e) = c.downcast_ref::<crate::app::index::IndexError>() {
            return e.hint();
        }
        if let Some(crate::engine::TransferError::DestinationDigest { .. }) =
            c.downcast_ref::<crate::engine::TransferError>()
        {
            return Some(
                "name the destination by the digest of what is pushed, or by a tag".into(),
            );
        }
        if let Some(h) = c.downcast_ref::<crate::app::removal::HeldByIndex>() {
            let repo = h.image.split('@').next().unwrap_or(&h.image);
            return Some(format!(
                "delete the index first (cr image-rm {repo}:{}), or add --force to break it",
                h.tags.first().map(String::as_str).unwrap_or("TAG")
            ));
        }
        if c.downcast_ref::<ReferenceError>().is_some() {
            return Some(
                "image names are [HOST[:PORT]/]NAMESPACE/REPO[:TAG][@sha256:DIGEST], lowercase"
                    .into(),
            );
        }
        None
    })
}

/// What the user can do about a registry error: the CLI's words (commands, flags, variables).
/// Each family in turn, in this order: a deletion refused while tagged, the connection, an
/// API answer to a push or delete, the credentials, then the kind of error.
fn registry_hint(e: &RegistryError) -> Option<String> {
    let host = match host_of(e) {
        Ok(host) => host,
        Err(hint) => return Some(hint.into()),
    };
    if let RegistryError::UntaggedKept { .. } = e {
        return Some(format!("{host} deletes a manifest by digest only while a tag points at it (Quay): delete it through the registry's own API or UI, or let its garbage collection take it"));
    }
    if let RegistryError::RefusedRealm {
        realm_host,
        plain_http,
        ..
    } = e
    {
        return Some(if *plain_http {
            format!("the registry's token realm should be https; if plain HTTP to {realm_host} is intended (a test setup), list it with --insecure-registry {realm_host} (or CR_INSECURE_REGISTRIES)")
        } else {
            format!("the registry's token realm should be an https URL: tell the administrator of {host}")
        });
    }
    if let RegistryError::Storage { storage, .. } = e {
        return Some(format!("your credentials are not at fault: {host} sent cr to {storage}, which cr never sends them to, and it refused the URL (a signed URL that expired, or storage the registry is not set up to use): try again, and if it persists tell the administrator of {host}"));
    }
    connection_hint(e, host)
        .or_else(|| write_hint(e, host))
        .or_else(|| auth_hint(e, host))
        .or_else(|| kind_hint(e, host))
}

/// The host an error is about; the errors that are about no host have their hint instead.
fn host_of(e: &RegistryError) -> Result<&str, &'static str> {
    match e {
        RegistryError::Api { host, .. }
        | RegistryError::Connect { host, .. }
        | RegistryError::Tls { host, .. }
        | RegistryError::Token { host, .. }
        | RegistryError::Protocol { host, .. }
        | RegistryError::HttpsOnly { host, .. }
        | RegistryError::UntaggedKept { host, .. }
        | RegistryError::Storage { host, .. }
        | RegistryError::RefusedRealm { host, .. } => Ok(host.as_str()),
        RegistryError::Invalid { .. } => Err(
            "a registry or archive supplied a name outside the distribution grammar; nothing was sent for it",
        ),
        RegistryError::DigestMismatch { .. } => Err(
            "the registry's copy may be corrupt, or a proxy altered it; nothing was kept",
        ),
    }
}

/// TLS, plain HTTP, DNS, a refused connection.
fn connection_hint(e: &RegistryError, host: &str) -> Option<String> {
    Some(match e {
        RegistryError::HttpsOnly { listed: true, .. } => {
            format!("{host} speaks HTTPS: remove it from --insecure-registry, CR_INSECURE_REGISTRIES and insecure_registries in config.toml (a listed host always gets plain HTTP)")
        }
        RegistryError::HttpsOnly { certs_d, .. } => format!(
            "give its CA with --ca-cert FILE{}; --tls-verify=false skips verification, for tests only",
            or_in(certs_d.as_deref(), "ca.crt")
        ),
        RegistryError::Tls { why, certs_d, .. } => tls_hint(*why, host, certs_d.as_deref()),
        RegistryError::Connect {
            cause: Cause::Tls(why),
            ..
        } => tls_hint(*why, host, None),
        RegistryError::Connect {
            cause: Cause::PlainHttp,
            ..
        } => format!(
            "{host} answers in plain HTTP, not TLS: for a registry without TLS use --insecure-registry {host}"
        ),
        RegistryError::Connect {
            cause: Cause::Dns, ..
        } => format!("the host name {host} does not resolve: check its spelling"),
        // ECR may cut the connection, with no answer, on an upload to a repository that does
        // not exist (instead of its 404 NAME_UNKNOWN): registry-quirks.md, ECR.
        RegistryError::Connect {
            cause: Cause::Other,
            op: Operation::Push,
            ..
        } if is_ecr(host) => format!(
            "{host} (Amazon ECR) closes the connection on a push to a repository that does not exist: create it first (`aws ecr create-repository --repository-name REPO`) or set up create-on-push with a repository creation template; if it exists, try again"
        ),
        RegistryError::Connect { .. } => {
            if crate::oci::reference::is_loopback(host) || host == "docker.io" {
                format!("check the host name and port and that the registry at {host} is running")
            } else {
                format!(
                    "check the host name and port and that the registry is running; for a registry without TLS use --insecure-registry {host}"
                )
            }
        }
        _ => return None,
    })
}

/// An Amazon ECR private registry: `ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]`.
fn is_ecr(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    (name.ends_with(".amazonaws.com") || name.ends_with(".amazonaws.com.cn"))
        && (name.contains(".dkr.ecr.") || name.contains(".dkr.ecr-fips."))
}

/// A certificate the handshake refused, and what to do about it: for an untrusted issuer,
/// give the CA (`--ca-cert`, or the certs.d directory cr reads for this host, if it reads
/// one); for a wrong name or an expired certificate, use a name it covers or renew it (no CA
/// helps); for a client certificate asked for or refused, give one.
fn tls_hint(why: TlsFailure, host: &str, certs_d: Option<&std::path::Path>) -> String {
    const SKIP: &str = "--tls-verify=false skips verification, for tests only";
    match why {
        TlsFailure::Untrusted => format!(
            "{host}: its certificate is signed by a CA cr does not trust: give that CA with --ca-cert FILE{}; {SKIP}",
            or_in(certs_d, "ca.crt")
        ),
        TlsFailure::CaAsServer => format!(
            "{host}: its certificate is a CA certificate used as a server certificate: if it is self-signed and yours, give it as its own CA with --ca-cert FILE{}; else have the server use a server certificate; {SKIP}",
            or_in(certs_d, "ca.crt")
        ),
        TlsFailure::WrongName => format!(
            "{host}: its certificate is not for this host name: reach it by a name the certificate covers (the error lists them), or have the certificate reissued for {host}; {SKIP}"
        ),
        TlsFailure::Expired => format!(
            "{host}: its certificate has expired (or is not valid yet): renew it on the server (or check this machine's clock); {SKIP}"
        ),
        TlsFailure::Refused => format!(
            "{host}: its certificate was refused (the error says why; a certificate for clients only, or one that does not parse): have the server use a valid TLS server certificate for {host}; {SKIP}"
        ),
        TlsFailure::ClientCertificate => format!(
            "{host}: it asks for a client certificate, or refused the one sent: give one it accepts with --client-cert FILE --client-key FILE{}",
            match certs_d {
                Some(d) => format!(" (or client.cert + client.key in {})", d.display()),
                None => String::new(),
            }
        ),
    }
}

/// " or in DIR/HOST/FILE", for a host whose certs.d directory cr reads.
fn or_in(certs_d: Option<&std::path::Path>, file: &str) -> String {
    certs_d
        .map(|d| format!(" or in {}", d.join(file).display()))
        .unwrap_or_default()
}

/// A registry's API answer to a push or a delete that needs the registry's own ways.
fn write_hint(e: &RegistryError, host: &str) -> Option<String> {
    let RegistryError::Api { status, .. } = e else {
        return None;
    };
    Some(match (e.operation(), e.kind()) {
        // A push into a repository (or Harbor project, IBM namespace) that must exist first.
        (Operation::Push, Kind::NotFound) if e.has_code(Code::NameUnknown) => {
            format!("the repository does not exist on {host}, and this registry does not create it on push: create it first (ECR: `aws ecr create-repository --repository-name REPO`; Harbor: create the project; IBM Cloud: `ibmcloud cr namespace-add NAMESPACE`; GitLab: create the project)")
        }
        // Registries that delete only through their own API (GHCR: GitHub's packages API).
        (Operation::Delete, Kind::Unsupported) => {
            format!("{host} does not delete manifests through the registry API (deletion disabled, or a registry with its own deletion route: for ghcr.io, GitHub's packages API — `gh api -X DELETE /user/packages/container/NAME/versions/ID` — or the package's settings page)")
        }
        // An OCI-only registry (zot without the docker2s2 compat) refusing a Docker manifest.
        (Operation::Push, _) if *status == 415 => {
            format!("{host} refused the manifest's media type: it accepts OCI manifests only and this image is in Docker format; convert it with `--format oci` on copy or push (the digest changes), or enable Docker media types on the registry (zot: \"compat\": [\"docker2s2\"])")
        }
        _ => return None,
    })
}

/// Credentials missing, rejected, or without the access asked for.
fn auth_hint(e: &RegistryError, host: &str) -> Option<String> {
    let account = match e {
        RegistryError::Api { account, .. } => account.as_deref().cloned(),
        RegistryError::Token { account, .. } => Some(account.as_ref().clone()),
        _ => None,
    }
    .unwrap_or_else(crate::client::Account::anonymous);
    Some(match (e, e.kind()) {
        (RegistryError::Token { .. }, _) | (_, Kind::Unauthorized) => {
            if account.is_anonymous() {
                format!("no credentials were found for {host} (if the repository exists: registries answer 401 also for one that does not): run `cr login {host}` (CR_APIKEY / CR_USERNAME and CR_PASSWORD apply only to the target registry and hosts listed in CR_CREDENTIAL_HOSTS)")
            } else if account.from_environment() {
                format!("{host} rejected {account} (wrong or expired): check those variables, or unset them to use the login stored for {host}")
            } else {
                format!("{host} rejected {account} (wrong or expired): log in again with `cr login {host}`")
            }
        }
        // Registries answer 401 (insufficient_scope) or 403 for a repository that does not
        // exist as for one the account may not use: both are said, never "wrong password".
        (RegistryError::Api { scope, .. }, Kind::Denied) => format!(
            "{host} accepted {account}, but the repository was not found or it does not allow {} (registries answer 401/403 for both): check the name{}; ask the registry's administrator for access, or log in as another user with `cr login {host}`",
            scope.as_deref().map(|s| format!("`{s}`")).unwrap_or_else(|| "this".into()),
            if e.operation() == Operation::Push {
                " (a Harbor project or an IBM Cloud namespace must exist before a push: `ibmcloud cr namespace-add NAMESPACE`)"
            } else {
                ""
            }
        ),
        _ => return None,
    })
}

/// What is left: not found, not supported, a request too large.
fn kind_hint(e: &RegistryError, host: &str) -> Option<String> {
    Some(match (e, e.kind()) {
        (_, Kind::NotFound) => {
            "check the repository and tag: `cr image-list --restrict NAMESPACE` lists what is there".into()
        }
        (_, Kind::Unsupported) => "the registry does not support this operation".into(),
        (RegistryError::Api { status: 413, .. }, _) => format!(
            "{host}, or a proxy in front of it, limits the size of a request (blob uploads fall back to PATCHes of down to 1 MiB, or CR_UPLOAD_CHUNK_MIB); raise the limit (nginx: client_max_body_size)"
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_answers_in_turn() {
        use Operation::{Delete, Other, Push};
        let hint = |op, status| registry_hint(&RegistryError::status_for_test(op, status));
        let has = |op, status, part: &str| {
            let h = hint(op, status).unwrap_or_default();
            assert!(h.contains(part), "{op:?} {status}: {h}");
        };
        // A push or delete answer comes before the credentials and the bare kind.
        has(
            Delete,
            405,
            "does not delete manifests through the registry API",
        );
        has(Push, 415, "it accepts OCI manifests only");
        has(Push, 403, "must exist before a push");
        has(Other, 401, "no credentials were found for h");
        has(
            Other,
            403,
            "accepted the anonymous user, but the repository",
        );
        has(Other, 404, "check the repository and tag");
        has(Other, 405, "the registry does not support this operation");
        has(Push, 413, "limits the size of a request");
        // A cut connection: on ECR during a push, the repository may be missing.
        let cut = |host: &str, op| {
            registry_hint(&RegistryError::Connect {
                what: "start upload to ns/app".into(),
                host: host.into(),
                message: "connection reset by peer".into(),
                cause: Cause::Other,
                op,
            })
            .unwrap()
        };
        let ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
        assert!(cut(ecr, Push).contains("aws ecr create-repository"));
        assert!(!cut(ecr, Other).contains("create-repository"));
        assert!(!cut("registry.example.com", Push).contains("create-repository"));
        assert!(!cut("dkr.ecr.evil.example", Push).contains("create-repository"));
        assert_eq!(hint(Other, 500), None);
        // cr's own refusal of a plain-HTTP realm: the way to allow it, not a rejected login.
        let realm = registry_hint(&RegistryError::RefusedRealm {
            host: "h".into(),
            realm: "http://auth.example/token".into(),
            realm_host: "auth.example".into(),
            plain_http: true,
        })
        .unwrap();
        assert!(
            realm.contains("--insecure-registry auth.example"),
            "{realm}"
        );
        assert!(
            !realm.contains("rejected") && !realm.contains("cr login"),
            "{realm}"
        );
        // A redirect target's refusal is no verdict on the credentials.
        let storage = registry_hint(&RegistryError::Storage {
            what: "get blob".into(),
            host: "h".into(),
            storage: "s3.example".into(),
            status: 401,
            errors: vec![],
            op: Other,
        })
        .unwrap();
        assert!(storage.contains("not at fault") && storage.contains("s3.example"));
        assert!(!storage.contains("rejected") && !storage.contains("cr login"));
    }
}
