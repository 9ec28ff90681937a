//! Moving one blob from a source to a target: skip it when the target has it, mount it within
//! a registry, or stream it with verification, in upload sessions drawn from the target's
//! retry policy; a blob re-encoded by its source (see `store::Encoder`) moves the same way with
//! its digest learnt at the end. In a run that places blobs once per destination registry (a
//! sync), the first image that needs a blob moves it and the others mount it.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::progress::{Observer, Outcome};
use super::{placed, stream, TransferError};
use crate::client::transport::retry::{decide, Budget, Decision};
use crate::oci::manifest::Descriptor;
use crate::store::{Encoder, Mount, Source, Target};

/// The upload sessions a blob may use, drawn from the destination's policy: after a failed
/// session, whether to go on (the wait done, the retry said) or give up with the error. The
/// engine's blobs and `append`'s new layers (read again from their file) both use it.
pub struct Sessions {
    reg: Option<Arc<crate::store::Cached>>,
    budget: Option<Budget>,
    attempt: u32,
}

impl Sessions {
    pub fn new(dst: &dyn Target) -> Self {
        let reg = dst.repo().map(|d| d.reg.clone());
        let budget = reg.as_ref().map(|r| r.policy().budget());
        let attempt = budget.as_ref().and_then(Budget::take).unwrap_or(1);
        Sessions {
            reg,
            budget,
            attempt,
        }
    }

    /// After session `self.attempt` failed with `e`: Ok to try again, or the error to stop
    /// with. A source that failed (after its own retries) or corrupt content ends it here.
    async fn again(
        &mut self,
        e: TransferError,
        verdict: &stream::Verdict,
        desc: &Descriptor,
        progress: &Arc<dyn Observer>,
    ) -> Result<(), TransferError> {
        match verdict.failure() {
            Some(stream::Failure::Corrupt(msg)) => return Err(TransferError::Verify(msg)),
            Some(stream::Failure::Source(io)) => return Err(TransferError::source(&io)),
            None => {}
        }
        let what = format!("upload blob {}", desc.digest);
        self.retry(e, &what, || progress.blob_restart(desc)).await
    }

    /// After an upload of `what` failed with `e`, its content intact: Ok when another session
    /// follows (`restart` called first, the retry said and waited out), else the error.
    /// Smaller pieces after a size refusal are not counted as an attempt; a permanent refusal
    /// (a read-only registry's 405 on opening a session) is never retried.
    pub async fn retry(
        &mut self,
        e: TransferError,
        what: &str,
        restart: impl FnOnce(),
    ) -> Result<(), TransferError> {
        let (Some(reg), Some(budget)) = (&self.reg, &self.budget) else {
            return Err(e);
        };
        let wait = match &e {
            TransferError::Fallback(_) => {
                restart();
                return Ok(());
            }
            // A refusal for size or form became `Fallback` in `upload` when smaller pieces
            // were still possible; here it is final, like every other permanent refusal.
            TransferError::Registry(r) => match decide(r, true) {
                Decision::NewSession(wait) | Decision::Retry(wait) => wait,
                Decision::Smaller | Decision::Stop => return Err(e),
            },
            _ => return Err(e),
        };
        if budget.left() == 0 {
            // No retry follows: the bytes this attempt moved stay counted, as they were.
            return Err(e);
        }
        restart();
        let cause = e.to_string();
        let Some(next) = reg.pause(budget, self.attempt, what, &cause, wait).await else {
            return Err(e);
        };
        self.attempt = next;
        Ok(())
    }
}

/// Move one blob: skip, mount, or stream with verification and retries. `check`: ask the
/// destination first whether it has the blob (pointless in a repository that did not exist
/// when the run began).
pub(super) async fn move_blob(
    src: &dyn Source,
    dst: &dyn Target,
    desc: &Descriptor,
    progress: &Arc<dyn Observer>,
    slots: &Arc<Semaphore>,
    check: bool,
) -> Result<Outcome, TransferError> {
    if check && dst.has_blob(desc).await? {
        return Ok(Outcome::Skipped);
    }
    let mut session = match dst.mount(src, desc).await? {
        Mount::Mounted => return Ok(Outcome::Mounted),
        Mount::Session(url) => Some(url),
        Mount::No => None,
    };
    // Bytes from a network are always hashed; a push from local files is verified by the
    // registry on commit.
    let hash = src.remote() || !dst.checks_digests();
    progress.blob_start(desc);
    let mut sessions = Sessions::new(dst);
    loop {
        let verdict = stream::Verdict::default();
        let slot = slots.clone().acquire_owned().await.ok();
        let raw = src.blob(desc).await?;
        let bytes = stream::verified(
            raw,
            desc.clone(),
            progress.clone(),
            verdict.clone(),
            hash,
            slot,
        );
        match dst.put_blob(desc, bytes, session.take()).await {
            Ok(()) => return Ok(Outcome::Moved),
            // A commit whose answer was lost or refused may have stored the blob all the
            // same: HEAD it before sending it again.
            Err(TransferError::Registry(_))
                if verdict.failure().is_none() && dst.has_blob(desc).await.unwrap_or(false) =>
            {
                return Ok(Outcome::Moved);
            }
            Err(e) => sessions.again(e, &verdict, desc, progress).await?,
        }
    }
}

