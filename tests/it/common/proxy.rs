//! A fault-injecting HTTP proxy between `cr` and a real registry, on loopback. One request per
//! upstream connection (`Connection: close` is forced), so each request can be answered with a
//! status (500, 429 + Retry-After), cut after N bytes of its request or response body,
//! throttled, held, answered by the registry with its answer then lost, or redirected to a blob
//! server on another port that records whether it was sent Authorization. It also plays the
//! hosted registries' departures from the spec (docs in /work/shared/registry-quirks.md):
//! GHCR's PATCH cap, ECR's chunk rules, presigned storage, tag DELETE, Artifact Registry's
//! dangling-tag refusal, zot's OCI-only manifests, odd bodies and headers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::hostile::{Hostile, Reply};

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

struct State {
    upstream: u16,
    faults: Mutex<Vec<Fault>>,
    fired: AtomicUsize,
    throttle: Option<u64>,
    stop: AtomicBool,
    blob_port: u16,
    /// Every request forwarded or answered: (method, path with query).
    seen: Mutex<Vec<(String, String)>>,
    /// Every request's Content-Length: (method, path, length).
    lengths: Mutex<Vec<(String, String, Option<u64>)>>,
    /// The registry's storage root (for tag deletion and the dangling-tag check).
    storage: PathBuf,
    /// ECR sessions (upload path without query) that took a small chunk, and the first
    /// `Range` each session answered.
    ecr: Mutex<std::collections::HashMap<String, (bool, Option<String>)>>,
}

