//! Connections: the accept loop, socket options, the connection cap, time bounds, graceful shutdown.

use crate::Limits;
use crate::routes::{self, Service};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

/// The largest request head accepted (hyper answers `431` past it), as nginx's default.
const MAX_HEAD: usize = 32 << 10;
/// What a connection over the cap is told before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n\
retry-after: 1\r\ncontent-length: 13\r\nconnection: close\r\n\r\nserver busy\r\n";
/// How long a connection over the cap is given to read that.
const BUSY_TIME: Duration = Duration::from_secs(1);

/// Sets up an accepted socket: `TCP_NODELAY`, so that small responses are not held
/// back by Nagle's algorithm waiting for the client's delayed acknowledgement.
pub(crate) fn configure(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)
}

/// Accepts and serves connections until `shutdown` completes; then closes the
/// listener, asks every connection to finish its response and close, and waits for
/// them for at most `limits.shutdown_grace` before dropping the rest.
pub(crate) async fn serve(
    listener: TcpListener,
    service: Service,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEAD);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    // Refusals are bounded too: past as many again, a connection is just closed.
    let refusals = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
        };
        if let Err(e) = configure(&stream) {
            tracing::debug!(%peer, error = %e, "cannot set TCP_NODELAY");
        }
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "connection limit reached; answering 503");
            if let Ok(refusal) = refusals.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(refusal);
                });
            }
            continue;
        };
        let service = service.clone();
        let handler = hyper::service::service_fn(move |request| {
            routes::handle(service.clone(), peer, request)
        });
        let io = TokioIo::new(Watchdog::new(stream, limits.idle_timeout));
        let connection = graceful.watch(builder.serve_connection(io, handler));
        connections.spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!(
        connections = connections.len(),
        "stopped accepting; finishing the responses under way"
    );
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        graceful.shutdown().await;
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "shutdown grace period over; closing the connections left"
        );
        connections.shutdown().await;
    }
}

/// Logs a failed `accept`; when the process is out of file descriptors, waits a little
/// so that the loop does not spin until some are freed.
async fn accept_failed(e: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted};
    if matches!(e.kind(), ConnectionAborted | ConnectionReset | Interrupted) {
        return;
    }
    tracing::warn!(error = %e, "cannot accept a connection");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Tells a connection over the cap to come back later, and closes it once the client
/// has read that (or after a second). Reading what the client sent first keeps the
/// close from turning into a reset that would discard the answer.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(BUSY_TIME, async {
        stream.write_all(BUSY).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), io::Error>(())
    })
    .await;
}

/// A socket that fails with `TimedOut` once it has moved no byte in either direction
/// for `idle`: a client that stops reading a response, or sends nothing at all.
///
/// The timer is moved only when it fires early, not at every wait: a busy keep-alive
/// connection would otherwise re-register it in the timer wheel for every request.
pub(crate) struct Watchdog {
    stream: TcpStream,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
    /// When the connection counts as stalled, if it is waiting.
    deadline: Option<Instant>,
}

impl Watchdog {
    pub(crate) fn new(stream: TcpStream, idle: Duration) -> Watchdog {
        Watchdog {
            stream,
            idle,
            timer: Box::pin(tokio::time::sleep(idle)),
            deadline: None,
        }
    }

    /// Bytes moved: the connection is alive.
    fn progress(&mut self) {
        self.deadline = None;
    }

    /// Nothing moved: start the clock if it is not running, and fail once it runs out.
    fn stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let deadline = *self
            .deadline
            .get_or_insert_with(|| Instant::now() + self.idle);
        if self.timer.deadline() > deadline {
            self.timer.as_mut().reset(deadline);
        }
        while self.timer.as_mut().poll(cx).is_ready() {
            if Instant::now() >= deadline {
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no bytes moved within the idle timeout",
                ));
            }
            // The timer was set for an earlier wait that ended: move it on.
            self.timer.as_mut().reset(deadline);
        }
        Poll::Pending
    }

    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(result) => {
                self.progress();
                Poll::Ready(result)
            }
            Poll::Pending => self.stalled(cx).map(Err),
        }
    }
}

impl AsyncRead for Watchdog {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        self.watch(cx, polled)
    }
}

impl AsyncWrite for Watchdog {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.watch(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_flush(cx);
        self.watch(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_shutdown(cx);
        self.watch(cx, polled)
    }
}

#[cfg(test)]
mod tests;
