//! The error type of the server crate: what failed to start, and on which path or address.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the server could not start. Once it runs, failures are per request and logged.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The folder has no `assets/`.
    #[error("`{path}` is not a hub tree: it has no `assets/` folder")]
    NotAHub {
        /// The folder given.
        path: PathBuf,
    },
    /// A file or folder could not be read.
    #[error("cannot read `{path}`")]
    Io {
        /// What was being read.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The cards could not be indexed.
    #[error("cannot index `{path}`")]
    Index {
        /// The hub tree.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: hubtree::Error,
    },
    /// The address could not be listened on.
    #[error("cannot listen on `{addr}`")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A background task died (a bug); its panic message is the reason.
    #[error("the {what} task failed: {reason}")]
    Task {
        /// Which task.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// A shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