pub struct Proxy {
    pub port: u16,
    state: Arc<State>,
    /// Requests the blob server got, and how many carried Authorization.
    pub blob_requests: Arc<AtomicUsize>,
    pub blob_with_auth: Arc<AtomicUsize>,
    /// What the storage server got: (method, path with query, carried Authorization, status).
    pub storage_log: StorageLog,
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
        let blob_requests = Arc::new(AtomicUsize::new(0));
        let blob_with_auth = Arc::new(AtomicUsize::new(0));
        let storage_log = Arc::new(Mutex::new(Vec::new()));
        let blobs = blob_server(
            storage.clone(),
            blob_requests.clone(),
            blob_with_auth.clone(),
            storage_log.clone(),
        );
        let blob_port = blobs.port;
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let state = Arc::new(State {
            upstream,
            faults: Mutex::new(faults),
            fired: AtomicUsize::new(0),
            throttle,
            stop: AtomicBool::new(false),
            blob_port,
            seen: Mutex::new(Vec::new()),
            lengths: Mutex::new(Vec::new()),
            storage,
            ecr: Mutex::default(),
        });
        let s = state.clone();
        std::thread::spawn(move || {
            for c in l.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = c {
                    let s = s.clone();
                    std::thread::spawn(move || {
                        let _ = handle(c, &s);
                    });
                }
            }
        });
        Proxy {
            port,
            state,
            blob_requests,
            blob_with_auth,
            storage_log,
            _blobs: blobs,
        }
    }

    /// The Content-Length of every request with `method` whose path contains `part`.
    pub fn lengths(&self, method: &str, part: &str) -> Vec<Option<u64>> {
        self.state
            .lengths
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, p, _)| m == method && p.contains(part))
            .map(|(_, _, l)| *l)
            .collect()
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The requests seen so far: (method, path with query).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.state.seen.lock().unwrap().clone()
    }

    /// How many requests with `method` had a path containing `part`.
    pub fn count(&self, method: &str, part: &str) -> usize {
        self.requests()
            .iter()
            .filter(|(m, p)| m == method && p.contains(part))
            .count()
    }

    /// Forget the requests seen so far.
    pub fn reset(&self) {
        self.state.seen.lock().unwrap().clear();
    }

    /// How many faults fired.
    pub fn fired(&self) -> usize {
        self.state.fired.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn read_head(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<(String, Vec<String>)>> {
    let mut first = String::new();
    if r.read_line(&mut first)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        if h.trim().is_empty() {
            break;
        }
        headers.push(h.trim_end().to_string());
    }
    Ok(Some((first.trim_end().to_string(), headers)))
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

fn pace(s: &State, n: usize) {
    pace_bps(s.throttle, n);
}

fn pace_bps(throttle: Option<u64>, n: usize) {
    if let Some(bps) = throttle {
        std::thread::sleep(Duration::from_micros(n as u64 * 1_000_000 / bps.max(1)));
    }
}

/// Read and drop what the client sends: its length, or until a second of silence.
fn drain(
    client: &TcpStream,
    r: &mut BufReader<TcpStream>,
    length: Option<u64>,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut left = length.unwrap_or(u64::MAX);
    let mut buf = vec![0u8; 64 << 10];
    while left > 0 {
        match r.read(&mut buf[..(left.min(64 << 10)) as usize]) {
            Ok(0) | Err(_) => break,
            Ok(n) => left -= n as u64,
        }
    }
    Ok(())
}

fn handle(client: TcpStream, s: &State) -> std::io::Result<()> {
    let mut r = BufReader::new(client.try_clone()?);
    let mut client_w = client.try_clone()?;
    let Some((first, headers)) = read_head(&mut r)? else {
        return Ok(());
    };
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let length = headers.iter().find_map(|h| {
        let (k, v) = h.split_once(':')?;
        k.eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse::<u64>().ok())?
    });
    s.seen.lock().unwrap().push((method.clone(), path.clone()));
    s.lengths
        .lock()
        .unwrap()
        .push((method.clone(), path.clone(), length));
    let action = pick(s, &method, &path, length);
    match &action {
        Some(Action::Stall) => {
            for _ in 0..200 {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
        Some(Action::BodyLimit(_)) => {
            drain(&client, &mut r, length)?;
            let body = "<html><body>413 Request Entity Too Large</body></html>";
            write!(client_w, "HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
            let _ = client_w.flush();
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
        Some(Action::Status(code, retry)) => {
            // Like Go's server, take in a small body before answering, so the answer is read.
            if length.is_some_and(|l| l <= 256 << 10) {
                drain(&client, &mut r, length)?;
            }
            let extra = retry
                .map(|r| format!("Retry-After: {r}\r\n"))
                .unwrap_or_default();
            let body = r#"{"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]}"#;
            write!(client_w, "HTTP/1.1 {code} Injected\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
            let _ = client_w.flush();
            std::thread::sleep(Duration::from_millis(20));
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
        Some(Action::ApiError(code, name)) => {
            if length.is_some_and(|l| l <= 256 << 10) {
                drain(&client, &mut r, length)?;
            }
            let body = format!(r#"{{"errors":[{{"code":"{name}","message":"injected"}}]}}"#);
            write!(client_w, "HTTP/1.1 {code} Injected\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
            let _ = client_w.flush();
            std::thread::sleep(Duration::from_millis(20));
            let _ = client.shutdown(Shutdown::Both);
            return Ok(());
        }
        Some(Action::Redirect) => {
            let digest = path.rsplit('/').next().unwrap_or("");
            write!(client_w, "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{}/blob/{digest}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", s.blob_port)?;
            return Ok(());
        }
        Some(Action::HoldUntil(gate)) => gate.hold(),
        Some(Action::Raw(code, head, body)) => {
            if length.is_some_and(|l| l <= 256 << 10) {
                drain(&client, &mut r, length)?;
            }
            return answer(&client, *code, head, body);
        }
        Some(Action::PatchCap(cap)) if length.is_some_and(|l| l > *cap) => {
            drain(&client, &mut r, length)?;
            let body = r#"{"errors":[{"code":"REQUESTED_RANGE_NOT_SATISFIABLE","message":"the request body is too large and exceeds the maximum permissible limit of 4.00MiB"}]}"#;
            return answer(&client, 416, "Content-Type: application/json\r\n", body);
        }
        Some(Action::EcrPatch(min)) => {
            let session = path.split('?').next().unwrap_or("").to_string();
            let small_before = s.ecr.lock().unwrap().get(&session).is_some_and(|e| e.0);
            if small_before {
                drain(&client, &mut r, length)?;
                let body = r#"{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"Only the last chunk may be smaller than 5 MiB"}]}"#;
                return answer(&client, 400, "Content-Type: application/json\r\n", body);
            }
            if length.is_some_and(|l| l < *min) {
                s.ecr.lock().unwrap().entry(session).or_default().0 = true;
            }
        }
        Some(Action::Presigned(ttl)) => {
            let digest = path
                .split('?')
                .next()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("");
            let now = now_ms();
            write!(client_w, "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:{}/blob/{digest}?X-Amz-Signature=x&expires={}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", s.blob_port, now + ttl)?;
            return Ok(());
        }
        Some(Action::TagDelete) => {
            if let Some((repo, tag)) = manifest_target(&path).filter(|(_, t)| !t.contains(':')) {
                let dir = s.storage.join(format!(
                    "docker/registry/v2/repositories/{repo}/_manifests/tags/{tag}"
                ));
                return match std::fs::remove_dir_all(&dir) {
                    Ok(()) => answer(&client, 202, "", ""),
                    Err(_) => {
                        let body = r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
                        answer(&client, 404, "Content-Type: application/json\r\n", body)
                    }
                };
            }
        }
        Some(Action::DanglingTag) => {
            if let Some((repo, digest)) = manifest_target(&path).filter(|(_, t)| t.contains(':')) {
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
                    let body = r#"{"errors":[{"code":"GOOGLE_MANIFEST_DANGLING_TAG","message":"Manifest is still referenced by one or more tags."}]}"#;
                    return answer(&client, 400, "Content-Type: application/json\r\n", body);
                }
            }
        }
        Some(Action::OciOnly) => {
            let docker = headers.iter().any(|h| {
                let l = h.to_ascii_lowercase();
                l.starts_with("content-type:") && l.contains("application/vnd.docker.")
            });
            if docker {
                drain(&client, &mut r, length)?;
                let body = r#"{"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid","detail":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}}]}"#;
                return answer(&client, 415, "Content-Type: application/json\r\n", body);
            }
        }
        _ => {}
    }
    if let Some(Action::Hold(ms)) = action {
        for _ in 0..ms.div_ceil(50).min(400) {
            if s.stop.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        client.set_nonblocking(true)?;
        let gone = matches!(client.peek(&mut [0u8; 1]), Ok(0));
        client.set_nonblocking(false)?;
        if gone {
            return Ok(());
        }
    }
    let mut up = TcpStream::connect(("127.0.0.1", s.upstream))?;
    let first = match &action {
        Some(Action::DropQuery) => {
            let bare = path.split('?').next().unwrap_or("");
            first.replacen(&path, bare, 1)
        }
        Some(Action::Rewrite(from, to)) => first.replacen(from, to, 1),
        _ => first,
    };
    let mut head = format!("{first}\r\n");
    for h in &headers {
        let lower = h.to_ascii_lowercase();
        if lower.starts_with("connection:") {
            continue;
        }
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    up.write_all(head.as_bytes())?;
    // Request body: everything the client sends after the head, until the response is done.
    let mut up_w = up.try_clone()?;
    let drop_req = match action {
        Some(Action::DropRequest(n)) => Some(n),
        _ => None,
    };
    let client_for_cut = client.try_clone()?;
    let up_for_cut = up.try_clone()?;
    let has_body = headers.iter().any(|h| {
        let l = h.to_ascii_lowercase();
        (l.starts_with("content-length:") && l.trim_end() != "content-length: 0")
            || l.starts_with("transfer-encoding:")
    });
    let throttle = s.throttle;
    let pump = std::thread::spawn(move || {
        if !has_body {
            return;
        }
        let mut buf = vec![0u8; 64 << 10];
        let mut sent = 0usize;
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(limit) = drop_req {
                if sent + n >= limit {
                    let _ = up_w.write_all(&buf[..limit.saturating_sub(sent)]);
                    let _ = client_for_cut.shutdown(Shutdown::Both);
                    let _ = up_for_cut.shutdown(Shutdown::Both);
                    return;
                }
            }
            pace_bps(throttle, n);
            if up_w.write_all(&buf[..n]).is_err() {
                break;
            }
            sent += n;
        }
    });
    let (drop_resp, stall) = match action {
        Some(Action::DropResponse(n)) => (Some(n), false),
        Some(Action::StallResponse(n)) => (Some(n), true),
        _ => (None, false),
    };
    let lost = match action {
        Some(Action::Lost(status)) => Some(status),
        _ => None,
    };
    let mut up = BufReader::new(up);
    let rewrite = matches!(
        action,
        Some(
            Action::EcrPatch(_)
                | Action::StripHeaders(_)
                | Action::AddHeaders(_)
                | Action::RelativeLocation
        )
    );
    if rewrite && lost.is_none() {
        if let Some((status, mut hs)) = read_head(&mut up)? {
            let mut status = status;
            match &action {
                Some(Action::EcrPatch(_)) => {
                    status = status.replacen(" 202 ", " 201 ", 1);
                    let session = path.split('?').next().unwrap_or("").to_string();
                    let mut ecr = s.ecr.lock().unwrap();
                    let first = &mut ecr.entry(session).or_default().1;
                    for h in hs.iter_mut() {
                        if h.to_ascii_lowercase().starts_with("range:") {
                            match first {
                                Some(f) => *h = f.clone(),
                                None => *first = Some(h.clone()),
                            }
                        }
                    }
                    // The next PATCH goes to the new Location: it is the same session.
                    if let Some(loc) = hs.iter().find_map(|h| {
                        h.split_once(':')
                            .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
                            .map(|(_, v)| v.trim().to_string())
                    }) {
                        let next = url_path(&loc);
                        let state = ecr.get(path.split('?').next().unwrap_or("")).cloned();
                        if let Some(st) = state {
                            ecr.insert(next, st);
                        }
                    }
                }
                Some(Action::StripHeaders(names)) => hs.retain(|h| {
                    let k = h.split(':').next().unwrap_or("").trim();
                    !names.iter().any(|n| n.eq_ignore_ascii_case(k))
                }),
                Some(Action::AddHeaders(extra)) => hs.extend(extra.iter().map(|h| h.to_string())),
                Some(Action::RelativeLocation) => {
                    for h in hs.iter_mut() {
                        let Some((k, v)) = h.split_once(':') else {
                            continue;
                        };
                        if !k.eq_ignore_ascii_case("location") {
                            continue;
                        }
                        let v = v.trim();
                        let full = url_path(v);
                        let query = v.split_once('?').map(|(_, q)| q).unwrap_or("");
                        let req_dir = path.split('?').next().unwrap_or("");
                        // A later URL of the same session: only its last segment.
                        let rel = match full.rsplit_once('/') {
                            Some((dir, last)) if req_dir.starts_with(&format!("{dir}/")) => {
                                last.to_string()
                            }
                            _ => full.clone(),
                        };
                        *h = format!("Location: {rel}?{query}&quirk=1");
                    }
                }
                _ => {}
            }
            let mut head = format!("{status}\r\n");
            for h in hs {
                head.push_str(&h);
                head.push_str("\r\n");
            }
            head.push_str("\r\n");
            client_w.write_all(head.as_bytes())?;
        }
    }
    let mut buf = vec![0u8; 64 << 10];
    let mut got = 0usize;
    loop {
        let n = match up.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if lost.is_some() {
            continue;
        }
        if let Some(limit) = drop_resp {
            if got + n >= limit {
                let _ = client_w.write_all(&buf[..limit.saturating_sub(got)]);
                for _ in 0..(if stall { 200 } else { 0 }) {
                    if s.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                break;
            }
        }
        pace(s, n);
        if client_w.write_all(&buf[..n]).is_err() {
            break;
        }
        got += n;
    }
    if let Some(Some(code)) = lost {
        let body = r#"{"errors":[{"code":"UNKNOWN","message":"injected: the answer was lost"}]}"#;
        let _ = write!(client_w, "HTTP/1.1 {code} Injected\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        let _ = client_w.flush();
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = up.get_ref().shutdown(Shutdown::Both);
    let _ = pump.join();
    Ok(())
}

/// Send a whole answer and close.
fn answer(client: &TcpStream, code: u16, head: &str, body: &str) -> std::io::Result<()> {
    let mut w = client.try_clone()?;
    write!(
        w,
        "HTTP/1.1 {code} Quirk\r\n{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let _ = w.flush();
    std::thread::sleep(Duration::from_millis(20));
    let _ = client.shutdown(Shutdown::Both);
    Ok(())
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
