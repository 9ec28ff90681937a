//! A proxy that adds the OCI referrers API in front of a real docker-registry (which lacks
//! it): manifests with a `subject` PUT through it are recorded (and answered with the
//! `OCI-Subject` header, as a registry with the API does), and `GET /v2/NAME/referrers/DIGEST`
//! is answered from that record; every other request is forwarded as it is.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

struct State {
    upstream: u16,
    /// (repository, subject digest, descriptor)
    refs: Mutex<Vec<(String, String, Value)>>,
    api_calls: AtomicUsize,
    stop: AtomicBool,
}

pub struct ReferrersApi {
    pub port: u16,
    state: Arc<State>,
}

impl ReferrersApi {
    pub fn start(upstream: u16) -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let state = Arc::new(State {
            upstream,
            refs: Mutex::new(Vec::new()),
            api_calls: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
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
        ReferrersApi { port, state }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// How many referrers API requests were answered.
    pub fn api_calls(&self) -> usize {
        self.state.api_calls.load(Ordering::SeqCst)
    }
}

impl Drop for ReferrersApi {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn header<'a>(headers: &'a [String], name: &str) -> Option<&'a str> {
    headers.iter().find_map(|h| {
        let (k, v) = h.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn read_body(r: &mut BufReader<TcpStream>, headers: &[String]) -> std::io::Result<Vec<u8>> {
    if let Some(n) = header(headers, "content-length").and_then(|v| v.parse::<usize>().ok()) {
        let mut b = vec![0u8; n];
        r.read_exact(&mut b)?;
        return Ok(b);
    }
    let mut out = Vec::new();
    if header(headers, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            let mut line = String::new();
            r.read_line(&mut line)?;
            let n = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            if n == 0 {
                let mut end = String::new();
                r.read_line(&mut end)?;
                break;
            }
            let mut b = vec![0u8; n];
            r.read_exact(&mut b)?;
            out.extend_from_slice(&b);
            let mut crlf = [0u8; 2];
            r.read_exact(&mut crlf)?;
        }
    }
    Ok(out)
}

fn handle(client: TcpStream, s: &State) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut r = BufReader::new(client.try_clone()?);
    let mut w = client;
    let mut first = String::new();
    if r.read_line(&mut first)? == 0 {
        return Ok(());
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
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let bare = path.split('?').next().unwrap_or("");
    if let (true, Some((name, subject))) = (
        method == "GET",
        bare.strip_prefix("/v2/")
            .and_then(|p| p.split_once("/referrers/")),
    ) {
        s.api_calls.fetch_add(1, Ordering::SeqCst);
        let list: Vec<Value> = s
            .refs
            .lock()
            .unwrap()
            .iter()
            .filter(|(n, d, _)| n == name && d == subject)
            .map(|(_, _, v)| v.clone())
            .collect();
        let body = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": list}).to_string();
        write!(w, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
        return Ok(());
    }
    let body = read_body(&mut r, &headers)?;
    let mut subject = None;
    if method == "PUT" && bare.contains("/manifests/") {
        if let Ok(v) = serde_json::from_slice::<Value>(&body) {
            if let Some(d) = v["subject"]["digest"].as_str() {
                let name = bare
                    .strip_prefix("/v2/")
                    .and_then(|p| p.split_once("/manifests/"))
                    .map(|(n, _)| n.to_string())
                    .unwrap_or_default();
                let digest = super::cr_digest(&body);
                let mut desc = json!({
                    "mediaType": header(&headers, "content-type").unwrap_or(""),
                    "digest": digest,
                    "size": body.len(),
                });
                if let Some(t) = v["artifactType"]
                    .as_str()
                    .or(v["config"]["mediaType"].as_str())
                {
                    desc["artifactType"] = json!(t);
                }
                if v["annotations"].is_object() {
                    desc["annotations"] = v["annotations"].clone();
                }
                let mut refs = s.refs.lock().unwrap();
                if !refs
                    .iter()
                    .any(|(n, _, x)| *n == name && x["digest"] == digest)
                {
                    refs.push((name, d.to_string(), desc));
                }
                subject = Some(d.to_string());
            }
        }
    }
    let mut up = TcpStream::connect(("127.0.0.1", s.upstream))?;
    let mut head = format!("{}\r\n", first.trim_end());
    for h in &headers {
        let l = h.to_ascii_lowercase();
        if l.starts_with("connection:")
            || l.starts_with("content-length:")
            || l.starts_with("transfer-encoding:")
        {
            continue;
        }
        head.push_str(h);
        head.push_str("\r\n");
    }
    if !body.is_empty() || method == "PUT" || method == "POST" || method == "PATCH" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    up.write_all(head.as_bytes())?;
    up.write_all(&body)?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp)?;
    if let Some(d) = subject {
        if let Some(i) = resp.windows(2).position(|x| x == b"\r\n") {
            let extra = format!("\r\nOCI-Subject: {d}");
            resp.splice(i..i, extra.into_bytes());
        }
    }
    w.write_all(&resp)?;
    Ok(())
}
