//! Blobs placed at one destination registry during a run that moves many images (a sync):
//! each blob moves at most once; the other repositories that need it get it by a
//! cross-repository mount from the first repository that has it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// Digest → the destination repository that holds it (once it does).
#[derive(Default)]
pub struct Placed {
    cells: Mutex<HashMap<String, Arc<OnceCell<String>>>>,
}

impl Placed {
    pub(crate) fn cell(&self, digest: &str) -> Arc<OnceCell<String>> {
        self.cells
            .lock()
            .expect("placed lock")
            .entry(digest.to_string())
            .or_default()
            .clone()
    }

    /// How many distinct blobs were placed.
    pub fn len(&self) -> usize {
        self.cells
            .lock()
            .expect("placed lock")
            .values()
            .filter(|c| c.initialized())
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
