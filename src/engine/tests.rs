//! The engine against the in-memory store: what moves, what is skipped, what a corrupt source
//! leaves behind, and the events an observer is told.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::progress::{Observer, Outcome};
use super::{transfer, Options, TransferError};
use crate::oci::digest::Digest;
use crate::oci::manifest::{Descriptor, RawManifest};
use crate::oci::media;
use crate::oci::name::Tag;
use crate::oci::reference::ManifestRef;

fn tag(t: &str) -> Tag {
    Tag::parse(t).unwrap()
}
use crate::store::memory::Memory;

fn desc_json(d: &Descriptor) -> String {
    format!(
        r#"{{"mediaType":"{}","digest":"{}","size":{}}}"#,
        d.media_type, d.digest, d.size
    )
}

/// An image in `m`: a config and these layers; its manifest, tagged `tag` when given.
fn image(
    m: &Memory,
    arch: &str,
    layers: &[&[u8]],
    tag: Option<&str>,
) -> (RawManifest, Vec<Descriptor>) {
    let config = format!(r#"{{"architecture":"{arch}","os":"linux"}}"#);
    let config = m.add_blob(media::OCI_CONFIG, config.as_bytes());
    let layers: Vec<Descriptor> = layers
        .iter()
        .map(|l| m.add_blob(media::OCI_LAYER_GZIP, l))
        .collect();
    let json = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{},"layers":[{}]}}"#,
        media::OCI_MANIFEST,
        desc_json(&config),
        layers.iter().map(desc_json).collect::<Vec<_>>().join(",")
    );
    let mut blobs = vec![config];
    blobs.extend(layers);
    (m.add_manifest(media::OCI_MANIFEST, &json, tag), blobs)
}

/// An index of two images sharing their first layer, tagged `v1`: the index and the blobs.
fn two_platforms(m: &Memory) -> (RawManifest, Vec<Descriptor>) {
    let shared: &[u8] = b"shared layer bytes, more than one piece";
    let (amd, a) = image(m, "amd64", &[shared, b"amd64 only"], None);
    let (arm, b) = image(m, "arm64", &[shared, b"arm64 only layer"], None);
    let entry = |mf: &RawManifest, arch: &str| {
        format!(
            r#"{{"mediaType":"{}","digest":"{}","size":{},"platform":{{"architecture":"{arch}","os":"linux"}}}}"#,
            mf.media_type,
            mf.digest,
            mf.bytes.len()
        )
    };
    let json = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{},{}]}}"#,
        media::OCI_INDEX,
        entry(&amd, "amd64"),
        entry(&arm, "arm64")
    );
    let index = m.add_manifest(media::OCI_INDEX, &json, Some("v1"));
    let shared = a[1].digest.clone();
    let mut blobs = a;
    blobs.extend(b.into_iter().filter(|d| d.digest != shared));
    (index, blobs)
}

fn puts(log: &[String], digest: &str) -> usize {
    let want = format!("put_blob {digest}");
    log.iter().filter(|l| **l == want).count()
}

#[tokio::test]
async fn shared_layers_move_once_and_the_tag_names_the_index() {
    let (src, dst) = (Memory::new("src"), Memory::new("dst"));
    let (index, blobs) = two_platforms(&src);
    assert_eq!(
        blobs.len(),
        5,
        "two configs, one shared layer, two own layers"
    );
    let r = transfer(
        &src,
        &ManifestRef::Tag(tag("v1")),
        &dst,
        &[tag("v1")],
        &Options::default(),
    )
    .await
    .unwrap();
    let log = dst.log();
    for b in &blobs {
        assert_eq!(puts(&log, &b.digest), 1, "{} in {log:?}", b.digest);
        assert_eq!(
            dst.blob_bytes(&b.digest),
            src.blob_bytes(&b.digest),
            "{}",
            b.digest
        );
    }
    assert_eq!(dst.tagged("v1").as_deref(), Some(index.digest.as_str()));
    assert_eq!(dst.counts(), (5, 3));
    assert_eq!((r.blobs_moved, r.blobs_skipped, r.blobs_mounted), (5, 0, 0));
    let total: u64 = blobs.iter().map(|b| b.size).sum();
    assert_eq!(r.bytes_moved, total);
    assert_eq!(r.digest, index.digest);
    assert_eq!(log.last().map(String::as_str), Some("commit"));
}

#[tokio::test]
async fn a_blob_the_target_has_is_skipped_without_a_put() {
    let (src, dst) = (Memory::new("src"), Memory::new("dst"));
    let (_, blobs) = image(&src, "amd64", &[b"layer one", b"layer two"], Some("v1"));
    dst.add_blob(&blobs[1].media_type, b"layer one");
    let r = transfer(
        &src,
        &ManifestRef::Tag(tag("v1")),
        &dst,
        &[tag("v2")],
        &Options::default(),
    )
    .await
    .unwrap();
    let log = dst.log();
    assert!(log.contains(&format!("has {}", blobs[1].digest)), "{log:?}");
    assert_eq!(puts(&log, &blobs[1].digest), 0, "{log:?}");
    assert_eq!(puts(&log, &blobs[0].digest), 1);
    assert_eq!(puts(&log, &blobs[2].digest), 1);
    assert_eq!((r.blobs_moved, r.blobs_skipped), (2, 1));
    assert_eq!(r.bytes_moved, blobs[0].size + blobs[2].size);
    assert!(dst.tagged("v2").is_some());
}

