//! `mhub index`: validate a hub tree and write its `index.json` catalogue.

use crate::key::SignArgs;
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
    /// Do not write; exit 1 if the index on disk is missing or out of date (a signed
    /// one is compared without its version, expiry and card digests).
    #[arg(long, conflicts_with = "sign")]
    check: bool,
    /// Rule set the cards must pass.
    #[arg(long, default_value = "mhub")]
    profile: Profile,
    /// Index the valid cards and list the others, instead of refusing the tree.
    #[arg(long)]
    skip_invalid: bool,
    #[command(flatten)]
    sign: SignArgs,
}

impl Args {
    /// Writes `HUB/index.json` of the cards valid under `profile`, as
    /// `mhub index HUB --skip-invalid` does: what `mhub mirror` rewrites.
    pub(crate) fn for_hub(hub: &std::path::Path, profile: Profile, sign: SignArgs) -> Args {
        Args {
            hub: hub.to_path_buf(),
            output: None,
            check: false,
            profile,
            skip_invalid: true,
            sign,
        }
    }
}

/// The index at `path` without what signing adds, and the version it was signed with.
fn unsigned(path: &Path) -> (Option<String>, Option<u64>) {
    let Ok(text) = fs::read_to_string(path) else {
        return (None, None);
    };
    let Ok(mut index) = manifest::Index::from_json(text.as_bytes()) else {
        return (Some(text), None);
    };
    let Some(version) = index.version.take() else {
        return (Some(text), None);
    };
    index.expires = None;
    for entry in &mut index.models {
        entry.card_sha256 = None;
        entry.card_size = None;
    }
    let json = serde_json::to_string_pretty(&index).map(|j| format!("{j}\n"));
    (json.ok(), Some(version))
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let signer = args.sign.signer()?;
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
    let mut index = built.index;
    let json = format!("{}\n", serde_json::to_string_pretty(&index)?);
    let target = args
        .output
        .clone()
        .unwrap_or_else(|| args.hub.join("index.json"));
    let (current, previous) = unsigned(&target);
    if args.check {
        if current.as_deref() != Some(json.as_str()) {
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
    let signature_name = format!(
        "{}.sig",
        target.file_name().and_then(|n| n.to_str()).unwrap_or("")
    );
    let signature_path = target.with_file_name(&signature_name);
    if signer.is_none() && target.as_os_str() != "-" && signature_path.exists() {
        anyhow::bail!(
            "`{}` is signed: pass --sign KEY to sign the new index, or delete `{}` to publish it unsigned",
            target.display(),
            signature_path.display()
        );
    }
    let (json, signature) = match &signer {
        Some(signer) => {
            if target.as_os_str() == "-" {
                anyhow::bail!(
                    "a signed index is written to a file, beside its signature: drop `-o -`"
                );
            }
            hubtree::pin_cards(&mut index, &checked);
            let (json, signature) = signer.sign(index.clone(), previous)?;
            (json, Some(signature))
        }
        None => (json, None),
    };
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
        let dir = hubtree::Dir::open(folder)?;
        dir.write_atomic(name, json.as_bytes())?;
        print(&format!(
            "wrote {} models to `{}`\n",
            index.models.len(),
            target.display()
        ))?;
        if let Some(signature) = signature {
            // Written second: until it lands, the new index fails to verify, never the reverse.
            dir.write_atomic(&signature_name, &signature)?;
            print(&format!("signed it: `{}`\n", signature_path.display()))?;
        }
    }
    Ok(Outcome::Clean)
}
