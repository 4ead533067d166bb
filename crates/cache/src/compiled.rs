//! What the runtime derives from a model and keeps per model sha256: its plan (the graph after parsing and decluttering) and its tunings, checked before use.
//!
//! ```text
//! compiled/<engine>/<model sha256>/
//! ├── plan                          the plan's bytes (opaque here), read-only
//! ├── plan.json                     its size, CRC-32 and sha256, written after it: the plan
//! │                                 is visible once this is, and used only if it matches
//! └── tuning@<machine>@<threads>    a tuning's text (opaque here), per machine and thread count
//! ```
//!
//! Plans and tunings are the runtime's, written and read as bytes: this crate only keeps
//! them, atomically, and checks a plan's bytes against its record on every read: its size
//! and CRC-32 (a plan is mhub's own bytes in a private folder: the check is for damage,
//! and a CRC-32 costs a few milliseconds where a sha256 of a 100 MB plan costs 60),
//! and its sha256 in `mhub cache verify`. They are derived data: one that is missing or
//! does not match is made again by the caller.

use crate::error::{Error, Result, io};
use crate::maintain::Cache;
use crate::store::Store;
use hubtree::{Dir, Kind};
use manifest::Sha256;
use serde::{Deserialize, Serialize};
use std::io::Read as _;
use std::path::Path;

/// The folder below the layout's root.
const COMPILED: &str = "compiled";
/// The longest tuning or plan record read.
const MAX_SMALL: u64 = 64 << 10;

/// How thoroughly a plan is checked against its record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Size and CRC-32: on every read.
    Quick,
    /// Size, CRC-32 and sha256: `verify` and `prune`.
    Full,
}

/// What is recorded of a stored plan.
#[derive(Serialize, Deserialize)]
struct PlanRecord {
    sha256: Sha256,
    size: u64,
    crc32: u32,
}

/// One model's derived data, as `cache ls` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledModel {
    /// The engine that derived it, e.g. `tract-0.23.9`.
    pub engine: String,
    /// The model's sha256.
    pub model: String,
    /// The plan's size, when there is one.
    pub plan: Option<u64>,
    /// How many tunings are kept (one per machine and thread count).
    pub tunings: usize,
    /// The bytes it takes.
    pub bytes: u64,
}

/// The name of a tuning's file.
fn tuning_name(machine: &str, threads: usize) -> String {
    format!("tuning@{}@{threads}", uid::flat_name(machine))
}

/// Reads the regular file `name` of `dir` whole, refusing more than `limit` bytes.
fn read_small(dir: &Dir, name: &str, limit: u64) -> Result<Option<Vec<u8>>> {
    let Some(file) = dir.open_regular(name)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io("read", dir.join(name)))?;
    if bytes.len() as u64 > limit {
        return Err(Error::Invalid {
            what: "cache record",
            path: dir.join(name).display().to_string(),
            reason: format!("it is larger than {limit} bytes"),
        });
    }
    Ok(Some(bytes))
}

impl Store {
    /// The folder of one model's derived data, created.
    fn compiled_dir(&self, engine: &str, model: &Sha256) -> Result<Dir> {
        Ok(self.root().create_dirs(
            &Path::new(COMPILED)
                .join(uid::flat_name(engine))
                .join(model.as_str()),
        )?)
    }

    /// The folder of one model's derived data, if it exists.
    fn open_compiled_dir(&self, engine: &str, model: &Sha256) -> Result<Option<Dir>> {
        Ok(self.root().open_dirs(
            &Path::new(COMPILED)
                .join(uid::flat_name(engine))
                .join(model.as_str()),
        )?)
    }

    /// The engines' folders under `compiled/`, with their names.
    fn engines(&self) -> Result<Vec<(String, Dir)>> {
        let Some(compiled) = self.root().open_dirs(Path::new(COMPILED))? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in compiled.entries()? {
            if entry.kind == Kind::Folder {
                out.push((
                    entry.name.clone(),
                    compiled.create_dirs(Path::new(&entry.name))?,
                ));
            }
        }
        Ok(out)
    }

    /// Reads the plan in `dir` and checks it against its record as `check` says; `None`
    /// when there is none or it does not match.
    fn checked_plan(dir: &Dir, check: Check) -> Result<Option<Vec<u8>>> {
        let Some(record) = read_small(dir, "plan.json", MAX_SMALL)? else {
            return Ok(None);
        };
        let Ok(record) = serde_json::from_slice::<PlanRecord>(&record) else {
            return Ok(None);
        };
        let Some(file) = dir.open_regular("plan")? else {
            return Ok(None);
        };
        let len = file.metadata().map_err(io("read", dir.join("plan")))?.len();
        if len != record.size {
            return Ok(None);
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.take(record.size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io("read", dir.join("plan")))?;
        let matches = bytes.len() as u64 == record.size
            && crc32fast::hash(&bytes) == record.crc32
            && (check == Check::Quick || Sha256::of(&bytes) == record.sha256);
        Ok(matches.then_some(bytes))
    }
}

impl Cache {
    /// The plan `engine` keeps for the model with this sha256, checked against the size and
    /// CRC-32 recorded when it was stored; `None` when there is none or it does not match.
    pub fn plan(&self, model: &Sha256, engine: &str) -> Result<Option<Vec<u8>>> {
        match self.store.open_compiled_dir(engine, model)? {
            Some(dir) => Store::checked_plan(&dir, Check::Quick),
            None => Ok(None),
        }
    }

