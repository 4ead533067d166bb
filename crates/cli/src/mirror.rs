//! `mhub mirror`: copy the external assets of cards that allow it into the hub's own store, then rewrite its index.

use crate::progress::Bars;
use crate::{Outcome, index, print, warn};
use cache::NetConfig;
use manifest::Profile;
use std::path::PathBuf;

/// Arguments of `mhub mirror`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The hub tree: a folder with an `assets/` folder of cards.
    #[arg(value_parser = crate::path_arg)]
    hub: PathBuf,
    /// Allow plain http to hosts other than this machine.
    #[arg(long)]
    allow_http: bool,
    /// Rule set the cards must pass for `index.json` to be rewritten.
    #[arg(long, default_value = "mhub")]
    profile: Profile,
    /// Print no progress.
    #[arg(short, long)]
    quiet: bool,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let net = NetConfig {
        allow_http: args.allow_http,
        ..NetConfig::default()
    };
    let report = cache::mirror(&args.hub, args.profile, &net, &Bars::new(args.quiet))?;
    for s in &report.skipped {
        warn(&format!(
            "warning: `{}` of `{}` is not mirrored: {}\n",
            s.link, s.uid, s.reason
        ));
    }
    if report.assets.is_empty() {
        let why = if report.cards == 0 {
            format!(
                "no card in `{}` sets `allow-cache-ckpt: true`",
                args.hub.display()
            )
        } else {
            format!(
                "the cards that set `allow-cache-ckpt: true` ({}) name no external asset with a full sha256",
                report.cards
            )
        };
        print(&format!("nothing to mirror: {why}\n"))?;
        return Ok(Outcome::Clean);
    }
    let fetched = report.assets.iter().filter(|a| a.fetched).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut out = format!(
        "mirrored {} of {} ({fetched} fetched, {} already there)\n",
        plural(report.assets.len(), "asset"),
        plural(report.cards, "card"),
        report.assets.len() - fetched
    );
    for a in &report.assets {
        out += &format!(
            "  {}  {}\n    -> {} ({} bytes, sha256 verified)\n",
            a.uid,
            a.link,
            hubtree::mirror_link(&a.sha256),
            a.size
        );
    }
    print(&out)?;
    index::run(&index::Args::for_hub(&args.hub, args.profile))
}
