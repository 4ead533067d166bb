//! `mhub index`: validate a hub tree and write its `index.json` catalogue.

use crate::validate::{self, Summary};
use crate::{Outcome, print, warn};
use anyhow::{Context as _, bail};
use manifest::{Index, Profile};
use std::fs;
use std::io::Write as _;
use std::path::PathBuf;

/// Arguments of `mhub index`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The hub tree: a folder with an `assets/` folder of cards.
    #[arg(value_parser = crate::path_arg)]
    hub: PathBuf,
    /// Where to write the index; `-` for standard output. Default: `HUB/index.json`.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Do not write; exit 1 if the index on disk is missing or out of date.
    #[arg(long)]
    check: bool,
    /// Rule set the cards must pass.
    #[arg(long, default_value = "mhub")]
    profile: Profile,
}

impl Args {
    /// Writes `HUB/index.json` checked with `profile`, as `mhub index HUB` does.
    pub(crate) fn for_hub(hub: &std::path::Path, profile: Profile) -> Args {
        Args {
            hub: hub.to_path_buf(),
            output: None,
            check: false,
            profile,
        }
    }
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let assets = args.hub.join("assets");
    if !assets.is_dir() {
        bail!(
            "`{}` is not a hub tree: it has no `assets/` folder",
            args.hub.display()
        );
    }
    let files = cache::find_cards(std::slice::from_ref(&assets))?;
    let checked = validate::check_all(files, args.profile);
    let summary = Summary::of(&checked);
    if summary.errors > 0 || summary.unreadable > 0 {
        print(&validate::render_human(&checked))?;
        warn(&format!(
            "{}\nerror: index not written: fix the errors above first\n",
            summary.line()
        ));
        return summary.outcome().map(|_| Outcome::Problems);
    }
    let mut entries = Vec::new();
    for c in &checked {
        let Ok(report) = &c.result else { continue };
        let is_translation = c
            .file
            .card_path
            .as_deref()
            .and_then(manifest::english_sibling)
            .is_some();
        match &report.uid {
            Some(uid) if !is_translation => {
                entries.push(cache::index_entry(&args.hub, uid, &report.card));
            }
            Some(_) => {}
            None => bail!(
                "`{}` has no valid model id, so it cannot be indexed",
                c.file.path.display()
            ),
        }
    }
    let index = Index::new(entries);
    let json = format!("{}\n", serde_json::to_string_pretty(&index)?);
    let target = args
        .output
        .clone()
        .unwrap_or_else(|| args.hub.join("index.json"));
    if args.check {
        let current = fs::read_to_string(&target).unwrap_or_default();
        if current != json {
            warn(&format!(
                "error: `{}` is out of date: run `mhub index {}`\n",
                target.display(),
                args.hub.display()
            ));
            return Ok(Outcome::Problems);
        }
        print(&format!(
            "`{}` is up to date ({} models)\n",
            target.display(),
            index.models.len()
        ))?;
        return Ok(Outcome::Clean);
    }
    if target.as_os_str() == "-" {
        print(&json)?;
    } else {
        write_atomically(&target, json.as_bytes())?;
        print(&format!(
            "wrote {} models to `{}`\n",
            index.models.len(),
            target.display()
        ))?;
    }
    Ok(Outcome::Clean)
}

/// Writes through a temporary file in the same folder and renames it over the target.
fn write_atomically(target: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&temp)
            .with_context(|| format!("cannot create `{}`", temp.display()))?;
        file.write_all(bytes)
            .with_context(|| format!("cannot write `{}`", temp.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot sync `{}`", temp.display()))?;
        fs::rename(&temp, target)
            .with_context(|| format!("cannot move `{}` to `{}`", temp.display(), target.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}
