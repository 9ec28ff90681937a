//! What `append` and `mutate` change in an image's JSON: the config (labels, env, entrypoint,
//! cmd, workdir, user, created, diff_ids and history), the manifest (config, layers,
//! annotations) and the index (children). The base's keys keep their order and new keys go at
//! the end, so the same inputs give the same bytes, hence the same digests.

use crate::oci::digest::Digest;
use serde_json::{json, Map, Value};

/// Bad input to `append` or `mutate`, found before any request.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct BadInput {
    pub message: String,
    pub hint: String,
}

fn bad(message: String, hint: &str) -> BadInput {
    BadInput {
        message,
        hint: hint.to_string(),
    }
}

/// Config and manifest changes, applied to every chosen platform.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
    pub env: Vec<(String, String)>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    /// RFC 3339; None keeps the base's.
    pub created: Option<String>,
}

/// `KEY=VALUE` (what: `--label`, …); the key is not empty.
pub fn key_value(s: &str, what: &str) -> Result<(String, String), BadInput> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(bad(
            format!("{what} {s:?} is not KEY=VALUE"),
            &format!("write {what} KEY=VALUE (the value may be empty: {what} KEY=)"),
        )),
    }
}

/// `--entrypoint`/`--cmd`: a JSON array of strings (exec form), else the string as the one
/// element; `[]` clears.
pub fn command(s: &str, what: &str) -> Result<Vec<String>, BadInput> {
    if s.trim_start().starts_with('[') {
        return serde_json::from_str::<Vec<String>>(s).map_err(|e| {
            bad(
                format!("{what} {s:?} is not a JSON array of strings: {e}"),
                &format!(r#"write {what} '["/bin/app", "--flag"]' or {what} /bin/app"#),
            )
        });
    }
    Ok(vec![s.to_string()])
}

/// `--created`: `now` or an RFC 3339 time, as RFC 3339 in UTC.
pub fn created(s: &str) -> Result<String, BadInput> {
    let t = if s == "now" {
        jiff::Timestamp::now()
    } else {
        s.parse::<jiff::Timestamp>().map_err(|e| {
            bad(
                format!("--created {s:?} is not a time: {e}"),
                "write --created now or an RFC 3339 time such as 2020-01-01T00:00:00Z",
            )
        })?
    };
    Ok(t.to_string())
}

/// The object at `key` of `v`, made when absent or not an object.
fn object<'a>(v: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    let m = v.as_object_mut().expect("an object");
    let slot = m.entry(key).or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    slot.as_object_mut().expect("an object")
}

/// The array at `key` of `v`, made when absent or not an array.
fn array<'a>(v: &'a mut Value, key: &str) -> &'a mut Vec<Value> {
    let m = v.as_object_mut().expect("an object");
    let slot = m.entry(key).or_insert_with(|| json!([]));
    if !slot.is_array() {
        *slot = json!([]);
    }
    slot.as_array_mut().expect("an array")
}

/// A parsed JSON object, or what is wrong with it.
pub fn parse_object(bytes: &[u8], what: &str) -> Result<Value, String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) if v.is_object() => Ok(v),
        Ok(_) => Err(format!("the {what} is not a JSON object")),
        Err(e) => Err(format!("the {what} is not JSON: {e}")),
    }
}

