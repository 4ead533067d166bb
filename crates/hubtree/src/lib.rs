//! A hub as files on disk: its cards, its files read without leaving the tree, the mirror layout, and the one index builder.
//!
//! A hub tree is a folder with `assets/<publisher>/[<backend>/]<version>/<name>.md`
//! cards, the files those cards name by relative link, an optional `index.json`, and an
//! optional mirror store (`mirror/sha256/<hex>`, drawn below). This crate is where the
//! rules about such a tree live, once:
//!
//! - [`find_cards`] walks a tree (or takes card files as given) in sorted order and
//!   says where each card sits below its `assets/` root; [`check_cards`] reads and
//!   checks them on every core;
//! - [`build_index`] is the only index builder: `mhub index`, `mhub serve` and
//!   `mhub mirror` all call it, and under every [`Policy`] it never lists a card with
//!   errors;
//! - [`Root`] opens a file of a tree by a [`Relative`] path without leaving the tree:
//!   on Linux with one `openat2` from a directory handle that may neither escape nor
//!   follow a link, else by a checked walk; folders, pipes and devices are never opened;
//! - [`mirror_link`] and [`mirrorable`] are the mirror store's layout and what may go in it;
//! - [`Dir`] is how anything below a root is written: from directory handles, one
//!   component at a time, never following a link; [`Dir::write_atomic_via`] is the one
//!   atomic write (temp created exclusively, synced, renamed);
//! - [`hash_copy`] is the one hash-while-reading loop.
//!
//! It does not download (that is `cache`), serve (`server`) or print, and it reads no
//! environment variable.
//!
//! ```text
//! <hub>/
//! ├── assets/…/<name>.md         cards
//! ├── index.json                 written by `mhub index` with build_index
//! └── mirror/
//!     ├── sha256/<hex>           verified blobs, read-only; the index's `mirror` links point here
//!     ├── .tmp/                  partial downloads, resumed by the next run; hidden, never served
//!     └── .locks/                per-blob locks
//! ```
//!
//! # Example
//!
//! ```
//! use hubtree::{Policy, index_tree};
//! use manifest::Profile;
//!
//! let hub = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../hub"));
//! let built = index_tree(hub, Profile::Mhub, Policy::RefuseInvalid)?;
//! assert!(built.left_out.is_empty());
//! assert!(built.index.models.iter().any(|m| m.uid == "mindspore/ascend/0.7/googlenet_v1_cifar10"));
//! # Ok::<(), hubtree::Error>(())
//! ```

mod cards;
#[cfg(unix)]
mod confined;
mod error;
mod files;
mod index;
mod mirror;
mod root;

pub use cards::{CardFile, Checked, check_card, check_cards, find_cards, read_card, read_card_in};
#[cfg(unix)]
pub use confined::{Dir, Entry, Kind};
pub use error::{Error, Result};
pub use files::{CopyError, feed, hash_copy, hash_file};
pub use index::{Built, LeftOut, Policy, build_index, index_entry, index_tree, pin_cards};
pub use mirror::{
    MIRROR_BLOBS, MIRROR_DIR, MIRROR_LOCKS, MIRROR_TMP, mirror_blobs, mirror_link, mirrorable,
    mirrored,
};
pub use root::{Found, Relative, Root, Stamp, read_at};
