//! The served index, rebuilt when the cards change, and the table of files by verified sha256.

use crate::compress::{Coding, encode};
use crate::error::{Error, Result};
use bytes::Bytes;
use hubtree::{Found, LeftOut, Policy, Relative, Root, Stamp};
use manifest::{Link, Profile, Sha256};
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// The index as served, in each coding, and where each card-named file is by sha256.
pub(crate) struct Built {
    /// `index.json` as `mhub index` writes it.
    pub(crate) json: Bytes,
    /// Its gzip form, when smaller.
    pub(crate) gzip: Option<Bytes>,
    /// Its brotli form, when smaller.
    pub(crate) br: Option<Bytes>,
    /// Its entity tag: the sha256 of `json`, quoted.
    pub(crate) etag: String,
    /// When this content was first built.
    pub(crate) modified: SystemTime,
    /// The files inside the tree that cards name, by their declared full sha256.
    pub(crate) by_hash: HashMap<Sha256, Vec<Relative>>,
    /// The cards the index leaves out, and why: logged once each.
    left_out: Vec<LeftOut>,
    /// How many models the index lists.
    pub(crate) models: usize,
    /// What the rebuild saw; a different fingerprint means the tree changed.
    fingerprint: u64,
}

impl Built {
    /// The index in `coding`, or `None` when that coding is not worth sending.
    pub(crate) fn encoded(&self, coding: Coding) -> Option<&Bytes> {
        match coding {
            Coding::Identity => Some(&self.json),
            Coding::Gzip => self.gzip.as_ref(),
            Coding::Br => self.br.as_ref(),
        }
    }
}

/// The hub's index and its sha256 table, kept current.
pub(crate) struct Catalogue {
    hub: Arc<Root>,
    current: RwLock<Arc<Built>>,
    /// Held while one check of the tree runs (a request's, or one in the background);
    /// requests that wait for a check take its result.
    rescanning: Arc<tokio::sync::Mutex<()>>,
    started: Instant,
    /// Milliseconds after `started` of the last scan.
    checked: AtomicU64,
    interval: Duration,
    /// How long the last check of the tree took, in microseconds.
    scan_us: AtomicU64,
    /// A check that took longer than this is next run in the background.
    wait: Duration,
    /// The rules a card must pass to be listed.
    profile: Profile,
    /// Files hashed so far.
    pub(crate) hashes: Arc<Verified>,
}

