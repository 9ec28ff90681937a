//! A fault-injecting HTTP proxy between `cr` and a real registry, on loopback. One request per
//! upstream connection (`Connection: close` is forced), so each request can be answered with a
//! status (500, 429 + Retry-After), cut after N bytes of its request or response body,
//! throttled, held, answered by the registry with its answer then lost, or redirected to a blob
//! server on another port that records whether it was sent Authorization. It also plays the
//! hosted registries' departures from the spec (docs in /work/shared/registry-quirks.md):
//! GHCR's PATCH cap, ECR's chunk rules, presigned storage, tag DELETE, Artifact Registry's
//! dangling-tag refusal, zot's OCI-only manifests, odd bodies and headers.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::hostile::{AnswerHead, Exchange, Forward, Hostile, Reply, Seen};

/// What the storage server got: (method, path with query, carried Authorization, status).
pub type StorageLog = Arc<Mutex<Vec<(String, String, bool, u16)>>>;

#[derive(Clone, Debug)]
pub enum Action {
    /// Answer with this status (and Retry-After seconds) without forwarding.
    Status(u16, Option<u32>),
    /// Forward, but cut the connection after this many response bytes.
    DropResponse(usize),
    /// Forward this many response bytes, then send nothing more (for 20 s at most) and close.
    StallResponse(usize),
    /// Forward, but cut the connection after this many request body bytes.
    DropRequest(usize),
    /// Answer 307 to the blob server.
    Redirect,
    /// Refuse a request whose body is larger than this (or has no length) with 413, as nginx's
    /// `client_max_body_size` does: the body is read and dropped, then the answer sent.
    BodyLimit(u64),
    /// Take the request head, then read nothing more (for 20 s at most) and close.
    Stall,
    /// Forward without the query: a mount request (`?mount=…&from=…`) becomes a plain upload
    /// start, which the registry answers 202 with a session, as when it refuses a mount.
    DropQuery,
    /// Answer with this status and a distribution error body carrying this code, without
    /// forwarding.
    ApiError(u16, &'static str),
    /// Forward, let the registry answer, then lose that answer: send this status instead, or
    /// (None) cut the connection. The registry did it; the client cannot know.
    Lost(Option<u16>),
    /// Hold the request this many milliseconds before forwarding it; not forwarded at all when
    /// the client went away meanwhile (as a request that never reached the registry).
    Hold(u64),
    /// Forward with the first `from` in the path replaced by `to` (a stale answer: a HEAD by
    /// tag answered for the digest the tag used to name).
    Rewrite(&'static str, String),
    /// Hold the request until the test opens the gate (20 s at most), then forward it.
    HoldUntil(Arc<Gate>),
    /// Answer with this status, these header lines (each ending in CRLF) and this body,
    /// without forwarding (text and HTML error bodies, a 401 with its challenge, a 429 without
    /// Retry-After).
    Raw(u16, &'static str, &'static str),
    /// GHCR: a PATCH whose body is larger than this is refused with 416 and GHCR's body
    /// (catalogue §2 "PATCH body limit 4 MiB"; a streamed PATCH of unknown length passes).
    PatchCap(u64),
    /// ECR (catalogue §3 "PATCH returns 201", "Minimum chunk size 5 MiB", "Stale Range"):
    /// PATCH answered 201 instead of 202, with the first PATCH's `Range` on every later one;
    /// a PATCH into a session that already took a chunk smaller than this is refused (400),
    /// since only the last chunk may be small.
    EcrPatch(u64),
    /// Forward, and drop these response headers (ECR: no Docker-Content-Digest on manifest
    /// GET, no Location on manifest PUT; catalogue §13 "Missing headers").
    StripHeaders(&'static [&'static str]),
    /// Forward, and add these response header lines (Docker Hub's rate-limit headers,
    /// catalogue §1 "Headers").
    AddHeaders(&'static [&'static str]),
    /// Answer a blob GET with 307 to a presigned URL on the storage server, valid for this
    /// many milliseconds (negative: expired already). The storage refuses Authorization (S3's
    /// 400 XML), HEAD (403) and expired URLs (403) (catalogue §0 "Redirects", §3 "Always a
    /// 307 to a presigned S3 URL", §13.3).
    Presigned(i64),
    /// Tag deletion as Quay, zot and GitLab have it: `DELETE …/manifests/TAG` removes the tag
    /// (from the registry's storage) and answers 202; by digest: forwarded.
    TagDelete,
    /// Artifact Registry: a digest DELETE while a tag points at it is refused with
    /// `GOOGLE_MANIFEST_DANGLING_TAG` (catalogue §6 "A tagged manifest cannot be deleted").
    DanglingTag,
    /// zot: a manifest PUT with a Docker media type is refused with 415 MANIFEST_INVALID
    /// (catalogue §11 "OCI-only by default"); OCI ones are forwarded.
    OciOnly,
    /// Forward, and make the answer's `Location` relative to the request (no scheme and host;
    /// under an upload session: just its last segment, with an extra query parameter), as zot,
    /// Quay and ACR send them (catalogue §0 "Upload Location is opaque").
    RelativeLocation,
}

