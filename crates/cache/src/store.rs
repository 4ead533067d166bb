//! The on-disk cache: versioned layout, atomic writes, per-entry locks, content-addressed blobs.

use crate::error::{Error, Result, io};
use hubtree::{Dir, Kind};
use manifest::{Expected, Sha256};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The layout version; a new layout gets a new folder beside the old one.
/// `v2`: one flat folder per model key, records that name their hub.
pub(crate) const LAYOUT: &str = "v2";

/// Temporary files older than this, whose owner cannot be known, are stale.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// What the cache knows about one pulled model: written only after every asset verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The model UID, or `owner/repo:ref` plus entrypoint for repository pulls.
    pub uid: String,
    /// The hub the card came from, as [`crate::Hub`] names it: the canonical path of a
    /// tree on disk, a hub's url, or a repository's archive url. A cached model is only
    /// answered for that hub.
    pub source: String,
    /// The verified assets.
    pub assets: Vec<StoredAsset>,
}

/// One verified asset of a [`Record`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAsset {
    /// The card's `asset-link`, as written.
    pub link: String,
    /// The card's `file-format`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub format: Option<String>,
    /// The card's `asset-sha256`, as declared (64 digits, or a prefix).
    pub declared: String,
    /// The full sha256 of the stored bytes.
    pub sha256: Sha256,
    /// The size in bytes.
    pub size: u64,
}

