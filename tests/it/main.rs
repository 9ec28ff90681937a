//! The one integration test binary: each module is a former tests/*.rs file; `common` holds the
//! shared registries, proxies, issuers and fixtures.

mod app_calls;
mod app_multi;
mod archive_links;
mod archives;
mod artifacts;
mod auth;
mod common;
mod credential_helper;
mod docs;
mod echoed_secrets;
mod faults;
mod getters;
mod hostile;
mod index;
mod library;
mod lifecycle;
mod local_hostile;
mod mutate;
mod newcomer;
mod pull_destinations;
mod quirks;
mod read_commands;
mod realm_redirect;
mod referrers;
mod registries;
mod retention;
mod retry;
mod sync;
mod terminal;
mod tls;
mod tls_trust;
mod transfer;
mod walk;
mod write_commands;
