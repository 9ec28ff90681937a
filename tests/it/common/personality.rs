//! Registry personalities: ONE proxy object in front of ONE real docker-registry (no auth of its
//! own), with one loopback port per hosted registry it imitates (Docker Hub, GHCR, ECR, ACR,
//! Artifact Registry, Quay, Harbor, GitLab, IBM, Artifactory, zot) plus one "storage" port
//! standing for object storage (S3, GCS, Azure Blob) and sign-in pages. Each personality keeps
//! its repositories under its own namespace of the shared registry (`dockerhub/…`, `quay/…`), has
//! its own token endpoint and token shapes, challenges, pagination, catalog, delete, referrers,
//! redirect and rate-limit behaviour, each copied from /work/shared/registry-quirks.md and marked
//! `// quirks: §N line L` (the section and line of that catalogue). Every request is logged
//! (personality, method, path, the Authorization scheme, status) so tests can assert what a
//! server received: no Authorization at the storage endpoint, request counts.
//!
//! Each port is a server of hostile.rs; bodies are read whole (tests push small images) and
//! sent on with `hostile::fetch`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use serde_json::{json, Value};

use super::hostile::{self, Exchange, Hostile, Reply};
use super::{Auth, TestRegistry};

/// The registries imitated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum P {
    DockerHub,
    Ghcr,
    Ecr,
    Acr,
    Gar,
    Quay,
    Harbor,
    Gitlab,
    Ibm,
    Artifactory,
    Zot,
}

pub const ALL: [P; 11] = [
    P::DockerHub,
    P::Ghcr,
    P::Ecr,
    P::Acr,
    P::Gar,
    P::Quay,
    P::Harbor,
    P::Gitlab,
    P::Ibm,
    P::Artifactory,
    P::Zot,
];

impl P {
    /// Its name, also its namespace in the shared registry.
    pub fn name(self) -> &'static str {
        match self {
            P::DockerHub => "dockerhub",
            P::Ghcr => "ghcr",
            P::Ecr => "ecr",
            P::Acr => "acr",
            P::Gar => "gar",
            P::Quay => "quay",
            P::Harbor => "harbor",
            P::Gitlab => "gitlab",
            P::Ibm => "ibm",
            P::Artifactory => "artifactory",
            P::Zot => "zot",
        }
    }

    /// The login its users have (user name, password); the odd user names are the registries'.
    pub fn login(self) -> (&'static str, &'static str) {
        match self {
            P::DockerHub => ("hubuser", "hub-pass"),
            P::Ghcr => ("ghuser", "ghp_pat"),
            // quirks: §3 line 299: the user name is always AWS.
            P::Ecr => ("AWS", "ecr-password"),
            P::Acr => ("acruser", "acr-pass"),
            // quirks: §5 line 486: oauth2accesstoken / _json_key user names.
            P::Gar => ("oauth2accesstoken", "ya29.token"),
            // quirks: §6 line 541: robot accounts org+robot.
            P::Quay => ("org+robot", "quay-pass"),
            // quirks: §7 line 628: robot$name.
            P::Harbor => ("robot$ci", "harbor-pass"),
            P::Gitlab => ("gitlab-ci-token", "glpat"),
            // quirks: §8 line 668: iamapikey.
            P::Ibm => ("iamapikey", "ibm-key"),
            P::Artifactory => ("jfuser", "jf-pass"),
            P::Zot => ("zotuser", "zot-pass"),
        }
    }

    /// Whether the registry has the OCI referrers API (emulated by the proxy).
    pub fn has_referrers_api(self) -> bool {
        // quirks: §3 line 348 (ECR), §4 line 446 (ACR), §11 line 775 (zot).
        matches!(self, P::Ecr | P::Acr | P::Zot)
    }
}

/// One logged request.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The personality, or "storage" for the storage endpoint.
    pub at: &'static str,
    pub method: String,
    pub path: String,
    /// The Authorization scheme sent (`Basic`, `Bearer`), if any.
    pub auth: Option<String>,
    /// Whose credentials those were: the personality that issued the token, or whose user
    /// name and password the Basic header carries ("?" when unknown).
    pub cred_of: Option<&'static str>,
    pub status: u16,
}

struct Station {
    p: P,
    port: u16,
    _server: Hostile,
}

/// What a token grants: (type, name, actions).
type Grant = (String, String, Vec<String>);

struct State {
    upstream: u16,
    storage_root: std::path::PathBuf,
    storage_port: u16,
    ports: HashMap<P, u16>,
    /// token -> (personality, granted (type, name, actions))
    tokens: Mutex<HashMap<String, (P, Vec<Grant>)>>,
    counter: AtomicUsize,
    log: Mutex<Vec<Seen>>,
    /// (personality, repository, subject, descriptor) for the emulated referrers APIs.
    refs: Mutex<Vec<(P, String, String, Value)>>,
    /// Quay's opaque catalog pages: token -> last repository.
    next_pages: Mutex<HashMap<String, String>>,
    /// Docker Hub: manifest GETs answered 429 after this many (None: no limit).
    pull_limit: Mutex<Option<usize>>,
    pulls: AtomicUsize,
    /// ECR upload sessions: (size of the last PATCH, Range answered to the first PATCH).
    sessions: Mutex<HashMap<String, (usize, Option<String>)>>,
    /// Requests made with the first token issued for `gitlab/expiring*` (it expires).
    uses: Mutex<HashMap<String, usize>>,
}

/// The proxy and its registry.
pub struct Personalities {
    pub registry: TestRegistry,
    state: Arc<State>,
    stations: Vec<Station>,
    _storage: Hostile,
}

