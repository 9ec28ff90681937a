//! A blob's bytes as a stream: the one type that files, registries and the transfer engine
//! pass along (errors are `io::Error` so that an HTTP body can carry them).

use std::pin::Pin;

use bytes::Bytes;
use futures_util::stream::{self, Stream};

/// A stream of blob bytes.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// The bytes a blocking thread sends down a channel, as a stream.
pub fn from_channel(mut rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>) -> ByteStream {
    Box::pin(stream::poll_fn(move |cx| rx.poll_recv(cx)))
}
