//! A hostile registry for tests: a small HTTP/1.1 server on 127.0.0.1 whose answers a test
//! scripts (crafted manifests, tag lists, challenges, redirects, oversized and endless bodies)
//! and which logs every request it receives with its Authorization header, so that a test can
//! prove which credentials reached which host. One request per connection; every connection
//! and the server itself stop on their own (bounded in time and bytes).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
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
    /// The body's first 64 KiB (the rest is read and dropped).
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
}

/// What to answer.
pub enum Reply {
    /// A complete answer.
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

/// A running hostile server; stops when dropped.
pub struct Hostile {
    pub port: u16,
    log: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl Hostile {
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (log2, stop2) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            while !stop2.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(300) {
                match l.accept() {
                    Ok((c, _)) => {
                        let (h, log, stop) = (handler.clone(), log2.clone(), stop2.clone());
                        std::thread::spawn(move || serve(c, &*h, &log, &stop));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
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
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(c: TcpStream, handler: &Handler, log: &Mutex<Vec<Seen>>, stop: &AtomicBool) {
    c.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut r = BufReader::new(c.try_clone().unwrap());
    let mut line = String::new();
    if r.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut authorization = None;
    let mut length = 0u64;
    let mut headers = Vec::new();
    // At most 256 header lines.
    for _ in 0..256 {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
            if k == "authorization" {
                authorization = Some(v.clone());
            } else if k == "content-length" {
                length = v.parse().unwrap_or(0);
            }
            headers.push((k, v));
        }
    }
    // Take in a body of known length, up to 64 MiB; keep its first 64 KiB.
    let length = length.min(64 << 20);
    let mut body = Vec::new();
    let _ = (&mut r).take(length.min(64 << 10)).read_to_end(&mut body);
    let _ = std::io::copy(
        &mut (&mut r).take(length - body.len() as u64),
        &mut std::io::sink(),
    );
    let port = c.local_addr().map(|a| a.port()).unwrap_or(0);
    let seen = Seen {
        method,
        target,
        authorization,
        port,
        headers,
        body,
    };
    log.lock().unwrap().push(seen.clone());
    let mut w = c;
    match handler(&seen) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!("HTTP/1.1 {status} X\r\n");
            for (k, v) in &headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            ));
            let _ = w.write_all(head.as_bytes());
            if seen.method != "HEAD" {
                let _ = w.write_all(&body);
            }
        }
        Reply::Endless {
            status,
            headers,
            chunk,
        } => {
            let mut head = format!("HTTP/1.1 {status} X\r\n");
            for (k, v) in &headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
            if w.write_all(head.as_bytes()).is_err() {
                return;
            }
            let framed = [
                format!("{:x}\r\n", chunk.len()).into_bytes(),
                chunk,
                b"\r\n".to_vec(),
            ]
            .concat();
            let started = Instant::now();
            let mut sent = 0u64;
            while !stop.load(Ordering::Relaxed)
                && started.elapsed() < Duration::from_secs(60)
                && sent < 4 << 30
            {
                if w.write_all(&framed).is_err() {
                    return;
                }
                sent += framed.len() as u64;
            }
        }
    }
    let _ = w.flush();
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
