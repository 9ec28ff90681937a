//! The one integration test binary: each module is a former tests/*.rs file; `common` holds the
//! shared registries, proxies, issuers and fixtures.

mod auth;
mod common;
mod completions;
mod docs;
mod faults;
mod help;
mod hostile;
mod lifecycle;
mod local_hostile;
mod mutate;
mod newcomer;
mod parsers_prop;
mod read_commands;
mod realm_redirect;
mod referrers;
mod retention;
mod retry;
mod sync;
mod terminal;
mod tls;
mod transfer;
mod write_commands;
