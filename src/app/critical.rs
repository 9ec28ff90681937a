//! Writes that must not be cut in half by Ctrl-C or SIGTERM (image-untag's placeholder
//! sequence): they run as tasks of their own, which dropping the command does not cancel, and
//! are registered here so that the interrupted process waits for them (bounded) before exiting.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The writes in progress: id → what it is ("the untag of HOST/REPO:TAG").
static IN_PROGRESS: LazyLock<watch::Sender<BTreeMap<u64, String>>> =
    LazyLock::new(|| watch::Sender::new(BTreeMap::new()));
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Registered while its write runs; leaving removes it (also when the task panics).
struct Guard(u64);

impl Guard {
    fn new(what: String) -> Self {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        IN_PROGRESS.send_modify(|m| {
            m.insert(id, what);
        });
        Guard(id)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        IN_PROGRESS.send_modify(|m| {
            m.remove(&self.0);
        });
    }
}

/// Run `work` to its end even if the caller is dropped (an interrupt): it is registered
/// before this returns, so an interrupt that comes at any point after waits for it.
pub fn spawn<F>(what: String, work: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let guard = Guard::new(what);
    tokio::spawn(async move {
        let _guard = guard;
        work.await
    })
}

/// What is in progress now.
pub fn in_progress() -> Vec<String> {
    IN_PROGRESS.borrow().values().cloned().collect()
}

/// Wait until no registered write is in progress, at most `deadline`; what is still running
/// then (empty when all finished).
pub async fn settle(deadline: Duration) -> Vec<String> {
    let mut rx = IN_PROGRESS.subscribe();
    let _ = tokio::time::timeout(deadline, rx.wait_for(BTreeMap::is_empty)).await;
    in_progress()
}

/// After an interrupt: say what is being finished, wait for it (at most `deadline`), and tell
/// whether everything finished.
pub async fn finish_before_exit(deadline: Duration) -> bool {
    let running = in_progress();
    for what in &running {
        crate::notice::status(&format!("interrupted: finishing {what} before exiting"));
    }
    if running.is_empty() {
        return true;
    }
    let left = settle(deadline).await;
    for what in &left {
        crate::notice::status(&format!(
            "interrupted: gave up waiting for {what} after {} s; run the command again to finish it",
            deadline.as_secs()
        ));
    }
    left.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_spawned_write_outlives_its_caller_and_is_waited_for() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let d = done.clone();
        let handle = spawn("the test write".into(), async move {
            let _ = rx.await;
            d.store(true, Ordering::SeqCst);
        });
        assert!(in_progress().contains(&"the test write".to_string()));
        // The caller gives up on it; the write goes on.
        drop(handle);
        tx.send(()).unwrap();
        let left = settle(Duration::from_secs(5)).await;
        assert!(!left.contains(&"the test write".to_string()), "{left:?}");
        assert!(done.load(Ordering::SeqCst));
    }
}
