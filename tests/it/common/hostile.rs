//! The one small HTTP/1.1 test server on 127.0.0.1 (and the one small client its proxies use).
//! `Hostile::start` answers each request with what a test scripts (crafted manifests, tag
//! lists, challenges, redirects, oversized and endless bodies); `Hostile::serve` hands each
//! request over unread as an `Exchange`, which can answer itself, read or drain the body, hold,
//! drop the connection, or `forward` it to an upstream (the real registry) and stream the answer
//! back, altered on the way (`Forward`): the fault proxy, the referrers API and the registry
//! personalities run on it. Every request is logged with its headers (and, with `start`, its
//! body), so that a test can prove which credentials reached which host. One request per
//! connection; reads from the client time out after 30 s, bodies read whole are capped, and the
//! server stops when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path with query, as sent.
    pub target: String,
    pub authorization: Option<String>,
    /// The server's own port (for answers that name the server itself).
    pub port: u16,
    /// Every header, names in lower case, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body's first 64 KiB (the rest is read and dropped); empty for `serve`.
    pub body: Vec<u8>,
}

impl Seen {
    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The Content-Length sent, if any.
    pub fn length(&self) -> Option<u64> {
        self.header("content-length")?.parse().ok()
    }
}

/// What to answer.
pub enum Reply {
    /// A complete answer (its Content-Length is the body's, except that a HEAD answer keeps a
    /// Content-Length given in `headers`).
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A chunked body that never ends by itself: `chunk` again and again until the client
    /// goes away, 60 s pass or 4 GiB were sent.
    Endless {
        status: u16,
        headers: Vec<(String, String)>,
        chunk: Vec<u8>,
    },
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Reply::Full {
            status,
            headers: vec![],
            body: vec![],
        }
    }
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        }
    }
    /// A distribution error body (`{"errors":[{"code":…,"message":…}]}`).
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(
            status,
            serde_json::json!({"errors": [{"code": code, "message": message}]}).to_string(),
        )
    }
    pub fn with_header(mut self, k: &str, v: &str) -> Self {
        match &mut self {
            Reply::Full { headers, .. } | Reply::Endless { headers, .. } => {
                headers.push((k.to_string(), v.to_string()))
            }
        }
        self
    }
    /// A manifest with its media type and digest headers.
    pub fn manifest(media_type: &str, bytes: &[u8]) -> Self {
        Reply::Full {
            status: 200,
            headers: vec![
                ("Content-Type".into(), media_type.into()),
                ("Docker-Content-Digest".into(), super::cr_digest(bytes)),
            ],
            body: bytes.to_vec(),
        }
    }
}

pub type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A running server; stops when dropped.
pub struct Hostile {
    pub port: u16,
    log: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl Hostile {
    /// Answer every request with `handler`'s reply (the body is read first: up to 64 MiB of a
    /// known length, the first 64 KiB kept in `Seen::body`).
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        Self::start_on(l, handler)
    }

