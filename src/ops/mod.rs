//! The operations layer: what the commands do, as library functions that a Rust program can
//! call without the CLI — untag, remove, inspect, copy of a whole repository, login
//! verification — and the one registry client per host that every image of a command shares
//! (one credential lookup, one ping, one token per scope set).

pub mod copy;
pub mod inspect;
pub mod remove;
pub mod tag;
pub mod untag;

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::registry::{Options, Registry};

/// An image, tag or manifest that is not there: exit code 3 comes from this type.
#[derive(Debug, thiserror::Error)]
#[error("{image} not found: {message}")]
pub struct NotFound {
    pub image: String,
    pub message: String,
}

/// The registry clients of one command, one per host, made on first use and shared.
pub struct Clients {
    opts: Options,
    map: std::sync::Mutex<HashMap<String, Arc<OnceCell<Arc<Registry>>>>>,
}

impl Clients {
    pub fn new(opts: Options) -> Self {
        Clients {
            opts,
            map: Default::default(),
        }
    }

    /// The client for `registry` (`docker.io`, `host:port`), connected once.
    pub async fn get(&self, registry: &str) -> anyhow::Result<Arc<Registry>> {
        let cell = self
            .map
            .lock()
            .expect("clients lock")
            .entry(registry.to_string())
            .or_default()
            .clone();
        let reg = cell
            .get_or_try_init(|| async {
                Ok::<_, anyhow::Error>(Arc::new(Registry::connect(&self.opts, registry).await?))
            })
            .await?;
        Ok(reg.clone())
    }
}
