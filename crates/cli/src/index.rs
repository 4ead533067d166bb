//! `mhub index`: validate a hub tree and write its `index.json` catalogue.

use crate::validate::{self, Summary};
use crate::{Outcome, print, warn};
use anyhow::Context as _;
use hubtree::Policy;
use manifest::Profile;
use std::fs;
use std::path::{Path, PathBuf};

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
    /// Index the valid cards and list the others, instead of refusing the tree.
    #[arg(long)]
    skip_invalid: bool,
}

impl Args {
    /// Writes `HUB/index.json` of the cards valid under `profile`, as
    /// `mhub index HUB --skip-invalid` does: what `mhub mirror` rewrites.
    pub(crate) fn for_hub(hub: &std::path::Path, profile: Profile) -> Args {
        Args {
            hub: hub.to_path_buf(),
            output: None,
            check: false,
            profile,
            skip_invalid: true,
        }
    }
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let assets = args.hub.join("assets");
    if !assets.is_dir() {
        return Err(hubtree::Error::NotAHub {
            path: args.hub.clone(),
        }
        .into());
    }
    let files = hubtree::find_cards(std::slice::from_ref(&assets))?;
    let checked = hubtree::check_cards(files, args.profile);
    let policy = if args.skip_invalid {
        Policy::SkipInvalid
    } else {
        Policy::RefuseInvalid
    };
    let built = match hubtree::build_index(&args.hub, &checked, policy) {
        Err(e @ hubtree::Error::Refused { .. }) => {
            let summary = Summary::of(&checked);
            print(&validate::render_human(&checked))?;
            warn(&format!(
                "{}\nerror: {e}: fix them, or pass --skip-invalid to index the others\n",
                summary.line()
            ));
            return summary.outcome().map(|_| Outcome::Problems);
        }
        other => other?,
    };
    for card in &built.left_out {
        warn(&format!(
            "warning: `{}` left out of the index: {}\n",
            card.path.display(),
            card.reason
        ));
    }
    let index = built.index;
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
        let folder = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("`{}` does not name a file", target.display()))?;
        hubtree::Dir::open(folder)?.write_atomic(name, json.as_bytes())?;
        print(&format!(
            "wrote {} models to `{}`\n",
            index.models.len(),
            target.display()
        ))?;
    }
    Ok(Outcome::Clean)
}