#[tokio::test]
async fn a_corrupt_source_blob_fails_and_commits_nothing() {
    let (src, dst) = (Memory::new("src"), Memory::new("dst"));
    let (_, blobs) = image(
        &src,
        "amd64",
        &[b"good layer", b"bad layer here"],
        Some("v1"),
    );
    src.corrupt(&blobs[2].digest);
    let e = transfer(
        &src,
        &ManifestRef::Tag(tag("v1")),
        &dst,
        &[tag("v1")],
        &Options::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, TransferError::Verify(_)), "{e:?}");
    assert!(e.to_string().contains(blobs[2].digest.as_str()), "{e}");
    assert_eq!(dst.counts(), (0, 0));
    assert_eq!(dst.tagged("v1"), None);
    let log = dst.log();
    assert!(
        !log.iter()
            .any(|l| l.starts_with("put_manifest") || l == "commit"),
        "{log:?}"
    );
}

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Planned(usize, u64),
    Start(String),
    Bytes(String, u64),
    Done(String, Outcome),
    Manifest(String),
    Tag(String),
    Finish,
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

impl Recorder {
    fn push(&self, e: Event) {
        self.0.lock().unwrap().push(e);
    }
}

impl Observer for Recorder {
    fn planned(&self, blobs: usize, bytes: u64) {
        self.push(Event::Planned(blobs, bytes));
    }
    fn blob_start(&self, d: &Descriptor) {
        self.push(Event::Start(d.digest.to_string()));
    }
    fn blob_bytes(&self, digest: &Digest, n: u64) {
        self.push(Event::Bytes(digest.to_string(), n));
    }
    fn blob_done(&self, d: &Descriptor, o: Outcome) {
        self.push(Event::Done(d.digest.to_string(), o));
    }
    fn manifest_put(&self, m: &RawManifest) {
        self.push(Event::Manifest(m.digest.to_string()));
    }
    fn tag_put(&self, tag: &str, _digest: &str) {
        self.push(Event::Tag(tag.into()));
    }
    fn finish(&self) {
        self.push(Event::Finish);
    }
}

#[tokio::test]
async fn events_come_in_order_with_byte_totals_equal_to_the_sizes() {
    let (src, dst) = (Memory::new("src"), Memory::new("dst"));
    let (index, blobs) = two_platforms(&src);
    dst.add_blob(
        &blobs[0].media_type,
        &src.blob_bytes(&blobs[0].digest).unwrap(),
    );
    let rec = Arc::new(Recorder::default());
    let opts = Options {
        progress: rec.clone(),
        ..Options::default()
    };
    transfer(
        &src,
        &ManifestRef::Tag(tag("v1")),
        &dst,
        &[tag("v1")],
        &opts,
    )
    .await
    .unwrap();
    let ev = rec.0.lock().unwrap().clone();
    let total: u64 = blobs.iter().map(|b| b.size).sum();
    assert_eq!(ev[0], Event::Planned(5, total));
    assert_eq!(ev[ev.len() - 1], Event::Finish);
    assert_eq!(ev[ev.len() - 2], Event::Tag("v1".into()));
    let at = |e: &Event| ev.iter().position(|x| x == e).unwrap();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (i, e) in ev.iter().enumerate() {
        if let Event::Bytes(d, n) = e {
            assert!(
                at(&Event::Start(d.clone())) < i,
                "bytes before start: {e:?}"
            );
            *seen.entry(d.clone()).or_default() += n;
        }
    }
    let last_done = ev
        .iter()
        .rposition(|e| matches!(e, Event::Done(..)))
        .unwrap();
    let first_manifest = ev
        .iter()
        .position(|e| matches!(e, Event::Manifest(_)))
        .unwrap();
    assert!(last_done < first_manifest, "{ev:?}");
    assert_eq!(
        at(&Event::Done(blobs[0].digest.to_string(), Outcome::Skipped)),
        ev.iter()
            .position(|e| matches!(e, Event::Done(d, _) if *d == blobs[0].digest))
            .unwrap()
    );
    assert!(!ev.contains(&Event::Start(blobs[0].digest.to_string())));
    for b in &blobs[1..] {
        assert_eq!(seen.get(b.digest.as_str()), Some(&b.size), "{}", b.digest);
        let done = at(&Event::Done(b.digest.to_string(), Outcome::Moved));
        let last_bytes = ev
            .iter()
            .rposition(|e| matches!(e, Event::Bytes(d, _) if *d == b.digest))
            .unwrap();
        assert!(at(&Event::Start(b.digest.to_string())) < last_bytes && last_bytes < done);
    }
    let manifests: Vec<&Event> = ev
        .iter()
        .filter(|e| matches!(e, Event::Manifest(_)))
        .collect();
    assert_eq!(manifests.len(), 2, "the two children, by digest");
    assert!(!manifests.contains(&&Event::Manifest(index.digest.to_string())));
}
