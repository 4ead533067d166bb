//! `mhub serve`: a hardened, read-only HTTP server for a hub tree and the web app.
//!
//! One base url serves everything, so clients (`mhub pull --hub http://…`), the web
//! app and any static host use the same relative urls:
//!
//! - `GET /index.json`: the hub index (the format `mhub index` writes), built from the
//!   cards at start and again whenever they change (checked at most every
//!   [`Config::rescan`]; in the background on a tree whose check is slower than
//!   [`Config::rescan_wait`]), compressed when the client accepts it;
//! - `GET /assets/<uid>.md`, and any regular file of the tree by its path, e.g.
//!   `/models/digits/model.onnx` or a mirrored blob at `/mirror/sha256/<hex>`;
//! - `GET /sha256/<hex>`: an asset by its digest, from the files the cards name and
//!   the hub's mirror store, only once its bytes have been hashed to that digest;
//! - everything else from the web app's folder, `/` being its `index.html`, or a page
//!   saying how to build the app when it is not built.
//!
//! Files are served with `Range` (one range; several are answered with the whole
//! file), `ETag` (the sha256 where it is known), `Last-Modified`, `If-None-Match`,
//! `If-Modified-Since`, `If-Range`, and gzip or brotli for text, JSON and WebAssembly.
//! Compressed forms, and small files whole, are kept in memory (64 MiB at most) for as
//! long as the file keeps its inode, size and modification time: files are meant to be
//! replaced by renaming a new one over them, as `mhub` itself writes them.
//!
//! The server never writes, never follows a path or a symbolic link out of the tree,
//! never lists a folder and never serves a dotfile. Every connection is bounded in time
//! ([`Limits`]): the request head must arrive within `header_timeout` (which also ends
//! idle keep-alive connections), a connection that moves no byte either way for
//! `idle_timeout` is closed, and the slow steps of a handler (hashing, compressing,
//! rescanning) have `request_timeout`; finding and opening a file never waits. Accepted
//! sockets get `TCP_NODELAY`; connections beyond `max_connections` get a `503`. Only
//! `GET` and `HEAD` are served, and requests with a body are refused.
//!
//! It emits `tracing` events (one per request: peer, method, path, status, bytes,
//! whether the body was sent whole, milliseconds) and installs no subscriber; it
//! prints nothing and reads no environment variable. Writing the mirror store is
//! `cache::mirror`'s job, not this crate's.
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let hub = concat!(env!("CARGO_MANIFEST_DIR"), "/../../hub");
//! let mut config = server::Config::new(hub);
//! config.addr = "127.0.0.1:0".parse()?;
//! let server = server::Server::bind(config).await?;
//! let url = format!("http://{}/index.json", server.local_addr());
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let running = tokio::spawn(server.run(async {
//!     let _ = stopped.await;
//! }));
//! // ... clients fetch `url` ...
//! # let _ = url;
//! let _ = stop.send(());
//! running.await?;
//! # Ok(())
//! # }
//! ```

mod body;
mod catalogue;
mod compress;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod listen;
mod range;
mod resolve;
mod respond;
mod routes;

pub use error::{Error, Result};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// Bounds on what one client can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a complete request head, counted from the connection's start or the
    /// end of its previous response: it closes slowloris clients and idle keep-alives.
    pub header_timeout: Duration,
    /// Time a connection may move no byte in either direction, e.g. a client that stops
    /// reading a response.
    pub idle_timeout: Duration,
    /// Time the slow steps of a handler may take: hashing a file for `/sha256/<hex>`,
    /// compressing one, rescanning the tree (`503` after it).
    pub request_timeout: Duration,
    /// Connections served at once; more are answered `503` and closed.
    pub max_connections: usize,
    /// How long a shutdown waits for responses under way before it cuts them off.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// What to serve, where, and within which limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The hub tree: a folder with `assets/`.
    pub hub_dir: PathBuf,
    /// The built web app (a folder with `index.html`); paths the hub tree lacks are looked
    /// up here. It may be missing, or built while the server runs.
    pub web_dir: Option<PathBuf>,
    /// Where to listen; port 0 picks a free one ([`Server::local_addr`] tells which).
    pub addr: SocketAddr,
    /// Per-connection bounds.
    pub limits: Limits,
    /// How often, at most, a request for the index checks the cards for changes.
    pub rescan: Duration,
    /// How long a check may take for a request to wait for it: when the last check of
    /// the tree took longer (a tree of tens of thousands of cards), the next one runs in
    /// the background and requests meanwhile get the index as of the last check.
    pub rescan_wait: Duration,
    /// The rules a card must pass to be listed in the index; cards with errors are left
    /// out and logged once each.
    pub profile: manifest::Profile,
}

impl Config {
    /// Serves `hub_dir` on 127.0.0.1:8080 without a web app, with the default limits.
    pub fn new(hub_dir: impl Into<PathBuf>) -> Config {
        Config {
            hub_dir: hub_dir.into(),
            web_dir: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            limits: Limits::default(),
            rescan: Duration::from_secs(1),
            rescan_wait: Duration::from_millis(50),
            profile: manifest::Profile::Mhub,
        }
    }
}

/// A bound server, ready to [`run`](Server::run).
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    app: Arc<routes::App>,
    limits: Limits,
}

impl Server {
    /// Indexes the hub tree and binds the address; nothing is served until [`Server::run`].
    pub async fn bind(config: Config) -> Result<Server> {
        let app = routes::App::open(&config).await?;
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| Error::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: config.addr,
            source,
        })?;
        Ok(Server {
            listener,
            addr,
            app: Arc::new(app),
            limits: config.limits,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` completes, then stops accepting at once, lets the
    /// responses under way finish (for at most [`Limits::shutdown_grace`]), and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        let service = routes::service(self.app);
        listen::serve(self.listener, service, &self.limits, shutdown).await;
    }
}

/// Binds and serves `config` until `shutdown` completes; see [`Server`].
pub async fn serve(config: Config, shutdown: impl Future<Output = ()> + Send) -> Result<()> {
    Server::bind(config).await?.run(shutdown).await;
    Ok(())
}
