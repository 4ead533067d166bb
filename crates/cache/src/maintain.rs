//! `Cache`: the cache on its own — where it is, what it holds, and looking after it (verify, remove, prune).

use crate::error::{Error, Result};
use crate::results::{Pulled, PulledAsset};
use crate::store::{Store, StoredAsset};
use manifest::{Expected, Sha256};
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The cache directory: `explicit` (a flag or API call), else `MHUB_DIR`, else
/// `$XDG_CACHE_HOME/mhub`, else `~/.cache/mhub`. Empty values count as unset.
/// The caller reads the environment; this crate never does.
pub fn resolve_dir(
    explicit: Option<&Path>,
    mhub_dir: Option<&str>,
    xdg_cache_home: Option<&str>,
    home: Option<&str>,
) -> Option<PathBuf> {
    let set = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(PathBuf::from);
    explicit
        .map(Path::to_path_buf)
        .or_else(|| set(mhub_dir))
        .or_else(|| set(xdg_cache_home).map(|x| x.join("mhub")))
        .or_else(|| set(home).map(|h| h.join(".cache").join("mhub")))
}

/// The cache on its own: list, verify, remove, prune.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    pub(crate) store: Store,
}

/// One model in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedModel {
    /// The cache key.
    pub key: String,
    /// Where it was pulled from.
    pub source: String,
    /// Its assets.
    pub assets: Vec<StoredAsset>,
    /// The bytes its assets take.
    pub size: u64,
}

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Blobs re-hashed.
    pub blobs: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Models checked.
    pub models: usize,
    /// Plans re-hashed.
    pub plans: usize,
    /// Every inconsistency, one line each; empty when the cache is sound.
    pub problems: Vec<String>,
}

/// What `remove` or `prune` deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    /// Model records removed.
    pub models: usize,
    /// Blobs removed.
    pub blobs: usize,
    /// Temporary files removed.
    pub temps: usize,
    /// Models whose plans and tunings were removed.
    pub compiled: usize,
    /// Bytes freed.
    pub bytes: u64,
}

