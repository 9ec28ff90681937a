//! The command line: clap definitions (doc comments are the `--help` text), dispatch to one
//! file per command, error printing (`error:` / `caused by:` / `hint:`) and exit codes.

/// `eprintln!` and `eprint!` for the CLI, the only layer that prints: a failed write to
/// stderr (a full disk, a closed pipe) is ignored instead of panicking as std's macros do;
/// stderr is where failures are reported, so nothing is left to tell. Defined before the modules, these shadow std's
/// in all of cli/ (see docs/security.md, "Output").
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr(), $($arg)*);
    }};
}

macro_rules! eprint {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::write!(::std::io::stderr(), $($arg)*);
    }};
}

pub(crate) mod append;
pub(crate) mod artifact_get;
pub(crate) mod attach;
pub(crate) mod auth;
pub(crate) mod blob_get;
pub(crate) mod config;
pub(crate) mod copy;
pub(crate) mod credential_helper;
pub(crate) mod digest;
pub(crate) mod exit;
pub(crate) mod image_inspect;
pub(crate) mod image_list;
pub(crate) mod image_rm;
pub(crate) mod image_tag;
pub(crate) mod image_untag;
pub(crate) mod index_add;
pub(crate) mod index_create;
pub(crate) mod index_rm;
pub(crate) mod login;
pub(crate) mod manifest_inspect;
pub(crate) mod mutate;
pub(crate) mod namespace_list;
pub(crate) mod output;
pub(crate) mod progress;
pub(crate) mod prompt;
pub(crate) mod pull;
pub(crate) mod push;
pub(crate) mod referrers;
pub(crate) mod region;
pub(crate) mod repo_list;
pub(crate) mod retention_run;
#[cfg(test)]
mod surface;
pub(crate) mod sync;
pub(crate) mod tag_list;
pub(crate) mod template;
pub(crate) mod transfer;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::config::Settings;

/// A command-line client for container registries.
///
/// Talks the OCI distribution / Docker Registry v2 API directly. Image names are
/// [HOST[:PORT]/]NAMESPACE/REPO[:TAG][@DIGEST]; a name without a host uses the target
/// registry (--registry, CR_REGISTRY, `cr region-set`, else localhost:5000).
#[derive(Debug, Parser)]
#[command(
    name = "cr",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_long_help = AFTER_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

const AFTER_HELP: &str = "\
EXAMPLES:
  cr login us.icr.io --apikey @key.txt        log in (or set CR_APIKEY in CI)
  cr image-list --restrict myns               list images (-q names, -o json, --format)
  cr push docker-archive:app.tar myns/app:1   push a local image
  cr pull myns/app:1 oci:./app                pull into an OCI layout
  cr image-tag myns/app:1 myns/app:stable     retag (same digest)
  cr copy us.icr.io/ns/app de.icr.io/ns/app --all-tags

ENVIRONMENT:
  CR_REGISTRY             target registry (below --registry, above cr region-set)
  CR_APIKEY               API key (user iamapikey) for the target registry and *.icr.io
  CR_USERNAME, CR_PASSWORD  user and password for the target registry
  CR_CREDENTIAL_HOSTS     more hosts that may receive the environment's credentials
  CR_INSECURE_REGISTRIES  hosts reached over plain HTTP
  CR_MAX_RETRIES, CR_RETRY_BASE_MS, CR_READ_TIMEOUT, CR_CONNECT_TIMEOUT  network knobs
  See docs/scripting.md for all of them and the exit codes.";