impl Catalogue {
    /// Indexes the tree at `hub` and hashes the files its cards name.
    pub(crate) async fn open(
        hub: Arc<Root>,
        interval: Duration,
        wait: Duration,
        profile: Profile,
    ) -> Result<Catalogue> {
        let hashes = Arc::new(Verified::default());
        let (root, verified) = (hub.clone(), hashes.clone());
        let (built, scan) = blocking("index", move || {
            let started = Instant::now();
            let fingerprint = fingerprint(root.path(), None);
            let scan = started.elapsed();
            build(&root, profile, &verified, fingerprint, None).map(|b| (b, scan))
        })
        .await??;
        Ok(Catalogue {
            hub,
            current: RwLock::new(Arc::new(built)),
            rescanning: Arc::new(tokio::sync::Mutex::new(())),
            started: Instant::now(),
            checked: AtomicU64::new(0),
            interval,
            scan_us: AtomicU64::new(micros(scan)),
            wait,
            profile,
            hashes,
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn latest(&self) -> Arc<Built> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn recent(&self) -> bool {
        let interval = u64::try_from(self.interval.as_millis()).unwrap_or(u64::MAX);
        interval > 0
            && self
                .now_ms()
                .saturating_sub(self.checked.load(Ordering::Acquire))
                < interval
    }

    /// The index, after checking the tree for changes unless that was done within the
    /// rescan interval. A rebuild that fails keeps the previous index and is logged.
    ///
    /// When the last check took longer than the wait allowed (a big tree: one `stat`
    /// per card), the check is started in the background instead, at most one at a
    /// time, and this request gets the index as of the last check.
    pub(crate) async fn fresh(self: &Arc<Catalogue>) -> Arc<Built> {
        if self.recent() {
            return self.latest();
        }
        if self.scan_us.load(Ordering::Acquire) >= micros(self.wait) {
            let current = self.latest();
            if let Ok(scan) = self.rescanning.clone().try_lock_owned() {
                let this = self.clone();
                tokio::spawn(async move {
                    this.rescan().await;
                    drop(scan);
                });
            }
            return current;
        }
        let _scan = self.rescanning.lock().await;
        if self.recent() {
            return self.latest();
        }
        self.rescan().await;
        self.latest()
    }

    /// Checks the tree and rebuilds the index if it changed; the caller holds
    /// `rescanning`.
    async fn rescan(self: &Arc<Catalogue>) {
        let this = self.clone();
        let previous = self.latest();
        let rebuilt = blocking("rescan", move || {
            let started = Instant::now();
            let fingerprint = fingerprint(this.hub.path(), Some(&previous));
            this.scan_us
                .store(micros(started.elapsed()), Ordering::Release);
            if fingerprint == previous.fingerprint {
                return Ok(None);
            }
            build(
                &this.hub,
                this.profile,
                &this.hashes,
                fingerprint,
                Some(&previous),
            )
            .map(Some)
        })
        .await;
        match rebuilt {
            Ok(Ok(Some(built))) => {
                tracing::info!(models = built.models, "index rebuilt");
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(built);
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) | Err(e) => {
                tracing::warn!(error = &e as &dyn std::error::Error, "index not rebuilt");
            }
        }
        self.checked.store(self.now_ms(), Ordering::Release);
    }
}

/// A duration in whole microseconds, saturating.
fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Runs `work` on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Task {
            what,
            reason: e.to_string(),
        })
}

/// A cheap summary of what the index depends on: each card's path, length and
/// modification time, the mirror store's blobs, and the files the cards name.
fn fingerprint(hub: &Path, previous: Option<&Built>) -> u64 {
    let mut hasher = DefaultHasher::new();
    let stamp = |path: &Path, hasher: &mut DefaultHasher| {
        path.hash(hasher);
        if let Ok(meta) = fs::metadata(path) {
            Stamp::of(&meta).hash(hasher);
        }
    };
    if let Ok(cards) = hubtree::find_cards(&[hub.join("assets")]) {
        for card in cards {
            stamp(&card.path, &mut hasher);
        }
    }
    let blobs = hubtree::mirror_blobs(hub);
    if let Ok(entries) = fs::read_dir(&blobs) {
        let mut names: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        names.hash(&mut hasher);
    }
    for link in previous.iter().flat_map(|b| b.by_hash.values()).flatten() {
        stamp(&hub.join(link.as_str()), &mut hasher);
    }
    hasher.finish()
}

/// Builds the index and hashes the files the cards name that changed since last time.
fn build(
    hub: &Root,
    profile: Profile,
    hashes: &Verified,
    fingerprint: u64,
    previous: Option<&Built>,
) -> Result<Built> {
    let hubtree::Built {
        index, left_out, ..
    } = hubtree::index_tree(hub.path(), profile, Policy::SkipInvalid).map_err(|source| {
        Error::Index {
            path: hub.path().to_path_buf(),
            source,
        }
    })?;
    for card in &left_out {
        if !previous.is_some_and(|p| p.left_out.contains(card)) {
            tracing::warn!(card = %card.path.display(), reason = %card.reason, "card left out of the index");
        }
    }
    let mut by_hash: HashMap<Sha256, Vec<Relative>> = HashMap::new();
    for entry in &index.models {
        for asset in &entry.assets {
            let (Some(Ok(Link::InHub(link))), Some(sha)) = (asset.link(), asset.sha256()) else {
                continue;
            };
            let Some(path) = Relative::link(link) else {
                continue;
            };
            match hub.find(&path) {
                Some(found) if hashes.check(&found).as_ref() == Some(&sha) => {}
                Some(_) => tracing::warn!(
                    card = %entry.uid,
                    link = %link,
                    "asset does not match its card's sha256; it is not served by hash"
                ),
                None => tracing::warn!(card = %entry.uid, link = %link, "asset not found"),
            }
            by_hash.entry(sha).or_default().push(path);
        }
    }
    let mut json = serde_json::to_string_pretty(&index).map_err(|e| Error::Task {
        what: "index",
        reason: e.to_string(),
    })?;
    json.push('\n');
    let etag = format!("\"{}\"", Sha256::of(json.as_bytes()));
    let modified = match previous {
        Some(p) if p.etag == etag => p.modified,
        _ => SystemTime::now(),
    };
    Ok(Built {
        gzip: encode(Coding::Gzip, json.as_bytes()),
        br: encode(Coding::Br, json.as_bytes()),
        json: Bytes::from(json),
        etag,
        modified,
        by_hash,
        left_out,
        models: index.models.len(),
        fingerprint,
    })
}

/// The sha256 of files this server has read in full, by path and version.
#[derive(Default)]
pub(crate) struct Verified {
    known: Mutex<HashMap<PathBuf, (Stamp, Sha256)>>,
}

impl Verified {
    /// The sha256 of this version of the file, if it was hashed.
    pub(crate) fn known(&self, path: &Path, stamp: Stamp) -> Option<Sha256> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        let (have, sha) = known.get(path)?;
        (*have == stamp).then(|| sha.clone())
    }

    /// The sha256 of the open file, hashed now unless known. Blocks; the bytes hashed are
    /// those of the open file, so a path swapped meanwhile cannot lend its hash.
    pub(crate) fn check(&self, found: &Found) -> Option<Sha256> {
        let stamp = Stamp::of(&found.meta);
        if let Some(sha) = self.known(&found.path, stamp) {
            return Some(sha);
        }
        // Reading moves the shared position; bodies are sent with positional reads.
        let (sha, read) = hubtree::hash_copy(&found.file, std::io::sink(), None).ok()?;
        if read != stamp.len {
            return None;
        }
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(found.path.clone(), (stamp, sha.clone()));
        Some(sha)
    }
}
