//! `--format oci`: Docker-format manifests rewritten as OCI ones on the way (for registries
//! that take OCI only, such as zot without its docker2s2 compat). Only media types change
//! (manifest, config, layers; an index's entries then name the converted children), so blobs
//! move as they are; the manifests' bytes, and so their digests, change.

use std::collections::HashMap;

use serde_json::Value;

use super::plan::Plan;
use super::TransferError;
use crate::oci::digest::{self, Digest};
use crate::oci::manifest::RawManifest;
use crate::oci::media;

/// The OCI media type for a Docker one (None: not a Docker type, kept).
fn oci_type(t: &str) -> Option<&'static str> {
    Some(match t {
        media::DOCKER_MANIFEST => media::OCI_MANIFEST,
        media::DOCKER_LIST => media::OCI_INDEX,
        media::DOCKER_CONFIG => media::OCI_CONFIG,
        media::DOCKER_LAYER_GZIP => media::OCI_LAYER_GZIP,
        media::DOCKER_LAYER_TAR => "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => {
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        }
        _ => return None,
    })
}

/// Rewrite the media type of a descriptor (or the document) in place.
fn retype(v: &mut Value) {
    if let Some(t) = v
        .get("mediaType")
        .and_then(Value::as_str)
        .and_then(oci_type)
    {
        v["mediaType"] = Value::String(t.to_string());
    }
}

/// `m` as OCI, with an index's entries pointing at `converted` children (old digest -> new
/// digest and size). None: not a Docker manifest, kept as it is.
fn convert_one(
    m: &RawManifest,
    converted: &HashMap<Digest, (Digest, u64)>,
) -> Result<Option<RawManifest>, TransferError> {
    let Some(new_type) = oci_type(&m.media_type) else {
        return Ok(None);
    };
    let bad = |e: serde_json::Error| {
        TransferError::Unsupported(format!("converting manifest {} to OCI: {e}", m.digest))
    };
    let mut v: Value = serde_json::from_slice(&m.bytes).map_err(bad)?;
    v["mediaType"] = Value::String(new_type.to_string());
    if let Some(c) = v.get_mut("config") {
        retype(c);
    }
    for key in ["layers", "manifests"] {
        let Some(list) = v.get_mut(key).and_then(Value::as_array_mut) else {
            continue;
        };
        for d in list {
            retype(d);
            let old = d.get("digest").and_then(Value::as_str);
            if let Some((new, size)) = old.and_then(|o| converted.get(o)) {
                d["digest"] = Value::String(new.to_string());
                d["size"] = Value::from(*size);
            }
        }
    }
    let bytes = serde_json::to_vec(&v).map_err(bad)?;
    let d = digest::sha256(&bytes);
    Ok(Some(RawManifest::new(bytes.into(), new_type.into(), d)))
}

/// Convert the plan's Docker manifests to OCI (children first, then the top); returns the
/// top manifest's digests before and after when anything changed.
pub fn to_oci(plan: &mut Plan) -> Result<Option<(Digest, Digest)>, TransferError> {
    let mut converted = HashMap::new();
    for child in plan.children.iter_mut() {
        if let Some(new) = convert_one(child, &converted)? {
            converted.insert(
                child.digest.clone(),
                (new.digest.clone(), new.bytes.len() as u64),
            );
            *child = new;
        }
    }
    let before = plan.top.digest.clone();
    let top = convert_one(&plan.top, &converted)?;
    if top.is_none() && converted.is_empty() {
        return Ok(None);
    }
    if let Some(t) = top {
        plan.top = t;
    }
    Ok(Some((before, plan.top.digest.clone())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(v: &Value, t: &str) -> RawManifest {
        let b = serde_json::to_vec(v).unwrap();
        let d = digest::sha256(&b);
        RawManifest::new(b.into(), t.into(), d)
    }

    #[test]
    fn docker_manifests_and_lists_become_oci_with_their_children() {
        let child = raw(
            &serde_json::json!({
                "schemaVersion": 2,
                "mediaType": media::DOCKER_MANIFEST,
                "config": {"mediaType": media::DOCKER_CONFIG, "digest": "sha256:aa", "size": 1},
                "layers": [{"mediaType": media::DOCKER_LAYER_GZIP, "digest": "sha256:bb", "size": 2}]
            }),
            media::DOCKER_MANIFEST,
        );
        let list = raw(
            &serde_json::json!({
                "schemaVersion": 2,
                "mediaType": media::DOCKER_LIST,
                "manifests": [{"mediaType": media::DOCKER_MANIFEST, "digest": child.digest, "size": child.bytes.len(),
                               "platform": {"os": "linux", "architecture": "amd64"}}]
            }),
            media::DOCKER_LIST,
        );
        let mut plan = Plan {
            top: list.clone(),
            children: vec![child.clone()],
            blobs: vec![],
        };
        let (before, after) = to_oci(&mut plan).unwrap().unwrap();
        assert_eq!(before, list.digest);
        assert_ne!(after, list.digest);
        let c: Value = serde_json::from_slice(&plan.children[0].bytes).unwrap();
        assert_eq!(c["mediaType"], media::OCI_MANIFEST);
        assert_eq!(c["config"]["mediaType"], media::OCI_CONFIG);
        assert_eq!(c["layers"][0]["mediaType"], media::OCI_LAYER_GZIP);
        assert_eq!(c["layers"][0]["digest"], "sha256:bb");
        assert_eq!(
            plan.children[0].digest,
            digest::sha256(&plan.children[0].bytes)
        );
        let t: Value = serde_json::from_slice(&plan.top.bytes).unwrap();
        assert_eq!(plan.top.media_type, media::OCI_INDEX);
        assert_eq!(t["manifests"][0]["mediaType"], media::OCI_MANIFEST);
        assert_eq!(
            t["manifests"][0]["digest"],
            plan.children[0].digest.as_str()
        );
        assert_eq!(t["manifests"][0]["size"], plan.children[0].bytes.len());
        assert_eq!(t["manifests"][0]["platform"]["architecture"], "amd64");
        // Already OCI: nothing changes.
        let before = plan.top.clone();
        assert!(to_oci(&mut plan).unwrap().is_none());
        assert_eq!(plan.top.bytes, before.bytes);
    }
}
