//! `cr sync SRC DST`: mirror a registry, namespace or repository (see `ops::sync`), with one
//! progress view (a bar of images, bytes and rate on a TTY), one result line per tag on
//! stdout (or a JSON report), and exit 5 when anything failed.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::exit::{self, usage};
use super::output::{emit_json, emit_line, human_size};
use crate::config::Settings;
use crate::image::manifest::Desc;
use crate::image::platform::Platform;
use crate::ops::sync::run::{Event, SyncRequest};
use crate::ops::sync::{self, Filter, How, Spec, Status, Synced};
use crate::ops::Clients;
use crate::transfer::progress::{Outcome, Progress};

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Source: HOST, HOST/NAMESPACE or HOST/NAMESPACE/REPO.
    pub src: String,
    /// Destination: HOST (the full repository paths of SRC are kept) or HOST/PATH (the paths
    /// below SRC are kept below PATH).
    pub dst: String,
    /// Only tags matching this regular expression.
    #[arg(long, value_name = "REGEX", allow_hyphen_values = true)]
    pub tags: Option<String>,
    /// Skip tags matching this regular expression (e.g. '-rc').
    #[arg(long, value_name = "REGEX", allow_hyphen_values = true)]
    pub exclude: Option<String>,
    /// Only this platform of multi-platform images (default: every platform, byte-exact).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<Platform>,
    /// Blobs streamed at once (1-64).
    #[arg(long, short = 'j', default_value_t = crate::transfer::DEFAULT_JOBS, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub jobs: usize,
    /// Images in flight at once (1-64).
    #[arg(long, default_value_t = 4, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub images: usize,
    /// Say what would be copied, copy nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not copy referrers (signatures, SBOMs, attestations).
    #[arg(long)]
    pub no_referrers: bool,
    /// Overwrite destination cosign tags (`sha256-….sig`) that differ from the source's
    /// (default: keep them, report them, exit 5).
    #[arg(long)]
    pub force: bool,
    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Output: text (one line per tag, default) or json.
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<super::output::OutputKind>,
}

/// The progress view: on a TTY one bar (images done of total, bytes moved, rate).
struct View {
    bar: Option<ProgressBar>,
    /// Bytes streamed so far, counted as they flow (a large layer moves the bar too).
    bytes: AtomicU64,
    /// Per blob in flight, its bytes so far: forgotten again when the blob starts over.
    flowing: std::sync::Mutex<std::collections::HashMap<String, u64>>,
}

impl View {
    fn new(quiet: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
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
        }
    }

    fn image_done(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
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

impl Progress for View {
    fn blob_bytes(&self, digest: &str, n: u64) {
        *self
            .flowing
            .lock()
            .expect("progress lock")
            .entry(digest.to_string())
            .or_default() += n;
        self.show(self.bytes.fetch_add(n, Ordering::Relaxed) + n);
    }

    fn blob_restart(&self, d: &Desc) {
        let had = self
            .flowing
            .lock()
            .expect("progress lock")
            .remove(&d.digest)
            .unwrap_or(0);
        self.show(self.bytes.fetch_sub(had, Ordering::Relaxed) - had);
    }

    fn blob_done(&self, d: &Desc, _o: Outcome) {
        self.flowing
            .lock()
            .expect("progress lock")
            .remove(&d.digest);
    }
}

fn regex(flag: &str, re: &Option<String>) -> anyhow::Result<Option<regex::Regex>> {
    re.as_deref()
        .map(|r| {
            regex::Regex::new(r).map_err(|e| {
                usage(
                    format!("invalid {flag} regular expression: {e}"),
                    format!("for example {flag} '^v[0-9]+'"),
                )
            })
        })
        .transpose()
}

fn line(s: &Synced) -> String {
    let digest = s.digest.as_deref().unwrap_or("");
    match s.status {
        Status::WouldCopy => format!("would copy {} to {}", s.source, s.destination),
        Status::Failed => format!("failed {} to {}", s.source, s.destination),
        other => format!("{} {}@{digest}", other.as_str(), s.destination),
    }
}

pub async fn run(settings: Settings, a: SyncArgs) -> anyhow::Result<ExitCode> {
    let filter = Filter {
        tags: regex("--tags", &a.tags)?,
        exclude: regex("--exclude", &a.exclude)?,
    };
    let spec = |s: &str| {
        Spec::parse(s, &settings.registry).map_err(|e| {
            usage(
                format!("invalid sync source or destination {s:?}: {e}"),
                "cr sync HOST[/NAMESPACE[/REPO]] HOST[/PATH]",
            )
        })
    };
    let (src, dst) = (spec(&a.src)?, spec(&a.dst)?);
    if src.registry == dst.registry && sync::dest_repo(&src, &src.path, &dst) == src.path {
        return Err(usage(
            format!("{} would be synced onto itself", src.describe()),
            "give a destination in another registry or under another path",
        ));
    }
    let json_out = a.output == Some(super::output::OutputKind::Json);
    let (dry_run, referrers, force) = (a.dry_run, !a.no_referrers, a.force);
    let req = SyncRequest {
        src,
        dst,
        filter,
        platform: a.platform.clone(),
        jobs: a.jobs,
        images: a.images,
        how: How {
            dry_run,
            referrers,
            force,
        },
    };
    let view = Arc::new(View::new(a.quiet || a.dry_run));
    let (out, codes) = (&view, std::sync::Mutex::new(Vec::new()));
    let on = |e: Event<'_>| match e {
        Event::Planned { images, failures } => {
            let src = &req.src.registry;
            let mut c = codes.lock().expect("codes lock");
            c.extend(
                failures
                    .iter()
                    .map(|(repo, e)| exit::report(&format!("{src}/{repo}"), e)),
            );
            if let Some(b) = &out.bar {
                b.set_length(images as u64);
            }
        }
        Event::Synced(r) => {
            out.image_done();
            match &out.bar {
                Some(bar) => bar.suspend(|| report(r, json_out, a.quiet)),
                None => report(r, json_out, a.quiet),
            }
        }
    };
    let clients = Clients::new(settings.registry_options());
    let done = sync::run::run(&clients, &req, Some(view.clone()), &on).await?;
    let mut codes = codes.into_inner().expect("codes lock");
    let results = done.results;
    if let Some(b) = &view.bar {
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
    codes.extend(report_failed_blobs(&results));
    for k in results.iter().flat_map(|r| &r.referrers_kept) {
        eprintln!(
            "{}",
            crate::text::escape(&format!("error: {}", k.message("--force overwrites it")))
        );
        codes.push(exit::PARTIAL);
    }
    if json_out {
        let mut sorted = results.clone();
        sorted.sort_by(|x, y| x.source.cmp(&y.source));
        emit_json(&sorted);
    }
    if !a.quiet {
        let count = |s: Status| results.iter().filter(|r| r.status == s).count();
        eprintln!(
            "{} copied, {} up to date, {} would copy, {} failed ({} moved)",
            count(Status::Copied),
            count(Status::UpToDate),
            count(Status::WouldCopy),
            count(Status::Failed) + done.repo_failures.len(),
            human_size(view.bytes.load(Ordering::Relaxed))
        );
    }
    if codes.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    Ok(ExitCode::from(exit::PARTIAL))
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
        images.sort_by(|x, y| crate::reference::natural_order(&x.source, &y.source));
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