impl Cache {
    /// Opens (creating) the cache in `dir`.
    pub fn open(dir: &Path) -> Result<Cache> {
        Ok(Cache {
            dir: dir.to_path_buf(),
            store: Store::open(dir)?,
        })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the blob with this sha256 is stored (it may not exist).
    pub fn blob(&self, sha256: &Sha256) -> PathBuf {
        self.store.blob_path(sha256.as_str())
    }

    /// A model pulled from the hub `source` names (see [`crate::Record::source`]) whose
    /// record and blobs are all present, if any. The same key pulled from another hub is
    /// not an answer: that hub's card may name other bytes.
    pub fn complete(&self, key: &str, source: &str) -> Result<Option<Pulled>> {
        let Some(record) = self.store.record(key)?.filter(|r| r.source == source) else {
            return Ok(None);
        };
        let card_path = self.store.model_dir(key).join("card.md");
        let Ok(text) = hubtree::read_card(&card_path) else {
            return Ok(None);
        };
        let card = manifest::check(&text, &manifest::Options::default()).card;
        let mut assets = Vec::new();
        for a in &record.assets {
            let path = self.store.blob_path(a.sha256.as_str());
            // A cheap check on every hit; `verify` re-hashes.
            if fs::metadata(&path).map(|m| m.len()).ok() != Some(a.size) {
                return Ok(None);
            }
            let prefix_only = Expected::parse(&a.declared).is_some_and(|e| e.is_prefix());
            assets.push(PulledAsset {
                format: a.format.clone(),
                link: a.link.clone(),
                path,
                sha256: a.sha256.clone(),
                size: a.size,
                prefix_only,
            });
        }
        Ok(Some(Pulled {
            key: key.to_owned(),
            card,
            card_path,
            assets,
            warnings: Vec::new(),
            from_cache: true,
        }))
    }

    /// Every pulled model.
    pub fn models(&self) -> Result<Vec<CachedModel>> {
        Ok(self
            .store
            .records()?
            .into_iter()
            .map(|(key, r)| CachedModel {
                size: r.assets.iter().map(|a| a.size).sum(),
                key,
                source: r.source,
                assets: r.assets,
            })
            .collect())
    }

    /// Re-hashes every blob and checks every record against the blobs.
    pub fn verify(&self) -> Result<VerifyReport> {
        let mut report = VerifyReport::default();
        for (name, len) in self.store.blobs()? {
            let path = self.store.blob_path(&name);
            let (sha, read) = hubtree::hash_file(&path)?;
            report.blobs += 1;
            report.bytes += read;
            if sha != name.as_str() || read != len {
                report.problems.push(format!(
                    "blob `{name}` is corrupt: its bytes hash to `{sha}`"
                ));
            }
        }
        let (plans, problems) = self.verify_compiled()?;
        report.plans = plans;
        report.problems.extend(problems);
        for (key, record) in self.store.records()? {
            report.models += 1;
            if !self.store.model_dir(&key).join("card.md").is_file() {
                report
                    .problems
                    .push(format!("model `{key}` has lost its card"));
            }
            for a in &record.assets {
                let len = fs::metadata(self.store.blob_path(a.sha256.as_str()))
                    .map(|m| m.len())
                    .ok();
                if len != Some(a.size) {
                    report.problems.push(format!(
                        "model `{key}`: asset `{}` is missing or has the wrong size",
                        a.link
                    ));
                }
                if !Expected::parse(&a.declared).is_some_and(|e| e.accepts(&a.sha256)) {
                    report.problems.push(format!(
                        "model `{key}`: asset `{}` does not match its declared sha256",
                        a.link
                    ));
                }
            }
        }
        Ok(report)
    }

    fn referenced(&self) -> Result<HashSet<String>> {
        Ok(self
            .store
            .records()?
            .into_iter()
            .flat_map(|(_, r)| r.assets.into_iter().map(|a| a.sha256.to_string()))
            .collect())
    }

    /// Removes the blobs no record names, and the plans and tunings of the models removed.
    fn drop_orphans(&self, removed: &mut Removed) -> Result<()> {
        let referenced = self.referenced()?;
        let mut dropped = HashSet::new();
        for (name, len) in self.store.blobs()? {
            if !referenced.contains(&name) {
                self.store.remove_blob(&name)?;
                removed.blobs += 1;
                removed.bytes += len;
                dropped.insert(name);
            }
        }
        let (count, bytes) = self.remove_compiled(|model, _| Ok(dropped.contains(model)))?;
        removed.compiled += count;
        removed.bytes += bytes;
        Ok(())
    }

    /// Removes a model and the blobs no other model uses.
    pub fn remove(&self, key: &str) -> Result<Removed> {
        let _exclusive = self.store.lock_cache_exclusive()?;
        if self.store.record(key)?.is_none() {
            return Err(Error::NotFound {
                uid: key.to_owned(),
                hub: format!("the cache at {}", self.dir.display()),
            });
        }
        self.store.remove_model(key)?;
        let mut removed = Removed {
            models: 1,
            ..Removed::default()
        };
        self.drop_orphans(&mut removed)?;
        Ok(removed)
    }

    /// Removes blobs no model uses, temporary files no download owns, and plans and
    /// tunings of models that are not in the cache (local files run or benchmarked) or
    /// whose plan does not match its record.
    pub fn prune(&self) -> Result<Removed> {
        let _exclusive = self.store.lock_cache_exclusive()?;
        let mut removed = Removed::default();
        self.drop_orphans(&mut removed)?;
        let blobs: HashSet<String> = self.store.blobs()?.into_iter().map(|(n, _)| n).collect();
        let (count, bytes) = self.remove_compiled(|model, dir| {
            Ok(!blobs.contains(model) || Cache::has_corrupt_plan(dir)?)
        })?;
        removed.compiled += count;
        removed.bytes += bytes;
        for (name, len) in self.store.stale_temps()? {
            self.store.remove_temp(&name)?;
            removed.temps += 1;
            removed.bytes += len;
        }
        Ok(removed)
    }

    /// Temporary files currently in the cache (for tests and `verify` output).
    pub fn temp_files(&self) -> Result<Vec<PathBuf>> {
        let dir = self.store.tmp();
        Ok(dir.names()?.iter().map(|name| dir.join(name)).collect())
    }
}