/// A gate a held request waits at: the test waits until a request is held, acts, then opens.
#[derive(Debug, Default)]
pub struct Gate {
    state: Mutex<(bool, bool)>,
    changed: std::sync::Condvar,
}

impl Gate {
    /// Wait (20 s at most) until a request is held; true when one is.
    pub fn wait_held(&self) -> bool {
        let g = self.state.lock().unwrap();
        let (g, _) = self
            .changed
            .wait_timeout_while(g, Duration::from_secs(20), |s| !s.0)
            .unwrap();
        g.0
    }

    /// Let the held request (and any later one) through.
    pub fn open(&self) {
        self.state.lock().unwrap().1 = true;
        self.changed.notify_all();
    }

    fn hold(&self) {
        let mut g = self.state.lock().unwrap();
        g.0 = true;
        self.changed.notify_all();
        let _ = self
            .changed
            .wait_timeout_while(g, Duration::from_secs(20), |s| !s.1)
            .unwrap();
    }
}

#[derive(Clone, Debug)]
pub struct Fault {
    pub method: &'static str,
    pub path_contains: &'static str,
    pub action: Action,
    /// How many times it fires (then the request passes).
    pub times: usize,
}

/// ECR upload sessions: path -> (took a small chunk, the first `Range` answered).
type EcrSessions = std::collections::HashMap<String, (bool, Option<String>)>;

/// What a proxy stands in front of: a registry of its own, or a namespace of the shared one
/// (the proxy then looks like a whole registry: `/v2/REPO/…` goes to `/v2/NS/REPO/…`, and
/// the registry's Location and Link headers come back without the namespace).
pub trait Upstream {
    fn port(&self) -> u16;
    fn storage(&self) -> PathBuf;
    fn prefix(&self) -> Option<String>;
}

impl Upstream for super::TestRegistry {
    fn port(&self) -> u16 {
        self.port
    }
    fn storage(&self) -> PathBuf {
        super::TestRegistry::storage(self)
    }
    fn prefix(&self) -> Option<String> {
        None
    }
}

impl Upstream for super::shared::Ns {
    fn port(&self) -> u16 {
        super::shared::Ns::port(self)
    }
    fn storage(&self) -> PathBuf {
        super::shared::Ns::storage(self)
    }
    fn prefix(&self) -> Option<String> {
        Some(self.ns.clone())
    }
}

struct State {
    /// The namespace of the shared registry the proxy stands for, if any.
    prefix: Option<String>,
    faults: Mutex<Vec<Fault>>,
    fired: AtomicUsize,
    throttle: Option<u64>,
    blob_port: u16,
    /// The registry's storage root (for tag deletion and the dangling-tag check).
    storage: PathBuf,
    /// ECR sessions (upload path without query) that took a small chunk, and the first
    /// `Range` each session answered.
    ecr: Arc<Mutex<EcrSessions>>,
}

pub struct Proxy {
    pub port: u16,
    state: Arc<State>,
    /// Requests the blob server got, and how many carried Authorization.
    pub blob_requests: Arc<AtomicUsize>,
    pub blob_with_auth: Arc<AtomicUsize>,
    /// What the storage server got: (method, path with query, carried Authorization, status).
    pub storage_log: StorageLog,
    /// The proxy itself (its log is every request forwarded or answered).
    server: Hostile,
    /// The storage server redirected blob GETs go to.
    _blobs: Hostile,
}

