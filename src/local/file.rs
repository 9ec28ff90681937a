//! Blob files as byte streams: read and written on a blocking thread, each piece read straight
//! into the buffer that goes on to the socket, and each network piece written as it came, so no
//! byte is copied in user space on its way between a file and a registry.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::LocalError;
use crate::oci::bytes::ByteStream;

/// Bytes per read: large writes to the registry's socket cost it (and us) less per byte.
const PIECE: u64 = 1 << 20;

/// The bytes of `f` from where it stands: `len` of them, or up to its end when None. A file
/// that ends before `len` gives an error.
pub fn read_stream(mut f: impl Read + Send + 'static, len: Option<u64>) -> ByteStream {
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(1);
    tokio::task::spawn_blocking(move || {
        let mut left = len.unwrap_or(u64::MAX);
        while left > 0 {
            let n = left.min(PIECE);
            let mut buf = Vec::with_capacity(n as usize);
            let item = match (&mut f).take(n).read_to_end(&mut buf) {
                Ok(0) if len.is_none() => return,
                Ok(0) => Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("the file ended {left} bytes early"),
                )),
                Ok(k) => {
                    left -= k as u64;
                    Ok(Bytes::from(buf))
                }
                Err(e) => Err(e),
            };
            let stop = item.is_err();
            if tx.blocking_send(item).is_err() || stop {
                return;
            }
        }
    });
    crate::oci::bytes::from_channel(rx)
}

/// Write `bytes` to a new file at `path`. A failure of the stream is `LocalError::Source` on
/// `target` (the name the caller will give the file); the partial file is removed.
pub async fn write_stream(
    path: &Path,
    target: &Path,
    mut bytes: ByteStream,
) -> Result<(), LocalError> {
    let f = File::create(path).map_err(|e| LocalError::io(path, e))?;
    let (tx, mut rx) = mpsc::channel::<Bytes>(2);
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let mut f = f;
        while let Some(c) = rx.blocking_recv() {
            f.write_all(&c)?;
        }
        Ok(())
    });
    let mut failed = None;
    while let Some(chunk) = bytes.next().await {
        match chunk {
            Ok(c) => {
                if tx.send(c).await.is_err() {
                    break; // the writer stopped: its error is below
                }
            }
            Err(e) => {
                failed = Some(e.to_string());
                break;
            }
        }
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| LocalError::io(path, std::io::Error::other(e)));
    let result = match (failed, written) {
        (Some(message), _) => Err(LocalError::Source {
            path: PathBuf::from(target),
            message,
        }),
        (None, Ok(Ok(()))) => return Ok(()),
        (None, Ok(Err(e))) => Err(LocalError::io(path, e)),
        (None, Err(e)) => Err(e),
    };
    let _ = std::fs::remove_file(path);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    #[tokio::test]
    async fn reads_in_pieces_and_notices_a_short_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let data: Vec<u8> = (0..(PIECE as usize * 2 + 5)).map(|i| i as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let got: Vec<Bytes> = read_stream(File::open(&p).unwrap(), None)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got.concat(), data);
        let short: Result<Vec<Bytes>, _> =
            read_stream(File::open(&p).unwrap(), Some(data.len() as u64 + 1))
                .try_collect()
                .await;
        assert_eq!(short.unwrap_err().kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[tokio::test]
    async fn a_failing_source_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("part");
        let items = vec![
            Ok(Bytes::from_static(b"abc")),
            Err(std::io::Error::other("connection reset")),
        ];
        let s: ByteStream = Box::pin(futures_util::stream::iter(items));
        let e = write_stream(&p, &dir.path().join("blob"), s)
            .await
            .unwrap_err();
        assert!(matches!(e, LocalError::Source { .. }), "{e}");
        assert!(!p.exists());
        let ok: ByteStream = Box::pin(futures_util::stream::iter(vec![Ok(Bytes::from_static(
            b"abc",
        ))]));
        write_stream(&p, &p, ok).await.unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"abc");
    }
}
