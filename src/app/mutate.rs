//! Append and mutate: a new image from a base in the same registry, with new layers and
//! config changes on every platform (or the chosen ones; the others stay as they are in the
//! new index). Everything is read and checked first; then the base is brought into DST's
//! repository (blobs mounted), each new layer is uploaded once, and the new configs, child
//! manifests, index and tag are written. The same inputs give the same digests.

use std::collections::HashMap;
use std::path::PathBuf;

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::edit::{self, BadInput, Edit};
use super::layer::{self, Done, Input};
use super::{NotFound, Session};
use crate::client::Scope;
use crate::engine::{self, Options, Repo};
use crate::oci::digest;
use crate::oci::digest::Digest;
use crate::oci::manifest::{Descriptor, Parsed, RawManifest};
use crate::oci::media;
use crate::oci::name::Repository;
use crate::oci::name::Tag;
use crate::oci::platform::Platform;
use crate::oci::reference::{ManifestRef, Reference};
use crate::store::Cached;

/// Configs larger than this are refused.
const MAX_CONFIG: usize = 16 << 20;

/// What was written; the keys are the `-o json` fields.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Mutated {
    /// `HOST/REPO:TAG`.
    pub reference: String,
    pub digest: Digest,
    pub media_type: String,
    /// The platforms changed (`os/arch[/variant]`).
    pub platforms: Vec<String>,
    pub layers: Vec<NewLayer>,
}

impl Mutated {
    /// The keys of the result, in order (the `--format` fields).
    pub const FIELDS: &[&str] = &["Reference", "Digest", "MediaType", "Platforms", "Layers"];
}

/// A layer added by `append`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewLayer {
    pub path: String,
    pub digest: Digest,
    pub diff_id: Digest,
    pub size: u64,
}

/// What to make of a base image.
pub struct Request<'a> {
    pub base: &'a Reference,
    /// `REPO:TAG` in BASE's registry.
    pub dst: &'a Reference,
    /// Only these platforms of an index (none: every image platform).
    pub platforms: Vec<Platform>,
    pub edit: Edit,
}

/// `append`: add the layers at `paths` (directories tarred with entries at `mtime`).
pub async fn append(
    clients: &Session,
    req: &Request<'_>,
    paths: &[PathBuf],
    mtime: u64,
) -> anyhow::Result<Mutated> {
    let inputs = paths
        .iter()
        .map(|p| layer::check(p, mtime))
        .collect::<Result<Vec<_>, _>>()?;
    run(clients, req, &inputs).await
}

/// `mutate`: config and annotation changes only.
pub async fn mutate(clients: &Session, req: &Request<'_>) -> anyhow::Result<Mutated> {
    run(clients, req, &[]).await
}

/// One image manifest to rewrite, read and checked before anything is written.
struct Target {
    old: Descriptor,
    platform: Platform,
    manifest: Value,
    config: Value,
}

async fn run(clients: &Session, req: &Request<'_>, inputs: &[Input]) -> anyhow::Result<Mutated> {
    let (base, dst) = (req.base, req.dst);
    let tag = check_dst(base, dst)?;
    let reg = clients.get(&base.registry).await?;
    let (brepo, drepo) = (&base.repository, &dst.repository);
    let scopes = [Scope::pull(brepo), Scope::push(drepo)];
    let top = match reg.get_manifest(brepo, &base.manifest_ref(), &scopes).await {
        Ok(m) => m,
        Err(e) => return Err(super::explain_missing(&reg, base, e).await),
    };
    let targets = read_targets(&reg, base, &top, &req.platforms, &scopes).await?;

    // Writes from here on.
    let repo = |r: &Repository| Repo {
        reg: reg.clone(),
        repo: r.clone(),
    };
    if brepo != drepo {
        let base_at = ManifestRef::digest(&top.digest);
        engine::transfer(
            &repo(brepo),
            &base_at,
            &repo(drepo),
            &[],
            &Options::default(),
        )
        .await?;
    }
    let dest = repo(drepo);
    let mut added = Vec::new();
    for input in inputs {
        added.push((input, upload(&dest, input).await?));
    }
    let layers = added.iter().map(|(_, d)| d).collect::<Vec<_>>();
    let out = Output {
        reg: &reg,
        repo: drepo,
        scopes: &scopes,
        tag: &tag,
    };
    let (written, platforms) = out.write(&top, targets, &req.edit, &layers, base).await?;
    Ok(Mutated {
        reference: dst.to_string(),
        digest: written.digest,
        media_type: written.media_type,
        platforms,
        layers: added
            .into_iter()
            .map(|(i, d)| NewLayer {
                path: i.path.display().to_string(),
                digest: d.digest,
                diff_id: d.diff_id,
                size: d.size,
            })
            .collect(),
    })
}