impl Proxy {
    /// Proxy to `upstream` on 127.0.0.1; `storage` is the registry's storage root (for the
    /// redirect target); `throttle` in bytes per second.
    pub fn start(
        upstream: u16,
        storage: PathBuf,
        faults: Vec<Fault>,
        throttle: Option<u64>,
    ) -> Self {
        Self::start_full(upstream, storage, None, faults, throttle)
    }

    /// A proxy in front of `up` (a registry, or a namespace of the shared one).
    pub fn before(up: &impl Upstream, faults: Vec<Fault>, throttle: Option<u64>) -> Self {
        Self::start_full(up.port(), up.storage(), up.prefix(), faults, throttle)
    }

    fn start_full(
        upstream: u16,
        storage: PathBuf,
        prefix: Option<String>,
        faults: Vec<Fault>,
        throttle: Option<u64>,
    ) -> Self {
        let blob_requests = Arc::new(AtomicUsize::new(0));
        let blob_with_auth = Arc::new(AtomicUsize::new(0));
        let storage_log = Arc::new(Mutex::new(Vec::new()));
        let blobs = blob_server(
            storage.clone(),
            blob_requests.clone(),
            blob_with_auth.clone(),
            storage_log.clone(),
        );
        let state = Arc::new(State {
            prefix,
            faults: Mutex::new(faults),
            fired: AtomicUsize::new(0),
            throttle,
            blob_port: blobs.port,
            storage,
            ecr: Arc::default(),
        });
        let s = state.clone();
        let server = Hostile::serve(move |ex| {
            let _ = handle(ex, upstream, &s);
        });
        Proxy {
            port: server.port,
            state,
            blob_requests,
            blob_with_auth,
            storage_log,
            server,
            _blobs: blobs,
        }
    }

    /// The Content-Length of every request with `method` whose path contains `part`.
    pub fn lengths(&self, method: &str, part: &str) -> Vec<Option<u64>> {
        self.server
            .seen()
            .iter()
            .filter(|s| s.method == method && s.target.contains(part))
            .map(Seen::length)
            .collect()
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The requests seen so far: (method, path with query).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.server
            .seen()
            .into_iter()
            .map(|s| (s.method, s.target))
            .collect()
    }

    /// How many requests with `method` had a path containing `part`.
    pub fn count(&self, method: &str, part: &str) -> usize {
        self.server.count(method, part)
    }

    /// Forget the requests seen so far.
    pub fn reset(&self) {
        self.server.reset();
    }

    /// How many faults fired.
    pub fn fired(&self) -> usize {
        self.state.fired.load(Ordering::SeqCst)
    }
}

fn pick(s: &State, method: &str, path: &str, length: Option<u64>) -> Option<Action> {
    let mut f = s.faults.lock().unwrap();
    let hit = f.iter_mut().find(|f| {
        let applies = match f.action {
            Action::BodyLimit(n) => length.is_none_or(|l| l > n),
            _ => true,
        };
        applies && f.times > 0 && f.method == method && path.contains(f.path_contains)
    })?;
    hit.times -= 1;
    s.fired.fetch_add(1, Ordering::SeqCst);
    Some(hit.action.clone())
}

/// Like Go's server, take in a small body before answering, so that the answer is read.
fn drain_small(ex: &mut Exchange) {
    if ex.seen.length().is_some_and(|l| l <= 256 << 10) {
        ex.drain();
    }
}

