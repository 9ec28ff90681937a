//! Test support: real `docker-registry` processes on free loopback ports (no auth, htpasswd,
//! token), a small token issuer signing RS256 JWTs with an x5c chain, OCI layouts built on
//! disk, skopeo as the independent peer, and an isolated environment for running `cr`.
#![allow(dead_code)]

pub mod certs;
pub mod hostile;
pub mod issuer;
pub mod layout;
pub mod personality;
pub mod proxy;
pub mod referrers_api;
pub mod shared;
pub mod tty;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[allow(unused_imports)]
pub use issuer::{Issuer, User};
pub use shared::ns;

thread_local! {
    /// Set while `start_mtls` starts its registry.
    static MUTUAL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Set while `start_self_signed` starts its registry.
    static SELF_SIGNED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Set while `start_read_only` starts its registry.
    static READ_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Set while `certs::start_with_cert` starts its registry: its TLS (and extra) YAML.
    static GIVEN_TLS: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// With `CR_TEST_REGISTRY_COUNT=FILE` set, append one line (`own` or `shared`) to FILE per
/// docker-registry started, so that a run can count them (`sort FILE | uniq -c`).
pub fn count_registry(kind: &str) {
    if let Some(file) = std::env::var_os("CR_TEST_REGISTRY_COUNT") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
            .unwrap();
        writeln!(f, "{kind}").unwrap();
    }
}

/// Fail loudly when a tool the tests need is missing: tests never skip.
pub fn require(tool: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "{tool} is required by the tests: run .ci/run or apt-get install -y docker-registry skopeo openssl");
}

pub enum Auth {
    None,
    Htpasswd(Vec<(String, String)>),
    Token(Issuer),
}

/// A running docker-registry; killed on drop.
pub struct TestRegistry {
    pub host: String,
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
    pub auth: Auth,
    /// skopeo pointed at it (`reg.skopeo_push(…)` etc. through Deref, as on `Ns`).
    peer: Peer,
}

impl TestRegistry {
    pub fn start(auth: Auth) -> Self {
        Self::start_with(auth, true)
    }

    /// A registry with manifest deletion enabled or disabled.
    pub fn start_with(auth: Auth, delete: bool) -> Self {
        Self::start_full(auth, delete, false)
    }

    /// A registry serving TLS with a certificate for 127.0.0.1 (see `cert()`).
    pub fn start_tls() -> Self {
        Self::start_full(Auth::None, true, true)
    }

    /// A registry serving TLS (as `start_tls`) that asks for `auth`.
    pub fn start_tls_with(auth: Auth) -> Self {
        Self::start_full(auth, true, true)
    }

    /// A TLS registry that also requires a client certificate signed by its CA (mutual TLS;
    /// see `client_cert()`).
    pub fn start_mtls() -> Self {
        MUTUAL.with(|m| m.set(true));
        let r = Self::start_full(Auth::None, true, true);
        MUTUAL.with(|m| m.set(false));
        r
    }

    /// A TLS registry whose certificate is self-signed with the common recipe
    /// (`openssl req -x509 -newkey … -subj /CN=localhost -addext subjectAltName=…`, so CA:TRUE);
    /// `cert()` is that certificate.
    pub fn start_self_signed() -> Self {
        SELF_SIGNED.with(|m| m.set(true));
        let r = Self::start_full(Auth::None, true, true);
        SELF_SIGNED.with(|m| m.set(false));
        r
    }

    /// A registry in maintenance read-only mode: reads work, every write answers 405.
    pub fn start_read_only() -> Self {
        READ_ONLY.with(|m| m.set(true));
        let r = Self::start_full(Auth::None, true, false);
        READ_ONLY.with(|m| m.set(false));
        r
    }

    /// The client certificate and key (PEM) of a mutual-TLS registry.
    pub fn client_cert(&self) -> (PathBuf, PathBuf) {
        (
            self.dir.path().join("client.cert"),
            self.dir.path().join("client.key"),
        )
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("tls-cert.pem")
    }

    /// A registry listening on [::1] only.
    pub fn start_v6() -> Self {
        Self::start_on(Auth::None, true, false, "[::1]")
    }

    fn start_full(auth: Auth, delete: bool, tls: bool) -> Self {
        Self::start_on(auth, delete, tls, "127.0.0.1")
    }

