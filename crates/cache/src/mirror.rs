//! A hub's own copies of external assets (`mhub mirror`), and the index that says where they are.

use crate::digest::Expected;
use crate::error::{Error, Result, io};
use crate::fetch::{Fetcher, NetConfig};
use crate::hub::{Wanted, store_blob};
use crate::source::Location;
use crate::store::Store;
use crate::{Progress, tree};
use manifest::{Card, Index, IndexEntry, Options, Profile};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use uid::Uid;

/// The folder of a hub tree that holds mirrored blobs: `<hub>/mirror/sha256/<hex>`.
pub const MIRROR_DIR: &str = "mirror";

/// Where a mirrored blob lives, relative to the hub root: `mirror/sha256/<hex>`.
pub fn mirror_link(sha256: &str) -> String {
    format!("{MIRROR_DIR}/sha256/{sha256}")
}

/// What `mhub mirror` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MirrorReport {
    /// Cards that set `allow-cache-ckpt: true`.
    pub cards: usize,
    /// Assets now in the mirror, fetched by this run or already there.
    pub assets: Vec<MirroredAsset>,
    /// External assets of those cards that cannot be mirrored, and why.
    pub skipped: Vec<SkippedAsset>,
}

/// One asset in a hub's mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirroredAsset {
    /// The card's UID.
    pub uid: String,
    /// The card's `asset-link`.
    pub link: String,
    /// The verified sha256, which names the blob.
    pub sha256: String,
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

/// Every readable card of a hub tree that has a valid UID, translations and links
/// to files outside the tree left out.
fn hub_cards(hub: &Path) -> Result<Vec<(Uid, Card)>> {
    let mut cards = Vec::new();
    let root = hub.canonicalize().map_err(io("read", hub))?;
    for file in tree::find_cards(&[hub.join("assets")])? {
        let is_translation = file
            .card_path
            .as_deref()
            .and_then(manifest::english_sibling)
            .is_some();
        let escapes = file.path.is_symlink()
            && !file
                .path
                .canonicalize()
                .is_ok_and(|target| target.starts_with(&root));
        if is_translation || escapes {
            continue;
        }
        let text = file.read()?;
        let report = manifest::check(
            &text,
            &Options {
                profile: Profile::Mhub,
                card_path: file.card_path.as_deref(),
                sibling_exists: None,
            },
        );
        if let Some(uid) = report.uid {
            cards.push((uid, report.card));
        }
    }
    Ok(cards)
}

/// Whether a link points outside the hub, so that a hub can only mirror it.
fn is_external(link: &str) -> bool {
    link.starts_with("https://") || link.starts_with("http://")
}

/// The full sha256 of each external asset a card lets a hub mirror, by link; assets
/// that cannot be mirrored come back as the reason why.
fn mirrorable(card: &Card) -> Vec<(&str, std::result::Result<String, &'static str>)> {
    if card.allow_cache_ckpt != Some(true) {
        return Vec::new();
    }
    card.assets
        .iter()
        .filter_map(|asset| {
            let link = asset.asset_link.as_deref().filter(|l| is_external(l))?;
            let sha = match asset.asset_sha256.as_deref().and_then(Expected::parse) {
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

/// The index entry of a card in the hub tree at `hub`, with `mirror` set on every
/// external asset whose verified copy is in the hub's mirror store (when the card allows it).
pub fn index_entry(hub: &Path, uid: &Uid, card: &Card) -> IndexEntry {
    let mut entry = IndexEntry::new(uid, card);
    for (link, sha) in mirrorable(card) {
        let Ok(sha) = sha else { continue };
        let mirror = mirror_link(&sha);
        if !hub.join(&mirror).is_file() {
            continue;
        }
        for asset in &mut entry.assets {
            if asset.asset_link.as_deref() == Some(link) {
                asset.mirror = Some(mirror.clone());
            }
        }
    }
    entry
}

/// The index of a hub tree as served: every readable card with a valid UID (see
/// [`index_entry`]), sorted. Unlike `mhub index`, cards with errors are not refused.
pub fn index_hub(hub: &Path) -> Result<Index> {
    let entries = hub_cards(hub)?
        .iter()
        .map(|(uid, card)| index_entry(hub, uid, card))
        .collect();
    Ok(Index::new(entries))
}

/// Where this hub keeps its own copies of a card's external assets, by link: the
/// blobs in its mirror store, when the card allows mirroring.
pub(crate) fn local_mirrors(hub: &Path, card: &Card) -> Vec<(String, Location)> {
    mirrorable(card)
        .into_iter()
        .filter_map(|(link, sha)| {
            let path = hub.join(mirror_link(&sha.ok()?));
            path.is_file()
                .then(|| (link.to_owned(), Location::File(path)))
        })
        .collect()
}

/// Downloads the external assets of every card in the hub tree at `hub` that sets
/// `allow-cache-ckpt: true` into the hub's mirror store, `<hub>/mirror/sha256/<hex>`,
/// each verified against its sha256 before it becomes visible. Assets already there are
/// not fetched again. A broken download leaves a hidden partial, `<hub>/mirror/.tmp/`,
/// that the next run resumes; nothing else is written, and the store is created only
/// when there is something to put in it. The index is not rewritten here: see [`index_entry`].
pub fn mirror(hub: &Path, net: &NetConfig, progress: &dyn Progress) -> Result<MirrorReport> {
    let assets_dir = hub.join("assets");
    if !assets_dir.is_dir() {
        return Err(Error::Invalid {
            what: "hub tree",
            path: hub.display().to_string(),
            reason: "it has no `assets/` folder".to_owned(),
        });
    }
    let cards = hub_cards(hub)?;
    let mut report = MirrorReport::default();
    let mut wanted = Vec::new();
    for (uid, card) in &cards {
        if card.allow_cache_ckpt == Some(true) {
            report.cards += 1;
        }
        for (link, sha) in mirrorable(card) {
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
        let fetched = seen.insert(sha.clone()) && store.find_blob(&expected, size)?.is_none();
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