/// DST's tag, when DST is REPO:TAG in BASE's registry.
fn check_dst(base: &Reference, dst: &Reference) -> Result<Tag, BadInput> {
    let tag = match (&dst.tag, &dst.digest) {
        (Some(t), None) => t.clone(),
        _ => {
            return Err(BadInput {
                message: format!("the target {dst} is not REPO:TAG"),
                hint: "tag required: -t REPO:TAG".into(),
            })
        }
    };
    if dst.registry != base.registry {
        return Err(BadInput {
            message: format!(
                "the target {dst} is not in {}, the registry of {base}",
                base.registry
            ),
            hint: format!(
                "write the new image into {} and then `cr copy` it",
                base.registry
            ),
        });
    }
    Ok(tag)
}

/// Where the new image is written: DST's repository and tag.
struct Output<'a> {
    reg: &'a Cached,
    repo: &'a Repository,
    scopes: &'a [Scope],
    tag: &'a Tag,
}

impl Output<'_> {
    /// Write each target's new config and manifest (by digest under an index, else at the
    /// tag), then for an index the new index at the tag: the manifest at the tag, and the
    /// platforms changed.
    async fn write(
        &self,
        top: &RawManifest,
        targets: Vec<Target>,
        e: &Edit,
        layers: &[&Done],
        base: &Reference,
    ) -> anyhow::Result<(RawManifest, Vec<String>)> {
        let diff_ids: Vec<Digest> = layers.iter().map(|d| d.diff_id.clone()).collect();
        let blobs: Vec<(Digest, u64)> = layers.iter().map(|d| (d.digest.clone(), d.size)).collect();
        let mut replaced = HashMap::new();
        let mut result = None;
        let mut platforms = Vec::new();
        for mut t in targets {
            edit::config(&mut t.config, e, &diff_ids);
            let cfg = Bytes::from(serde_json::to_vec(&t.config)?);
            let size = cfg.len() as u64;
            let cfg_digest = self.reg.upload_bytes(self.repo, cfg, self.scopes).await?;
            edit::manifest(&mut t.manifest, (&cfg_digest, size), &blobs, &e.annotations);
            let m = raw(&t.manifest, &t.old.media_type)?;
            let at = if top.is_index() {
                ManifestRef::digest(&m.digest)
            } else {
                ManifestRef::tag(self.tag)
            };
            self.reg
                .put_manifest(self.repo, &at, &m, self.scopes)
                .await?;
            let new = (m.digest.clone(), m.bytes.len() as u64);
            replaced.insert(t.old.digest.clone(), new);
            platforms.push(t.platform.to_string());
            result = Some(m);
        }
        if !top.is_index() {
            let m = result.ok_or_else(|| anyhow::anyhow!("{base}: no image manifest to edit"))?;
            return Ok((m, platforms));
        }
        let mut idx =
            edit::parse_object(&top.bytes, "index").map_err(|e| anyhow::anyhow!("{base}: {e}"))?;
        edit::index(&mut idx, &replaced);
        let m = raw(&idx, &top.media_type)?;
        let at = ManifestRef::tag(self.tag);
        self.reg
            .put_manifest(self.repo, &at, &m, self.scopes)
            .await?;
        Ok((m, platforms))
    }
}

/// Manifest JSON as stored bytes: compact, keys in the base's order.
fn raw(v: &Value, media_type: &str) -> anyhow::Result<RawManifest> {
    let bytes = Bytes::from(serde_json::to_vec(v)?);
    let d = digest::sha256(&bytes);
    Ok(RawManifest::new(bytes, media_type.to_string(), d))
}

/// The image manifests to rewrite, with their configs: every image platform of an index (or
/// those asked for; each asked-for platform must be there), or the image itself.
async fn read_targets(
    reg: &Cached,
    base: &Reference,
    top: &RawManifest,
    want: &[Platform],
    scopes: &[Scope],
) -> anyhow::Result<Vec<Target>> {
    let mut targets = Vec::new();
    for (desc, platform) in chosen(base, top, want)? {
        targets.push(read_target(reg, base, top, (desc, platform), want, scopes).await?);
    }
    if targets.is_empty() {
        return Err(NotFound {
            image: base.to_string(),
            message: "the index has no image platform to change".into(),
        }
        .into());
    }
    Ok(targets)
}