/// An exclusive lock on one cache entry, released on drop.
pub(crate) struct Lock(#[allow(dead_code)] File);

/// The cache folder, or a hub's mirror store: each folder open as a [`Dir`], so that
/// every file below it is made from the handle and no write follows a link.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    root: Dir,
    blobs: Dir,
    tmp: Dir,
    locks: Dir,
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

impl Store {
    /// Opens (creating) the cache under `dir`.
    pub(crate) fn open(dir: &Path) -> Result<Store> {
        // Anyone who could write here could swap a verified blob: the folder is private.
        let root = Dir::create_private(dir)?.create_dirs(Path::new(LAYOUT))?;
        for sub in ["models", "repos"] {
            root.create_dirs(Path::new(sub))?;
        }
        Store::with_folders(root, "blobs/sha256", "tmp", "locks")
    }

    /// Opens (creating) a hub's mirror store, `<hub>/mirror/`: blobs in `sha256/`, and the
    /// partial downloads and locks in hidden folders that a server never shows.
    pub(crate) fn open_mirror(hub: &Path) -> Result<Store> {
        // A hub tree may come from anyone: each folder must be a real one, not a link.
        Store::with_folders(
            Dir::open(hub)?.create_dirs(Path::new(hubtree::MIRROR_DIR))?,
            hubtree::MIRROR_BLOBS,
            hubtree::MIRROR_TMP,
            hubtree::MIRROR_LOCKS,
        )
    }

    fn with_folders(root: Dir, blobs: &str, tmp: &str, locks: &str) -> Result<Store> {
        Ok(Store {
            blobs: root.create_dirs(Path::new(blobs))?,
            tmp: root.create_dirs(Path::new(tmp))?,
            locks: root.create_dirs(Path::new(locks))?,
            root,
        })
    }

    /// The layout's root folder.
    pub(crate) fn root(&self) -> &Dir {
        &self.root
    }

    /// The folder of temporary files.
    pub(crate) fn tmp(&self) -> &Dir {
        &self.tmp
    }

    pub(crate) fn blob_path(&self, sha256: &str) -> PathBuf {
        self.blobs.join(sha256)
    }

    /// The folder of one model: its key as one flat name ([`uid::flat_name`]), so that no
    /// two keys share a folder and no key reaches outside `models/`.
    pub(crate) fn model_dir(&self, key: &str) -> PathBuf {
        self.root.join("models").join(uid::flat_name(key))
    }

    pub(crate) fn repo_dir(&self, name: &str) -> PathBuf {
        self.root.join("repos").join(name)
    }

    /// The folder of pulled repositories, open.
    pub(crate) fn repos(&self) -> Result<Dir> {
        Ok(self.root.create_dirs(Path::new("repos"))?)
    }

    /// A temporary name in the cache's `tmp/`, unique to this process and call.
    pub(crate) fn unique_temp(&self, stem: &str) -> String {
        let n = UNIQUE.fetch_add(1, Ordering::Relaxed);
        format!("{stem}.{}.{n}.tmp", std::process::id())
    }

    /// The name in `tmp/` of the resumable partial download for `key`, only touched under
    /// its lock.
    pub(crate) fn partial(&self, key: &str) -> String {
        format!("{key}.part")
    }

    /// Opens `locks/<name>.lock` and locks it, shared or exclusive, waiting for
    /// other processes. `None` where the file system cannot lock; callers stay
    /// correct without it.
    fn take_lock(&self, name: &str, shared: bool) -> Result<Option<Lock>> {
        let name = format!("{name}.lock");
        let file = self.locks.open_writable(&name)?;
        let locked = if shared {
            file.lock_shared()
        } else {
            file.lock()
        };
        match locked {
            Ok(()) => Ok(Some(Lock(file))),
            Err(e) if e.kind() == std::io::ErrorKind::Unsupported => Ok(None),
            Err(e) => Err(io("lock", self.locks.join(name))(e)),
        }
    }

    /// The exclusive lock of one entry if nobody holds it; `None` when it is held, or
    /// when the file system cannot lock (then nobody can be known not to hold it).
    pub(crate) fn try_lock(&self, key: &str) -> Result<Option<Lock>> {
        let name = format!("{key}.lock");
        let file = self.locks.open_writable(&name)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Lock(file))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
                Ok(None)
            }
            Err(std::fs::TryLockError::Error(e)) => Err(io("lock", self.locks.join(name))(e)),
        }
    }

    /// Takes the exclusive lock for one cache entry.
    pub(crate) fn lock(&self, key: &str) -> Result<Option<Lock>> {
        self.take_lock(key, false)
    }

    /// Takes the cache-wide lock shared, as pulls do.
    pub(crate) fn lock_cache_shared(&self) -> Result<Option<Lock>> {
        self.take_lock("cache", true)
    }

    /// Takes the cache-wide lock exclusively, as removals do, so that `prune`
    /// never takes a blob whose record a pull is still writing.
    pub(crate) fn lock_cache_exclusive(&self) -> Result<Option<Lock>> {
        self.take_lock("cache", false)
    }

    /// The stored blob satisfying `expected` (and `size`, when known), if any.
    pub(crate) fn find_blob(
        &self,
        expected: &Expected,
        size: Option<u64>,
    ) -> Result<Option<(Sha256, u64)>> {
        // A blob is a regular file itself: a link planted in a hub's mirror is no blob.
        let fits = |entry: &hubtree::Entry| {
            entry.kind == Kind::File && size.is_none_or(|s| s == entry.len)
        };
        match expected {
            Expected::Full(sha) => Ok(self
                .blobs
                .stat(sha.as_str())?
                .filter(fits)
                .map(|entry| (sha.clone(), entry.len))),
            Expected::Prefix(prefix) => {
                // Only the names with the prefix are looked at.
                for name in self.blobs.names()? {
                    if name.starts_with(prefix.as_str())
                        && let Some(sha) = Sha256::parse(&name)
                        && let Some(entry) = self.blobs.stat(&name)?.filter(fits)
                    {
                        return Ok(Some((sha, entry.len)));
                    }
                }
                Ok(None)
            }
        }
    }

    /// Moves the verified temporary file `temp` (in `tmp/`) into the blob store under its
    /// sha256, read-only.
    pub(crate) fn commit_blob(&self, temp: &str, sha256: &Sha256) -> Result<PathBuf> {
        let shown = self.tmp.join(temp);
        let file = self
            .tmp
            .open_regular(temp)?
            .ok_or_else(|| io("open", &shown)(std::io::ErrorKind::NotFound.into()))?;
        let mut perms = file.metadata().map_err(io("read", &shown))?.permissions();
        perms.set_readonly(true);
        file.set_permissions(perms).map_err(io("protect", &shown))?;
        self.tmp.rename(temp, &self.blobs, sha256.as_str())?;
        self.blobs.sync();
        Ok(self.blob_path(sha256.as_str()))
    }

    /// Writes `bytes` to the file `name` of the model `key`'s folder (created), through a
    /// temporary file in `tmp/` and a rename.
    pub(crate) fn write_model_file(&self, key: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let dir = self
            .root
            .create_dirs(&Path::new("models").join(uid::flat_name(key)))?;
        Ok(dir.write_atomic_via(&self.tmp, &self.unique_temp("write"), name, bytes)?)
    }

    /// Removes the folder of the model `key`; whether there was one.
    pub(crate) fn remove_model(&self, key: &str) -> Result<bool> {
        match self.root.open_dirs(Path::new("models"))? {
            Some(models) => Ok(models.remove_all(&uid::flat_name(key))?),
            None => Ok(false),
        }
    }

    /// Removes the blob `name`.
    pub(crate) fn remove_blob(&self, name: &str) -> Result<()> {
        self.blobs.remove_file(name)?;
        Ok(())
    }

    /// Removes the temporary file or folder `name` in `tmp/`.
    pub(crate) fn remove_temp(&self, name: &str) -> Result<()> {
        self.tmp.remove_all(name)?;
        Ok(())
    }

    /// Reads a model's record, if it was pulled.
    pub(crate) fn record(&self, key: &str) -> Result<Option<Record>> {
        let path = self.model_dir(key).join("record.json");
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::Invalid {
                    what: "cache record",
                    path: path.display().to_string(),
                    reason: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("read", &path)(e)),
        }
    }

    /// Every record in the cache, sorted by key.
    pub(crate) fn records(&self) -> Result<Vec<(String, Record)>> {
        let base = self.root.join("models");
        let mut out = Vec::new();
        for entry in fs::read_dir(&base).map_err(io("list", &base))? {
            let path = entry.map_err(io("list", &base))?.path().join("record.json");
            let bytes = match fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io("read", &path)(e)),
            };
            let record: Record = serde_json::from_slice(&bytes).map_err(|e| Error::Invalid {
                what: "cache record",
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            // A record is found under its own key's folder only.
            if path.parent() == Some(self.model_dir(&record.uid).as_path()) {
                out.push((record.uid.clone(), record));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Every stored blob: its name and size.
    pub(crate) fn blobs(&self) -> Result<Vec<(String, u64)>> {
        Ok(self
            .blobs
            .entries()?
            .into_iter()
            .map(|entry| (entry.name, entry.len))
            .collect())
    }

    /// Removes the partial downloads (`<key>.part`) whose key is not in `keep`, or that
    /// were not touched for `older_than`, when no download holds their lock; returns them.
    pub(crate) fn expire_partials(
        &self,
        keep: &std::collections::HashSet<String>,
        older_than: Duration,
    ) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for entry in self.tmp.entries()? {
            let Some(key) = entry.name.strip_suffix(".part") else {
                continue;
            };
            let old = entry.modified.elapsed().is_ok_and(|age| age > older_than);
            if keep.contains(key) && !old {
                continue;
            }
            // Held by a download under way: not stale, whatever its age.
            let Some(_lock) = self.try_lock(key)? else {
                continue;
            };
            self.tmp.remove_file(&entry.name)?;
            out.push(self.tmp.join(&entry.name));
        }
        Ok(out)
    }

    /// Temporary files no running download owns: resumable partials whose lock is free,
    /// and other temporary files older than an hour; each with its size.
    pub(crate) fn stale_temps(&self) -> Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        for entry in self.tmp.entries()? {
            let stale = if let Some(key) = entry.name.strip_suffix(".part") {
                // A lock file that cannot be opened is nobody's lock.
                self.try_lock(key).map_or(true, |lock| lock.is_some())
            } else {
                entry.modified.elapsed().is_ok_and(|age| age > STALE_AFTER)
            };
            if stale {
                out.push((entry.name, entry.len));
            }
        }
        Ok(out)
    }
}
