//! What a retention run did, for the front end: the deletions that failed (as errors naming
//! the image) and the `-o json` row of each repository ([`RepoRow`]).

use std::collections::HashMap;

use serde::Serialize;

use super::run::{RepoPlan, RepoRun};
use super::Image;
use crate::app::referrers::Referrer;
use crate::client::Kind;
use crate::oci::digest::Digest;

/// Why a referrer goes: with its subject.
pub fn referrer_reason(r: &Referrer) -> String {
    format!("referrer of {}", r.subject)
}

/// One image or referrer in a `-o json` row.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Entry {
    pub digest: Digest,
    pub tags: Vec<String>,
    pub created: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Entry {
    fn image(i: &Image, reason: Option<String>) -> Self {
        Entry {
            digest: i.digest.clone(),
            tags: i.tags.iter().map(|t| t.to_string()).collect(),
            created: i.created,
            reason,
            error: None,
        }
    }

    fn referrer(r: &Referrer) -> Self {
        Entry {
            digest: r.digest.clone(),
            tags: r.tag.iter().map(|t| t.to_string()).collect(),
            created: None,
            reason: Some(referrer_reason(r)),
            error: None,
        }
    }
}

/// One repository's `-o json` row.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RepoRow {
    #[serde(rename_all = "PascalCase")]
    Planned {
        repository: String,
        dry_run: bool,
        kept: Vec<Entry>,
        deleted: Vec<Entry>,
        failed: Vec<Entry>,
    },
    #[serde(rename_all = "PascalCase")]
    Failed { repository: String, error: String },
}

impl RepoRun {
    /// A plan not carried out (a dry run, or nothing to delete).
    pub fn planned(plan: RepoPlan) -> Self {
        RepoRun {
            plan,
            outcomes: HashMap::new(),
        }
    }

    /// The deletions that failed: the image (`host/repo@digest`) and why.
    pub fn failures(&self, host: &str) -> Vec<(String, anyhow::Error)> {
        let repo = &self.plan.repo;
        self.outcomes
            .iter()
            .filter_map(|(digest, r)| {
                let e = r.as_ref().err()?;
                let hint = if e.registry().kind() == Kind::Unsupported {
                    "; the registry has deletion disabled"
                } else {
                    ""
                };
                let err = anyhow::Error::new(e.registry().clone())
                    .context(e.to_string())
                    .context(format!("cannot delete {host}/{repo}@{digest}{hint}"));
                Some((format!("{host}/{repo}@{digest}"), err))
            })
            .collect()
    }

    /// The `-o json` row (`go`: deletions were meant to happen, not a dry run).
    pub fn row(&self, host: &str, go: bool) -> RepoRow {
        let repository = format!("{host}/{}", self.plan.repo);
        let plan = match &self.plan.plan {
            Ok(plan) => plan,
            Err(e) => {
                return RepoRow::Failed {
                    repository,
                    error: format!("{e:#}"),
                }
            }
        };
        let failed: HashMap<String, String> = self
            .failures(host)
            .into_iter()
            .map(|(what, e)| (what, format!("{e:#}")))
            .collect();
        let kept = plan
            .kept
            .iter()
            .map(|(i, r)| Entry::image(i, Some(r.as_str().to_string())))
            .collect();
        let mut deleted = Vec::new();
        let mut failures = Vec::new();
        for i in &plan.delete {
            let mut entries = vec![Entry::image(i, None)];
            entries.extend(
                plan.referrers
                    .get(&i.digest)
                    .into_iter()
                    .flatten()
                    .map(Entry::referrer),
            );
            match failed.get(&format!("{repository}@{}", i.digest)) {
                Some(e) => failures.extend(entries.into_iter().map(|mut v| {
                    v.error = Some(e.clone());
                    v
                })),
                None => deleted.extend(entries),
            }
        }
        RepoRow::Planned {
            repository,
            dry_run: !go,
            kept,
            deleted,
            failed: failures,
        }
    }
}
