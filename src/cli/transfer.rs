//! The transfer flags that copy, push and pull share (`-j`, `--platform`, `-q`, `-o`), and how
//! a transfer's result is said: the reference line or its JSON report, and the destination
//! cosign tags kept (exit 5).

use std::process::ExitCode;

use super::exit;
use super::output::{emit_json, emit_line};
use crate::engine::{self, Options, Report};
use crate::oci::platform::Platform;

#[derive(Debug, Clone, clap::Args)]
pub struct TransferArgs {
    /// Blobs streamed at once (1-64).
    #[arg(long, short = 'j', default_value_t = engine::DEFAULT_JOBS, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub jobs: usize,
    /// Only this platform of a multi-platform image (default: all platforms).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<Platform>,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Output: table (the reference line, default) or json.
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<super::output::OutputKind>,
}

impl TransferArgs {
    pub fn options(&self) -> Options {
        Options {
            jobs: self.jobs.max(1),
            platform: self.platform.clone(),
            progress: super::progress::reporter(self.quiet),
            placed: None,
        }
    }

    /// Print a result: `HOST/REPO@sha256:…` or its JSON report.
    pub fn print(&self, reports: &[Report]) {
        if self.output == Some(super::output::OutputKind::Json) {
            if reports.len() == 1 {
                emit_json(&reports[0]);
            } else {
                emit_json(&reports);
            }
        } else {
            for r in reports {
                emit_line(&r.reference);
            }
        }
    }
}

/// Report the destination cosign tags kept (they differ from the source's): exit 5 when any.
pub fn kept(kept: &[crate::app::referrers::Kept]) -> ExitCode {
    for k in kept {
        eprintln!(
            "{}",
            crate::text::escape(&format!(
                "error: {}",
                k.message("delete it at the destination to take the source's")
            ))
        );
    }
    if kept.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::PARTIAL)
    }
}
