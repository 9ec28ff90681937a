//! Blobs placed at one destination registry during a run that moves many images (a sync):
//! each blob moves at most once; the other repositories that need it get it by a
//! cross-repository mount from the first repository that has it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// Digest → the destination repository that holds it (once it does); and `REPO@DIGEST` →
/// that repository, once the blob was mounted into it.
#[derive(Default)]
pub struct Placed {
    cells: Mutex<HashMap<String, Arc<OnceCell<String>>>>,
    /// Destination repositories that did not exist when the run began: they hold no blob
    /// this run did not put there, so none is looked up first.
    new_repos: HashSet<String>,
}

impl Placed {
    pub fn new(new_repos: HashSet<String>) -> Self {
        Placed {
            cells: Mutex::default(),
            new_repos,
        }
    }

    pub(crate) fn is_new(&self, repo: &str) -> bool {
        self.new_repos.contains(repo)
    }

    pub(crate) fn cell(&self, digest: &str) -> Arc<OnceCell<String>> {
        self.cells
            .lock()
            .expect("placed lock")
            .entry(digest.to_string())
            .or_default()
            .clone()
    }
}