    fn start_on(auth: Auth, delete: bool, tls: bool, ip: &str) -> Self {
        require("docker-registry");
        count_registry("own");
        let dir = tempfile::tempdir().unwrap();
        let given = GIVEN_TLS.with(|g| g.borrow_mut().take());
        let tls_yaml = if let Some(yaml) = given {
            yaml
        } else if tls {
            static PLAIN: OnceLock<PathBuf> = OnceLock::new();
            static MUTUAL_TLS: OnceLock<PathBuf> = OnceLock::new();
            static SELF: OnceLock<PathBuf> = OnceLock::new();
            let self_signed = SELF_SIGNED.with(|m| m.get());
            let mutual = MUTUAL.with(|m| m.get());
            let (cell, name) = match (self_signed, mutual) {
                (true, _) => (&SELF, "tls-self-signed"),
                (false, true) => (&MUTUAL_TLS, "tls-mutual"),
                (false, false) => (&PLAIN, "tls"),
            };
            let made = shared::made_once(cell, name, |d| make_tls(d, self_signed, mutual));
            shared::copy_files(made, dir.path());
            let d = dir.path();
            let cert = d.join(if self_signed {
                "tls-cert.pem"
            } else {
                "tls-leaf.pem"
            });
            let mut yaml = format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                d.join("tls-key.pem").display()
            );
            if mutual && !self_signed {
                let ca = d.join("tls-cert.pem");
                yaml.push_str(&format!("    clientcas:\n      - {}\n", ca.display()));
            }
            yaml
        } else {
            String::new()
        };
        let port = free_port();
        let auth_yaml = match &auth {
            Auth::None => String::new(),
            Auth::Htpasswd(users) => {
                let file = dir.path().join("htpasswd");
                let mut s = String::new();
                for (u, p) in users {
                    s.push_str(&format!("{u}:{}\n", bcrypt::hash(p, 5).unwrap()));
                }
                std::fs::write(&file, s).unwrap();
                format!("auth:\n  htpasswd:\n    realm: cr-test\n    path: {}\n", file.display())
            }
            Auth::Token(iss) => format!(
                "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                iss.realm(),
                issuer::SERVICE,
                issuer::ISSUER,
                iss.cert_path().display()
            ),
        };
        let read_only = if READ_ONLY.with(|m| m.get()) {
            "    readonly:\n      enabled: true\n"
        } else {
            ""
        };
        let cfg_path = write_config(
            dir.path(),
            delete,
            read_only,
            &format!("{ip}:{port}"),
            &format!("{tls_yaml}{auth_yaml}"),
        );
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&cfg_path)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let host = format!("{ip}:{port}");
        let peer = Peer {
            at: host.clone(),
            creds: admin_creds(&auth),
        };
        let reg = TestRegistry {
            host,
            port,
            dir,
            child,
            auth,
            peer,
        };
        reg.wait_ready();
        reg
    }

    fn wait_ready(&self) {
        wait_up(&self.host, &self.dir.path().join("registry.log"));
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Credentials skopeo should use, if any (the admin).
    pub fn admin_creds(&self) -> Option<String> {
        admin_creds(&self.auth)
    }

    /// skopeo pointed at this registry, with the admin's credentials if it wants them.
    pub fn peer(&self) -> Peer {
        self.peer.clone()
    }
}

/// skopeo calls on a registry: `reg.skopeo_push(…)`; a helper taking `&Peer` serves a
/// registry of its own and a namespace of the shared one alike.
impl std::ops::Deref for TestRegistry {
    type Target = Peer;
    fn deref(&self) -> &Peer {
        &self.peer
    }
}

/// The admin's `user:password` for a registry with this auth, if it wants any.
fn admin_creds(auth: &Auth) -> Option<String> {
    match auth {
        Auth::None => None,
        Auth::Htpasswd(u) => Some(format!("{}:{}", u[0].0, u[0].1)),
        Auth::Token(_) => Some(format!("{}:{}", issuer::ADMIN, issuer::ADMIN_PASSWORD)),
    }
}

/// skopeo, the independent reader and writer, pointed at a registry prefix: `host`, or
/// `host/namespace` on the shared registry (names are appended to it).
#[derive(Clone)]
pub struct Peer {
    pub at: String,
    pub creds: Option<String>,
}

