//! Questions asked on the terminal: the answer is read on a thread of its own, so that Ctrl-C
//! (or SIGTERM) while a question waits ends cr at once with 130, as at any other moment.

use std::io::{BufRead, Write};

use anyhow::Context;

/// Ask `question` on stderr and wait for one line of stdin (without its line end).
pub async fn line(question: &str) -> anyhow::Result<String> {
    eprint!("{question}");
    std::io::stderr().flush().ok();
    let (tx, rx) = tokio::sync::oneshot::channel();
    // A plain thread, not the runtime's blocking pool: an interrupted question leaves it
    // blocked in read_line, and nothing waits for it when cr exits.
    std::thread::spawn(move || {
        let mut l = String::new();
        let r = std::io::stdin().lock().read_line(&mut l).map(|_| l);
        let _ = tx.send(r);
    });
    let answer = rx
        .await
        .context("reading the answer")?
        .context("reading the answer")?;
    Ok(answer.trim_end_matches(['\r', '\n']).to_string())
}
