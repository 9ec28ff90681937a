//! Whether a cache directory is cr's own: a real directory (only the root may be a symbolic
//! link, and then one the user made), owned by the user running cr and writable by no one
//! else. cr neither reads nor writes a cache kept where another user could plant, swap or
//! redirect files; and it opens its cache files without following links.

use std::fs;
use std::io;
use std::path::Path;

/// Why a cache directory is not used.
#[derive(Debug, thiserror::Error)]
pub enum UnsafeDir {
    #[error("{} is a symbolic link", .0.display())]
    Symlink(std::path::PathBuf),
    #[error("{} is not a directory", .0.display())]
    NotDir(std::path::PathBuf),
    #[error("{} is owned by another user", .0.display())]
    Owner(std::path::PathBuf),
    #[error("{} is writable by group or others", .0.display())]
    Writable(std::path::PathBuf),
    #[error("{} cannot be examined ({kind})", .0.display(), kind = .1)]
    Unreadable(std::path::PathBuf, io::ErrorKind),
}

/// The metadata of `p` (of the link itself unless `follow`); None when it does not exist.
fn meta(p: &Path, follow: bool) -> Result<Option<fs::Metadata>, UnsafeDir> {
    let m = if follow {
        fs::metadata(p)
    } else {
        fs::symlink_metadata(p)
    };
    match m {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(UnsafeDir::Unreadable(p.to_path_buf(), e.kind())),
    }
}

/// The effective user id of this process.
#[cfg(unix)]
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(unix)]
fn owned(p: &Path, m: &fs::Metadata) -> Result<(), UnsafeDir> {
    use std::os::unix::fs::MetadataExt;
    if m.uid() != euid() {
        return Err(UnsafeDir::Owner(p.to_path_buf()));
    }
    Ok(())
}

#[cfg(unix)]
fn private(p: &Path, m: &fs::Metadata) -> Result<(), UnsafeDir> {
    use std::os::unix::fs::MetadataExt;
    owned(p, m)?;
    if m.mode() & 0o022 != 0 {
        return Err(UnsafeDir::Writable(p.to_path_buf()));
    }
    Ok(())
}

#[cfg(not(unix))]
fn owned(_: &Path, _: &fs::Metadata) -> Result<(), UnsafeDir> {
    Ok(())
}

#[cfg(not(unix))]
fn private(_: &Path, _: &fs::Metadata) -> Result<(), UnsafeDir> {
    Ok(())
}

fn private_dir(p: &Path, m: &fs::Metadata) -> Result<(), UnsafeDir> {
    if !m.is_dir() {
        return Err(UnsafeDir::NotDir(p.to_path_buf()));
    }
    private(p, m)
}

/// The cache's root, when it exists: a directory of the user's, writable by no one else. It
/// may be a symbolic link the user made (a cache moved to another disk), not someone else's.
pub fn check_root(root: &Path) -> Result<(), UnsafeDir> {
    let Some(m) = meta(root, false)? else {
        return Ok(());
    };
    if !m.file_type().is_symlink() {
        return private_dir(root, &m);
    }
    owned(root, &m)?;
    match meta(root, true)? {
        Some(target) => private_dir(root, &target),
        None => Err(UnsafeDir::NotDir(root.to_path_buf())),
    }
}

/// A directory cr made below the root, when it exists: never a link, the user's, writable by
/// no one else.
pub fn check_below(dir: &Path) -> Result<(), UnsafeDir> {
    let Some(m) = meta(dir, false)? else {
        return Ok(());
    };
    if m.file_type().is_symlink() {
        return Err(UnsafeDir::Symlink(dir.to_path_buf()));
    }
    private_dir(dir, &m)
}

/// A file of the cache, opened for reading without following a link; None unless it is a
/// regular file of the user's.
pub fn open_file(path: &Path) -> Option<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut o, libc::O_NOFOLLOW);
    let f = o.open(path).ok()?;
    let m = f.metadata().ok()?;
    (m.is_file() && owned(path, &m).is_ok()).then_some(f)
}

/// Make `dir` and its missing parents, each mode 0700 (cached manifests may be private).
pub fn make_private(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn links_and_open_directories_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        assert!(check_root(&root).is_ok(), "a root not made yet");
        make_private(&root.join("content")).unwrap();
        assert!(check_root(&root).is_ok());
        assert!(check_below(&root.join("content")).is_ok());
        // The user's own link as the root is followed; a link below it is not.
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&root, &link).unwrap();
        assert!(check_root(&link).is_ok());
        let elsewhere = t.path().join("elsewhere");
        make_private(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.join("content/packs")).unwrap();
        assert!(matches!(
            check_below(&root.join("content/packs")),
            Err(UnsafeDir::Symlink(_))
        ));
        for mode in [0o777, 0o770, 0o702] {
            fs::set_permissions(&root, fs::Permissions::from_mode(mode)).unwrap();
            assert!(matches!(check_root(&root), Err(UnsafeDir::Writable(_))));
        }
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(check_root(&root).is_ok());
        // A file of the cache is never read through a link.
        fs::write(elsewhere.join("f"), b"x").unwrap();
        std::os::unix::fs::symlink(elsewhere.join("f"), root.join("f")).unwrap();
        assert!(open_file(&root.join("f")).is_none());
        assert!(open_file(&elsewhere.join("f")).is_some());
    }
}