/// The manifests of `top` to rewrite: an index's image platforms (those in `want`, each of
/// which must be there; attestations are not platforms), or the image itself.
fn chosen(
    base: &Reference,
    top: &RawManifest,
    want: &[Platform],
) -> anyhow::Result<Vec<(Descriptor, Option<Platform>)>> {
    let parsed = top.parse()?;
    if let Parsed::Image(_) = parsed {
        let desc = Descriptor::new(
            top.media_type.clone(),
            top.digest.clone(),
            top.bytes.len() as u64,
        );
        return Ok(vec![(desc, None)]);
    }
    let children = parsed.children();
    for w in want {
        if !children
            .iter()
            .any(|(_, p)| p.as_ref().is_some_and(|p| w.matches(p)))
        {
            return Err(NotFound {
                image: base.to_string(),
                message: format!("the index has no platform {w}"),
            }
            .into());
        }
    }
    Ok(children
        .into_iter()
        .filter(|(d, p)| {
            media::is_manifest(&d.media_type)
                && match (want.is_empty(), p) {
                    // Attestations (buildx's unknown/unknown) are not platforms.
                    (true, p) => p.as_ref().is_none_or(|p| p.os != "unknown"),
                    (false, Some(p)) => want.iter().any(|w| w.matches(p)),
                    (false, None) => false,
                }
        })
        .collect())
}

/// One manifest to rewrite, with its config (read capped); an image that is not for a
/// platform in `want` is not found.
async fn read_target(
    reg: &Cached,
    base: &Reference,
    top: &RawManifest,
    (desc, platform): (Descriptor, Option<Platform>),
    want: &[Platform],
    scopes: &[Scope],
) -> anyhow::Result<Target> {
    let brepo = &base.repository;
    let m = if desc.digest == top.digest {
        top.clone()
    } else {
        reg.get_manifest(brepo, &ManifestRef::digest(&desc.digest), scopes)
            .await?
    };
    let manifest = edit::parse_object(&m.bytes, "manifest")
        .map_err(|e| anyhow::anyhow!("{base}: manifest {}: {e}", m.digest))?;
    let cfg_digest = manifest["config"]["digest"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("{base}: manifest {} names no config", m.digest))?;
    let cfg_digest = Digest::parse(cfg_digest).map_err(|e| reg.invalid(e))?;
    let bytes = reg
        .get_blob_bytes(brepo, &cfg_digest, MAX_CONFIG, scopes)
        .await?;
    let config = edit::parse_object(&bytes, "config")
        .map_err(|e| anyhow::anyhow!("{base}: config {cfg_digest}: {e}"))?;
    let of_config = Platform::of_config(&config);
    if platform.is_none() && !want.is_empty() && !want.iter().any(|w| w.admits_config(&config)) {
        return Err(NotFound {
            image: base.to_string(),
            message: format!("the image is for {of_config}, not {}", list(want)),
        }
        .into());
    }
    Ok(Target {
        old: Descriptor::new(m.media_type.clone(), desc.digest, desc.size),
        platform: platform.unwrap_or(of_config),
        manifest,
        config,
    })
}

fn list(ps: &[Platform]) -> String {
    ps.iter()
        .map(Platform::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Upload one new layer into DST's repository, compressing it as it streams (again in a new
/// session, with smaller pieces, when the registry refused the first form).
async fn upload(dest: &Repo, input: &Input) -> anyhow::Result<Done> {
    let what = format!("upload layer {}", input.path.display());
    let mut sessions = engine::Sessions::new(dest);
    // Bounded by the retry budget and the smallest piece size; this is a backstop.
    for _ in 0..32 {
        let s = layer::stream(input);
        let r = crate::store::Target::put_encoded(dest, s.bytes, s.outcome.clone()).await;
        if let Some(e) = s.failed.lock().expect("lock").take() {
            return Err(e.into());
        }
        match r {
            Ok(_) => {
                let done = s.done.lock().expect("lock").clone();
                return done.ok_or_else(|| {
                    anyhow::anyhow!("layer {}: the stream stopped", input.path.display())
                });
            }
            Err(e) => {
                // Read again from the file, in a new session (or smaller pieces).
                if let Err(e) = sessions.retry(e, &what, || {}).await {
                    return Err(anyhow::Error::new(e)
                        .context(format!("cannot upload layer {}", input.path.display())));
                }
            }
        }
    }
    anyhow::bail!(
        "cannot upload layer {}: the registry refused every upload form",
        input.path.display()
    )
}
