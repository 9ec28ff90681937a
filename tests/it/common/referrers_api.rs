//! A proxy that adds the OCI referrers API in front of a real docker-registry (which lacks
//! it): manifests with a `subject` PUT through it are recorded (and answered with the
//! `OCI-Subject` header, as a registry with the API does), and `GET /v2/NAME/referrers/DIGEST`
//! is answered from that record; every other request is forwarded as it is. It runs on the
//! test server of hostile.rs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::hostile::{AnswerHead, Exchange, Forward, Hostile, Reply};

struct State {
    /// (repository, subject digest, descriptor)
    refs: Mutex<Vec<(String, String, Value)>>,
    api_calls: AtomicUsize,
}

pub struct ReferrersApi {
    pub port: u16,
    state: Arc<State>,
    _server: Hostile,
}

impl ReferrersApi {
    pub fn start(upstream: u16) -> Self {
        let state = Arc::new(State {
            refs: Mutex::new(Vec::new()),
            api_calls: AtomicUsize::new(0),
        });
        let s = state.clone();
        let server = Hostile::serve(move |ex| {
            let _ = handle(ex, upstream, &s);
        });
        ReferrersApi {
            port: server.port,
            state,
            _server: server,
        }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// How many referrers API requests were answered.
    pub fn api_calls(&self) -> usize {
        self.state.api_calls.load(Ordering::SeqCst)
    }
}

fn handle(mut ex: Exchange, upstream: u16, s: &State) -> std::io::Result<()> {
    let method = ex.seen.method.clone();
    let bare = ex.seen.path().to_string();
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
        ex.reply(Reply::Full {
            status: 200,
            headers: vec![(
                "Content-Type".into(),
                "application/vnd.oci.image.index.v1+json".into(),
            )],
            body: body.into_bytes(),
        });
        return Ok(());
    }
    if method != "PUT" || !bare.contains("/manifests/") {
        return ex.forward(upstream, Forward::default());
    }
    // A manifest: read (it is small), recorded when it has a subject, then forwarded.
    let body = ex.read_body(4 << 20)?;
    let mut how = Forward::default();
    if let Ok(v) = serde_json::from_slice::<Value>(&body) {
        if let Some(d) = v["subject"]["digest"].as_str() {
            let name = bare
                .strip_prefix("/v2/")
                .and_then(|p| p.split_once("/manifests/"))
                .map(|(n, _)| n.to_string())
                .unwrap_or_default();
            let desc = descriptor(&body, ex.seen.header("content-type").unwrap_or(""));
            let digest = desc["digest"].clone();
            let mut refs = s.refs.lock().unwrap();
            if !refs
                .iter()
                .any(|(n, _, x)| *n == name && x["digest"] == digest)
            {
                refs.push((name, d.to_string(), desc));
            }
            let subject = d.to_string();
            how.edit = Some(Box::new(move |h: &mut AnswerHead| {
                h.headers.insert(0, ("OCI-Subject".into(), subject));
            }));
        }
    }
    how.body = Some(body);
    ex.forward(upstream, how)
}

/// The descriptor a referrers list gives for a manifest: its media type, digest and size,
/// artifact type (or config media type) and annotations.
pub fn descriptor(body: &[u8], media_type: &str) -> Value {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let mut desc = json!({
        "mediaType": media_type,
        "digest": super::cr_digest(body),
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
    desc
}