impl Personalities {
    pub fn start() -> Self {
        let registry = TestRegistry::start(Auth::None);
        // The servers start first (their ports are part of the state their handlers share).
        let cell: Arc<OnceLock<Arc<State>>> = Arc::default();
        let server = |p: Option<P>| {
            let cell = cell.clone();
            Hostile::serve(move |ex| {
                if let Some(s) = cell.get() {
                    let _ = handle(ex, s, p);
                }
            })
        };
        let stations: Vec<Station> = ALL
            .iter()
            .map(|&p| {
                let server = server(Some(p));
                Station {
                    p,
                    port: server.port,
                    _server: server,
                }
            })
            .collect();
        let storage = server(None);
        let state = Arc::new(State {
            upstream: registry.port,
            storage_root: registry.storage(),
            storage_port: storage.port,
            ports: stations.iter().map(|st| (st.p, st.port)).collect(),
            tokens: Mutex::default(),
            counter: AtomicUsize::new(0),
            log: Mutex::default(),
            refs: Mutex::default(),
            next_pages: Mutex::default(),
            pull_limit: Mutex::new(None),
            pulls: AtomicUsize::new(0),
            sessions: Mutex::default(),
            uses: Mutex::default(),
        });
        let _ = cell.set(state.clone());
        Personalities {
            registry,
            state,
            stations,
            _storage: storage,
        }
    }

    /// `127.0.0.1:PORT` of a personality.
    pub fn host(&self, p: P) -> String {
        format!("127.0.0.1:{}", self.state.ports[&p])
    }

    /// The storage endpoint's `127.0.0.1:PORT`.
    pub fn storage_host(&self) -> String {
        format!("127.0.0.1:{}", self.state.storage_port)
    }

    /// Every request logged so far.
    pub fn log(&self) -> Vec<Seen> {
        self.state.log.lock().unwrap().clone()
    }

    /// The requests one personality (or "storage") got.
    pub fn seen(&self, at: &str) -> Vec<Seen> {
        self.log().into_iter().filter(|s| s.at == at).collect()
    }

    /// Docker Hub answers 429 to manifest GETs of `dockerhub/limited*` repositories after `n`
    /// more of them (None: no limit); other repositories are not counted, so that tests running
    /// at the same time are not limited.
    pub fn set_pull_limit(&self, n: Option<usize>) {
        self.state.pulls.store(0, Ordering::SeqCst);
        *self.state.pull_limit.lock().unwrap() = n;
    }

    /// All personalities' ports, for "no credential to another host" checks.
    pub fn ports(&self) -> Vec<u16> {
        self.stations.iter().map(|s| s.port).collect()
    }

    /// Which personality a port belongs to.
    pub fn at_port(&self, port: u16) -> Option<P> {
        self.stations.iter().find(|s| s.port == port).map(|s| s.p)
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing.

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    fn query(&self) -> Vec<(String, String)> {
        let q = self.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    }
    fn q(&self, k: &str) -> Option<String> {
        self.query()
            .into_iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v)
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn new(status: u16, ctype: &str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers: vec![("Content-Type".into(), ctype.into())],
            body: body.into(),
        }
    }
    fn json(status: u16, v: Value) -> Self {
        Self::new(status, "application/json", v.to_string())
    }
    fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(
            status,
            json!({"errors": [{"code": code, "message": message}]}),
        )
    }
    fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
    fn set(&mut self, k: &str, v: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(k));
        self.headers.push((k.to_string(), v.to_string()));
    }
    fn remove(&mut self, k: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(k));
    }
    fn with(mut self, k: &str, v: &str) -> Self {
        self.set(k, v);
        self
    }
}

/// The request with its whole body (64 MiB at most).
fn read_request(ex: &mut Exchange) -> std::io::Result<Request> {
    let body = ex.read_body(64 << 20)?;
    Ok(Request {
        method: ex.seen.method.clone(),
        target: ex.seen.target.clone(),
        headers: ex.seen.headers.clone(),
        body,
    })
}

