//! Exit codes and error printing: `error:` with the top message, `caused by:` for each cause,
//! `hint:` with what to do. Codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 authentication or
//! authorization, 5 partial failure of a multi-image command, 130 interrupted.

use crate::client::cause::Cause;
use crate::client::{Code, Kind, Operation, RegistryError, TlsFailure};
use crate::local::LocalError;
use crate::oci::reference::ReferenceError;

pub const FAILURE: u8 = 1;
pub const USAGE: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const AUTH: u8 = 4;
pub const PARTIAL: u8 = 5;
pub const INTERRUPTED: u8 = 130;

/// Bad input found before any request: exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    pub message: String,
    pub hint: Option<String>,
}

pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    UsageError {
        message: message.into(),
        hint: Some(hint.into()),
    }
    .into()
}

/// Bad input as a usage error (exit 2).
pub fn usage_of(b: crate::app::edit::BadInput) -> anyhow::Error {
    UsageError {
        message: b.message,
        hint: Some(b.hint),
    }
    .into()
}

/// A failure caused by bad input (a name, a value, a layer path) as a usage error (exit 2);
/// others as they are.
pub fn bad_input(e: anyhow::Error) -> anyhow::Error {
    let e = match e.downcast::<crate::app::edit::BadInput>() {
        Ok(b) => return usage_of(b),
        Err(e) => e,
    };
    use crate::app::layer::LayerError;
    match e.downcast_ref::<LayerError>() {
        Some(
            l @ (LayerError::Missing { .. }
            | LayerError::NotTar { .. }
            | LayerError::UnsafeEntry { .. }),
        ) => UsageError {
            message: l.to_string(),
            hint: Some(
                "a layer is a directory, a tar or a .tar.gz whose entries stay below its root"
                    .into(),
            ),
        }
        .into(),
        _ => e,
    }
}

/// A multi-image command where some images failed (each was already reported).
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} images failed")]
pub struct Partial {
    pub failed: usize,
    pub total: usize,
    pub code: u8,
}

