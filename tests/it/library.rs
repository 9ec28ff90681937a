//! The library without the binary: a sync run through `cr::app::sync::run` and a retention
//! planned and applied through `cr::app::retention::run`, skopeo confirming what arrived and
//! what remains.

use std::sync::Mutex;

use crate::common::{layout, Auth, Peer, TestRegistry};
use cr::app::retention::run::{Event as RetentionEvent, Retention, RetentionRequest};
use cr::app::retention::Rule;
use cr::app::sync::run::{Event as SyncEvent, SyncRequest};
use cr::app::sync::{Filter, How, Spec, Status};
use cr::app::Session;
use cr::client::Options;

/// team/app v1, v2, v3 created 30, 20 and 10 days ago: their digests, oldest first.
fn seed(reg: &Peer, dir: &std::path::Path) -> Vec<String> {
    [("v1", 30), ("v2", 20), ("v3", 10)]
        .iter()
        .map(|(tag, days)| {
            let when = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days);
            let l = dir.join(tag);
            let b = layout::image_at(
                &l,
                Some(tag),
                "amd64",
                &[("f.txt", format!("app {tag}").as_bytes())],
                &when.to_string(),
            );
            reg.skopeo_push(&l, tag, &format!("team/app:{tag}"));
            b.digest
        })
        .collect()
}

#[test]
fn a_sync_and_a_retention_through_the_library() {
    let (src, dst) = (
        TestRegistry::start(Auth::None),
        TestRegistry::start(Auth::None),
    );
    let dir = tempfile::tempdir().unwrap();
    let d = seed(&src, dir.path());
    let rt = tokio::runtime::Runtime::new().unwrap();

    // Sync src/team to dst/mirror: every tag copied, each reported once as it finished.
    let finished = Mutex::new(Vec::new());
    let on = |e: SyncEvent<'_>| {
        if let SyncEvent::Synced(s) = e {
            finished.lock().unwrap().push(s.tag.clone());
        }
    };
    let req = SyncRequest {
        src: Spec::parse(&format!("{}/team", src.host), "unused").unwrap(),
        dst: Spec::parse(&format!("{}/mirror", dst.host), "unused").unwrap(),
        filter: Filter::default(),
        platform: None,
        jobs: 4,
        images: 2,
        how: How {
            dry_run: false,
            referrers: true,
            force: false,
        },
    };
    let clients = Session::with_options(Options::default());
    let report = rt
        .block_on(cr::app::sync::run::run(&clients, &req, None, &on))
        .unwrap();
    assert!(report.repo_failures.is_empty());
    let mut results = report.results;
    results.sort_by(|a, b| a.tag.cmp(&b.tag));
    let got: Vec<(&str, Status, Option<&str>)> = results
        .iter()
        .map(|r| (r.tag.as_str(), r.status, r.digest.as_deref()))
        .collect();
    let want: Vec<(&str, Status, Option<&str>)> = ["v1", "v2", "v3"]
        .iter()
        .zip(&d)
        .map(|(t, d)| (*t, Status::Copied, Some(d.as_str())))
        .collect();
    assert_eq!(got, want);
    let mut finished = finished.into_inner().unwrap();
    finished.sort();
    assert_eq!(finished, ["v1", "v2", "v3"]);
    for (tag, digest) in ["v1", "v2", "v3"].iter().zip(&d) {
        assert_eq!(&dst.skopeo_digest(&format!("mirror/app:{tag}")), digest);
    }

    // Retention on the mirror, keeping the newest image: the plan deletes v2 and v1 (newest
    // first) and deletes nothing itself; applied, exactly those go.
    let reg = rt.block_on(clients.get(&dst.host)).unwrap();
    let req = RetentionRequest {
        host: dst.host.clone(),
        path: "mirror/app".into(),
        rule: Rule {
            images: Some(1),
            created_before: None,
            keep_tag: None,
        },
        recursive: false,
        keep_referrers: false,
    };
    let ret = rt.block_on(Retention::open(reg, req)).ok().unwrap();
    assert_eq!(ret.repositories(), ["mirror/app"]);
    let plans = rt.block_on(ret.plan());
    let plan = plans[0].plan.as_ref().unwrap();
    let doomed: Vec<&str> = plan.delete.iter().map(|i| i.digest.as_str()).collect();
    assert_eq!(doomed, [d[1].as_str(), d[0].as_str()]);
    let kept: Vec<&str> = plan.kept.iter().map(|(i, _)| i.digest.as_str()).collect();
    assert_eq!(kept, [d[2].as_str()]);
    assert_eq!(
        dst.skopeo_tags("mirror/app").len(),
        3,
        "planning deleted something"
    );

    let deleted = Mutex::new(Vec::new());
    let on = |e: RetentionEvent<'_>| {
        if let RetentionEvent::Deleted { image, .. } = e {
            deleted.lock().unwrap().push(image.digest.clone());
        }
    };
    let runs = rt.block_on(ret.apply(Some(plans), &on));
    assert!(runs[0].outcomes.values().all(Result::is_ok));
    let mut deleted = deleted.into_inner().unwrap();
    deleted.sort();
    let mut want = vec![d[0].clone(), d[1].clone()];
    want.sort();
    assert_eq!(deleted, want);
    assert_eq!(dst.skopeo_tags("mirror/app"), ["v3"]);
    assert!(!dst.skopeo_exists(&format!("mirror/app@{}", d[0])));
    assert_eq!(dst.skopeo_digest("mirror/app:v3"), d[2]);
    // The -o json row says the same.
    let row = serde_json::to_value(runs[0].row(&dst.host, true)).unwrap();
    assert_eq!(row["Repository"], format!("{}/mirror/app", dst.host));
    assert_eq!(row["DryRun"], false);
    let gone: Vec<&str> = row["Deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Digest"].as_str().unwrap())
        .collect();
    assert_eq!(gone, [d[1].as_str(), d[0].as_str()]);
    assert_eq!(row["Failed"].as_array().unwrap().len(), 0);
}
