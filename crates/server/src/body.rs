//! Response bodies: files streamed in chunks read on the blocking pool, and a wrapper that logs what was sent.

use axum::body::Body;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hubtree::read_at;
use std::fs::File;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;
use tokio::task::JoinHandle;

/// Bytes read from disk at a time.
const CHUNK: u64 = 256 << 10;

/// Files up to this size are read in one call on the async thread: from the page cache
/// that is quicker than a trip to the blocking pool.
pub(crate) const INLINE: u64 = 64 << 10;

/// `count` bytes of `file` from `start`: read at once when small, else streamed.
pub(crate) fn file_part(file: File, start: u64, count: u64) -> io::Result<Body> {
    if count <= INLINE {
        let mut buf = vec![0u8; usize::try_from(count).unwrap_or(0)];
        if read_at(&file, &mut buf, start)? < buf.len() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        return Ok(Body::from(buf));
    }
    Ok(Body::new(FileBody {
        state: State::Idle(Some(file)),
        offset: start,
        remaining: count,
    }))
}

enum State {
    Idle(Option<File>),
    Reading(JoinHandle<(File, io::Result<Vec<u8>>)>),
}

/// A file streamed from `offset`, `remaining` bytes more.
struct FileBody {
    state: State,
    offset: u64,
    remaining: u64,
}

fn read_chunk(file: File, offset: u64, want: u64) -> (File, io::Result<Vec<u8>>) {
    let mut buf = vec![0u8; usize::try_from(want).unwrap_or(0)];
    let result = read_at(&file, &mut buf, offset).map(|n| {
        buf.truncate(n);
        buf
    });
    (file, result)
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<io::Result<Frame<Bytes>>>> {
        loop {
            match &mut self.state {
                State::Idle(file) => {
                    let Some(file) = file.take().filter(|_| self.remaining > 0) else {
                        return Poll::Ready(None);
                    };
                    let (offset, want) = (self.offset, self.remaining.min(CHUNK));
                    self.state = State::Reading(tokio::task::spawn_blocking(move || {
                        read_chunk(file, offset, want)
                    }));
                }
                State::Reading(task) => {
                    let (file, read) = ready!(Pin::new(task).poll(cx)).map_err(io::Error::other)?;
                    let buf = read?;
                    if buf.is_empty() {
                        // The file shrank under us: the announced length cannot be kept.
                        return Poll::Ready(Some(Err(io::ErrorKind::UnexpectedEof.into())));
                    }
                    self.remaining -= buf.len() as u64;
                    self.offset += buf.len() as u64;
                    self.state = State::Idle(Some(file));
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(buf)))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// What a request log line says besides the bytes sent.
pub(crate) struct RequestLog {
    pub(crate) peer: SocketAddr,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) status: u16,
    pub(crate) start: Instant,
}

/// A body that counts what it sends and, when there is a request to log, logs it when
/// dropped: after the last byte, or when the client went away first (`complete = false`).
pub(crate) struct Logged<B> {
    inner: B,
    request: Option<RequestLog>,
    sent: u64,
    /// Whether the last byte went out.
    complete: bool,
}

impl<B: http_body::Body> Logged<B> {
    pub(crate) fn new(inner: B, request: Option<RequestLog>) -> Logged<B> {
        Logged {
            complete: inner.is_end_stream(),
            inner,
            request,
            sent: 0,
        }
    }
}

impl<B: http_body::Body<Data = Bytes> + Unpin> http_body::Body for Logged<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(data)) = frame.as_ref().map(|f| f.as_ref().map(Frame::data_ref)) {
            self.sent += data.map_or(0, |d| d.len() as u64);
        }
        self.complete = frame.is_none() || self.inner.is_end_stream();
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for Logged<B> {
    fn drop(&mut self) {
        let Some(r) = &self.request else {
            return;
        };
        tracing::info!(
            peer = %r.peer,
            method = %r.method,
            path = %r.path,
            status = r.status,
            bytes = self.sent,
            complete = self.complete,
            ms = r.start.elapsed().as_secs_f64() * 1e3,
            "request"
        );
    }
}