#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Target registry HOST[:PORT] or IBM Cloud region for names without a host.
    #[arg(long, global = true, value_name = "HOST")]
    pub registry: Option<String>,
    /// Reach this registry over plain HTTP (repeatable; also CR_INSECURE_REGISTRIES).
    #[arg(long = "insecure-registry", global = true, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Trust this CA certificate (PEM) in addition to the system's.
    #[arg(long = "ca-cert", global = true, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
    /// Verify TLS certificates (--tls-verify=false skips it, with a warning; also CR_TLS_VERIFY).
    #[arg(long = "tls-verify", global = true, value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true", action = clap::ArgAction::Set)]
    pub tls_verify: Option<bool>,
    /// Client certificate (PEM) for mutual TLS, with --client-key.
    #[arg(
        long = "client-cert",
        global = true,
        value_name = "FILE",
        requires = "client_key"
    )]
    pub client_cert: Option<PathBuf>,
    /// Private key (PEM) of --client-cert.
    #[arg(
        long = "client-key",
        global = true,
        value_name = "FILE",
        requires = "client_cert"
    )]
    pub client_key: Option<PathBuf>,
    /// Trace HTTP requests on stderr (credentials and tokens are redacted).
    #[arg(long, global = true)]
    pub debug: bool,
    /// Neither read nor fill the content cache of manifests and configs (CR_CACHE_DIR).
    #[arg(long, global = true)]
    pub no_cache: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to a registry; the credentials are checked before they are stored.
    Login(login::LoginArgs),
    /// Remove the stored login for a registry.
    Logout(login::LogoutArgs),
    /// Show the target registry and where it was set.
    Region(region::RegionArgs),
    /// Set the target registry: an IBM Cloud region (us-south, eu-de, global, …) or any host.
    RegionSet(region::RegionSetArgs),
    /// List the namespaces of the target registry with their repository counts.
    #[command(visible_alias = "namespaces")]
    NamespaceList(namespace_list::NamespaceListArgs),
    /// List repository names from the catalog (no manifest is fetched).
    #[command(visible_alias = "repos")]
    RepoList(repo_list::RepoListArgs),
    /// List the tags of one repository, naturally sorted (no manifest is fetched).
    #[command(visible_alias = "tags")]
    TagList(tag_list::TagListArgs),
    /// List every tagged image of the target registry.
    #[command(visible_aliases = ["images", "ls"])]
    ImageList(image_list::ImageListArgs),
    /// List one row per manifest digest, with all its tags.
    #[command(visible_alias = "digests")]
    ImageDigests(image_list::ImageListArgs),
    /// Show config and manifest facts of images as JSON (docker inspect style).
    #[command(visible_alias = "inspect")]
    ImageInspect(image_inspect::ImageInspectArgs),
    /// List what refers to an image: signatures, SBOMs, attestations (like oras discover).
    Referrers(referrers::ReferrersArgs),
    /// Attach files to an image as an OCI artifact (an SBOM, a signature, a report).
    Attach(attach::AttachArgs),
    /// Write an artifact's files into a directory, by their titles, verified.
    ArtifactGet(artifact_get::ArtifactGetArgs),
    /// Print a manifest exactly as the registry stores it.
    ManifestInspect(manifest_inspect::ManifestInspectArgs),
    /// Print an image's manifest digest (one HEAD request).
    Digest(digest::DigestArgs),
    /// Print an image's config blob exactly as the registry stores it.
    Config(config::ConfigArgs),
    /// Write one blob (a layer or config) by digest, verified while it streams.
    BlobGet(blob_get::BlobGetArgs),
    /// Registry tokens for other tools: `cr auth token` prints a bearer token for curl.
    Auth(auth::AuthArgs),
    /// Docker credential helper over cr's logins (also run as docker-credential-cr).
    CredentialHelper(credential_helper::CredentialHelperArgs),
    /// Point a new tag at an image (mounting or copying blobs when the repository differs).
    #[command(visible_alias = "tag")]
    ImageTag(image_tag::ImageTagArgs),
    /// Remove tags only; the images and their other tags stay.
    ImageUntag(image_untag::ImageUntagArgs),
    /// Delete images by digest, with every tag on them in that repository.
    #[command(visible_alias = "rmi")]
    ImageRm(image_rm::ImageRmArgs),
    /// Keep the newest images of each repository and delete the others (by digest).
    RetentionRun(retention_run::RetentionRunArgs),
    /// Push a local image (OCI layout, oci-archive, docker-archive) to a registry.
    Push(push::PushArgs),
    /// Pull an image into a local OCI layout, oci-archive or docker-archive.
    Pull(pull::PullArgs),
    /// Copy images from registry to registry.
    Copy(copy::CopyArgs),
    /// Mirror a registry, namespace or repository into another registry, with referrers.
    Sync(sync::SyncArgs),
    /// Build a multi-platform index from images already in one registry.
    IndexCreate(index_create::IndexCreateArgs),
    /// Add platforms to a multi-platform index (rewritten under the same tag).
    IndexAdd(index_add::IndexAddArgs),
    /// Remove platforms from a multi-platform index (rewritten under the same tag).
    IndexRm(index_rm::IndexRmArgs),
    /// Add layers (a directory, tar or .tar.gz) to an image's platforms, as a new image.
    Append(append::AppendArgs),
    /// Change an image's config (labels, env, entrypoint, …), as a new image.
    Mutate(mutate::MutateArgs),
    /// Print cr's version.
    Version,
    /// Generate shell completions (bash, zsh, fish, …) on stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages into a directory.
    Man { dir: PathBuf },
}