impl Peer {
    /// Push an OCI layout image with skopeo.
    pub fn skopeo_push(&self, layout: &Path, tag: &str, dest: &str) {
        let mut args = vec![
            "copy".to_string(),
            "--all".into(),
            "--preserve-digests".into(),
            "--dest-tls-verify=false".into(),
        ];
        if let Some(c) = self.creds.clone() {
            args.push(format!("--dest-creds={c}"));
        }
        args.push(format!("oci:{}:{tag}", layout.display()));
        args.push(format!("docker://{}/{dest}", self.at));
        skopeo(&args);
    }

    /// The digest skopeo sees for an image.
    pub fn skopeo_digest(&self, name: &str) -> String {
        cr_digest(self.skopeo_inspect(name, true).as_bytes())
    }

    /// `skopeo inspect --raw` (raw=true) or the parsed inspect JSON.
    pub fn skopeo_inspect(&self, name: &str, raw: bool) -> String {
        let mut args = vec!["inspect".to_string(), "--tls-verify=false".into()];
        if raw {
            args.push("--raw".into());
        }
        if let Some(c) = self.creds.clone() {
            args.push(format!("--creds={c}"));
        }
        args.push(format!("docker://{}/{name}", self.at));
        String::from_utf8(skopeo(&args).stdout).unwrap()
    }