/// The registry error behind a cause, also when the transfer engine wraps it.
fn registry_error<'a>(c: &'a (dyn std::error::Error + 'static)) -> Option<&'a RegistryError> {
    if let Some(r) = c.downcast_ref::<RegistryError>() {
        return Some(r);
    }
    match c.downcast_ref::<crate::engine::TransferError>() {
        Some(
            crate::engine::TransferError::Registry(r)
            | crate::engine::TransferError::TopManifest(r)
            | crate::engine::TransferError::Fallback(r),
        ) => Some(r),
        _ => None,
    }
}

/// The local-image error behind a cause, also when the transfer engine wraps it.
fn local_error<'a>(c: &'a (dyn std::error::Error + 'static)) -> Option<&'a LocalError> {
    if let Some(l) = c.downcast_ref::<LocalError>() {
        return Some(l);
    }
    match c.downcast_ref::<crate::engine::TransferError>() {
        Some(crate::engine::TransferError::Local(l)) => Some(l),
        _ => None,
    }
}

/// The exit code for an error: the most specific cause decides.
pub fn code_for(e: &anyhow::Error) -> u8 {
    for c in e.chain() {
        if let Some(p) = c.downcast_ref::<Partial>() {
            return p.code;
        }
        if c.downcast_ref::<crate::app::NotFound>().is_some() {
            return NOT_FOUND;
        }
        if let Some(
            crate::engine::TransferError::NoPlatform { .. }
            | crate::engine::TransferError::MissingChild { .. },
        ) = c.downcast_ref::<crate::engine::TransferError>()
        {
            return NOT_FOUND;
        }
        if let Some(e) = c.downcast_ref::<crate::app::index::IndexError>() {
            return if e.is_not_found() { NOT_FOUND } else { USAGE };
        }
        if let Some(crate::engine::TransferError::DestinationDigest { .. }) =
            c.downcast_ref::<crate::engine::TransferError>()
        {
            return USAGE;
        }
        if c.downcast_ref::<UsageError>().is_some() || c.downcast_ref::<ReferenceError>().is_some()
        {
            return USAGE;
        }
        if c.downcast_ref::<crate::oci::platform::PlatformError>()
            .is_some()
        {
            return USAGE;
        }
        // A bad --registry / CR_REGISTRY host is bad input too.
        if let Some(
            crate::config::ConfigError::Host(_)
            | crate::config::ConfigError::Env { .. }
            | crate::config::ConfigError::UnknownRegion { .. },
        ) = c.downcast_ref::<crate::config::ConfigError>()
        {
            return USAGE;
        }
        if let Some(l) = local_error(c) {
            match l {
                LocalError::Ambiguous { .. } | LocalError::Usage(_) => return USAGE,
                LocalError::Missing { .. } => return NOT_FOUND,
                LocalError::Interrupted { .. } => return INTERRUPTED,
                _ => {}
            }
        }
        if let Some(r) = registry_error(c) {
            return match r.kind() {
                Kind::NotFound => NOT_FOUND,
                Kind::Unauthorized | Kind::Denied => AUTH,
                _ => FAILURE,
            };
        }
    }
    FAILURE
}

/// What the user can do about a registry error: the CLI's words (commands, flags, variables).
fn registry_hint(e: &RegistryError) -> Option<String> {
    let host =
        match e {
            RegistryError::Api { host, .. }
            | RegistryError::Connect { host, .. }
            | RegistryError::Tls { host, .. }
            | RegistryError::Token { host, .. }
            | RegistryError::Protocol { host, .. }
            | RegistryError::HttpsOnly { host, .. }
            | RegistryError::UntaggedKept { host, .. } => host.as_str(),
            RegistryError::Invalid { .. } => return Some(
                "a registry or archive supplied a name outside the distribution grammar; nothing was sent for it".into(),
            ),
            RegistryError::DigestMismatch { .. } => return Some(
                "the registry's copy may be corrupt, or a proxy altered it; nothing was kept"
                    .into(),
            ),
        };
    let account = match e {
        RegistryError::Api { account, .. } => account.as_deref().cloned(),
        RegistryError::Token { account, .. } => Some(account.as_ref().clone()),
        _ => None,
    }
    .unwrap_or_else(crate::client::Account::anonymous);
    Some(match (e, e.kind()) {
        (RegistryError::UntaggedKept { .. }, _) => {
            format!("{host} deletes a manifest by digest only while a tag points at it (Quay): delete it through the registry's own API or UI, or let its garbage collection take it")
        }
        (RegistryError::HttpsOnly { .. }, _) => {
            format!("give its CA with --ca-cert FILE (or /etc/docker/certs.d/{host}/ca.crt); --tls-verify=false skips verification, for tests only")
        }
        (RegistryError::Tls { why, .. }, _)
        | (
            RegistryError::Connect {
                cause: Cause::Tls(why),
                ..
            },
            _,
        ) => {
            let why = match why {
                TlsFailure::Untrusted => "its certificate is signed by a CA cr does not trust",
                TlsFailure::WrongName => "its certificate is not for this host name",
                TlsFailure::Expired => "its certificate has expired (or is not valid yet)",
                TlsFailure::CaAsServer => {
                    "its certificate is a CA certificate used as a server certificate"
                }
                TlsFailure::ClientCertificate => "it asks for a client certificate",
            };
            format!("{host}: {why}; give its CA with --ca-cert FILE or in /etc/docker/certs.d/{host}/ca.crt, a client certificate with --client-cert/--client-key (or certs.d client.cert + client.key); --tls-verify=false skips verification, for tests only")
        }
        (
            RegistryError::Connect {
                cause: Cause::PlainHttp,
                ..
            },
            _,
        ) => format!(
            "{host} answers in plain HTTP, not TLS: for a registry without TLS use --insecure-registry {host}"
        ),
        (
            RegistryError::Connect {
                cause: Cause::Dns, ..
            },
            _,
        ) => format!("the host name {host} does not resolve: check its spelling"),
        (RegistryError::Connect { .. }, _) => {
            if crate::oci::reference::is_loopback(host) || host == "docker.io" {
                format!("check the host name and port and that the registry at {host} is running")
            } else {
                format!(
                    "check the host name and port and that the registry is running; for a registry without TLS use --insecure-registry {host}"
                )
            }
        }
        // A push into a repository (or Harbor project, IBM namespace) that must exist first.
        (RegistryError::Api { .. }, Kind::NotFound)
            if e.operation() == Operation::Push && e.has_code(Code::NameUnknown) =>
        {
            format!("the repository does not exist on {host}, and this registry does not create it on push: create it first (ECR: `aws ecr create-repository --repository-name REPO`; Harbor: create the project; IBM Cloud: `ibmcloud cr namespace-add NAMESPACE`; GitLab: create the project)")
        }
        // Registries that delete only through their own API (GHCR: GitHub's packages API).
        (RegistryError::Api { .. }, Kind::Unsupported) if e.operation() == Operation::Delete => {
            format!("{host} does not delete manifests through the registry API (deletion disabled, or a registry with its own deletion route: for ghcr.io, GitHub's packages API — `gh api -X DELETE /user/packages/container/NAME/versions/ID` — or the package's settings page)")
        }
        // An OCI-only registry (zot without the docker2s2 compat) refusing a Docker manifest.
        (RegistryError::Api { status: 415, .. }, _) if e.operation() == Operation::Push =>
        {
            format!("{host} refused the manifest's media type: it accepts OCI manifests only and this image is in Docker format; convert it with `--format oci` on copy or push (the digest changes), or enable Docker media types on the registry (zot: \"compat\": [\"docker2s2\"])")
        }
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

/// One line of an error report: whatever the message holds (a registry's text, a name), it
/// stays on its line, with control characters escaped.
fn line(prefix: &str, msg: &str) {
    eprintln!("{prefix}{}", crate::text::escape(msg));
}

/// A usage error's message, made by cr from the command line (a regular expression's error
/// drawn with a caret under the bad part, say): its line breaks and tabs are kept, each further
/// line indented under the first; other control characters are escaped. Text from a registry
/// never takes this path, so it cannot start a line of its own.
fn usage_lines(prefix: &str, msg: &str) {
    let indent = " ".repeat(prefix.len());
    let kept = crate::text::escape_keeping(msg, &['\n', '\t']);
    let body = kept.trim_end().replace('\n', &format!("\n{indent}"));
    eprintln!("{prefix}{body}");
}

pub fn print_error(e: &anyhow::Error) {
    if let Some(p) = e.downcast_ref::<Partial>() {
        // Each failure was reported already; a summary only helps when there were several.
        if p.total > 1 {
            line("error: ", &e.to_string());
        }
        return;
    }
    match e
        .chain()
        .next()
        .and_then(|c| c.downcast_ref::<UsageError>())
    {
        Some(u) => usage_lines("error: ", &u.message),
        None => line("error: ", &e.to_string()),
    }
    for c in e.chain().skip(1) {
        line("  caused by: ", &c.to_string());
    }
    if let Some(h) = hint_for(e) {
        line("  hint: ", &h);
    }
}

/// Print one image's failure inside a multi-image command, and its exit code.
pub fn report(image: &str, e: &anyhow::Error) -> u8 {
    line("error: ", &format!("{image}: {e}"));
    for c in e.chain().skip(1) {
        line("  caused by: ", &c.to_string());
    }
    if let Some(h) = hint_for(e) {
        line("  hint: ", &h);
    }
    code_for(e)
}

/// The result of a multi-image command: Ok when none failed.
pub fn summarize(codes: &[u8], total: usize) -> anyhow::Result<std::process::ExitCode> {
    let failed = codes.len();
    if failed == 0 {
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let code = if failed < total {
        PARTIAL
    } else if codes.iter().all(|&c| c == codes[0]) {
        codes[0]
    } else {
        FAILURE
    };
    Err(Partial {
        failed,
        total,
        code,
    }
    .into())
}