    /// As [`Hostile::start`], on a given address (a well-known port); None when it is taken.
    pub fn start_at(
        addr: &str,
        handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> Option<Self> {
        Some(Self::start_on(TcpListener::bind(addr).ok()?, handler))
    }

    fn start_on(l: TcpListener, handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        Self::run(l, move |mut ex: Exchange, log: &Mutex<Vec<Seen>>| {
            let length = ex.seen.length().unwrap_or(0).min(64 << 20);
            let mut body = Vec::new();
            let _ = (&mut ex.r)
                .take(length.min(64 << 10))
                .read_to_end(&mut body);
            let _ = std::io::copy(
                &mut (&mut ex.r).take(length - body.len() as u64),
                &mut std::io::sink(),
            );
            ex.seen.body = body;
            log.lock().unwrap().push(ex.seen.clone());
            let reply = handler(&ex.seen);
            ex.reply(reply);
        })
    }

    /// Hand every request over to `handler` with its head read and logged, its body unread.
    pub fn serve(handler: impl Fn(Exchange) + Send + Sync + 'static) -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        Self::run(l, move |ex: Exchange, log: &Mutex<Vec<Seen>>| {
            log.lock().unwrap().push(ex.seen.clone());
            handler(ex)
        })
    }

    fn run(
        l: TcpListener,
        conn: impl Fn(Exchange, &Mutex<Vec<Seen>>) + Send + Sync + 'static,
    ) -> Self {
        let port = l.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let conn = Arc::new(conn);
        let (log2, stop2) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            for c in l.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(c) = c else { continue };
                let (conn, log, stop) = (conn.clone(), log2.clone(), stop2.clone());
                std::thread::spawn(move || {
                    if let Some(ex) = Exchange::read(c, stop) {
                        conn(ex, &log);
                    }
                });
            }
        });
        Hostile { port, log, stop }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    /// Forget the requests seen so far.
    pub fn reset(&self) {
        self.log.lock().unwrap().clear();
    }

    /// Requests that carried an Authorization header.
    pub fn authorized(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.authorization.is_some())
            .collect()
    }

    /// How many requests with this method had a target containing `part`.
    pub fn count(&self, method: &str, part: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method == method && s.target.contains(part))
            .count()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the stop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One request whose head was read, with its connection: the body is still to be read (or
/// streamed on by `forward`).
pub struct Exchange {
    pub seen: Seen,
    /// `HTTP/1.1` or `HTTP/1.0`, as sent.
    version: String,
    r: BufReader<TcpStream>,
    w: TcpStream,
    stop: Arc<AtomicBool>,
}

impl Exchange {
    fn read(c: TcpStream, stop: Arc<AtomicBool>) -> Option<Self> {
        c.set_read_timeout(Some(Duration::from_secs(30))).ok();
        let mut r = BufReader::new(c.try_clone().ok()?);
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or_default().to_string();
        let version = parts.next().unwrap_or("HTTP/1.1").to_string();
        let mut headers = Vec::new();
        // At most 256 header lines.
        for _ in 0..256 {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let authorization = headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.clone());
        let port = c.local_addr().map(|a| a.port()).unwrap_or(0);
        Some(Exchange {
            seen: Seen {
                method,
                target,
                authorization,
                port,
                headers,
                body: Vec::new(),
            },
            version,
            r,
            w: c,
            stop,
        })
    }

    /// Whether the request has a body (a non-zero length, or chunked).
    pub fn has_body(&self) -> bool {
        self.seen.length().is_some_and(|l| l > 0) || self.seen.header("transfer-encoding").is_some()
    }

    /// The whole body (of a known length or chunked), refused (an error) past `cap` bytes.
    pub fn read_body(&mut self, cap: usize) -> std::io::Result<Vec<u8>> {
        let too_big = || std::io::Error::other("request body over the cap");
        if let Some(n) = self.seen.length() {
            if n > cap as u64 {
                return Err(too_big());
            }
            let mut b = vec![0u8; n as usize];
            self.r.read_exact(&mut b)?;
            return Ok(b);
        }
        let mut out = Vec::new();
        if !self
            .seen
            .header("transfer-encoding")
            .is_some_and(|v| v.contains("chunked"))
        {
            return Ok(out);
        }
        loop {
            let mut line = String::new();
            self.r.read_line(&mut line)?;
            let n = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            if n == 0 {
                let mut end = String::new();
                self.r.read_line(&mut end)?;
                return Ok(out);
            }
            if out.len() + n > cap {
                return Err(too_big());
            }
            let at = out.len();
            out.resize(at + n, 0);
            self.r.read_exact(&mut out[at..])?;
            let mut crlf = [0u8; 2];
            self.r.read_exact(&mut crlf)?;
        }
    }

    /// Read and drop what the client sends: its length, or until a second of silence.
    pub fn drain(&mut self) {
        let _ = self.w.set_read_timeout(Some(Duration::from_secs(1)));
        let mut left = self.seen.length().unwrap_or(u64::MAX);
        let mut buf = vec![0u8; 64 << 10];
        while left > 0 {
            match self.r.read(&mut buf[..(left.min(64 << 10)) as usize]) {
                Ok(0) | Err(_) => break,
                Ok(n) => left -= n as u64,
            }
        }
    }

    /// Send an answer (the connection then closes).
    pub fn reply(&mut self, reply: Reply) {
        let head_only = self.seen.method == "HEAD";
        let (status, headers, last) = match &reply {
            Reply::Full {
                status,
                headers,
                body,
            } => {
                let given = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .filter(|_| head_only)
                    .map(|(_, v)| v.clone());
                let length = given.unwrap_or_else(|| body.len().to_string());
                (status, headers, format!("Content-Length: {length}\r\n"))
            }
            Reply::Endless {
                status, headers, ..
            } => (
                status,
                headers,
                "Transfer-Encoding: chunked\r\n".to_string(),
            ),
        };
        let mut head = format!("HTTP/1.1 {status} X\r\n");
        for (k, v) in headers {
            let l = k.to_ascii_lowercase();
            if !matches!(
                l.as_str(),
                "connection" | "content-length" | "transfer-encoding"
            ) {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        head.push_str(&last);
        head.push_str("Connection: close\r\n\r\n");
        if self.w.write_all(head.as_bytes()).is_err() {
            return;
        }
        match reply {
            Reply::Full { body, .. } => {
                if !head_only {
                    let _ = self.w.write_all(&body);
                }
            }
            Reply::Endless { chunk, .. } => {
                let framed = [
                    format!("{:x}\r\n", chunk.len()).into_bytes(),
                    chunk,
                    b"\r\n".to_vec(),
                ]
                .concat();
                let started = Instant::now();
                let mut sent = 0u64;
                while !self.stopped()
                    && started.elapsed() < Duration::from_secs(60)
                    && sent < 4 << 30
                {
                    if self.w.write_all(&framed).is_err() {
                        return;
                    }
                    sent += framed.len() as u64;
                }
            }
        }
        let _ = self.w.flush();
    }

    /// Answer, give the client 20 ms to read it, and close (an answer to a request whose body
    /// was not read in full).
    pub fn reply_and_close(&mut self, reply: Reply) {
        self.reply(reply);
        std::thread::sleep(Duration::from_millis(20));
        self.close();
    }

    /// Close the connection without (more of) an answer.
    pub fn close(&self) {
        let _ = self.w.shutdown(Shutdown::Both);
    }

    /// Whether the server is being stopped.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Wait `ms` milliseconds (in 50 ms steps, 20 s at most), less when the server stops.
    pub fn pause(&self, ms: u64) {
        for _ in 0..ms.div_ceil(50).min(400) {
            if self.stopped() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether the client closed its side.
    pub fn client_gone(&self) -> bool {
        if self.w.set_nonblocking(true).is_err() {
            return true;
        }
        let gone = matches!(self.w.peek(&mut [0u8; 1]), Ok(0));
        let _ = self.w.set_nonblocking(false);
        gone
    }

    /// Forward the request to the server on 127.0.0.1:`upstream` (with `Connection: close`)
    /// and stream its answer back, as `how` says; then close both connections.
    pub fn forward(mut self, upstream: u16, how: Forward) -> std::io::Result<()> {
        let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
        let target = how.target.as_deref().unwrap_or(&self.seen.target);
        let mut head = format!("{} {target} {}\r\n", self.seen.method, self.version);
        for (k, v) in &self.seen.headers {
            let body_header = matches!(k.as_str(), "content-length" | "transfer-encoding");
            if k == "connection" || (how.body.is_some() && body_header) {
                continue;
            }
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(body) = &how.body {
            if !body.is_empty() || matches!(self.seen.method.as_str(), "PUT" | "POST" | "PATCH") {
                head.push_str(&format!("Content-Length: {}\r\n", body.len()));
            }
        }
        head.push_str("Connection: close\r\n\r\n");
        up.write_all(head.as_bytes())?;
        // The request body: the one given, or everything the client sends after the head until
        // the answer is done.
        let pump = match &how.body {
            Some(body) => {
                up.write_all(body)?;
                None
            }
            None if self.has_body() => {
                let mut up_w = up.try_clone()?;
                let client = self.w.try_clone()?;
                let mut r = std::mem::replace(&mut self.r, BufReader::new(self.w.try_clone()?));
                let (cut, throttle) = (how.cut_request, how.throttle);
                Some(std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 << 10];
                    let mut sent = 0usize;
                    loop {
                        let n = match r.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if let Some(limit) = cut {
                            if sent + n >= limit {
                                let _ = up_w.write_all(&buf[..limit.saturating_sub(sent)]);
                                let _ = client.shutdown(Shutdown::Both);
                                let _ = up_w.shutdown(Shutdown::Both);
                                return;
                            }
                        }
                        pace(throttle, n);
                        if up_w.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        sent += n;
                    }
                }))
            }
            None => None,
        };
        let mut upr = BufReader::new(up.try_clone()?);
        // An edited head goes out as the answer's first bytes (cut like the rest).
        let mut edited = None;
        if let (Some(edit), None) = (how.edit, how.lose) {
            if let Some(mut h) = read_answer_head(&mut upr)? {
                edit(&mut h);
                let mut out = format!("HTTP/1.1 {} {}\r\n", h.status, h.reason);
                for (k, v) in &h.headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                edited = Some(out.into_bytes());
            }
        }
        let mut buf = vec![0u8; 64 << 10];
        let mut got = 0usize;
        loop {
            let chunk = match edited.take() {
                Some(head) => head,
                None => match upr.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf[..n].to_vec(),
                },
            };
            if how.lose.is_some() {
                continue;
            }
            if let Some(limit) = how.cut_response {
                if got + chunk.len() >= limit {
                    let _ = self.w.write_all(&chunk[..limit.saturating_sub(got)]);
                    if how.stall {
                        self.pause(20_000);
                    }
                    break;
                }
            }
            pace(how.throttle, chunk.len());
            if self.w.write_all(&chunk).is_err() {
                break;
            }
            got += chunk.len();
        }
        if let Some(Some(code)) = how.lose {
            self.reply(Reply::error(
                code,
                "UNKNOWN",
                "injected: the answer was lost",
            ));
        }
        self.close();
        let _ = up.shutdown(Shutdown::Both);
        if let Some(p) = pump {
            let _ = p.join();
        }
        Ok(())
    }
}

/// A change to an upstream answer's status and headers.
pub type Edit = Box<dyn FnOnce(&mut AnswerHead) + Send>;

/// How `Exchange::forward` passes a request on and its answer back.
#[derive(Default)]
pub struct Forward {
    /// The target (path and query) to ask for instead of the one received.
    pub target: Option<String>,
    /// The request body, already read (sent with its own Content-Length), instead of streaming
    /// the client's.
    pub body: Option<Vec<u8>>,
    /// Cut both connections after this many request body bytes.
    pub cut_request: Option<usize>,
    /// Bytes per second, both ways.
    pub throttle: Option<u64>,
    /// Cut the answer after this many bytes (head included).
    pub cut_response: Option<usize>,
    /// With `cut_response`: send nothing more for 20 s before closing.
    pub stall: bool,
    /// Let the upstream answer, then lose that answer: send this status instead, or (None)
    /// just close.
    pub lose: Option<Option<u16>>,
    /// Change the answer's status and headers before they are sent.
    pub edit: Option<Edit>,
}

/// The status line and headers of an upstream answer (names as sent).
pub struct AnswerHead {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
}

impl AnswerHead {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// Replace (or add) a header.
    pub fn set(&mut self, name: &str, value: &str) {
        self.remove(name);
        self.headers.push((name.to_string(), value.to_string()));
    }
    pub fn remove(&mut self, name: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }
}

fn read_answer_head(r: &mut impl BufRead) -> std::io::Result<Option<AnswerHead>> {
    let mut first = String::new();
    if r.read_line(&mut first)? == 0 {
        return Ok(None);
    }
    let mut parts = first.trim_end().splitn(3, ' ');
    let _version = parts.next();
    let status = parts.next().and_then(|c| c.parse().ok()).unwrap_or(502);
    let reason = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    for _ in 0..256 {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(Some(AnswerHead {
        status,
        reason,
        headers,
    }))
}

fn pace(throttle: Option<u64>, n: usize) {
    if let Some(bps) = throttle {
        std::thread::sleep(Duration::from_micros(n as u64 * 1_000_000 / bps.max(1)));
    }
}

/// A whole answer to `fetch`.
pub struct Answer {
    pub head: AnswerHead,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One whole request to the plain-HTTP server at `host` (`127.0.0.1:PORT`), as HTTP/1.0 so
/// that the answer ends with the connection (Host, Connection, Content-Length and
/// Transfer-Encoding in `headers` are replaced); the answer is read up to 256 MiB.
pub fn fetch(
    host: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Answer> {
    let mut up = TcpStream::connect(host)?;
    up.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!("{method} {target} HTTP/1.0\r\nHost: {host}\r\n");
    for (k, v) in headers {
        let l = k.to_ascii_lowercase();
        if !matches!(
            l.as_str(),
            "host" | "connection" | "content-length" | "transfer-encoding"
        ) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    up.write_all(head.as_bytes())?;
    up.write_all(body)?;
    let mut r = BufReader::new(up);
    let head = read_answer_head(&mut r)?.ok_or_else(|| std::io::Error::other("no answer"))?;
    let mut body = Vec::new();
    r.take(256 << 20).read_to_end(&mut body)?;
    Ok(Answer { head, body })
}

/// The peak resident memory (VmHWM, KiB) of a process run to its end, read from /proc while
/// it runs; with its exit code, stdout and stderr.
pub fn run_measured(mut cmd: std::process::Command) -> (i32, u64, String, String) {
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let mut peak = 0u64;
    let started = Instant::now();
    let code = loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            for l in status.lines() {
                if let Some(v) = l.strip_prefix("VmHWM:") {
                    let kib: u64 = v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0);
                    peak = peak.max(kib);
                }
            }
        }
        if let Some(s) = child.try_wait().unwrap() {
            break s.code().unwrap_or(-1);
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cr did not end within 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (o, e) = (o.join().unwrap(), e.join().unwrap());
    (
        code,
        peak,
        String::from_utf8_lossy(&o).into_owned(),
        String::from_utf8_lossy(&e).into_owned(),
    )
}
