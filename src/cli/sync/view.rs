//! What `cr sync` shows: the progress bar (images done of total, bytes moved, rate, on a
//! TTY), one result line per tag as it finishes, the failures, the JSON report and the
//! summary line.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::app::sync::run::{Event, SyncReport};
use crate::app::sync::{Status, Synced};
use crate::cli::exit;
use crate::cli::output::{emit_json, emit_line, human_size};
use crate::engine::progress::{Observer, Outcome};
use crate::oci::digest::Digest;
use crate::oci::manifest::Descriptor;

/// The progress view: on a TTY one bar (images done of total, bytes moved, rate).
pub(super) struct View {
    bar: Option<ProgressBar>,
    /// Bytes streamed so far, counted as they flow (a large layer moves the bar too).
    bytes: AtomicU64,
    /// Per blob in flight, its bytes so far: forgotten again when the blob starts over.
    flowing: std::sync::Mutex<std::collections::HashMap<crate::oci::digest::Digest, u64>>,
    /// The exit codes of the failures reported so far.
    codes: std::sync::Mutex<Vec<u8>>,
    json_out: bool,
    quiet: bool,
}

impl View {
    /// `bar`: draw one on a TTY; `quiet`: no lines on stderr; `json_out`: the report is JSON.
    pub(super) fn new(bar: bool, quiet: bool, json_out: bool) -> Self {
        let bar = (bar && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template("images {pos}/{len} [{wide_bar}] {msg} {elapsed}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            b
        });
        View {
            bar,
            bytes: AtomicU64::new(0),
            flowing: Default::default(),
            codes: Default::default(),
            json_out,
            quiet,
        }
    }

    /// Draw what the sync reports as it runs (`src`: the source registry).
    pub(super) fn event(&self, src: &str, e: Event<'_>) {
        match e {
            Event::Planned { images, failures } => {
                let mut c = self.codes.lock().expect("codes lock");
                c.extend(
                    failures
                        .iter()
                        .map(|(repo, e)| exit::report(&format!("{src}/{repo}"), e)),
                );
                if let Some(b) = &self.bar {
                    b.set_length(images as u64);
                }
            }
            Event::Synced(r) => match &self.bar {
                Some(bar) => {
                    bar.inc(1);
                    bar.suspend(|| report(r, self.json_out, self.quiet));
                }
                None => report(r, self.json_out, self.quiet),
            },
        }
    }

    /// Report the failures, print the JSON report and the summary; the exit code.
    pub(super) fn finish(&self, done: &SyncReport) -> ExitCode {
        let mut codes = std::mem::take(&mut *self.codes.lock().expect("codes lock"));
        let results = &done.results;
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        for r in results
            .iter()
            .filter(|r| r.status == Status::Failed && r.failed_blob.is_none())
        {
            let e = anyhow::anyhow!("{}", r.error.clone().unwrap_or_default())
                .context(format!("cannot sync {} to {}", r.source, r.destination));
            codes.push(exit::report(&r.source, &e));
        }
        codes.extend(report_failed_blobs(results));
        for k in results.iter().flat_map(|r| &r.referrers_kept) {
            eprintln!(
                "{}",
                crate::text::escape(&format!("error: {}", k.message("--force overwrites it")))
            );
            codes.push(exit::PARTIAL);
        }
        if self.json_out {
            let mut sorted = results.clone();
            sorted.sort_by(|x, y| x.source.cmp(&y.source));
            emit_json(&sorted);
        }
        if !self.quiet {
            let count = |s: Status| results.iter().filter(|r| r.status == s).count();
            eprintln!(
                "{} copied, {} up to date, {} would copy, {} failed ({} moved)",
                count(Status::Copied),
                count(Status::UpToDate),
                count(Status::WouldCopy),
                count(Status::Failed) + done.repo_failures.len(),
                human_size(self.bytes.load(Ordering::Relaxed))
            );
        }
        if codes.is_empty() {
            return ExitCode::SUCCESS;
        }
        ExitCode::from(exit::PARTIAL)
    }
}

impl View {
    fn show(&self, total: u64) {
        if let Some(b) = &self.bar {
            let secs = b.elapsed().as_secs_f64().max(0.001);
            b.set_message(format!(
                "{} moved, {}/s",
                human_size(total),
                human_size((total as f64 / secs) as u64)
            ));
        }
    }
}

impl Observer for View {
    fn blob_bytes(&self, digest: &Digest, n: u64) {
        *self
            .flowing
            .lock()
            .expect("progress lock")
            .entry(digest.clone())
            .or_default() += n;
        self.show(self.bytes.fetch_add(n, Ordering::Relaxed) + n);
    }

    fn blob_restart(&self, d: &Descriptor) {
        let had = self
            .flowing
            .lock()
            .expect("progress lock")
            .remove(&d.digest)
            .unwrap_or(0);
        self.show(self.bytes.fetch_sub(had, Ordering::Relaxed) - had);
    }

    fn blob_done(&self, d: &Descriptor, _o: Outcome) {
        self.flowing
            .lock()
            .expect("progress lock")
            .remove(&d.digest);
    }
}

fn line(s: &Synced) -> String {
    let digest = s.digest.as_deref().unwrap_or("");
    match s.status {
        Status::WouldCopy => format!("would copy {} to {}", s.source, s.destination),
        Status::Failed => format!("failed {} to {}", s.source, s.destination),
        other => format!("{} {}@{digest}", other.as_str(), s.destination),
    }
}

/// The images that failed because a blob they need failed (after its retries, once): one
/// line per blob naming it and why, then the images. Their exit codes.
fn report_failed_blobs(results: &[Synced]) -> Vec<u8> {
    let mut by_blob: std::collections::BTreeMap<&str, Vec<&Synced>> = Default::default();
    for r in results.iter().filter(|r| r.status == Status::Failed) {
        if let Some(b) = &r.failed_blob {
            by_blob.entry(b.as_str()).or_default().push(r);
        }
    }
    let mut codes = Vec::new();
    for (blob, mut images) in by_blob {
        images.sort_by(|x, y| crate::oci::reference::natural_order(&x.source, &y.source));
        let why = images[0].error.as_deref().unwrap_or(blob);
        eprintln!(
            "{}",
            crate::text::escape(&format!("error: {} images failed: {why}", images.len()))
        );
        for r in images {
            eprintln!(
                "{}",
                crate::text::escape(&format!("  failed {} to {}", r.source, r.destination))
            );
            codes.push(exit::PARTIAL);
        }
    }
    codes
}

/// A finished tag: its line on stdout (JSON waits for the end; then a line on stderr).
fn report(r: &Synced, json_out: bool, quiet: bool) {
    if r.status == Status::Failed {
        return;
    }
    if json_out {
        if !quiet {
            eprintln!("{}", crate::text::escape(&line(r)));
        }
    } else {
        emit_line(&line(r));
    }
}
