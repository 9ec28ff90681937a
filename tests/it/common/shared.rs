//! What a test run makes once and shares: the no-auth docker-registry (started on first use,
//! stopped and its storage removed when the test process ends, however it ends; each test gets
//! its own namespace on it, `Ns`, so tests stay independent of one another) and files such as
//! certificates and keys that tests do not need to own (`made_once`).

use super::{write_config, Peer};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

struct Shared {
    /// `127.0.0.1:PORT`.
    host: String,
    dir: PathBuf,
    /// The watchdog's stdin: closed only when this process ends (any way it ends), which
    /// makes the watchdog stop the registry and remove its directory.
    _lifeline: Mutex<ChildStdin>,
}

static SHARED: OnceLock<Shared> = OnceLock::new();
static NEXT: AtomicUsize = AtomicUsize::new(0);
static RUN_DIR: OnceLock<(PathBuf, Mutex<ChildStdin>)> = OnceLock::new();

/// Start `sh -c SCRIPT watchdog ARGS…` with its stdin a pipe whose write end is returned. The
/// write end is close-on-exec, so only this process holds it: when the process ends (any way it
/// ends) the script's `cat` sees end of file and the script goes on to clean up.
// The watchdog outlives this process on purpose (it cleans up after it); init reaps it.
#[allow(clippy::zombie_processes)]
fn watchdog(script: &str, args: &[&Path]) -> ChildStdin {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("watchdog")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a watchdog shell");
    child.stdin.take().unwrap()
}

/// A directory for this test run, removed when the process ends.
pub fn run_dir() -> &'static Path {
    &RUN_DIR
        .get_or_init(|| {
            // Kept past this function: the watchdog removes it.
            let dir = tempfile::Builder::new()
                .prefix("cr-test-run")
                .tempdir()
                .unwrap()
                .keep();
            let lifeline = watchdog(r#"cat >/dev/null; rm -rf "$1""#, &[&dir]);
            (dir, Mutex::new(lifeline))
        })
        .0
}

/// Files made once per test run by `make` (called with an empty directory) in a directory
/// named `name`; `cell` is the caller's own static, one per distinct need.
pub fn made_once(
    cell: &'static OnceLock<PathBuf>,
    name: &str,
    make: impl FnOnce(&Path),
) -> &'static Path {
    cell.get_or_init(|| {
        let dir = run_dir().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        make(&dir);
        dir
    })
}

/// Copy every file of `from` (made by `made_once`) into `to`.
pub fn copy_files(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn shared() -> &'static Shared {
    SHARED.get_or_init(|| {
        super::require("docker-registry");
        super::count_registry("shared");
        let dir = run_dir().join("registry");
        std::fs::create_dir_all(&dir).unwrap();
        let host = format!("127.0.0.1:{}", super::free_port());
        let cfg = write_config(&dir, true, "", &host, "");
        // The registry runs in the background of a watchdog shell that stops it at exit.
        let lifeline = watchdog(
            r#"docker-registry serve "$1" >"$2/registry.log" 2>&1 &
r=$!
cat >/dev/null
kill "$r"
wait "$r""#,
            &[&cfg, &dir],
        );
        super::wait_up(&host, &dir.join("registry.log"));
        Shared {
            host,
            dir,
            _lifeline: Mutex::new(lifeline),
        }
    })
}

/// This test's namespace on the shared no-auth registry. `host` is the registry and the
/// namespace (`127.0.0.1:PORT/tN`): `format!("{}/app:1", ns.host)` names an image no other test
/// sees. Tests that list the whole catalog, collect garbage, restart or reconfigure the registry
/// start their own `TestRegistry`.
pub struct Ns {
    /// `127.0.0.1:PORT/tN`.
    pub host: String,
    /// `127.0.0.1:PORT`: the registry itself.
    pub addr: String,
    /// `tN`.
    pub ns: String,
    peer: Peer,
}

/// A fresh namespace on the shared registry (which starts on first use).
pub fn ns() -> Ns {
    let s = shared();
    let ns = format!("t{}", NEXT.fetch_add(1, Ordering::SeqCst));
    let host = format!("{}/{ns}", s.host);
    Ns {
        peer: Peer {
            at: host.clone(),
            creds: None,
        },
        host,
        addr: s.host.clone(),
        ns,
    }
}

impl Ns {
    /// The shared registry's port.
    pub fn port(&self) -> u16 {
        self.addr.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// The shared registry's storage root.
    pub fn storage(&self) -> PathBuf {
        shared().dir.join("storage")
    }
}

/// skopeo pointed at this namespace: `ns.skopeo_push(…)`, `ns.skopeo_tags(…)`.
impl std::ops::Deref for Ns {
    type Target = Peer;
    fn deref(&self) -> &Peer {
        &self.peer
    }
}
