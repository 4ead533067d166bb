//! `mhub cache`: where the cache is, what it holds, whether it is sound, and cleaning it.

use crate::hub::DirArgs;
use crate::{Outcome, print};
use cache::Cache;
use manifest::format_size as size;

/// Arguments of `mhub cache`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Action,
    #[command(flatten)]
    dir: DirArgs,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Print the cache directory
    Dir,
    /// List the cached models with their sizes
    Ls {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Re-hash every stored file and check every model; exit 1 on any problem
    Verify,
    /// Remove a model, the files no other model uses, and their plans and tunings
    Rm {
        /// The model id (or `@repos/...` key) as `mhub cache ls` shows it
        key: String,
    },
    /// Remove files no model uses, downloads nobody is resuming, and plans and tunings of
    /// models not in the cache (local files) or whose plan does not match its record
    Prune,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let dir = args.dir.resolve()?;
    if matches!(args.action, Action::Dir) {
        print(&format!("{}\n", dir.display()))?;
        return Ok(Outcome::Clean);
    }
    let cache = Cache::open(&dir)?;
    match &args.action {
        Action::Dir => {}
        Action::Ls { json } => {
            let models = cache.models()?;
            let compiled = cache.compiled()?;
            if *json {
                // Each asset says what the runtime keeps for it (its plan's size, its tunings).
                let list: Vec<_> = models
                    .iter()
                    .map(|m| {
                        let assets: Vec<_> = m
                            .assets
                            .iter()
                            .map(|a| {
                                let mut value = serde_json::json!(a);
                                let kept: Vec<_> = compiled
                                    .iter()
                                    .filter(|c| c.model == a.sha256.as_str())
                                    .map(|c| serde_json::json!({"engine": c.engine, "plan": c.plan, "tunings": c.tunings}))
                                    .collect();
                                if !kept.is_empty() {
                                    value["compiled"] = serde_json::json!(kept);
                                }
                                value
                            })
                            .collect();
                        serde_json::json!({"key": m.key, "source": m.source, "size": m.size, "assets": assets})
                    })
                    .collect();
                let value = list;
                print(&format!("{}\n", serde_json::to_string_pretty(&value)?))?;
            } else {
                let width = models.iter().map(|m| m.key.len()).max().unwrap_or(0);
                let mut out = String::new();
                for m in &models {
                    out += &format!(
                        "{:width$}  {:>10}  {} assets  {}\n",
                        m.key,
                        size(m.size),
                        m.assets.len(),
                        m.source
                    );
                }
                let total: u64 = models.iter().map(|m| m.size).sum();
                out += &format!(
                    "{} models, {} in {}\n",
                    models.len(),
                    size(total),
                    dir.display()
                );
                if !compiled.is_empty() {
                    let plans = compiled.iter().filter(|c| c.plan.is_some()).count();
                    let tunings: usize = compiled.iter().map(|c| c.tunings).sum();
                    let bytes: u64 = compiled.iter().map(|c| c.bytes).sum();
                    out += &format!(
                        "{plans} plans and {tunings} tunings for {} model files, {}\n",
                        compiled.len(),
                        size(bytes)
                    );
                }
                print(&out)?;
            }
        }
        Action::Verify => {
            let report = cache.verify()?;
            let mut out: String = report
                .problems
                .iter()
                .map(|p| format!("problem: {p}\n"))
                .collect();
            out += &format!(
                "verified {} files ({}), {} models and {} plans: {} problems\n",
                report.blobs,
                size(report.bytes),
                report.models,
                report.plans,
                report.problems.len()
            );
            print(&out)?;
            if !report.problems.is_empty() {
                return Ok(Outcome::Problems);
            }
        }
        Action::Rm { key } => {
            let removed = cache.remove(key)?;
            print(&format!(
                "removed `{key}`: {} files, {} plans, {}\n",
                removed.blobs,
                removed.compiled,
                size(removed.bytes)
            ))?;
        }
        Action::Prune => {
            let removed = cache.prune()?;
            print(&format!(
                "pruned {} unused files, {} stale downloads and {} plans, {}\n",
                removed.blobs,
                removed.temps,
                removed.compiled,
                size(removed.bytes)
            ))?;
        }
    }
    Ok(Outcome::Clean)
}