    /// Stores `plan` for the model with this sha256: the bytes first, then their record,
    /// each written atomically, so a reader sees the old plan, none, or this one whole.
    pub fn store_plan(&self, model: &Sha256, engine: &str, plan: &[u8]) -> Result<()> {
        let dir = self.store.compiled_dir(engine, model)?;
        // Two processes storing the same plan write the same bytes; the lock saves the work.
        let _lock = self.store.lock(&format!("plan-{model}"))?;
        let record = PlanRecord {
            sha256: Sha256::of(plan),
            size: plan.len() as u64,
            crc32: crc32fast::hash(plan),
        };
        let record = serde_json::to_vec(&record).map_err(|e| Error::Invalid {
            what: "cache record",
            path: dir.join("plan.json").display().to_string(),
            reason: e.to_string(),
        })?;
        let tmp = self.store.tmp();
        dir.write_atomic_via(tmp, &self.store.unique_temp("plan"), "plan", plan)?;
        dir.write_atomic_via(tmp, &self.store.unique_temp("plan"), "plan.json", &record)?;
        Ok(())
    }

    /// The tuning kept for the model with this sha256 on `machine` with `threads`, as the
    /// text it was stored as.
    pub fn tuning(
        &self,
        model: &Sha256,
        engine: &str,
        machine: &str,
        threads: usize,
    ) -> Result<Option<String>> {
        let Some(dir) = self.store.open_compiled_dir(engine, model)? else {
            return Ok(None);
        };
        let name = tuning_name(machine, threads);
        Ok(read_small(&dir, &name, MAX_SMALL)?.and_then(|b| String::from_utf8(b).ok()))
    }

    /// Keeps `text` as the tuning of the model with this sha256 on `machine` with `threads`.
    pub fn store_tuning(
        &self,
        model: &Sha256,
        engine: &str,
        machine: &str,
        threads: usize,
        text: &str,
    ) -> Result<()> {
        let dir = self.store.compiled_dir(engine, model)?;
        Ok(dir.write_atomic_via(
            self.store.tmp(),
            &self.store.unique_temp("tuning"),
            &tuning_name(machine, threads),
            text.as_bytes(),
        )?)
    }

    /// Every model with derived data, sorted by engine and model.
    pub fn compiled(&self) -> Result<Vec<CompiledModel>> {
        let mut out = Vec::new();
        for (engine, dir) in self.store.engines()? {
            for entry in dir.entries()? {
                if entry.kind != Kind::Folder {
                    continue;
                }
                let files = dir.create_dirs(Path::new(&entry.name))?.entries()?;
                let plan = files.iter().find(|f| f.name == "plan").map(|f| f.len);
                out.push(CompiledModel {
                    engine: engine.clone(),
                    model: entry.name.clone(),
                    plan,
                    tunings: files
                        .iter()
                        .filter(|f| f.name.starts_with("tuning@"))
                        .count(),
                    bytes: files.iter().map(|f| f.len).sum(),
                });
            }
        }
        Ok(out)
    }

    /// Problems with stored plans: each re-hashed against its record.
    pub(crate) fn verify_compiled(&self) -> Result<(usize, Vec<String>)> {
        let (mut plans, mut problems) = (0, Vec::new());
        for (engine, dir) in self.store.engines()? {
            for entry in dir.entries()? {
                if entry.kind != Kind::Folder {
                    continue;
                }
                let model = dir.create_dirs(Path::new(&entry.name))?;
                if model.stat("plan")?.is_none() {
                    continue;
                }
                plans += 1;
                if Store::checked_plan(&model, Check::Full)?.is_none() {
                    problems.push(format!(
                        "the {engine} plan of model `{}` does not match its record; `mhub cache prune` removes it",
                        entry.name
                    ));
                }
            }
        }
        Ok((plans, problems))
    }

    /// Removes the derived data of every model `drop` picks (given the model's sha256 and
    /// its folder); returns the folders removed and their bytes.
    pub(crate) fn remove_compiled(
        &self,
        drop: impl Fn(&str, &Dir) -> Result<bool>,
    ) -> Result<(usize, u64)> {
        let (mut count, mut bytes) = (0, 0);
        for (_, dir) in self.store.engines()? {
            for entry in dir.entries()? {
                if entry.kind != Kind::Folder {
                    continue;
                }
                let model = dir.create_dirs(Path::new(&entry.name))?;
                if drop(&entry.name, &model)? {
                    let size: u64 = model.entries()?.iter().map(|f| f.len).sum();
                    dir.remove_all(&entry.name)?;
                    count += 1;
                    bytes += size;
                }
            }
        }
        Ok((count, bytes))
    }

    /// Whether the model folder `dir` holds a plan that does not match its record.
    pub(crate) fn has_corrupt_plan(dir: &Dir) -> Result<bool> {
        Ok(dir.stat("plan")?.is_some() && Store::checked_plan(dir, Check::Full)?.is_none())
    }
}
