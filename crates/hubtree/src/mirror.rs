//! The layout of a hub's mirror store, `<hub>/mirror/`, and which assets of a card it may hold.

use crate::root::Relative;
use manifest::{Card, Expected, Sha256};
use std::path::{Path, PathBuf};

/// The folder of a hub tree that holds mirrored blobs: `<hub>/mirror/sha256/<hex>`.
pub const MIRROR_DIR: &str = "mirror";

/// The mirror's folder of verified blobs, below [`MIRROR_DIR`].
pub const MIRROR_BLOBS: &str = "sha256";

/// The mirror's folder of partial downloads, below [`MIRROR_DIR`]; hidden, never served.
pub const MIRROR_TMP: &str = ".tmp";

/// The mirror's folder of per-blob locks, below [`MIRROR_DIR`]; hidden, never served.
pub const MIRROR_LOCKS: &str = ".locks";

/// Where a mirrored blob lives, relative to the hub root: `mirror/sha256/<hex>`.
pub fn mirror_link(sha256: &Sha256) -> String {
    format!("{MIRROR_DIR}/{MIRROR_BLOBS}/{sha256}")
}

/// The mirror store's blob folder of the hub tree at `hub`.
pub fn mirror_blobs(hub: &Path) -> PathBuf {
    hub.join(MIRROR_DIR).join(MIRROR_BLOBS)
}

/// The full sha256 of each external asset a card lets a hub mirror, by link; assets
/// that cannot be mirrored come back with the reason why. A card opts in with
/// `allow-cache-ckpt: true`; only http(s) links are mirrored, and only when the full
/// digest is declared, since blobs are named by it.
pub fn mirrorable(card: &Card) -> Vec<(&str, Result<Sha256, &'static str>)> {
    if card.allow_cache_ckpt != Some(true) {
        return Vec::new();
    }
    card.assets
        .iter()
        .filter_map(|asset| {
            let link = asset
                .asset_link
                .as_deref()
                .filter(|l| manifest::is_external_link(l))?;
            let sha = match asset.expected() {
                Some(Expected::Full(sha)) => Ok(sha),
                Some(Expected::Prefix(_)) => {
                    Err("only a sha256 prefix is declared, and blobs are named by the full digest")
                }
                None => Err("it has no usable `asset-sha256`"),
            };
            Some((link, sha))
        })
        .collect()
}

/// Where the hub tree at `hub` keeps its own copies of a card's external assets, by
/// link: the blobs already in its mirror store (regular files, not links), when the card
/// allows mirroring; each path is relative to the hub root.
pub fn mirrored(hub: &Path, card: &Card) -> Vec<(String, Relative)> {
    mirrorable(card)
        .into_iter()
        .filter_map(|(link, sha)| {
            let path = Relative::link(&mirror_link(&sha.ok()?))?;
            // A link planted in `mirror/sha256/` is no blob.
            std::fs::symlink_metadata(hub.join(path.as_str()))
                .is_ok_and(|m| m.file_type().is_file())
                .then(|| (link.to_owned(), path))
        })
        .collect()
}