/// A reply with these header lines (each ending in CRLF) and this body.
fn raw(status: u16, head: &str, body: &str) -> Reply {
    Reply::Full {
        status,
        headers: head
            .split("\r\n")
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

fn handle(mut ex: Exchange, upstream: u16, s: &State) -> std::io::Result<()> {
    let method = ex.seen.method.clone();
    let path = ex.seen.target.clone();
    let length = ex.seen.length();
    let action = pick(s, &method, &path, length);
    let json = "Content-Type: application/json\r\n";
    match &action {
        Some(Action::Stall) => {
            ex.pause(20_000);
            ex.close();
            return Ok(());
        }
        Some(Action::BodyLimit(_)) => {
            ex.drain();
            let body = "<html><body>413 Request Entity Too Large</body></html>";
            ex.reply_and_close(raw(413, "Content-Type: text/html\r\n", body));
            return Ok(());
        }
        Some(Action::Status(code, retry)) => {
            drain_small(&mut ex);
            let mut reply = Reply::error(*code, "UNAVAILABLE", "injected fault");
            if let Some(r) = retry {
                reply = reply.with_header("Retry-After", &r.to_string());
            }
            ex.reply_and_close(reply);
            return Ok(());
        }
        Some(Action::ApiError(code, name)) => {
            drain_small(&mut ex);
            ex.reply_and_close(Reply::error(*code, name, "injected"));
            return Ok(());
        }
        Some(Action::Redirect) => {
            let digest = path.rsplit('/').next().unwrap_or("");
            let to = format!("http://127.0.0.1:{}/blob/{digest}", s.blob_port);
            ex.reply(Reply::status(307).with_header("Location", &to));
            return Ok(());
        }
        Some(Action::HoldUntil(gate)) => gate.hold(),
        Some(Action::Raw(code, head, body)) => {
            drain_small(&mut ex);
            ex.reply_and_close(raw(*code, head, body));
            return Ok(());
        }
        Some(Action::PatchCap(cap)) if length.is_some_and(|l| l > *cap) => {
            ex.drain();
            let body = r#"{"errors":[{"code":"REQUESTED_RANGE_NOT_SATISFIABLE","message":"the request body is too large and exceeds the maximum permissible limit of 4.00MiB"}]}"#;
            ex.reply_and_close(raw(416, json, body));
            return Ok(());
        }
        Some(Action::EcrPatch(min)) => {
            let session = ex.seen.path().to_string();
            let small_before = s.ecr.lock().unwrap().get(&session).is_some_and(|e| e.0);
            if small_before {
                ex.drain();
                let body = r#"{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"Only the last chunk may be smaller than 5 MiB"}]}"#;
                ex.reply_and_close(raw(400, json, body));
                return Ok(());
            }
            if length.is_some_and(|l| l < *min) {
                s.ecr.lock().unwrap().entry(session).or_default().0 = true;
            }
        }
        Some(Action::Presigned(ttl)) => {
            let digest = ex.seen.path().rsplit('/').next().unwrap_or("");
            let to = format!(
                "http://127.0.0.1:{}/blob/{digest}?X-Amz-Signature=x&expires={}",
                s.blob_port,
                now_ms() + ttl
            );
            ex.reply(Reply::status(307).with_header("Location", &to));
            return Ok(());
        }
        Some(Action::TagDelete) => {
            if let Some((repo, tag)) = manifest_target(&path).filter(|(_, t)| !t.contains(':')) {
                let repo = s.in_registry(&repo);
                let dir = s.storage.join(format!(
                    "docker/registry/v2/repositories/{repo}/_manifests/tags/{tag}"
                ));
                let reply = match std::fs::remove_dir_all(&dir) {
                    Ok(()) => Reply::status(202),
                    Err(_) => Reply::error(404, "MANIFEST_UNKNOWN", "manifest unknown"),
                };
                ex.reply_and_close(reply);
                return Ok(());
            }
        }
        Some(Action::DanglingTag) => {
            if let Some((repo, digest)) = manifest_target(&path).filter(|(_, t)| t.contains(':')) {
                let repo = s.in_registry(&repo);
                let tags = s.storage.join(format!(
                    "docker/registry/v2/repositories/{repo}/_manifests/tags"
                ));
                let tagged = std::fs::read_dir(tags)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|t| {
                        std::fs::read_to_string(t.path().join("current/link"))
                            .is_ok_and(|l| l.trim() == digest)
                    });
                if tagged {
                    ex.reply_and_close(Reply::error(
                        400,
                        "GOOGLE_MANIFEST_DANGLING_TAG",
                        "Manifest is still referenced by one or more tags.",
                    ));
                    return Ok(());
                }
            }
        }
        Some(Action::OciOnly) => {
            let docker = ex
                .seen
                .header("content-type")
                .is_some_and(|t| t.contains("application/vnd.docker."));
            if docker {
                ex.drain();
                let body = r#"{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid","detail":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}}]}"#;
                ex.reply_and_close(raw(415, json, body));
                return Ok(());
            }
        }
        _ => {}
    }
    if let Some(Action::Hold(ms)) = action {
        ex.pause(ms);
        if ex.client_gone() {
            return Ok(());
        }
    }
    let mut how = Forward {
        throttle: s.throttle,
        ..Forward::default()
    };
    match action {
        Some(Action::DropQuery) => how.target = Some(ex.seen.path().to_string()),
        Some(Action::Rewrite(from, to)) => how.target = Some(path.replacen(from, &to, 1)),
        Some(Action::DropRequest(n)) => how.cut_request = Some(n),
        Some(Action::DropResponse(n)) => how.cut_response = Some(n),
        Some(Action::StallResponse(n)) => {
            how.cut_response = Some(n);
            how.stall = true;
        }
        Some(Action::Lost(status)) => how.lose = Some(status),
        Some(Action::EcrPatch(_)) => {
            let session = ex.seen.path().to_string();
            let ecr = s.ecr.clone();
            how.edit = Some(Box::new(move |h: &mut AnswerHead| {
                if h.status == 202 {
                    h.status = 201;
                }
                let mut ecr = ecr.lock().unwrap();
                let first = &mut ecr.entry(session.clone()).or_default().1;
                if let Some(range) = h.header("range").map(str::to_string) {
                    match first {
                        Some(f) => h.set("Range", &f.clone()),
                        None => *first = Some(range),
                    }
                }
                // The next PATCH goes to the new Location: it is the same session.
                if let Some(loc) = h.header("location") {
                    let next = url_path(loc);
                    if let Some(st) = ecr.get(&session).cloned() {
                        ecr.insert(next, st);
                    }
                }
            }));
        }
        Some(Action::StripHeaders(names)) => {
            how.edit = Some(Box::new(move |h: &mut AnswerHead| {
                for n in names {
                    h.remove(n);
                }
            }))
        }
        Some(Action::AddHeaders(extra)) => {
            how.edit = Some(Box::new(move |h: &mut AnswerHead| {
                for l in extra {
                    if let Some((k, v)) = l.split_once(':') {
                        h.headers.push((k.trim().to_string(), v.trim().to_string()));
                    }
                }
            }))
        }
        Some(Action::RelativeLocation) => {
            let req_dir = ex.seen.path().to_string();
            how.edit = Some(Box::new(move |h: &mut AnswerHead| {
                let Some(v) = h.header("location").map(str::to_string) else {
                    return;
                };
                let full = url_path(&v);
                let query = v.split_once('?').map(|(_, q)| q).unwrap_or("");
                // A later URL of the same session: only its last segment.
                let rel = match full.rsplit_once('/') {
                    Some((dir, last)) if req_dir.starts_with(&format!("{dir}/")) => {
                        last.to_string()
                    }
                    _ => full.clone(),
                };
                h.set("Location", &format!("{rel}?{query}&quirk=1"));
            }))
        }
        _ => {}
    }
    if let Some(prefix) = s.prefix.clone() {
        let target = how.target.take().unwrap_or(path);
        how.target = Some(prefixed(&target, &prefix));
        let inner = how.edit.take();
        let (from, to) = (format!("/v2/{prefix}/"), "/v2/".to_string());
        how.edit = Some(Box::new(move |h: &mut AnswerHead| {
            for (_, v) in h.headers.iter_mut() {
                if v.contains(&from) {
                    *v = v.replace(&from, &to);
                }
            }
            if let Some(f) = inner {
                f(h);
            }
        }));
    }
    ex.forward(upstream, how)
}

impl State {
    /// A repository's name in the registry behind the proxy.
    fn in_registry(&self, repo: &str) -> String {
        match &self.prefix {
            Some(p) => format!("{p}/{repo}"),
            None => repo.to_string(),
        }
    }
}

/// `/v2/REPO/…?…&from=REPO2` as `/v2/PREFIX/REPO/…?…&from=PREFIX/REPO2` (the ping and the
/// catalog as they are).
fn prefixed(target: &str, prefix: &str) -> String {
    let Some(rest) = target.strip_prefix("/v2/") else {
        return target.to_string();
    };
    if rest.is_empty() || rest.starts_with('?') || rest.starts_with("_catalog") {
        return target.to_string();
    }
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut out = format!("/v2/{prefix}/{path}");
    if !query.is_empty() {
        let q: Vec<String> = query
            .split('&')
            .map(|kv| match kv.strip_prefix("from=") {
                Some(v) => format!("from={prefix}/{v}"),
                None => kv.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&q.join("&"));
    }
    out
}

/// `(REPO, TAG-OR-DIGEST)` of a `/v2/REPO/manifests/REF` path.
fn manifest_target(path: &str) -> Option<(String, String)> {
    let p = path.split('?').next()?.strip_prefix("/v2/")?;
    let (repo, reference) = p.rsplit_once("/manifests/")?;
    Some((repo.to_string(), reference.to_string()))
}

/// The path of a URL or of an absolute path (without its query).
fn url_path(loc: &str) -> String {
    let no_scheme = loc.split_once("://").map(|(_, r)| r).unwrap_or(loc);
    let path = if loc.contains("://") {
        no_scheme.find('/').map(|i| &no_scheme[i..]).unwrap_or("/")
    } else {
        no_scheme
    };
    path.split('?').next().unwrap_or("").to_string()
}

/// Serves `/blob/sha256:HEX` from the registry's storage, counting Authorization headers. A
/// presigned URL (`?…&expires=UNIX_MS`) behaves as S3's: Authorization → 400 XML, HEAD → 403,
/// expired → 403 XML.
fn blob_server(
    storage: PathBuf,
    requests: Arc<AtomicUsize>,
    with_auth: Arc<AtomicUsize>,
    log: StorageLog,
) -> Hostile {
    Hostile::start(move |seen| {
        requests.fetch_add(1, Ordering::SeqCst);
        let auth = seen.authorization.is_some();
        if auth {
            with_auth.fetch_add(1, Ordering::SeqCst);
        }
        let (method, target) = (seen.method.clone(), seen.target.clone());
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let digest = path.trim_start_matches("/blob/").to_string();
        let hex = digest.trim_start_matches("sha256:");
        let p = storage.join(format!(
            "docker/registry/v2/blobs/sha256/{}/{hex}/data",
            &hex[..2.min(hex.len())]
        ));
        let expires = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("expires="))
            .and_then(|v| v.parse::<i64>().ok());
        let xml = |code: u16, what: &str, msg: &str| {
            let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{what}</Code><Message>{msg}</Message></Error>");
            Reply::Full {
                status: code,
                headers: vec![("Content-Type".into(), "application/xml".into())],
                body: body.into_bytes(),
            }
        };
        let refusal = match expires {
            Some(_) if auth => Some((400, xml(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"))),
            Some(_) if method != "GET" => Some((403, xml(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided"))),
            Some(t) if t < now_ms() => Some((403, xml(403, "AccessDenied", "Request has expired"))),
            _ => None,
        };
        if let Some((code, answer)) = refusal {
            log.lock()
                .unwrap()
                .push((method, target.clone(), auth, code));
            return answer;
        }
        // A Range request (a resume) is answered from that offset.
        let from = seen.header("range").and_then(|v| {
            v.strip_prefix("bytes=")?
                .trim_end_matches('-')
                .parse::<usize>()
                .ok()
        });
        match std::fs::read(&p) {
            Ok(data) => {
                let status = if from.is_some() { 206 } else { 200 };
                log.lock()
                    .unwrap()
                    .push((method, target.clone(), auth, status));
                let data = &data[from.unwrap_or(0).min(data.len())..];
                Reply::Full {
                    status,
                    headers: vec![("Content-Type".into(), "application/octet-stream".into())],
                    body: data.to_vec(),
                }
            }
            Err(_) => {
                log.lock()
                    .unwrap()
                    .push((method, target.clone(), auth, 404));
                Reply::status(404)
            }
        }
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
