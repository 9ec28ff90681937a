//! Blobs placed at one destination registry during a run that moves many images (a sync):
//! each blob moves at most once; the other repositories that need it get it by a
//! cross-repository mount from the first repository that has it; a blob that failed after its
//! retries fails every other image that needs it at once, without being tried again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::TransferError;
use crate::oci::name::Repository;

/// Digest → the destination repository that holds it (once it does); and `REPO@DIGEST` →
/// that repository, once the blob was mounted into it.
#[derive(Default)]
pub struct Placed {
    cells: Mutex<HashMap<String, Arc<OnceCell<Repository>>>>,
    /// Destination repositories that did not exist when the run began: they hold no blob
    /// this run did not put there, so none is looked up first.
    new_repos: HashSet<Repository>,
    /// Digest → the error that ended its move (its retry budget spent): not tried again.
    failed: Mutex<HashMap<String, Arc<TransferError>>>,
}

impl Placed {
    pub fn new(new_repos: HashSet<Repository>) -> Self {
        Placed {
            cells: Mutex::default(),
            new_repos,
            failed: Mutex::default(),
        }
    }

    pub(crate) fn is_new(&self, repo: &Repository) -> bool {
        self.new_repos.contains(repo)
    }

    pub(crate) fn cell(&self, digest: &str) -> Arc<OnceCell<Repository>> {
        self.cells
            .lock()
            .expect("placed lock")
            .entry(digest.to_string())
            .or_default()
            .clone()
    }

    /// The error a blob failed with earlier in the run, as the error of one more image that
    /// needs it.
    pub(crate) fn failure(&self, digest: &str) -> Option<TransferError> {
        self.failed
            .lock()
            .expect("placed lock")
            .get(digest)
            .map(|e| TransferError::BlobFailed {
                digest: digest.to_string(),
                reason: e.clone(),
            })
    }

    /// Remember that `digest` failed with `e` (the first failure is kept); returns the error
    /// for the image that hit it.
    pub(crate) fn fail(&self, digest: &str, e: TransferError) -> TransferError {
        let reason = self
            .failed
            .lock()
            .expect("placed lock")
            .entry(digest.to_string())
            .or_insert_with(|| Arc::new(e))
            .clone();
        TransferError::BlobFailed {
            digest: digest.to_string(),
            reason,
        }
    }
}
