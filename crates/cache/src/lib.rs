//! Hub sources, verified downloads and the content-addressed model cache.
//!
//! This crate resolves models against a [`Source`] — a hub tree on disk, a hub
//! published over HTTP(S), or a torch.hub-style repository fetched as a source
//! archive — and stores their cards and assets in a local cache that never
//! shows an unverified byte:
//!
//! - every download streams into a temporary file, is hashed as it arrives,
//!   fsynced, checked against the card's sha256 (and size when declared), and
//!   only then renamed into the blob store;
//! - a model becomes visible when its `record.json` is written, after all of its
//!   assets are stored;
//! - per-entry locks keep concurrent processes from downloading the same blob
//!   twice, but correctness does not depend on them: two downloads of the same
//!   blob produce the same verified file, and renames are atomic;
//! - a broken download resumes with a `Range` request whose `206` must start
//!   exactly where the partial file ends; anything else restarts from zero.
//!
//! It is the only crate that fetches over the network natively and the only
//! one that writes the cache directory. It does not print, read environment
//! variables ([`resolve_dir`] takes their values as arguments), or run anything
//! it downloads: entrypoints are data in `hubconf.yaml`.
//!
//! # Layout
//!
//! ```text
//! <cache dir>/                   flag > MHUB_DIR > $XDG_CACHE_HOME/mhub > ~/.cache/mhub; 0700
//! └── v2/                        layout version; a new layout gets a new folder
//!     ├── blobs/sha256/<hex>     verified asset bytes, named by their full sha256, read-only
//!     ├── models/<flat key>/     one folder per pulled model: its key (the UID, or
//!     │   │                      `@repos/<repo>/<entry>`) as one flat name, `/` as `%2F`
//!     │   ├── card.md            the card as fetched
//!     │   └── record.json        the hub it came from, assets → blobs; written last, it makes
//!     │                          the model visible, for that hub only
//!     ├── repos/<owner>_<repo>_<ref>/   extracted repository archives (each part a flat name;
//!     │                          `@<digest>` added for a non-GitHub archive url template)
//!     ├── compiled/<engine>/<model sha256>/   what the runtime derives from a model: its
//!     │                          plan (checked against `plan.json` on every read) and its
//!     │                          tunings, one per machine and thread count
//!     ├── trust/<flat hub name>/ per hub a client trusted a key for: the last signed index
//!     │                          accepted (`index.json`) and `seen.json` (its version, sha256
//!     │                          and expiry), written only after the index verified
//!     ├── locks/<key>.lock       per-entry locks (and cache.lock for prune and rm)
//!     └── tmp/                   partial downloads (<key>.part) and atomic-write temporaries
//! ```
//!
//! [`mirror`] keeps a hub's own copies of the external assets of cards that set
//! `allow-cache-ckpt: true`, verified the same way, in the hub tree's mirror store
//! (`<hub>/mirror/sha256/<hex>`; the layout is `hubtree`'s). Pulling from a hub prefers
//! its mirror (its `mirror/sha256/<hex>` on disk, or the `mirror` link of its
//! `index.json` over HTTP) and falls back to the card's link.
//!
//! The modules, one concept each: `client` (the [`Hub`]: list, info, pull; `client/repo`
//! for repositories), `blobs` (storing one verified asset), `store` (the on-disk
//! layout, locks, records), `maintain` ([`Cache`]: verify, remove, prune), `fetch`
//! (the hardened HTTP client), `source`, `archive`, `mirror`; `client/signed` is a hub's
//! signed index, checked with `trust` and recorded only after it passed.
//!
//! # Example
//!
//! ```
//! use cache::{Hub, Listing, Silent, Source};
//!
//! let dir = std::env::temp_dir().join(format!("mhub-doc-{}", std::process::id()));
//! let hub = Hub::builder()
//!     .dir(&dir)
//!     .source(Source::parse(concat!(env!("CARGO_MANIFEST_DIR"), "/../../hub"))?)
//!     .offline(true)
//!     .build()?;
//! let Listing::Models(models) = hub.list(&Silent)? else { unreachable!() };
//! assert!(models.iter().any(|m| m.uid == "mindspore/ascend/0.7/googlenet_v1_cifar10"));
//! let uid = "mindspore/ascend/0.7/googlenet_v1_cifar10".parse()?;
//! assert!(hub.pull(&uid, false, &Silent).is_err()); // offline, and not cached yet
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod archive;
mod blobs;
mod client;
mod compiled;
mod error;
mod fetch;
mod maintain;
mod mirror;
mod reach;
mod results;
mod source;
mod store;

pub use client::{DEFAULT_REF, DEFAULT_REPO_URL, Hub, HubBuilder, Signing};
pub use compiled::CompiledModel;
pub use error::{Error, Result};
pub use fetch::NetConfig;
pub use maintain::{Cache, CachedModel, Removed, VerifyReport, resolve_dir};
pub use mirror::{FailedAsset, MirrorLimits, MirrorReport, MirroredAsset, SkippedAsset, mirror};
pub use results::{Info, Listing, Pulled, PulledAsset};
pub use source::Source;
pub use store::{Record, StoredAsset};

/// Hears about download progress; the cli draws bars with it. Every method
/// has an empty default.
pub trait Progress: Sync {
    /// A download of `what` starts; `total` bytes when known, `done` already on disk.
    fn start(&self, what: &str, total: Option<u64>, done: u64) {
        let _ = (what, total, done);
    }
    /// `bytes` more arrived.
    fn advance(&self, bytes: u64) {
        let _ = bytes;
    }
    /// The download starts again from zero.
    fn reset(&self) {}
    /// The download ended, well or not.
    fn finish(&self) {}
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}