    /// Tags of a repository as skopeo lists them (empty when the repository has none).
    pub fn skopeo_tags(&self, repo: &str) -> Vec<String> {
        let mut args = vec!["list-tags".to_string(), "--tls-verify=false".into()];
        if let Some(c) = self.creds.clone() {
            args.push(format!("--creds={c}"));
        }
        args.push(format!("docker://{}/{repo}", self.at));
        let out = Command::new("skopeo").args(&args).output().unwrap();
        if !out.status.success() {
            return Vec::new();
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        sorted_strings(&v["Tags"])
    }

    /// The digests (sorted) listed by the fallback referrers index of `subject` in `repo`
    /// (the tag `sha256-HEX`); none when there is no such tag.
    pub fn fallback_index(&self, repo: &str, subject: &str) -> Vec<String> {
        let name = format!("{repo}:{}", subject.replacen(':', "-", 1));
        if !self.skopeo_exists(&name) {
            return Vec::new();
        }
        let v = json(&self.skopeo_inspect(&name, true));
        let mut d: Vec<String> = v["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["digest"].as_str().unwrap().to_string())
            .collect();
        d.sort();
        d
    }

    /// Whether skopeo can fetch the manifest.
    pub fn skopeo_exists(&self, name: &str) -> bool {
        let mut args = vec![
            "inspect".to_string(),
            "--raw".into(),
            "--tls-verify=false".into(),
        ];
        if let Some(c) = self.creds.clone() {
            args.push(format!("--creds={c}"));
        }
        args.push(format!("docker://{}/{name}", self.at));
        Command::new("skopeo")
            .args(&args)
            .output()
            .unwrap()
            .status
            .success()
    }
}

/// TLS files for a registry, written in `d`: `tls-cert.pem` (the CA, or the self-signed
/// certificate), `tls-key.pem` (the server's key), `tls-leaf.pem` (the server's certificate,
/// signed by the CA), and for mutual TLS `client.cert` and `client.key`.
fn make_tls(d: &Path, self_signed: bool, mutual: bool) {
    let at = |cert: &str, key: &str| certs::Pair {
        cert: d.join(cert),
        key: d.join(key),
    };
    if self_signed {
        let san = "subjectAltName=IP:127.0.0.1,DNS:localhost";
        certs::x509(d, "localhost", &[san], &at("tls-cert.pem", "tls-key.pem"));
        return;
    }
    // A CA, and a leaf for 127.0.0.1 signed by it (webpki refuses a CA as end entity).
    let ca = at("tls-cert.pem", "tls-ca-key.pem");
    certs::x509(d, "cr test CA", &[], &ca);
    certs::signed(
        d,
        "127.0.0.1",
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        &ca,
        &at("tls-leaf.pem", "tls-key.pem"),
    );
    if mutual {
        certs::signed(
            d,
            "cr-test-client",
            "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
            &ca,
            &at("client.cert", "client.key"),
        );
    }
}

/// Wait (bounded: 20 s) until a registry answers on `host`; panics with its log otherwise.
fn wait_up(host: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let addr: std::net::SocketAddr = host.parse().expect("ip:port");
        if let Ok(mut s) = TcpStream::connect(addr) {
            let _ = s.write_all(b"GET /v2/ HTTP/1.0\r\n\r\n");
            let mut buf = [0u8; 12];
            // A TLS port answers a plain request too (with an error): it is up.
            if s.read(&mut buf).map(|n| n > 0).unwrap_or(false) {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "docker-registry did not start: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// Write `dir/config.yml` for a registry storing in `dir/storage` and listening on `addr`;
/// `extra` is YAML appended under `http:` and after it (TLS, auth).
fn write_config(dir: &Path, delete: bool, read_only: &str, addr: &str, extra: &str) -> PathBuf {
    let storage = dir.join("storage");
    std::fs::create_dir_all(&storage).unwrap();
    let cfg = format!(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: {delete}\n  maintenance:\n    uploadpurging:\n      enabled: false\n{read_only}http:\n  addr: \"{addr}\"\n{extra}",
        storage.display()
    );
    let cfg_path = dir.join("config.yml");
    std::fs::write(&cfg_path, cfg).unwrap();
    cfg_path
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Incompressible test data of `n` bytes (xorshift, seeded).
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(n + 8);
    while v.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(n);
    v
}

pub fn cr_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

pub fn skopeo(args: &[String]) -> Output {
    require("skopeo");
    let out = Command::new("skopeo")
        .args(args)
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("run skopeo");
    assert!(
        out.status.success(),
        "skopeo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Parse what `cr -o json` printed; the panic shows the text.
pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// Run skopeo and parse what it prints as JSON.
pub fn skopeo_json(args: &[&str]) -> serde_json::Value {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = skopeo(&args).stdout;
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("skopeo {args:?}: not JSON ({e})"))
}

/// The strings of a JSON array, sorted (none when it is not an array).
pub fn sorted_strings(v: &serde_json::Value) -> Vec<String> {
    let mut t: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    t.sort();
    t
}

/// Run `cmd` with `input` on its stdin (stdout and stderr captured); its output.
pub fn output_with_stdin(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// Run openssl in `dir`; the tests need it for certificates and token signatures.
pub fn openssl(dir: &Path, args: &[&str]) {
    require("openssl");
    let ok = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "openssl {args:?} failed");
}

/// An isolated environment for `cr`: its own HOME, config, Docker config; no inherited CR_*.
pub struct Env {
    pub home: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Self {
        Env {
            home: tempfile::tempdir().unwrap(),
        }
    }

    pub fn docker_config(&self) -> PathBuf {
        self.home.path().join("docker")
    }

    /// `cr` as a plain process, with the isolated environment.
    pub fn std_cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cr"));
        for (k, _) in std::env::vars() {
            if k.starts_with("CR_")
                || k.starts_with("DOCKER_")
                || k == "REGISTRY_AUTH_FILE"
                || k.starts_with("DBUS_")
            {
                c.env_remove(k);
            }
        }
        let h = self.home.path();
        c.env("HOME", h)
            .env("XDG_CONFIG_HOME", h.join("config"))
            .env("XDG_RUNTIME_DIR", h.join("run"))
            .env("CR_CONFIG_DIR", h.join("cr"))
            .env("DOCKER_CONFIG", self.docker_config())
            .env("REGISTRY_AUTH_FILE", h.join("auth.json"))
            .env("CR_CREDENTIAL_STORE", "file")
            .env("CR_RETRY_BASE_MS", "20")
            .env("NO_COLOR", "1");
        c
    }

    pub fn cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd())
    }

    /// Run `cr ARGS` and return (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Run and require success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(
            code, 0,
            "cr {args:?} failed ({code}):\nstdout: {out}\nstderr: {err}"
        );
        out
    }

    /// Log in as `user` with `password` to `host`.
    pub fn login(&self, host: &str, user: &str, password: &str) {
        let out = self
            .cmd()
            .args(["login", host, "-u", user, "--password-stdin"])
            .write_stdin(format!("{password}\n"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "login failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

/// PUT a manifest on a registry without authentication; panics unless it answers 201. `host`
/// may carry a namespace (`Ns::host`): the repository is then under it.
pub fn put_manifest(host: &str, repo: &str, tag: &str, media_type: &str, body: &[u8]) {
    let (host, repo) = match host.split_once('/') {
        Some((addr, ns)) => (addr, format!("{ns}/{repo}")),
        None => (host, repo.to_string()),
    };
    let target = format!("/v2/{repo}/manifests/{tag}");
    let a = hostile::fetch(host, "PUT", &target, &[("Content-Type", media_type)], body).unwrap();
    assert_eq!(a.head.status, 201, "{}", a.text());
}
