//! The operations layer: what the commands do, as library functions that a Rust program can
//! call without the CLI — untag, remove, inspect, copy of a whole repository, login
//! verification — and the one registry client per host that every image of a command shares
//! (one credential lookup, one ping, one token per scope set).

pub mod artifact;
pub mod copy;
pub mod critical;
pub mod edit;
pub mod getters;
pub mod images;
pub mod index;
pub mod inspect;
pub mod layer;
pub mod login;
pub mod multi;
pub mod mutate;
pub mod pull;
pub mod push;
pub mod referrers;
pub mod removal;
pub mod remove;
pub mod retention;
pub mod rm;
pub mod session;
pub mod sync;
pub mod tag;
pub mod token;
pub mod untag;
pub mod walk;

pub use session::Session;

use crate::client::Registry;
use crate::oci::name::Tag;

/// An image, tag or manifest that is not there: exit code 3 comes from this type.
#[derive(Debug, thiserror::Error)]
#[error("{image} not found: {message}")]
pub struct NotFound {
    pub image: String,
    pub message: String,
}

/// A manifest that is not there, explained: `latest` was assumed when no tag was given, and
/// the (up to five) existing tags closest to the one asked for are named. Other errors pass.
pub async fn explain_missing(
    reg: &Registry,
    r: &crate::oci::reference::Reference,
    e: crate::client::RegistryError,
) -> anyhow::Error {
    if e.kind() != crate::client::Kind::NotFound || r.digest.is_some() {
        return e.into();
    }
    let asked = r.tag.clone().unwrap_or_else(Tag::latest);
    let mut tags = reg.tags(&r.repository).await.unwrap_or_default();
    if tags.contains(&asked) {
        // The tag is there: what is missing is a manifest it needs (a platform of an index,
        // or the tag's own manifest on an inconsistent registry), named by the error.
        return anyhow::Error::new(e).context(format!(
            "{r}: the tag {asked} is listed, but a manifest it needs is missing"
        ));
    }
    tags.sort_by_key(|t| (crate::config::distance(&asked, t), t.clone()));
    tags.truncate(5);
    let assumed = if r.tag.is_none() {
        " (no tag was given: latest was assumed)"
    } else {
        ""
    };
    let message = if tags.is_empty() {
        format!("no tag {asked}{assumed}, and the repository has no tags")
    } else {
        format!(
            "no tag {asked}{assumed}; the closest tags are {}",
            tags.join(", ")
        )
    };
    anyhow::Error::new(e).context(NotFound {
        image: r.to_string(),
        message,
    })
}

/// A transfer that failed because its top manifest is not there, explained as
/// [`explain_missing`] does; any other failure passes as it is.
pub async fn explain_transfer(
    reg: &Registry,
    r: &crate::oci::reference::Reference,
    e: crate::engine::TransferError,
) -> anyhow::Error {
    match e {
        crate::engine::TransferError::TopManifest(re)
            if re.kind() == crate::client::Kind::NotFound =>
        {
            explain_missing(reg, r, *re).await
        }
        other => other.into(),
    }
}