/// Move one blob in a run that places blobs once per destination registry: the first image
/// that needs it moves it (or finds it there); the others wait for that and mount it from the
/// repository that has it.
pub(super) async fn move_placed(
    placed: &placed::Placed,
    src: &dyn Source,
    dst: &dyn Target,
    desc: &Descriptor,
    progress: &Arc<dyn Observer>,
    slots: &Arc<Semaphore>,
) -> Result<Outcome, TransferError> {
    let Some(d) = dst.repo() else {
        return move_blob(src, dst, desc, progress, slots, true).await;
    };
    if let Some(e) = placed.failure(&desc.digest) {
        return Err(e);
    }
    let cell = placed.cell(&desc.digest);
    let mut mine = None;
    let holder = cell
        .get_or_try_init(|| async {
            // Those waiting on an image that failed the blob fail with it, untried.
            if let Some(e) = placed.failure(&desc.digest) {
                return Err(e);
            }
            let check = !placed.is_new(&d.repo);
            match move_blob(src, dst, desc, progress, slots, check).await {
                Ok(o) => mine = Some(o),
                Err(e) if e.of_the_blob() => return Err(placed.fail(&desc.digest, e)),
                Err(e) => return Err(e),
            }
            Ok::<_, TransferError>(d.repo.clone())
        })
        .await?;
    if let Some(o) = mine {
        return Ok(o);
    }
    if *holder == d.repo {
        return Ok(Outcome::Skipped);
    }
    // One mount per repository and blob: docker-registry's filesystem driver can tear the
    // link file when the same blob is linked into the same repository twice at once.
    let here = placed.cell(&format!("{}@{}", d.repo, desc.digest));
    let mut mine = None;
    here.get_or_try_init(|| async {
        let scopes = [
            crate::client::Scope::pull(holder),
            crate::client::Scope::push(&d.repo),
        ];
        let o = match d
            .reg
            .mount_blob(&d.repo, &desc.digest, holder, &scopes)
            .await?
        {
            crate::client::blob::Mount::Mounted => Outcome::Mounted,
            crate::client::blob::Mount::Upload(_) => {
                move_blob(src, dst, desc, progress, slots, true).await?
            }
        };
        mine = Some(o);
        Ok::<_, TransferError>(d.repo.clone())
    })
    .await?;
    Ok(mine.unwrap_or(Outcome::Skipped))
}

/// Move one blob its source re-encodes as it streams: skipped without encoding when an
/// earlier run remembered what it encodes to and the target has that. The descriptor as
/// stored, and what happened.
pub(super) async fn move_encoded(
    enc: &dyn Encoder,
    dst: &dyn Target,
    raw: &Descriptor,
    progress: &Arc<dyn Observer>,
    slots: &Arc<Semaphore>,
) -> Result<(Descriptor, Outcome), TransferError> {
    if let Some(known) = enc.remembered(raw) {
        if dst.has_blob(&known).await? {
            enc.remember(raw, &known);
            return Ok((known, Outcome::Skipped));
        }
    }
    progress.blob_start(raw);
    let mut sessions = Sessions::new(dst);
    loop {
        let verdict = stream::Verdict::default();
        let slot = slots.clone().acquire_owned().await.ok();
        let (p, digest) = (progress.clone(), raw.digest.clone());
        let c = enc.encode(raw, Arc::new(move |n| p.blob_bytes(&digest, n)))?;
        let bytes = stream::watched(c.bytes, verdict.clone(), slot);
        match dst.put_encoded(bytes, c.result.clone()).await {
            Ok(digest) => {
                let size = c.result.lock().expect("lock").as_ref().map_or(0, |r| r.1);
                let desc = Descriptor::new(c.media_type.clone(), digest, size);
                enc.remember(raw, &desc);
                return Ok((desc, Outcome::Moved));
            }
            Err(e) => sessions.again(e, &verdict, raw, progress).await?,
        }
    }
}
