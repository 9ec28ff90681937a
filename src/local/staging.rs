//! Staging names and their cleanup: what a pull writes before its final rename is named
//! `.cr-pull-PID-START-…` (a directory) or `.cr-PID-START-…` (a file), START being the process's
//! start time (clock ticks since boot, from /proc). A run that writes into a directory removes
//! those left there by runs that are gone: older than `CR_STALE_STAGING_SECS` (3600) and whose
//! process no longer exists with that start time. Anything else, including names of another
//! form, is never touched.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// The start time of process `pid`: field 22 of /proc/PID/stat (after the `(comm)` field,
/// which may hold spaces and parentheses).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// `PID-START` of this process (START 0 where /proc is missing: such names are never swept).
fn me() -> &'static str {
    static ME: OnceLock<String> = OnceLock::new();
    ME.get_or_init(|| {
        let pid = std::process::id();
        format!("{pid}-{}", start_time(pid).unwrap_or(0))
    })
}

/// The prefix of a staging directory of this process.
pub fn dir_prefix() -> String {
    format!(".cr-pull-{}-", me())
}

/// The prefix of a staging file of this process.
pub fn file_prefix() -> String {
    format!(".cr-{}-", me())
}

/// The (pid, start) a staging name carries, if it is one.
fn owner(name: &str) -> Option<(u32, u64)> {
    let rest = name
        .strip_prefix(".cr-pull-")
        .or_else(|| name.strip_prefix(".cr-"))?;
    let mut parts = rest.splitn(3, '-');
    let pid = parts.next()?.parse().ok()?;
    let start = parts.next()?.parse().ok()?;
    // tempfile's suffix: six letters or digits (so `.cr-1-2-x.cr-lock` is not staging).
    let suffix = parts.next()?;
    (suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric())).then_some((pid, start))
}

/// Whether the run that made a staging name is gone (its pid is free, or taken by a process
/// that started at another time). An unknown start time (0) is never taken for gone.
fn gone(pid: u32, start: u64) -> bool {
    start != 0 && start_time(pid) != Some(start)
}

/// `CR_STALE_STAGING_SECS`: seconds (3600; at most a year); a bad value is a usage error.
pub fn max_age() -> Result<Duration, crate::config::ConfigError> {
    super::env_secs("CR_STALE_STAGING_SECS", 3600, 365 * 24 * 3600)
}

/// Bytes under `p` (files only; symbolic links are not followed), at most 100,000 entries.
fn size_of(p: &Path, budget: &mut usize) -> u64 {
    let Ok(m) = std::fs::symlink_metadata(p) else {
        return 0;
    };
    if !m.is_dir() {
        return if m.is_file() { m.len() } else { 0 };
    }
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    let mut n = 0;
    for e in rd.flatten() {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        n += size_of(&e.path(), budget);
    }
    n
}

/// What a sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub entries: usize,
    pub bytes: u64,
}

/// Remove the staging left in `dir` by runs that are gone, and say on stderr how much that
/// freed (when anything).
pub fn sweep(dir: &Path) -> Swept {
    let mut swept = Swept::default();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return swept;
    };
    // A bad value was refused before the run began (`check_env`); here it removes nothing.
    let Ok(age) = max_age() else {
        return swept;
    };
    let now = SystemTime::now();
    for e in rd.flatten().take(100_000) {
        let name = e.file_name();
        let Some((pid, start)) = name.to_str().and_then(owner) else {
            continue;
        };
        let p = e.path();
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        let old = m
            .modified()
            .ok()
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|d| d >= age);
        if !old || !gone(pid, start) {
            continue;
        }
        let bytes = size_of(&p, &mut 100_000);
        let removed = if m.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        if removed.is_ok() {
            swept.entries += 1;
            swept.bytes += bytes;
        }
    }
    if swept.entries > 0 {
        crate::notice::status(&format!(
            "removed {} staging {} left in {} by cr runs that ended: {:.1} MiB ({} bytes) freed",
            swept.entries,
            if swept.entries == 1 {
                "entry"
            } else {
                "entries"
            },
            dir.display(),
            swept.bytes as f64 / (1 << 20) as f64,
            swept.bytes
        ));
    }
    swept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_pid_and_start_time() {
        let me = std::process::id();
        let start = start_time(me).expect("/proc");
        assert!(dir_prefix().starts_with(&format!(".cr-pull-{me}-{start}-")));
        assert_eq!(owner(&format!("{}aB3xyz", dir_prefix())), Some((me, start)));
        assert_eq!(
            owner(&format!("{}aB3xyz", file_prefix())),
            Some((me, start))
        );
        assert!(!gone(me, start), "this process is alive");
        assert!(gone(me, start + 1), "same pid, another start: a reused pid");
        assert!(!gone(12, 0), "unknown start time: kept");
        for other in [
            ".cr-pull-abcdef",
            ".cr-1-2-abcdef.cr-lock",
            ".cr-12-",
            ".cr-pull-1-2",
            "cr-1-2-abcdef",
            ".cr-1-2-abc",
        ] {
            assert_eq!(owner(other), None, "{other}");
        }
    }
}