/// Apply `edit` and the new layers' diff_ids to a config.
pub fn config(cfg: &mut Value, edit: &Edit, diff_ids: &[Digest]) {
    let base_created = cfg.get("created").cloned();
    if let Some(c) = &edit.created {
        cfg["created"] = json!(c);
    }
    object(cfg, "config");
    let c = &mut cfg["config"];
    if !edit.labels.is_empty() {
        let labels = object(c, "Labels");
        for (k, v) in &edit.labels {
            labels.insert(k.clone(), json!(v));
        }
    }
    if !edit.env.is_empty() {
        let env = array(c, "Env");
        for (k, v) in &edit.env {
            let line = json!(format!("{k}={v}"));
            let prefix = format!("{k}=");
            match env
                .iter_mut()
                .find(|e| e.as_str().is_some_and(|s| s.starts_with(&prefix)))
            {
                Some(e) => *e = line,
                None => env.push(line),
            }
        }
    }
    if let Some(e) = &edit.entrypoint {
        c["Entrypoint"] = json!(e);
    }
    if let Some(e) = &edit.cmd {
        c["Cmd"] = json!(e);
    }
    if let Some(w) = &edit.workdir {
        c["WorkingDir"] = json!(w);
    }
    if let Some(u) = &edit.user {
        c["User"] = json!(u);
    }
    if diff_ids.is_empty() {
        return;
    }
    object(cfg, "rootfs")
        .entry("type")
        .or_insert_with(|| json!("layers"));
    array(&mut cfg["rootfs"], "diff_ids").extend(diff_ids.iter().map(|d| json!(d)));
    let when = edit.created.clone().map(Value::from).or(base_created);
    let history = array(cfg, "history");
    for _ in diff_ids {
        let mut h = Map::new();
        if let Some(w) = &when {
            h.insert("created".into(), w.clone());
        }
        h.insert("created_by".into(), json!("cr append"));
        history.push(Value::Object(h));
    }
}

/// Point a manifest at its new config, add the new layers, set annotations.
pub fn manifest(
    m: &mut Value,
    config: (&str, u64),
    layers: &[(Digest, u64)],
    annotations: &[(String, String)],
) {
    let docker = m["mediaType"]
        .as_str()
        .is_some_and(crate::oci::media::is_docker);
    let layer_type = if docker {
        crate::oci::media::DOCKER_LAYER_GZIP
    } else {
        crate::oci::media::OCI_LAYER_GZIP
    };
    let c = object(m, "config");
    c.insert("size".into(), json!(config.1));
    c.insert("digest".into(), json!(config.0));
    let list = array(m, "layers");
    for (digest, size) in layers {
        list.push(json!({"mediaType": layer_type, "size": size, "digest": digest}));
    }
    if !annotations.is_empty() {
        let a = object(m, "annotations");
        for (k, v) in annotations {
            a.insert(k.clone(), json!(v));
        }
    }
}

/// Point an index's children at their replacements (old digest -> new digest and size).
pub fn index(idx: &mut Value, replaced: &std::collections::HashMap<Digest, (Digest, u64)>) {
    for child in array(idx, "manifests").iter_mut() {
        let Some(old) = child["digest"].as_str() else {
            continue;
        };
        if let Some((digest, size)) = replaced.get(old) {
            child["digest"] = json!(digest);
            child["size"] = json!(size);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_edits_keep_the_base_order_and_add_history() {
        let mut cfg: Value = serde_json::from_str(
            r#"{"architecture":"amd64","created":"2021-01-01T00:00:00Z","config":{"Env":["PATH=/bin","A=1"]},"rootfs":{"type":"layers","diff_ids":["sha256:a"]},"os":"linux"}"#,
        )
        .unwrap();
        let edit = Edit {
            env: vec![("A".into(), "2".into()), ("B".into(), "x=y".into())],
            labels: vec![("k".into(), "v".into())],
            entrypoint: Some(command(r#"["/app","-v"]"#, "--entrypoint").unwrap()),
            ..Edit::default()
        };
        config(&mut cfg, &edit, &[Digest::fake("sha256:b")]);
        assert_eq!(
            serde_json::to_string(&cfg).unwrap(),
            r#"{"architecture":"amd64","created":"2021-01-01T00:00:00Z","config":{"Env":["PATH=/bin","A=2","B=x=y"],"Labels":{"k":"v"},"Entrypoint":["/app","-v"]},"rootfs":{"type":"layers","diff_ids":["sha256:a","sha256:b"]},"os":"linux","history":[{"created":"2021-01-01T00:00:00Z","created_by":"cr append"}]}"#
        );
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(key_value("novalue", "--label").is_err());
        assert!(key_value("=v", "--label").is_err());
        assert_eq!(key_value("a=", "--label").unwrap(), ("a".into(), "".into()));
        assert!(created("yesterday").is_err());
        assert_eq!(
            created("2020-01-01T00:00:00Z").unwrap(),
            "2020-01-01T00:00:00Z"
        );
        assert_eq!(command("/bin/app", "--cmd").unwrap(), ["/bin/app"]);
        assert!(command("[1]", "--cmd").is_err());
    }
}
