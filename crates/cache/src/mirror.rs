//! `mhub mirror`: a hub's own verified copies of the external assets its cards allow it to keep.

use crate::Progress;
use crate::blobs::{Wanted, store_blob};
use crate::error::{Error, Result};
use crate::fetch::{Fetcher, NetConfig};
use crate::source::Location;
use crate::store::Store;
use hubtree::{LeftOut, Policy};
use manifest::{Expected, Profile, Sha256};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What `mhub mirror` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MirrorReport {
    /// Cards that set `allow-cache-ckpt: true`.
    pub cards: usize,
    /// Assets now in the mirror, fetched by this run or already there.
    pub assets: Vec<MirroredAsset>,
    /// External assets of those cards that cannot be mirrored, and why.
    pub skipped: Vec<SkippedAsset>,
    /// Cards with errors, which are neither mirrored nor indexed.
    pub left_out: Vec<LeftOut>,
}

/// One asset in a hub's mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirroredAsset {
    /// The card's UID.
    pub uid: String,
    /// The card's `asset-link`.
    pub link: String,
    /// The verified sha256, which names the blob.
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size: u64,
    /// The blob, `<hub>/mirror/sha256/<hex>`.
    pub path: PathBuf,
    /// Whether this run downloaded it (else it was already mirrored).
    pub fetched: bool,
}

/// An external asset that cannot be mirrored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedAsset {
    /// The card's UID.
    pub uid: String,
    /// The card's `asset-link`.
    pub link: String,
    /// Why, in a few words.
    pub reason: String,
}

/// Downloads the external assets of every card in the hub tree at `hub` that sets
/// `allow-cache-ckpt: true` (and has no error under `profile`) into the hub's mirror store, `<hub>/mirror/sha256/<hex>`,
/// each verified against its sha256 before it becomes visible. Assets already there are
/// not fetched again. A broken download leaves a hidden partial, `<hub>/mirror/.tmp/`,
/// that the next run resumes; nothing else is written, and the store is created only
/// when there is something to put in it. Cards with errors are left out, as the index
/// leaves them out. The index is not rewritten here: see [`hubtree::build_index`].
pub fn mirror(
    hub: &Path,
    profile: Profile,
    net: &NetConfig,
    progress: &dyn Progress,
) -> Result<MirrorReport> {
    let assets_dir = hub.join("assets");
    if !assets_dir.is_dir() {
        return Err(Error::Invalid {
            what: "hub tree",
            path: hub.display().to_string(),
            reason: "it has no `assets/` folder".to_owned(),
        });
    }
    // The cards the index would list: a card with errors is neither indexed nor mirrored.
    let built = hubtree::index_tree(hub, profile, Policy::SkipInvalid)?;
    let mut report = MirrorReport {
        left_out: built.left_out,
        ..MirrorReport::default()
    };
    let mut wanted = Vec::new();
    for (uid, card) in &built.listed {
        if card.allow_cache_ckpt == Some(true) {
            report.cards += 1;
        }
        for (link, sha) in hubtree::mirrorable(card) {
            match sha {
                Ok(sha) => wanted.push((uid.to_string(), link.to_owned(), sha, card)),
                Err(reason) => report.skipped.push(SkippedAsset {
                    uid: uid.to_string(),
                    link: link.to_owned(),
                    reason: reason.to_owned(),
                }),
            }
        }
    }
    if wanted.is_empty() {
        return Ok(report);
    }
    let fetcher = Fetcher::new(net)?;
    let store = Store::open_mirror(hub)?;
    let mut seen = HashSet::new();
    for (uid, link, sha, card) in wanted {
        let size = card
            .assets
            .iter()
            .find(|a| a.asset_link.as_deref() == Some(link.as_str()))
            .and_then(|a| a.asset_size);
        let expected = Expected::Full(sha.clone());
        let fetched = seen.insert(sha) && store.find_blob(&expected, size)?.is_none();
        let location = Location::Url(link.clone());
        let wanted = Wanted {
            location: &location,
            link: &link,
            expected: &expected,
            size,
        };
        let (sha256, size, path) = store_blob(&fetcher, &store, &wanted, false, progress)?;
        report.assets.push(MirroredAsset {
            uid,
            link,
            sha256,
            size,
            path,
            fetched,
        });
    }
    Ok(report)
}
