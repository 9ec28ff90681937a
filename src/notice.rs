//! Notices the library raises while it works (warnings, notes, waits, cleanup reports): sent
//! to the one sink the front end installs, which draws them (cli/ writes them to stderr, with
//! control characters escaped). The library itself never prints; a Rust caller that installs
//! no sink gets no notices.

use std::sync::OnceLock;

/// What kind of notice: the sink chooses how to draw each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something the user should act on or know is unsafe.
    Warning,
    /// A fact worth a line (a lost answer that was checked).
    Note,
    /// Progress of the run itself (a wait, a cleanup, an interrupt being handled).
    Status,
}

type Sink = fn(Level, &str);

static SINK: OnceLock<Sink> = OnceLock::new();

/// Install the sink (once per process; later calls are ignored).
pub fn install(sink: Sink) {
    let _ = SINK.set(sink);
}

fn send(level: Level, msg: &str) {
    if let Some(sink) = SINK.get() {
        sink(level, msg);
    }
}

pub fn warning(msg: &str) {
    send(Level::Warning, msg);
}

pub fn note(msg: &str) {
    send(Level::Note, msg);
}

pub fn status(msg: &str) {
    send(Level::Status, msg);
}