impl GlobalArgs {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut s = Settings::resolve(
            self.registry.as_deref(),
            &self.insecure_registry,
            self.ca_cert.clone(),
            self.debug,
        )?;
        if self.no_cache {
            s.cache = None;
        }
        if let Some(v) = self.tls_verify {
            s.client.tls_verify = v;
        }
        if let (Some(c), Some(k)) = (&self.client_cert, &self.client_key) {
            s.client.client_cert = Some((c.clone(), k.clone()));
        }
        Ok(s)
    }
}

/// Run the parsed command; the returned code is the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let g = &cli.global;
    match cli.command {
        Command::Login(a) => login::login(g.settings()?, a).await,
        Command::Logout(a) => login::logout(g.settings()?, a).await,
        Command::Region(a) => region::region(g.settings()?, a),
        Command::RegionSet(a) => region::region_set(a),
        Command::NamespaceList(a) => namespace_list::run(g.settings()?, a).await,
        Command::RepoList(a) => repo_list::run(g.settings()?, a).await,
        Command::TagList(a) => tag_list::run(g.settings()?, a).await,
        Command::RetentionRun(a) => retention_run::run(g.settings()?, a).await,
        Command::ImageList(a) => image_list::run(g.settings()?, a, false).await,
        Command::ImageDigests(a) => image_list::run(g.settings()?, a, true).await,
        Command::ImageInspect(a) => image_inspect::run(g.settings()?, a).await,
        Command::Referrers(a) => referrers::run(g.settings()?, a).await,
        Command::Attach(a) => attach::run(g.settings()?.quiet(a.quiet), a).await,
        Command::ArtifactGet(a) => artifact_get::run(g.settings()?.quiet(a.quiet), a).await,
        Command::ManifestInspect(a) => manifest_inspect::run(g.settings()?, a).await,
        Command::Digest(a) => digest::run(g.settings()?, a).await,
        Command::Config(a) => config::run(g.settings()?, a).await,
        Command::BlobGet(a) => blob_get::run(g.settings()?, a).await,
        Command::Auth(a) => auth::run(g.settings()?, a).await,
        Command::CredentialHelper(a) => Ok(credential_helper::run(a.action)),
        Command::ImageTag(a) => image_tag::run(g.settings()?.quiet(a.quiet), a).await,
        Command::ImageUntag(a) => image_untag::run(g.settings()?, a).await,
        Command::ImageRm(a) => image_rm::run(g.settings()?, a).await,
        Command::Push(a) => push::run(g.settings()?.quiet(a.t.quiet), a).await,
        Command::Pull(a) => pull::run(g.settings()?.quiet(a.t.quiet), a).await,
        Command::Sync(a) => sync::run(g.settings()?.quiet(a.quiet), a).await,
        Command::Copy(a) => copy::run(g.settings()?.quiet(a.t.quiet), a).await,
        Command::IndexCreate(a) => index_create::run(g.settings()?, a).await,
        Command::IndexAdd(a) => index_add::run(g.settings()?, a).await,
        Command::IndexRm(a) => index_rm::run(g.settings()?, a).await,
        Command::Append(a) => append::run(g.settings()?, a).await,
        Command::Mutate(a) => mutate::run(g.settings()?, a).await,
        Command::Completions { shell } => Ok(completions(shell)),
        Command::Man { dir } => man(&dir),
        Command::Version => {
            output::emit_line(&format!("cr {}", env!("CARGO_PKG_VERSION")));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The completion script for `shell`, on stdout.
fn completions(shell: clap_complete::Shell) -> ExitCode {
    let mut cmd = Cli::command();
    // Into memory first: clap_complete panics on a failed write.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "cr", &mut script);
    output::emit_bytes(&script);
    ExitCode::SUCCESS
}

/// The man pages, written into `dir`.
fn man(dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(Cli::command(), dir)?;
    let pages = std::fs::read_dir(dir)?
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".1"))
        })
        .count();
    eprintln!("wrote {pages} man pages to {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// How long an interrupted cr waits for a write that must not be cut in half.
const CRITICAL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Entry point of the binary.
pub fn main() -> ExitCode {
    crate::notice::install(draw_notice);
    if let Some(code) = credential_helper::as_docker_helper() {
        return code;
    }
    let cli = match parse() {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(run_until_signal(cli)) {
        Some(Ok(code)) => code,
        Some(Err(e)) => {
            exit::print_error(&e);
            ExitCode::from(exit::code_for(&e))
        }
        // A write that must not be cut in half (image-untag's placeholder) finishes first.
        None if !rt.block_on(crate::app::critical::finish_before_exit(CRITICAL_WAIT)) => {
            ExitCode::from(exit::INTERRUPTED)
        }
        None => interrupted(),
    }
}

/// The command line, parsed; else the exit code once clap has said why (or printed --help).
fn parse() -> Result<Cli, ExitCode> {
    match Cli::try_parse() {
        Ok(c) => Ok(c),
        Err(e) if e.kind() == clap::error::ErrorKind::InvalidSubcommand => Err(unknown_command(&e)),
        Err(e) => {
            let printed = e.print();
            Err(if e.use_stderr() {
                ExitCode::from(exit::USAGE)
            } else {
                // --help and --version went to stdout.
                ExitCode::from(printed.err().map_or(0, |w| output::stdout_failed(&w)))
            })
        }
    }
}

/// Run the command; None when a signal stopped it.
///
/// SIGINT, SIGTERM or SIGHUP drop the running command, so that its cleanup runs (a pull's
/// staging directory is removed) before cr exits with 130; during a pull's final write the
/// write decides (it stops while it can be abandoned, else finishes and says so). A second
/// one exits at once, after removing the staging.
async fn run_until_signal(cli: Cli) -> Option<anyhow::Result<ExitCode>> {
    let mut signals = Signals::new();
    let run = run(cli);
    tokio::pin!(run);
    tokio::select! {
        r = &mut run => return Some(r),
        _ = signals.next() => {}
    }
    crate::interrupt::raise();
    if !crate::interrupt::in_final_write() {
        return None;
    }
    tokio::select! {
        r = &mut run => Some(r),
        _ = signals.next() => {
            crate::interrupt::remove_staging();
            eprintln!("interrupted again: stopped at once, staging removed");
            std::process::exit(exit::INTERRUPTED.into());
        }
    }
}

/// Say what an interrupted command left (deletions cannot be taken back: which went out).
fn interrupted() -> ExitCode {
    let sent = crate::interrupt::deletions();
    if sent.is_empty() {
        eprintln!("interrupted: nothing was left half-written");
    } else {
        eprintln!("interrupted after {} deletions were sent:", sent.len());
        for (what, answered) in &sent {
            let how = if *answered {
                "deleted"
            } else {
                "sent, no answer yet (it may be deleted)"
            };
            eprintln!("  {how}: {}", crate::text::escape(what));
        }
    }
    ExitCode::from(exit::INTERRUPTED)
}

/// The library's notices, drawn on stderr: one line each, control characters escaped (they
/// may carry a registry's or an archive's text).
fn draw_notice(level: crate::notice::Level, msg: &str) {
    let prefix = match level {
        crate::notice::Level::Warning => "warning: ",
        crate::notice::Level::Note => "note: ",
        crate::notice::Level::Status => "",
    };
    eprintln!("{prefix}{}", crate::text::escape(msg));
}

/// A mistyped command: the one to three closest commands, not clap's long list.
fn unknown_command(e: &clap::Error) -> ExitCode {
    let typed = match e.get(clap::error::ContextKind::InvalidSubcommand) {
        Some(clap::error::ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    let cmd = Cli::command();
    let mut scored: Vec<(usize, String)> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| {
            let best = std::iter::once(c.get_name())
                .chain(c.get_all_aliases())
                .map(|n| crate::config::distance(&typed, n))
                .min()
                .unwrap_or(usize::MAX);
            (best, c.get_name().to_string())
        })
        .collect();
    scored.sort();
    let best = scored.first().map(|s| s.0).unwrap_or(0);
    let near: Vec<String> = scored
        .iter()
        .filter(|(d, _)| *d <= best + 1 && *d <= typed.len().max(3) / 2 + 1)
        .take(3)
        .map(|(_, n)| format!("'{n}'"))
        .collect();
    eprintln!("error: unknown command '{}'", crate::text::escape(&typed));
    if !near.is_empty() {
        eprintln!("  hint: did you mean {}?", near.join(" or "));
    }
    eprintln!("  hint: `cr --help` lists the commands");
    ExitCode::from(exit::USAGE)
}

/// SIGINT, SIGTERM and SIGHUP (a closed terminal), each handled the same way.
struct Signals {
    #[cfg(unix)]
    each: Vec<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let each = [
                SignalKind::interrupt(),
                SignalKind::terminate(),
                SignalKind::hangup(),
            ]
            .into_iter()
            .filter_map(|k| signal(k).ok())
            .collect();
            Signals { each }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Resolves on the next of them.
    async fn next(&mut self) {
        #[cfg(unix)]
        {
            if self.each.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.each.iter_mut().map(|s| Box::pin(s.recv()));
            futures_util::future::select_all(waits).await;
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
