//! A fault-injecting HTTP proxy between `cr` and a real registry, on loopback. One request per
//! upstream connection (`Connection: close` is forced), so each request can be answered with a
//! status (500, 429 + Retry-After), cut after N bytes of its request or response body,
//! throttled, held, answered by the registry with its answer then lost, or redirected to a blob
//! server on another port that records whether it was sent Authorization.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
}

pub struct Proxy {
    pub port: u16,
    state: Arc<State>,
    /// Requests the blob server got, and how many carried Authorization.
    pub blob_requests: Arc<AtomicUsize>,
    pub blob_with_auth: Arc<AtomicUsize>,
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
        let blob_port = blob_server(storage, blob_requests.clone(), blob_with_auth.clone());
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
        }
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
    let _ = up.shutdown(Shutdown::Both);
    let _ = pump.join();
    Ok(())
}

/// Serves `/blob/sha256:HEX` from the registry's storage, counting Authorization headers.
fn blob_server(storage: PathBuf, requests: Arc<AtomicUsize>, with_auth: Arc<AtomicUsize>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            let storage = storage.clone();
            let (requests, with_auth) = (requests.clone(), with_auth.clone());
            std::thread::spawn(move || {
                let mut r = BufReader::new(c.try_clone().unwrap());
                let mut w = c;
                let Ok(Some((first, headers))) = read_head(&mut r) else {
                    return;
                };
                requests.fetch_add(1, Ordering::SeqCst);
                if headers
                    .iter()
                    .any(|h| h.to_ascii_lowercase().starts_with("authorization:"))
                {
                    with_auth.fetch_add(1, Ordering::SeqCst);
                }
                let digest = first
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .trim_start_matches("/blob/")
                    .to_string();
                let hex = digest.trim_start_matches("sha256:");
                let p = storage.join(format!(
                    "docker/registry/v2/blobs/sha256/{}/{hex}/data",
                    &hex[..2.min(hex.len())]
                ));
                match std::fs::read(&p) {
                    Ok(data) => {
                        let _ = write!(w, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n", data.len());
                        let _ = w.write_all(&data);
                    }
                    Err(_) => {
                        let _ = write!(w, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    }
                }
            });
        }
    });
    port
}
