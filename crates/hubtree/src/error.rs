//! The error type of the hubtree crate: what failed, on which path, and why.

use std::path::PathBuf;

/// Everything that can go wrong while reading a hub tree or writing one of its files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("cannot {action} `{path}`")]
    Io {
        /// What was being done, e.g. `read` or `rename`.
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not what it must be.
    #[error("`{path}` is not a valid {what}: {reason}")]
    Invalid {
        /// What the file should have been, e.g. `card`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why not, in a few words.
        reason: String,
    },
    /// The folder has no `assets/`.
    #[error("`{path}` is not a hub tree: it has no `assets/` folder")]
    NotAHub {
        /// The folder given.
        path: PathBuf,
    },
    /// A path mhub will not write through or read from: a planted link, a FIFO, a folder
    /// others may write to.
    #[error("refusing `{path}`: {reason}")]
    Unsafe {
        /// The path.
        path: PathBuf,
        /// Why, in a few words.
        reason: &'static str,
    },
    /// The index policy refuses a tree whose cards have errors.
    #[error("index not written: {cards} of the cards have errors or cannot be read")]
    Refused {
        /// How many cards were refused.
        cards: usize,
    },
}

/// A shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps an I/O error with what was being done and to which path.
pub(crate) fn io(
    action: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}