/// Send a request to the shared registry (no Authorization: it has no auth of its own).
fn upstream(
    s: &State,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Response {
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let host = format!("127.0.0.1:{}", s.upstream);
    match hostile::fetch(&host, method, target, &headers, body) {
        Ok(a) => Response {
            status: a.head.status,
            headers: a.head.headers,
            body: a.body,
        },
        Err(_) => Response::error(502, "UNKNOWN", "upstream unreachable"),
    }
}

fn get_json(s: &State, target: &str) -> Value {
    let r = upstream(s, "GET", target, &[], b"");
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A storage URL signature (stands for S3's presigned query).
fn signature(path: &str) -> String {
    super::cr_digest(format!("storage-secret:{path}").as_bytes())[7..23].to_string()
}

// ---------------------------------------------------------------------------------------------
// The registries.

fn handle(mut ex: Exchange, s: &State, p: Option<P>) -> std::io::Result<()> {
    let mut req = read_request(&mut ex)?;
    let target = req.target.clone();
    if p == Some(P::Ghcr) {
        // The singular upload path GHCR hands out (see repo_request) is its own.
        req.target = req.target.replacen("/blobs/upload/", "/blobs/uploads/", 1);
    }
    let auth = req
        .header("authorization")
        .and_then(|a| a.split_whitespace().next())
        .map(str::to_string);
    let cred_of = req.header("authorization").map(|a| owner(s, a));
    let resp = match p {
        Some(p) => registry(s, p, &req),
        None => storage(s, &req),
    };
    s.log.lock().unwrap().push(Seen {
        at: p.map(P::name).unwrap_or("storage"),
        method: req.method.clone(),
        path: target,
        auth,
        cred_of,
        status: resp.status,
    });
    ex.reply(Reply::Full {
        status: resp.status,
        headers: resp.headers,
        body: resp.body,
    });
    Ok(())
}

/// Which personality an Authorization value belongs to.
fn owner(s: &State, a: &str) -> &'static str {
    if let Some(t) = a.strip_prefix("Bearer ") {
        return s
            .tokens
            .lock()
            .unwrap()
            .get(t.trim())
            .map(|(p, _)| p.name())
            .unwrap_or("?");
    }
    ALL.iter()
        .find(|p| {
            let (u, pw) = p.login();
            a == format!("Basic {}", b64(&format!("{u}:{pw}")))
        })
        .map(|p| p.name())
        .unwrap_or("?")
}

/// The storage endpoint: S3-like presigned blob URLs and a sign-in page.
fn storage(s: &State, req: &Request) -> Response {
    if req.path() == "/signin" {
        // quirks: §5 line 503: Artifact Registry's referrers URL ends on an HTML sign-in page.
        return Response::new(
            200,
            "text/html; charset=utf-8",
            "<html><head><title>Sign in - Google Accounts</title></head><body>Sign in</body></html>",
        );
    }
    if req.header("authorization").is_some() {
        // quirks: §3 line 379: S3 refuses a presigned URL that also carries Authorization.
        return Response::new(400, "application/xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified</Message></Error>");
    }
    if req.method != "GET" {
        // quirks: §2 line 276: the presigned URL is signed for GET only (HEAD -> 403).
        return Response::new(
            403,
            "application/xml",
            "<Error><Code>SignatureDoesNotMatch</Code></Error>",
        );
    }
    let path = req.path().to_string();
    if req.q("X-Amz-Signature").as_deref() != Some(signature(&path).as_str()) {
        return Response::new(
            403,
            "application/xml",
            "<Error><Code>AccessDenied</Code></Error>",
        );
    }
    // /blobs/REPO.../sha256:HEX
    let Some(rest) = path.strip_prefix("/blobs/") else {
        return Response::new(404, "text/plain", "no such object");
    };
    let Some((repo, digest)) = rest.rsplit_once('/') else {
        return Response::new(404, "text/plain", "no such object");
    };
    let mut r = upstream(s, "GET", &format!("/v2/{repo}/blobs/{digest}"), &[], b"");
    r.headers.retain(|(k, _)| {
        k.eq_ignore_ascii_case("content-type") || k.eq_ignore_ascii_case("content-length")
    });
    r
}

/// What a request needs: (repository, action) or the catalog.
enum Need {
    Ping,
    Catalog,
    Repo(String, &'static str),
    Token,
}

fn need(p: P, req: &Request) -> Need {
    let path = req.path();
    if path == "/v2/" || path == "/v2" {
        return Need::Ping;
    }
    if path == "/v2/_catalog" {
        return Need::Catalog;
    }
    if path == token_path(p) {
        return Need::Token;
    }
    let inner = path.strip_prefix("/v2/").unwrap_or("");
    let repo = ["/manifests/", "/blobs/", "/tags/", "/referrers/"]
        .iter()
        .filter_map(|k| inner.find(k))
        .min()
        .map(|i| inner[..i].to_string())
        .unwrap_or_default();
    let action = match req.method.as_str() {
        "GET" | "HEAD" => "pull",
        "DELETE" => match p {
            // quirks: §6 line 601: Quay has no delete action; pull,push deletes.
            P::Quay => "push",
            _ => "delete",
        },
        _ => "push",
    };
    Need::Repo(repo, action)
}

fn token_path(p: P) -> &'static str {
    match p {
        // quirks: §1 line 117 (auth.docker.io/token), §2 line 225 (ghcr.io/token).
        P::DockerHub | P::Ghcr => "/token",
        // quirks: §4 line 414.
        P::Acr => "/oauth2/token",
        // quirks: §5 line 478.
        P::Gar => "/v2/token",
        // quirks: §6 line 532.
        P::Quay => "/v2/auth",
        // quirks: §7 line 619.
        P::Harbor => "/service/token",
        // quirks: §9 line 693.
        P::Gitlab => "/jwt/auth",
        // quirks: §8 line 669 [uncertain: challenge details not captured]; assumed a standard
        // Bearer flow with its own realm path.
        P::Ibm => "/oauth/token",
        // quirks: §10 line 731: the realm has an explicit port and a repository-key path.
        P::Artifactory => "/artifactory/api/docker/docker-local/v2/token",
        // quirks: §3 line 298 (ECR: no token endpoint); §11 line 773 (zot: htpasswd Basic).
        P::Ecr | P::Zot => "/no-token-endpoint",
    }
}

/// The service parameter of the challenge, if any.
fn service(s: &State, p: P) -> Option<String> {
    Some(match p {
        P::DockerHub => "registry.docker.io".into(),
        P::Ghcr => "ghcr.io".into(),
        P::Acr => format!("127.0.0.1:{}", s.ports[&p]),
        // quirks: §5 line 479: multi-region Artifact Registry sends no service.
        P::Gar => return None,
        P::Quay => "quay.io".into(),
        // quirks: §7 line 619: a literal service.
        P::Harbor => "harbor-registry".into(),
        // quirks: §9 line 693: a fixed literal, not the host.
        P::Gitlab => "container_registry".into(),
        P::Ibm => "registry".into(),
        P::Artifactory => format!("127.0.0.1:{}", s.ports[&p]),
        // quirks: §3 line 299: Basic challenge with service="ecr.amazonaws.com".
        P::Ecr => "ecr.amazonaws.com".into(),
        P::Zot => return None,
    })
}

fn basic_only(p: P) -> bool {
    matches!(p, P::Ecr | P::Zot)
}

/// The 401 a personality answers when a request lacks what it needs.
fn challenge(s: &State, p: P, req: &Request, scope: Option<String>) -> Response {
    let host = format!("127.0.0.1:{}", s.ports[&p]);
    if p == P::Ecr {
        // quirks: §3 line 299: Basic, with service, and a text/plain body.
        return Response::new(401, "text/plain; charset=utf-8", "Not Authorized\n").with(
            "WWW-Authenticate",
            &format!("Basic realm=\"http://{host}/\",service=\"ecr.amazonaws.com\""),
        );
    }
    if p == P::Zot {
        // quirks: §11 line 773: htpasswd Basic.
        return Response::error(401, "UNAUTHORIZED", "authentication required")
            .with("WWW-Authenticate", "Basic realm=\"zot\"");
    }
    let sent_basic = req
        .header("authorization")
        .is_some_and(|a| a.starts_with("Basic"));
    if p == P::Harbor && (req.path() == "/v2/_catalog" || sent_basic) {
        // quirks: §7 line 620: Basic realm="harbor" on _catalog and after a Basic attempt.
        return Response::error(401, "UNAUTHORIZED", "unauthorized to list catalog")
            .with("WWW-Authenticate", "Basic realm=\"harbor\"");
    }
    let body = Response::error(401, "UNAUTHORIZED", "authentication required");
    if p == P::Gar && req.path() != "/v2/" {
        // quirks: §5 line 483: 401 without WWW-Authenticate on requests other than the ping.
        return body;
    }
    let mut v = format!("Bearer realm=\"http://{host}{}\"", token_path(p));
    if let Some(svc) = service(s, p) {
        v.push_str(&format!(",service=\"{svc}\""));
    }
    // quirks: §10 line 733: older Artifactory sends no scope; §5 line 479: none on /v2/.
    if let Some(sc) = scope.filter(|_| p != P::Artifactory) {
        v.push_str(&format!(",scope=\"{sc}\""));
    }
    body.with("WWW-Authenticate", &v)
}

/// Token service of a Bearer personality.
fn token(s: &State, p: P, req: &Request) -> Response {
    if req.method == "POST" {
        // quirks: §0 line 37: POST refused (Harbor 405, Artifactory 401, GCR 404, ACR 400).
        return match p {
            P::Harbor | P::Quay => Response::new(405, "text/plain", "method not allowed"),
            P::Artifactory => Response::new(401, "text/plain", "unauthorized"),
            P::Gar => Response::new(404, "text/plain", "not found"),
            P::Acr => Response::error(400, "UNSUPPORTED", "grant_type password unsupported"),
            _ => Response::error(400, "UNSUPPORTED", "no POST"),
        };
    }
    let (user, pass) = p.login();
    let authed = match req.header("authorization") {
        Some(a) if a == format!("Basic {}", b64(&format!("{user}:{pass}"))) => true,
        Some(_) => {
            return Response::json(401, json!({"details": "incorrect username or password"}))
        }
        None => false,
    };
    let scopes: Vec<String> = req
        .query()
        .into_iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v)
        .collect();
    if p == P::Quay
        && scopes.iter().any(|sc| {
            sc.starts_with("registry:")
                || sc
                    .split(':')
                    .nth(2)
                    .is_some_and(|a| a.split(',').any(|x| x == "delete"))
        })
    {
        // quirks: §6 line 535: a scope with `delete` or `registry:catalog:*` -> 400.
        return Response::error(
            400,
            "INVALID_REQUEST",
            "Unable to decode repository and actions",
        );
    }
    // quirks: §9 line 693: a token for another service grants nothing.
    let service_ok = match service(s, p) {
        Some(svc) => req.q("service").is_none_or(|q| q == svc),
        None => req.q("service").is_none(),
    };
    let mut granted = Vec::new();
    for sc in &scopes {
        let mut it = sc.splitn(3, ':');
        let (typ, name, actions) = (
            it.next().unwrap_or(""),
            it.next().unwrap_or(""),
            it.next().unwrap_or(""),
        );
        if !authed || !service_ok {
            continue;
        }
        let acts: Vec<String> = match typ {
            // quirks: §1 line 147: no token grants Docker Hub's catalog.
            "registry" if p == P::DockerHub => vec![],
            "registry" => vec!["*".into()],
            _ if name.starts_with(&format!("{}/", p.name())) => {
                actions.split(',').map(String::from).collect()
            }
            _ => vec![],
        };
        granted.push((typ.to_string(), name.to_string(), acts));
    }
    if authed && service_ok && p == P::Quay {
        // Quay grants its catalog to any logged-in user (it lists what the caller sees).
        granted.push(("registry".into(), "catalog".into(), vec!["*".into()]));
    }
    let n = s.counter.fetch_add(1, Ordering::SeqCst);
    let tok = format!("{}-{n}-{}", p.name(), &signature(&format!("{n}"))[..8]);
    if p == P::Gitlab && scopes.iter().any(|sc| sc.contains("gitlab/expiring")) {
        let mut uses = s.uses.lock().unwrap();
        if uses.is_empty() {
            uses.insert(tok.clone(), 0);
        }
    }
    s.tokens.lock().unwrap().insert(tok.clone(), (p, granted));
    let body = match p {
        // quirks: §1 line 124: token + access_token + expires_in 300 + issued_at with nanoseconds.
        P::DockerHub => {
            json!({"token": tok, "access_token": tok, "expires_in": 300, "issued_at": "2022-11-01T06:11:20.10593176Z"})
        }
        // quirks: §4 line 417: only access_token, no expires_in.
        P::Acr => json!({"access_token": tok}),
        // quirks: §2 line 226 (GHCR), §6 line 532 (Quay), §9 line 694 (GitLab): only token, no expires_in.
        P::Ghcr | P::Quay | P::Gitlab => json!({"token": tok}),
        _ => json!({"token": tok, "expires_in": 300}),
    };
    Response::json(200, body)
}

/// Whether the request carries what it needs.
fn allowed(s: &State, p: P, req: &Request, typ: &str, name: &str, action: &str) -> bool {
    let a = req.header("authorization").unwrap_or("");
    if basic_only(p) || (p == P::Harbor && typ == "registry") {
        let (u, pw) = p.login();
        return a == format!("Basic {}", b64(&format!("{u}:{pw}")));
    }
    let Some(t) = a.strip_prefix("Bearer ") else {
        return false;
    };
    let first = s.uses.lock().unwrap().contains_key(t.trim());
    if p == P::Gitlab && name.starts_with("gitlab/expiring") && first {
        // quirks: §0 line 53 and §9 line 700: GitLab tokens last 5 minutes, so a long push
        // meets a 401 midway. Emulated without waiting: the first token issued for a
        // `gitlab/expiring*` repository expires after 4 requests (later ones do not).
        let mut uses = s.uses.lock().unwrap();
        let n = uses.entry(t.trim().to_string()).or_insert(0);
        *n += 1;
        if *n > 4 {
            return false;
        }
    }
    let tokens = s.tokens.lock().unwrap();
    let Some((tp, granted)) = tokens.get(t.trim()) else {
        return false;
    };
    *tp == p
        && granted.iter().any(|(gt, gn, acts)| {
            gt == typ && gn == name && acts.iter().any(|x| x == action || x == "*")
        })
}

fn registry(s: &State, p: P, req: &Request) -> Response {
    let host = format!("127.0.0.1:{}", s.ports[&p]);
    match need(p, req) {
        Need::Token => token(s, p, req),
        Need::Ping => {
            let a = req.header("authorization").unwrap_or("");
            let ok = if basic_only(p) {
                allowed(s, p, req, "", "", "")
            } else {
                a.strip_prefix("Bearer ")
                    .is_some_and(|t| s.tokens.lock().unwrap().contains_key(t.trim()))
            };
            if ok {
                Response::json(200, json!({}))
                    .with("Docker-Distribution-API-Version", "registry/2.0")
            } else {
                challenge(s, p, req, None)
            }
        }
        Need::Catalog => catalog(s, p, req),
        Need::Repo(repo, action) => {
            let scope = format!(
                "repository:{repo}:{}",
                if action == "pull" {
                    "pull".to_string()
                } else {
                    format!("pull,{action}")
                }
            );
            if !allowed(s, p, req, "repository", &repo, action) {
                return challenge(s, p, req, Some(scope));
            }
            if !repo.starts_with(&format!("{}/", p.name())) {
                return Response::error(
                    404,
                    "NAME_UNKNOWN",
                    "repository name not known to registry",
                );
            }
            let mut r = repo_request(s, p, req, &repo);
            rewrite_host(&mut r, s.upstream, &host);
            r
        }
    }
}

fn rewrite_host(r: &mut Response, upstream: u16, host: &str) {
    let from = format!("127.0.0.1:{upstream}");
    for (_, v) in r.headers.iter_mut() {
        if v.contains(&from) {
            *v = v.replace(&from, host);
        }
    }
}

fn forward(s: &State, req: &Request) -> Response {
    upstream(s, &req.method, &req.target, &req.headers, &req.body)
}

/// Every tag of a repository of the shared registry, and the digest of each.
fn tags_of(s: &State, repo: &str) -> Vec<String> {
    let v = get_json(s, &format!("/v2/{repo}/tags/list?n=10000"));
    super::sorted_strings(&v["tags"])
}

fn digest_of(s: &State, repo: &str, reference: &str) -> Option<String> {
    let accept = vec![(
        "Accept".to_string(),
        "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json".to_string(),
    )];
    let r = upstream(
        s,
        "HEAD",
        &format!("/v2/{repo}/manifests/{reference}"),
        &accept,
        b"",
    );
    (r.status == 200)
        .then(|| r.header("docker-content-digest").map(str::to_string))
        .flatten()
}

fn tags_pointing(s: &State, repo: &str, digest: &str) -> Vec<String> {
    tags_of(s, repo)
        .into_iter()
        .filter(|t| digest_of(s, repo, t).as_deref() == Some(digest))
        .collect()
}

/// Remove one tag of the shared registry (distribution 2.8 cannot): its link directory.
fn remove_tag(s: &State, repo: &str, tag: &str) -> bool {
    let dir = s
        .storage_root
        .join("docker/registry/v2/repositories")
        .join(repo)
        .join("_manifests/tags")
        .join(tag);
    dir.is_dir() && std::fs::remove_dir_all(dir).is_ok()
}

fn repo_request(s: &State, p: P, req: &Request, repo: &str) -> Response {
    let path = req.path().to_string();
    let rest = &path[format!("/v2/{repo}/").len()..];
    let is_digest = |r: &str| r.starts_with("sha256:");
    // Referrers.
    if let Some(subject) = rest.strip_prefix("referrers/") {
        return referrers(s, p, repo, subject);
    }
    // Tag lists.
    if rest == "tags/list" {
        return tag_list(s, p, req, repo);
    }
    // Blob GETs go to storage.
    if let Some(digest) = rest.strip_prefix("blobs/").filter(|d| is_digest(d)) {
        if req.method == "GET" && !matches!(p, P::Zot | P::Artifactory | P::Harbor | P::Ibm) {
            let spath = format!("/blobs/{repo}/{digest}");
            let loc = format!(
                "http://127.0.0.1:{}{spath}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&X-Amz-Signature={}",
                s.storage_port,
                signature(&spath)
            );
            // quirks: §5 line 511 and §6 line 594: 302 (GAR, Quay); §1 line 189, §2 line 275,
            // §3 line 378, §4 line 449, §9 line 714: 307 (Hub, GHCR, ECR, ACR, GitLab).
            let status = if matches!(p, P::Gar | P::Quay) {
                302
            } else {
                307
            };
            return Response::new(status, "text/plain", "").with("Location", &loc);
        }
        if req.method == "DELETE" && p == P::Quay {
            // quirks: §6 line 601: DELETE blob -> 405 UNSUPPORTED.
            return Response::error(405, "UNSUPPORTED", "The operation is unsupported.");
        }
        return forward(s, req);
    }
    if rest.starts_with("blobs/uploads") {
        if p == P::Ghcr && req.method == "PATCH" && req.body.len() > 4 << 20 {
            // quirks: §2 line 260: a PATCH over 4 MiB -> 416 with this body.
            return Response::error(416, "REQUESTED_RANGE_NOT_SATISFIABLE", "the request body is too large and exceeds the maximum permissible limit of 4.00MiB");
        }
        if p == P::Quay
            && req.method == "PATCH"
            && req.header("content-range").is_some_and(|v| {
                !v.split('-')
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
        {
            // quirks: §6 line 583: Content-Range must match ^\d+-\d+$ (no `bytes ` unit).
            return Response::error(400, "INVALID_REQUEST", "Invalid range header");
        }
        // The session: the path after uploads/ (without the query).
        let session = rest
            .trim_start_matches("blobs/uploads")
            .trim_matches('/')
            .to_string();
        let more_data = req.method == "PATCH" || (req.method == "PUT" && !req.body.is_empty());
        if p == P::Ecr && more_data && !session.is_empty() {
            let last = s.sessions.lock().unwrap().get(&session).map(|x| x.0);
            if last.is_some_and(|n| n > 0 && n < 5 << 20) {
                // quirks: §3 line 356: every chunk but the last is at least 5 MiB.
                return Response::error(
                    400,
                    "BLOB_UPLOAD_INVALID",
                    "chunk smaller than the 5 MiB minimum",
                );
            }
        }
        let mut r = forward(s, req);
        if p == P::Ecr && req.method == "PATCH" && r.status == 202 {
            // quirks: §3 line 352: PATCH answers 201.
            r.status = 201;
            // quirks: §3 line 360: the Range stays at the first chunk's end.
            let mut sessions = s.sessions.lock().unwrap();
            let e = sessions.entry(session.clone()).or_insert((0, None));
            e.0 = req.body.len();
            match &e.1 {
                Some(first) => r.set("Range", first),
                None => e.1 = r.header("Range").map(str::to_string),
            }
        }
        if p == P::Ecr {
            // quirks: §3 line 369: no Docker-Upload-UUID.
            r.remove("Docker-Upload-UUID");
        }
        if let Some(loc) = r.header("Location").map(str::to_string) {
            if p == P::Ghcr {
                // quirks: §2 line 270: upload URLs with a singular `upload`.
                r.set(
                    "Location",
                    &loc.replacen("/blobs/uploads/", "/blobs/upload/", 1),
                );
            }
            if p == P::Zot {
                // quirks: §11 line 769: a relative upload Location.
                let origin = format!("http://127.0.0.1:{}", s.upstream);
                r.set("Location", loc.strip_prefix(&origin).unwrap_or(&loc));
            }
        }
        if p == P::Quay && req.method == "POST" && r.status == 202 {
            // quirks: §6 line 578: Range: bytes=0--1 on an empty session.
            r.set("Range", "bytes=0--1");
        }
        return r;
    }
    let Some(reference) = rest.strip_prefix("manifests/") else {
        return forward(s, req);
    };
    match req.method.as_str() {
        "DELETE" => delete(s, p, req, repo, reference),
        "PUT" => {
            let ctype = req.header("content-type").unwrap_or("").to_string();
            if p == P::Zot && ctype.starts_with("application/vnd.docker.") {
                // quirks: §11 line 757: Docker media types -> 415 MANIFEST_INVALID.
                return Response::json(
                    415,
                    json!({"errors": [{"code": "MANIFEST_INVALID", "message": "manifest invalid", "detail": {"mediaType": ctype}}]}),
                );
            }
            let mut r = forward(s, req);
            let subject = serde_json::from_slice::<Value>(&req.body)
                .ok()
                .and_then(|v| v["subject"]["digest"].as_str().map(str::to_string));
            if let (true, Some(d)) = (r.status == 201, subject) {
                if p.has_referrers_api() {
                    record_referrer(s, p, repo, &d, req);
                    r.set("OCI-Subject", &d);
                }
                if p == P::DockerHub {
                    // quirks: §1 line 167: OCI-Subject sent without a referrers API (2024).
                    r.set("OCI-Subject", &d);
                }
            }
            if p == P::Ecr {
                // quirks: §3 line 335: manifest PUT without Location.
                r.remove("Location");
            }
            r
        }
        _ => {
            if p == P::DockerHub {
                let limit = *s.pull_limit.lock().unwrap();
                if req.method == "GET" && repo.starts_with("dockerhub/limited") {
                    let n = s.pulls.fetch_add(1, Ordering::SeqCst);
                    if limit.is_some_and(|l| n >= l) {
                        // quirks: §1 line 212: the 429 body.
                        // [uncertain] the catalogue gives the headers on manifest GET and
                        // HEAD (line 208); we assume the 429 carries them too, remaining 0.
                        let mut r = Response::error(429, "TOOMANYREQUESTS", "You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limits");
                        r.set("ratelimit-limit", "100;w=21600");
                        r.set("ratelimit-remaining", "0;w=21600");
                        return r;
                    }
                }
            }
            let mut r = forward(s, req);
            match p {
                P::DockerHub => {
                    // quirks: §1 line 208: rate-limit headers on manifest GET and HEAD.
                    let left = s
                        .pull_limit
                        .lock()
                        .unwrap()
                        .map(|l| l.saturating_sub(s.pulls.load(Ordering::SeqCst)))
                        .unwrap_or(100);
                    r.set("ratelimit-limit", "100;w=21600");
                    r.set("ratelimit-remaining", &format!("{left};w=21600"));
                    r.set("docker-ratelimit-source", "127.0.0.1");
                    let missing_repo = || {
                        get_json(s, &format!("/v2/{repo}/tags/list"))
                            .get("errors")
                            .is_some()
                    };
                    if r.status == 404 && missing_repo() {
                        // quirks: §1 line 129: a missing repository is 401 insufficient_scope
                        // (a missing tag of an existing one is a 404, line 165).
                        return challenge(s, p, req, Some(format!("repository:{repo}:pull")))
                            .with("WWW-Authenticate", &format!("Bearer realm=\"http://127.0.0.1:{}/token\",service=\"registry.docker.io\",scope=\"repository:{repo}:pull\",error=\"insufficient_scope\"", s.ports[&p]));
                    }
                }
                P::Ecr if req.method == "GET" => {
                    // quirks: §3 line 331: GET manifest lacks Docker-Content-Digest.
                    r.remove("Docker-Content-Digest");
                }
                P::Harbor if r.status == 404 => {
                    // quirks: §7 line 648: NOT_FOUND, not MANIFEST_UNKNOWN.
                    return Response::error(
                        404,
                        "NOT_FOUND",
                        &format!("artifact {repo}:{reference} not found"),
                    );
                }
                P::Artifactory
                    if r.status == 404
                        && req.method == "HEAD"
                        && repo.starts_with("artifactory/remote-") =>
                {
                    // quirks: §10 line 743: 403 instead of 404 on HEAD (RTFACT-13797). Only
                    // for repositories named `remote-*` here [assumed: the issue was seen on
                    // remote/virtual repositories], so that other cells stay apart from it.
                    return Response::json(
                        403,
                        json!({"errors": [{"status": 403, "message": "Forbidden"}]}),
                    );
                }
                _ => {}
            }
            r
        }
    }
}

fn delete(s: &State, p: P, req: &Request, repo: &str, reference: &str) -> Response {
    let by_digest = reference.starts_with("sha256:");
    let unsupported =
        |status| Response::error(status, "UNSUPPORTED", "The operation is unsupported.");
    match p {
        // quirks: §2 line 281: every DELETE -> 405 UNSUPPORTED.
        P::Ghcr => unsupported(405),
        P::DockerHub if !by_digest => {
            // quirks: §1 line 200: a tag reference gets 405.
            Response::error(405, "UNSUPPORTED", "only digest-based deletion allowed")
        }
        P::DockerHub if !tags_pointing(s, repo, reference).is_empty() => {
            // quirks: §1 line 200: a manifest still tagged gets 403.
            Response::error(403, "DENIED", "manifest is still tagged or referenced")
        }
        // quirks: §7 line 659: a tag DELETE -> 400 UNSUPPORTED.
        P::Harbor if !by_digest => Response::error(
            400,
            "UNSUPPORTED",
            &format!("unsupported digest {reference}"),
        ),
        // quirks: §4 line 460: DELETE manifests/<tag> not supported through /v2/ [uncertain
        // status: 405 assumed].
        P::Acr if !by_digest => unsupported(405),
        P::Gar if by_digest && !tags_pointing(s, repo, reference).is_empty() => {
            // quirks: §5 line 514: tags first (GOOGLE_MANIFEST_DANGLING_TAG) [status assumed 400].
            Response::error(
                400,
                "GOOGLE_MANIFEST_DANGLING_TAG",
                "Manifest is still referenced by one or more tags",
            )
        }
        P::Quay if by_digest && tags_pointing(s, repo, reference).is_empty() => {
            // quirks: §6 line 600: an untagged manifest cannot be deleted by digest -> 404.
            Response::error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        }
        // quirks: §5 line 515 (GAR), §6 line 601 (Quay), §9 line 710 (GitLab), §11 line 775 (zot):
        // DELETE by tag removes only that tag.
        P::Gar | P::Quay | P::Gitlab | P::Zot if !by_digest => {
            if remove_tag(s, repo, reference) {
                Response::new(202, "text/plain", "")
            } else {
                Response::error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            }
        }
        _ => forward(s, req),
    }
}

fn record_referrer(s: &State, p: P, repo: &str, subject: &str, req: &Request) {
    let desc =
        super::referrers_api::descriptor(&req.body, req.header("content-type").unwrap_or(""));
    let mut refs = s.refs.lock().unwrap();
    if !refs
        .iter()
        .any(|(q, r, _, d)| *q == p && r == repo && d["digest"] == desc["digest"])
    {
        refs.push((p, repo.to_string(), subject.to_string(), desc));
    }
}

fn referrers(s: &State, p: P, repo: &str, subject: &str) -> Response {
    match p {
        P::Ecr | P::Acr | P::Zot => {
            let list: Vec<Value> = s
                .refs
                .lock()
                .unwrap()
                .iter()
                .filter(|(q, r, d, _)| *q == p && r == repo && d == subject)
                .map(|(_, _, _, v)| v.clone())
                .collect();
            Response::new(
                200,
                "application/vnd.oci.image.index.v1+json",
                json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": list}).to_string(),
            )
        }
        // quirks: §6 line 569: Quay (API on) answers 400 MANIFEST_INVALID for a subject it does
        // not know; we assume every subject is unknown to it (its API lists nothing cr pushed).
        P::Quay => Response::error(400, "MANIFEST_INVALID", "manifest invalid"),
        // quirks: §7 line 654: older Harbor answers the referrers URL with 401, after a good token.
        P::Harbor => Response::error(401, "UNAUTHORIZED", "unauthorized").with(
            "WWW-Authenticate",
            &format!("Bearer realm=\"http://127.0.0.1:{}/service/token\",service=\"harbor-registry\",scope=\"repository:{repo}:pull\"", s.ports[&p]),
        ),
        // quirks: §5 line 503: a 302 to a sign-in HTML page on another host.
        P::Gar => Response::new(302, "text/html", "").with(
            "Location",
            &format!("http://127.0.0.1:{}/signin?continue=referrers", s.storage_port),
        ),
        // quirks: §13 line 846 lists 405 among the signals (ECR with index subjects); IBM's
        // referrers behaviour is undocumented (§8 line 687) [uncertain]: 405 assumed here.
        P::Ibm => Response::error(405, "UNSUPPORTED", "The operation is unsupported."),
        // quirks: §1 line 167 (Hub 2024), §2 line 253 (GHCR), §9 line 713 (GitLab), §10 line 747
        // (Artifactory before 7.90.1): no API, a plain 404.
        _ => Response::new(404, "text/plain; charset=utf-8", "404 page not found\n"),
    }
}

/// A page of names: (items, the next `last` when there is more).
fn page(all: &[String], last: Option<&str>, n: usize) -> (Vec<String>, Option<String>) {
    let start = match last {
        Some(l) => all.iter().position(|x| x.as_str() > l).unwrap_or(all.len()),
        None => 0,
    };
    let items: Vec<String> = all.iter().skip(start).take(n).cloned().collect();
    let more = start + items.len() < all.len();
    let next = more.then(|| items.last().cloned()).flatten();
    (items, next)
}

fn catalog(s: &State, p: P, req: &Request) -> Response {
    match p {
        P::DockerHub => {
            // quirks: §1 line 147: 401 UNAUTHORIZED even with a valid login.
            return Response::error(401, "UNAUTHORIZED", "authentication required").with(
                "WWW-Authenticate",
                &format!("Bearer realm=\"http://127.0.0.1:{}/token\",service=\"registry.docker.io\",scope=\"registry:catalog:*\",error=\"insufficient_scope\"", s.ports[&p]),
            );
        }
        // quirks: §2 line 241: no catalog [uncertain status: 404 NAME_UNKNOWN assumed, as the
        // path is read as a repository name]; §9 line 721 (GitLab) likewise [uncertain].
        P::Ghcr | P::Gitlab => {
            if !allowed(s, p, req, "registry", "catalog", "*")
                && req.header("authorization").is_none()
            {
                return challenge(s, p, req, Some("registry:catalog:*".into()));
            }
            return Response::error(404, "NAME_UNKNOWN", "repository name not known to registry");
        }
        _ => {}
    }
    if !allowed(s, p, req, "registry", "catalog", "*") {
        return challenge(s, p, req, Some("registry:catalog:*".into()));
    }
    let prefix = format!("{}/", p.name());
    let all: Vec<String> = get_json(s, "/v2/_catalog?n=1000")["repositories"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .filter(|r| r.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default();
    let n_raw = req.q("n");
    let n: usize = match (p, n_raw.as_deref().map(str::parse::<usize>)) {
        (P::Ecr, Some(Ok(n))) if n > 1000 => {
            // quirks: §3 line 320: n > 1000 is an error.
            return Response::error(400, "UNSUPPORTED", "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'");
        }
        (P::Ecr, None) => 100,
        (_, Some(Ok(n))) => n,
        _ => 100,
    };
    let last = if p == P::Quay {
        // quirks: §6 line 545: an opaque next_page token instead of last.
        req.q("next_page")
            .and_then(|t| s.next_pages.lock().unwrap().get(&t).cloned())
    } else {
        req.q("last")
    };
    let (items, next) = page(&all, last.as_deref(), n);
    let mut r = Response::json(200, json!({"repositories": items}));
    if let Some(next) = next {
        let link = match p {
            P::Quay => {
                let t = signature(&format!("page:{next}"));
                s.next_pages.lock().unwrap().insert(t.clone(), next);
                format!(
                    "<http://127.0.0.1:{}/v2/_catalog?n={n}&next_page={t}>; rel=\"next\"",
                    s.ports[&p]
                )
            }
            // quirks: §4 line 434: relative Link with an extra orderby=.
            P::Acr => format!("</v2/_catalog?last={next}&n={n}&orderby=>; rel=\"next\""),
            _ => format!("</v2/_catalog?last={next}&n={n}>; rel=\"next\""),
        };
        r.set("Link", &link);
    }
    r
}

fn tag_list(s: &State, p: P, req: &Request, repo: &str) -> Response {
    let all = tags_of(s, repo);
    if all.is_empty()
        && get_json(s, &format!("/v2/{repo}/tags/list"))
            .get("errors")
            .is_some()
    {
        return Response::error(404, "NAME_UNKNOWN", "repository name not known to registry");
    }
    let n_raw = req.q("n").map(|v| v.parse::<usize>());
    let mut n = match (p, n_raw) {
        (P::Ecr, Some(Ok(n))) if n > 1000 => {
            // quirks: §3 line 320: n > 1000 is an error.
            return Response::error(400, "UNSUPPORTED", "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'");
        }
        (P::Harbor | P::Zot, Some(Err(_))) => {
            // quirks: §7 line 645 / §11 line 766: a bad n -> 400.
            return Response::error(
                400,
                "PAGINATION_NUMBER_INVALID",
                "the N must be a positive int type",
            );
        }
        (_, Some(Ok(n))) => n,
        // quirks: §2 line 243 (GHCR 100 by default), §3 line 323 (ECR 100 without n).
        _ => 100,
    };
    if p == P::Quay {
        // quirks: §6 line 550: n is clamped to 100.
        n = n.min(100);
    }
    if p == P::Gitlab {
        // quirks: §9 line 709: legacy repositories return every tag.
        n = usize::MAX;
    }
    let last = req.q("last");
    if p == P::Zot && last.as_ref().is_some_and(|l| !all.contains(l)) {
        // quirks: §11 line 766: a last that is not a tag -> 404.
        return Response::error(404, "NAME_UNKNOWN", "last tag not found");
    }
    let (mut items, mut next) = page(&all, last.as_deref(), n);
    if p == P::Ghcr && next.is_none() && items.len() == n && !items.is_empty() {
        // quirks: §2 line 244: a full last page still links on; the page past it is null.
        next = items.last().cloned();
    }
    let mut body = json!({"name": repo, "tags": items});
    match p {
        P::Ghcr if items.is_empty() => body["tags"] = Value::Null,
        P::Gar => {
            // quirks: §5 line 491: extension fields manifest and child.
            body["manifest"] = json!({});
            body["child"] = json!([]);
        }
        P::Artifactory if !items.is_empty() => {
            // quirks: §10 line 746: digests among the tags.
            if let Some(d) = digest_of(s, repo, &items[0]) {
                items.push(d);
                body["tags"] = json!(items);
            }
        }
        _ => {}
    }
    let mut r = Response::json(200, body);
    if let Some(next) = next {
        let link = match p {
            // quirks: §6 line 550: Quay's tag Link is absolute.
            P::Quay => format!(
                "<http://127.0.0.1:{}/v2/{repo}/tags/list?n={n}&last={next}>; rel=\"next\"",
                s.ports[&p]
            ),
            // quirks: §4 line 435: relative with orderby=.
            P::Acr => format!("</v2/{repo}/tags/list?last={next}&n={n}&orderby=>; rel=\"next\""),
            _ => format!("</v2/{repo}/tags/list?n={n}&last={next}>; rel=\"next\""),
        };
        r.set("Link", &link);
    }
    r
}
