//! Drawing transfer progress: indicatif bars on a TTY (one per active blob, and the total with
//! bytes, rate and ETA); one line per finished blob elsewhere; nothing with `--quiet`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::output::human_size;
use crate::engine::progress::{Observer, Outcome, RetryNote, Silent};
use crate::oci::digest::short;
use crate::oci::digest::Digest;
use crate::oci::manifest::Descriptor;

/// The progress reporter for a command: bars on a TTY, lines otherwise, silence when quiet.
pub fn reporter(quiet: bool) -> Arc<dyn Observer> {
    if quiet {
        Arc::new(Silent)
    } else if std::io::stderr().is_terminal() {
        Arc::new(Bars::new())
    } else {
        Arc::new(Lines)
    }
}

fn verb(o: Outcome) -> &'static str {
    match o {
        Outcome::Moved => "copied",
        Outcome::Skipped => "exists",
        Outcome::Mounted => "mounted",
    }
}

/// One line per finished blob on stderr.
pub struct Lines;

impl Observer for Lines {
    fn blob_done(&self, d: &Descriptor, o: Outcome) {
        eprintln!("{} {} {}", verb(o), d.digest, human_size(d.size));
    }
}

pub struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
    active: Mutex<HashMap<Digest, (ProgressBar, u64)>>,
}

impl Bars {
    fn new() -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let total = multi.add(ProgressBar::new(0));
        total.set_style(
            ProgressStyle::with_template(
                "{prefix:>10} [{wide_bar}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        total.set_prefix("total");
        Bars {
            multi,
            total,
            active: Mutex::new(HashMap::new()),
        }
    }
}

impl Observer for Bars {
    fn planned(&self, _blobs: usize, bytes: u64) {
        self.total.set_length(bytes);
    }
    fn blob_start(&self, d: &Descriptor) {
        let pb = self
            .multi
            .insert_before(&self.total, ProgressBar::new(d.size));
        pb.set_style(
            ProgressStyle::with_template(
                "{prefix:>12} [{wide_bar}] {decimal_bytes}/{decimal_total_bytes}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        pb.set_prefix(short(&d.digest).to_string());
        self.active
            .lock()
            .expect("lock")
            .insert(d.digest.clone(), (pb, 0));
    }
    fn blob_bytes(&self, digest: &Digest, n: u64) {
        if let Some((pb, seen)) = self.active.lock().expect("lock").get_mut(digest) {
            pb.inc(n);
            *seen += n;
        }
        self.total.inc(n);
    }
    fn blob_restart(&self, d: &Descriptor) {
        if let Some((pb, seen)) = self.active.lock().expect("lock").get_mut(&d.digest) {
            self.total
                .set_position(self.total.position().saturating_sub(*seen));
            pb.set_position(0);
            *seen = 0;
        }
    }
    fn blob_done(&self, d: &Descriptor, o: Outcome) {
        if let Some((pb, _)) = self.active.lock().expect("lock").remove(&d.digest) {
            pb.finish_and_clear();
            self.multi.remove(&pb);
        }
        if o != Outcome::Moved {
            self.total.inc(d.size);
        }
        let _ = self.multi.println(format!(
            "{} {} {}",
            verb(o),
            short(&d.digest),
            human_size(d.size)
        ));
    }
    /// A retry line above the bars, which are drawn again below it.
    fn retried(&self, note: &RetryNote) {
        self.multi
            .suspend(|| crate::notice::status(&note.to_string()));
    }
    fn finish(&self) {
        self.total.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bars build (their templates are parsed at run time) and use the decimal units of
    /// the result lines (`human_size`).
    #[test]
    fn bars_build_with_decimal_units() {
        let b = Bars::new();
        b.planned(1, 2_000_000);
        let d = Descriptor::new(
            "x",
            Digest::fake(&format!("sha256:{}", "a".repeat(64))),
            2_000_000,
        );
        b.blob_start(&d);
        b.blob_bytes(&d.digest, 1_000_000);
        b.blob_done(&d, crate::engine::progress::Outcome::Moved);
        b.finish();
    }
}
