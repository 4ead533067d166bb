//! The error type of the cache crate: what failed, on which path or url, and why.

use std::path::PathBuf;

/// Everything that can go wrong while resolving, fetching or storing models.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("cannot {action} `{path}`")]
    Io {
        /// What was being done, e.g. `create` or `rename`.
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The request could not be made or its answer not read.
    #[error("cannot fetch `{url}`: {reason}")]
    Fetch {
        /// The url asked for.
        url: String,
        /// What went wrong, in a few words.
        reason: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The server answered with an error status.
    #[error("`{url}` answered {status}")]
    Status {
        /// The url asked for.
        url: String,
        /// The HTTP status code.
        status: u16,
    },
    /// Downloaded bytes do not match the card's digest.
    #[error("`{url}` does not match its sha256: expected `{expected}`, got `{actual}`")]
    Digest {
        /// Where the bytes came from.
        url: String,
        /// The digest (or prefix) the card declares.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// A download is larger than allowed.
    #[error("`{url}` is larger than the limit of {limit} bytes")]
    TooLarge {
        /// Where the bytes came from.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A download ended early, or was longer than announced.
    #[error("`{url}` sent {got} bytes, expected {expected}")]
    Length {
        /// Where the bytes came from.
        url: String,
        /// How many bytes were announced or declared.
        expected: u64,
        /// How many arrived.
        got: u64,
    },
    /// A plain-http url for a host that is not loopback, without `allow_http`.
    #[error("refusing plain http for `{url}`: use https, or allow http explicitly")]
    InsecureUrl {
        /// The url refused.
        url: String,
    },
    /// A url that cannot be used at all.
    #[error("invalid url `{url}`: {reason}")]
    BadUrl {
        /// The url as written.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Offline mode, and what is needed is not in the cache.
    #[error("offline, and {what} is not in the cache")]
    Offline {
        /// What is missing.
        what: String,
    },
    /// The hub has no model with this UID.
    #[error("model `{uid}` not found in {hub}")]
    NotFound {
        /// The UID asked for.
        uid: String,
        /// The hub that was asked.
        hub: String,
    },
    /// A card, index or hubconf that does not read as one.
    #[error("`{path}` is not a valid {what}: {reason}")]
    Invalid {
        /// What kind of document.
        what: &'static str,
        /// Where it came from.
        path: String,
        /// The first problem found.
        reason: String,
    },
    /// An archive entry that would escape or abuse the extraction folder.
    #[error("refusing archive `{archive}`: {reason}")]
    Archive {
        /// The archive's url or path.
        archive: String,
        /// Which entry, and why.
        reason: String,
    },
    /// A url names this machine or the local network, and that is not allowed there.
    #[error(
        "refusing `{url}`: it is on this machine or the local network, and not the hub's own origin"
    )]
    LocalAddress {
        /// The url.
        url: String,
    },
    /// One `mhub mirror` run reached its byte cap before this asset.
    #[error("`{url}` waits for the next run: this run's cap of {limit} bytes is reached")]
    Capped {
        /// The asset's url.
        url: String,
        /// The cap in bytes.
        limit: u64,
    },
    /// A hub tree on disk could not be read.
    #[error(transparent)]
    Tree(#[from] hubtree::Error),
    /// A [`crate::HubBuilder`] missing something it needs.
    #[error("incomplete hub configuration: {0}")]
    Config(&'static str),
    /// A hub's signed index (or a card it pins) did not pass the checks of a trusted key.
    #[error("refusing the hub `{hub}`")]
    Trust {
        /// The hub.
        hub: String,
        /// Which check failed.
        #[source]
        source: trust::Error,
    },
    /// A trusted key was given, and the hub publishes no signature for its index.
    #[error(
        "refusing the hub `{hub}`: a trusted key was given, and it has no signed index (`{what}`)"
    )]
    Unsigned {
        /// The hub.
        hub: String,
        /// What is missing.
        what: String,
    },
    /// The repository declares no entrypoint of this name.
    #[error("`{repo}` has no entrypoint `{name}`")]
    NoEntrypoint {
        /// The repository.
        repo: String,
        /// The name asked for.
        name: String,
    },
}

/// A shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Wraps an I/O error with what was done and where.
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
