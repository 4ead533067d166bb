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
    /// Remove a model, and the files no other model uses
    Rm {
        /// The model id (or `@repos/...` key) as `mhub cache ls` shows it
        key: String,
    },
    /// Remove files no model uses and downloads nobody is resuming
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
            if *json {
                let list: Vec<_> = models
                    .iter()
                    .map(|m| serde_json::json!({"key": m.key, "source": m.source, "size": m.size, "assets": m.assets}))
                    .collect();
                print(&format!("{}\n", serde_json::to_string_pretty(&list)?))?;
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
                "verified {} files ({}) and {} models: {} problems\n",
                report.blobs,
                size(report.bytes),
                report.models,
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
                "removed `{key}`: {} files, {}\n",
                removed.blobs,
                size(removed.bytes)
            ))?;
        }
        Action::Prune => {
            let removed = cache.prune()?;
            print(&format!(
                "pruned {} unused files and {} stale downloads, {}\n",
                removed.blobs,
                removed.temps,
                size(removed.bytes)
            ))?;
        }
    }
    Ok(Outcome::Clean)
}
