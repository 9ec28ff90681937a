//! Exit codes and error printing: `error:` with the top message, `caused by:` for each cause,
//! `hint:` with what to do. Codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 authentication or
//! authorization, 5 partial failure of a multi-image command, 130 interrupted.

use crate::client::{Kind, RegistryError};
use crate::local::LocalError;
use crate::oci::reference::ReferenceError;

mod hint;
pub use hint::hint_for;

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
    e.chain().find_map(code_of).unwrap_or(FAILURE)
}

/// The exit code one cause decides, if it decides one.
fn code_of(c: &(dyn std::error::Error + 'static)) -> Option<u8> {
    if let Some(p) = c.downcast_ref::<Partial>() {
        return Some(p.code);
    }
    if c.is::<crate::app::NotFound>() {
        return Some(NOT_FOUND);
    }
    if let Some(e) = c.downcast_ref::<crate::app::index::IndexError>() {
        return Some(if e.is_not_found() { NOT_FOUND } else { USAGE });
    }
    transfer_code(c)
        .or_else(|| input_code(c))
        .or_else(|| local_error(c).and_then(local_code))
        .or_else(|| registry_error(c).map(registry_code))
}

/// A transfer that found no such platform or child (3), or was given a digest that is not
/// what it pushes (2).
fn transfer_code(c: &(dyn std::error::Error + 'static)) -> Option<u8> {
    use crate::engine::TransferError;
    match c.downcast_ref::<TransferError>()? {
        TransferError::NoPlatform { .. } | TransferError::MissingChild { .. } => Some(NOT_FOUND),
        TransferError::DestinationDigest { .. } => Some(USAGE),
        _ => None,
    }
}

/// Bad input: a usage error, an image name, a platform, a bad --registry / CR_REGISTRY host.
fn input_code(c: &(dyn std::error::Error + 'static)) -> Option<u8> {
    use crate::config::ConfigError;
    let config = matches!(
        c.downcast_ref::<ConfigError>(),
        Some(ConfigError::Host(_) | ConfigError::Env { .. } | ConfigError::UnknownRegion { .. })
    );
    let input = c.is::<UsageError>()
        || c.is::<ReferenceError>()
        || c.is::<crate::oci::platform::PlatformError>();
    (config || input).then_some(USAGE)
}

/// A local image: ambiguous or bad input (2), missing (3), interrupted (130).
fn local_code(l: &LocalError) -> Option<u8> {
    match l {
        LocalError::Ambiguous { .. } | LocalError::Usage(_) => Some(USAGE),
        LocalError::Missing { .. } => Some(NOT_FOUND),
        LocalError::Interrupted { .. } => Some(INTERRUPTED),
        _ => None,
    }
}

/// A registry's answer: not found (3), authentication or authorization (4), else 1.
fn registry_code(r: &RegistryError) -> u8 {
    match r.kind() {
        Kind::NotFound => NOT_FOUND,
        Kind::Unauthorized | Kind::Denied => AUTH,
        _ => FAILURE,
    }
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
