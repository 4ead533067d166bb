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
use std::time::Duration;

/// What `mhub mirror` did.
#[derive(Debug, Default)]
pub struct MirrorReport {
    /// Cards that set `allow-cache-ckpt: true`.
    pub cards: usize,
    /// Assets now in the mirror, fetched by this run or already there.
    pub assets: Vec<MirroredAsset>,
    /// External assets of those cards that cannot be mirrored, and why.
    pub skipped: Vec<SkippedAsset>,
    /// Cards with errors, which are neither mirrored nor indexed.
    pub left_out: Vec<LeftOut>,
    /// Assets whose download failed this run, and why; the run went on without them.
    pub failed: Vec<FailedAsset>,
    /// Partial downloads removed because no card wants them any more, or they were older
    /// than [`MirrorLimits::stale_after`].
    pub expired: Vec<PathBuf>,
}

/// Bounds on one `mhub mirror` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MirrorLimits {
    /// The most bytes one run downloads; assets past it wait for the next run.
    pub max_bytes: u64,
    /// A partial download untouched for this long is removed rather than resumed.
    pub stale_after: Duration,
}

impl Default for MirrorLimits {
    fn default() -> MirrorLimits {
        MirrorLimits {
            max_bytes: u64::MAX,
            stale_after: Duration::from_secs(7 * 24 * 3600),
        }
    }
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

/// An asset this run did not mirror: its download failed, or the byte cap was reached.
#[derive(Debug)]
pub struct FailedAsset {
    /// The card's UID.
    pub uid: String,
    /// The card's `asset-link`.
    pub link: String,
    /// What went wrong.
    pub error: Error,
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
/// leaves them out. An asset that fails is reported in [`MirrorReport::failed`] and the
/// run goes on; a run downloads at most [`MirrorLimits::max_bytes`]; partials no card wants,
/// or untouched for [`MirrorLimits::stale_after`], are removed. The index is not rewritten
/// here: see [`hubtree::build_index`].
pub fn mirror(
    hub: &Path,
    profile: Profile,
    net: &NetConfig,
    limits: &MirrorLimits,
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
    let store = Store::open_mirror(hub)?;
    let wanted_keys: HashSet<String> = wanted.iter().map(|w| w.2.to_string()).collect();
    report.expired = store.expire_partials(&wanted_keys, limits.stale_after)?;
    let mut seen = HashSet::new();
    let mut budget = limits.max_bytes;
    for (uid, link, sha, card) in wanted {
        let size = card
            .assets
            .iter()
            .find(|a| a.asset_link.as_deref() == Some(link.as_str()))
            .and_then(|a| a.asset_size);
        let expected = Expected::Full(sha.clone());
        let fetched = seen.insert(sha) && store.find_blob(&expected, size)?.is_none();
        let fail = |report: &mut MirrorReport, error: Error| {
            report.failed.push(FailedAsset {
                uid: uid.clone(),
                link: link.clone(),
                error,
            });
        };
        if fetched && (budget == 0 || size.is_some_and(|s| s > budget)) {
            let capped = Error::Capped {
                url: link.clone(),
                limit: limits.max_bytes,
            };
            fail(&mut report, capped);
            continue;
        }
        // An asset of unknown size may take what is left of the budget, no more.
        let net = NetConfig {
            max_size: net.max_size.min(budget),
            ..net.clone()
        };
        let location = Location::Url(link.clone());
        let wanted = Wanted {
            location: &location,
            link: &link,
            expected: &expected,
            size,
        };
        let stored = Fetcher::new(&net)
            .and_then(|fetcher| store_blob(&fetcher, &store, &wanted, false, progress));
        match stored {
            Ok((sha256, size, path)) => {
                if fetched {
                    budget = budget.saturating_sub(size);
                }
                report.assets.push(MirroredAsset {
                    uid,
                    link,
                    sha256,
                    size,
                    path,
                    fetched,
                });
            }
            Err(e) => fail(&mut report, e),
        }
    }
    Ok(report)
}
